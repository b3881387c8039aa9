/**
 * One supervised pktminerg process (spec §10.6 and its [RECOMMEND]): started
 * with its groups as `--config -` JSON on standard input, tracked by its
 * ChildProcess handle only (the reference grepped `ps`), restarted with
 * exponential back-off whenever it ends without being asked to, whatever the
 * manager answers, and stopped with SIGTERM, then SIGKILL after a timeout
 * (the reference waited without one). Its output lines become the daemon's
 * log lines, at the level pktminerg gave them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '../log.js';
import { shellQuote } from '../shell-words.js';

export interface CaptureProcessOptions {
  /** What starts pktminerg: the program and its first arguments (`--config -` is added). */
  command: readonly string[];
  groups: string[][];
  controlPort: number;
  /** Prefixed with the strategy: the process's lines and its supervision. */
  log: Logger;
  /** Called with each new pid, before it reads its configuration (cgroup limits). */
  onSpawn?: (pid: number) => void;
  backoff?: Backoff;
  stopTimeoutMs?: number;
}

export interface Backoff {
  firstMs: number;
  maxMs: number;
  /** A process that ran this long had started well: the next failure waits `firstMs` again. */
  healthyAfterMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { firstMs: 1000, maxMs: 60_000, healthyAfterMs: 60_000 };
/** pktminerg drains and flushes within 10 s of SIGTERM; this leaves it margin before SIGKILL. */
export const DEFAULT_STOP_TIMEOUT_MS = 15_000;

/** pktminerg's log lines, `[date][LEVEL] message` (logconfig.json). */
const LOG_LINE = /^\[[^\]]*\]\[(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\] (.*)$/;

export class CaptureProcess {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private exited: Promise<void> = Promise.resolve();
  /** When the current process started (ms since the epoch); null while none runs. */
  startedAt: number | null = null;
  /** How many times the process ended without being asked to. */
  crashes = 0;

  constructor(private readonly o: CaptureProcessOptions) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get controlPort(): number {
    return this.o.controlPort;
  }

  /** The equivalent command line, for the log: what an operator would type to reproduce it. */
  describe(): string {
    return this.o.groups.map((g) => `"${g.map(shellQuote).join(' ')}"`).join(' ');
  }

  start(): void {
    this.stopping = false;
    this.launch();
  }

  private launch(): void {
    this.restartTimer = null;
    const [program, ...args] = this.o.command;
    const child = spawn(program!, [...args, '--config', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.startedAt = Date.now();
    let done!: () => void;
    this.exited = new Promise((r) => (done = r));
    child.on('error', (e) => {
      // A spawn that failed (no such program) has no pid and no 'exit' to follow.
      this.o.log.error(`cannot start pktminerg: ${e.message}`);
      if (child.pid === undefined) this.ended(child, null, null, done);
    });
    // 'close', not 'exit': the process has ended and its output is read to the end, so its last
    // lines are logged before the line that says it ended.
    child.on('close', (code, signal) => this.ended(child, code, signal, done));
    if (child.pid === undefined) return;
    this.o.log.info(`started pktminerg (pid ${child.pid}): ${this.describe()}`);
    this.o.onSpawn?.(child.pid);
    child.stdin!.on('error', () => {}); // a process that died at once: its exit is what gets reported
    child.stdin!.end(JSON.stringify({ groups: this.o.groups }));
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.relay(line));
    }
  }

  /** A line of pktminerg's output, logged by the daemon at its level. */
  private relay(line: string): void {
    const m = LOG_LINE.exec(line);
    const text = `pktminerg: ${m ? m[2] : line}`;
    const level = m?.[1];
    if (level === 'ERROR' || level === 'FATAL') this.o.log.error(text);
    else if (level === 'WARN') this.o.log.warn(text);
    else if (level === 'DEBUG' || level === 'TRACE') this.o.log.debug(text);
    else this.o.log.info(text);
  }

  private ended(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, done: () => void): void {
    if (this.child !== child) return;
    const ranMs = Date.now() - (this.startedAt ?? Date.now());
    this.child = null;
    this.startedAt = null;
    done();
    if (this.stopping) return;
    this.crashes++;
    const b = this.o.backoff ?? DEFAULT_BACKOFF;
    this.failures = ranMs >= b.healthyAfterMs ? 1 : this.failures + 1;
    const delay = Math.min(b.firstMs * 2 ** (this.failures - 1), b.maxMs);
    const how = signal ? `killed by ${signal}` : code !== null ? `exited with status ${code}` : 'did not start';
    this.o.log.error(`pktminerg (pid ${child.pid ?? 'none'}) ${how} after ${(ranMs / 1000).toFixed(1)} s; restarting in ${delay / 1000} s`);
    this.restartTimer = setTimeout(() => this.launch(), delay);
  }

  /** SIGTERM, then SIGKILL if it has not ended within the stop timeout; resolves when it is gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timeoutMs = this.o.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    const kill = setTimeout(() => {
      this.o.log.warn(`pktminerg (pid ${child.pid}) still running ${timeoutMs / 1000} s after SIGTERM; sending SIGKILL`);
      child.kill('SIGKILL');
    }, timeoutMs);
    await this.exited;
    clearTimeout(kill);
    this.o.log.info(`stopped pktminerg (pid ${child.pid})`);
  }
}

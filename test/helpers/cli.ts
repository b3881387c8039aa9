/** Runs the built CLIs as child processes, the way users run them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = join(ROOT, 'fixtures');

/** A log4js configuration with the default layout on stderr only: no log files from tests. */
export const STDERR_LOG_CONFIG = join(mkdtempSync(join(tmpdir(), 'pa-log-')), 'log.json');
writeFileSync(
  STDERR_LOG_CONFIG,
  JSON.stringify({
    appenders: { console: { type: 'stderr', layout: { type: 'pattern', pattern: '[%d{yyyy-MM-dd hh:mm:ss}][%p] %m' } } },
    categories: { default: { appenders: ['console'], level: 'info' } },
  }),
);

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface StartOptions {
  stdin?: 'pipe' | 'ignore';
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run inside this network namespace; `ip netns exec` execs in place, so the child's pid is the program's own. */
  netns?: string;
}

/**
 * Starts a program for test `t` and SIGKILLs it when `t` ends, however it
 * ends: after a failed assertion or a timeout it would otherwise keep
 * running, and its open pipes would keep the test file, and so the whole
 * run, from finishing.
 */
export function startProcess(t: TestContext, file: string, args: string[], opts: StartOptions = {}): ChildProcess {
  const [command, argv] = opts.netns === undefined ? [file, args] : ['ip', ['netns', 'exec', opts.netns, file, ...args]];
  const child = spawn(command, argv, { stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'], env: opts.env, cwd: opts.cwd ?? tmpdir() });
  t.after(async () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  });
  return child;
}

/** A built CLI (`dist/cli/<command>.js`), run the way users run it, for test `t` (see startProcess). */
export function startCli(t: TestContext, command: string, args: string[], opts: StartOptions = {}): ChildProcess {
  return startProcess(t, process.execPath, [join(ROOT, 'dist', 'cli', `${command}.js`), ...args], {
    ...opts,
    env: { ...process.env, TZ: 'UTC', PKTMINERG_LOG_CONFIG: STDERR_LOG_CONFIG, ...opts.env },
  });
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

export function runCli(t: TestContext, command: string, args: string[], opts: StartOptions = {}): Promise<CliResult> {
  return collect(startCli(t, command, args, opts));
}

/**
 * Resolves with the match once the child has written a line matching `re` on
 * stderr, counting only what it writes from now on; rejects if it exits
 * first or after `ms`.
 */
export function waitForStderr(child: ChildProcess, re: RegExp, ms = 10_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`no ${re} within ${ms} ms: ${seen}`)), ms);
    const onExit = (): void => fail(new Error(`exited before ${re}: ${seen}`));
    const onData = (d: Buffer): void => {
      seen += d;
      const m = re.exec(seen);
      if (m) {
        done();
        resolve(m);
      }
    };
    const done = (): void => {
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
    };
    const fail = (e: Error): void => {
      done();
      reject(e);
    };
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Waits until a file has grown to `size` bytes (the receiving tools write each batch at once). */
export async function waitForSize(path: string, size: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (existsSync(path) && statSync(path).size >= size) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${path} did not reach ${size} bytes`);
}

/** A receiving tool started with --port 0 on 127.0.0.1 (killed when the test ends, as startCli says). */
export async function startReceiver(t: TestContext, command: string, args: string[]): Promise<{ child: ChildProcess; port: number; done: Promise<CliResult> }> {
  const child = startCli(t, command, ['--port', '0', '--bind', '127.0.0.1', ...args]);
  const done = collect(child);
  const m = await waitForStderr(child, /listening on (?:udp )?\S*?127\.0\.0\.1:(\d+), writing /);
  return { child, port: Number(m[1]), done };
}

/** A port nobody listens on right now (the kernel's choice for port 0). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

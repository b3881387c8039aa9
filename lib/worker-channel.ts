/**
 * `--workers N` (N > 1): one channel run by N worker threads. Each runs the
 * whole channel (capture-worker.ts) on its own share of the interface's
 * frames: their captures join one PACKET_FANOUT group, which gives each flow
 * to one of them (flow hash), and each has its own ring (-b MiB each), its
 * own stages and its own forwarding socket. The main thread keeps what
 * serves the process (status port, metrics, statistics line, live counter,
 * signals) and sees the channel as one: the workers' counts, reported every
 * REPORT_MS and at their end, are added up into one snapshot and one summary
 * (worker-merge.ts).
 *
 * Life as a Channel's: open() starts the workers one after the other, each
 * opening its capture and sinks; if one cannot, every one started is ended
 * and the error goes on (all or nothing). run() lasts until every worker
 * has ended; stop() asks each to stop (each flushes what it holds). A
 * worker that fails (its capture ends in error, it throws, it exits) fails
 * the channel with its one line, and the others are stopped; no thread is
 * left behind: one that has not exited STRAGGLER_MS after its end, or after
 * destroy(), is terminated.
 */
import { Worker } from 'node:worker_threads';
import { Channel, formatSummary, type ChannelLike, type ChannelSnapshot } from './channel.js';
import type { ChannelOptions } from './config.js';
import { UserError } from './errors.js';
import { prefixedLogger, type Logger } from './log.js';
import type { MainMessage, WorkerInit, WorkerMessage } from './capture-worker.js';
import { mergeDirections, mergeSinkCounts, mergeSnapshots, type WorkerReport } from './worker-merge.js';

/** A worker that reported its end but whose thread still runs after this long is terminated. */
const STRAGGLER_MS = 5000;

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The PACKET_FANOUT group of channel `index` in process `pid`: 1..65535, different for every
 * channel of one process (up to 256 channels), derived from the pid so that another process's
 * group is unlikely to have the same id (the kernel would let a capture of the same mode on the
 * same device join it: see README "Several capture threads").
 */
export function fanoutGroup(pid: number, index: number): number {
  return 1 + ((pid * 256 + index) % 65535);
}

interface WorkerState {
  number: number;
  thread: Worker;
  report: WorkerReport | null;
  /** Why the worker failed, once it has. */
  error: string | null;
  /** Set when the thread has exited. */
  exited: Promise<void>;
}

export class WorkerChannel implements ChannelLike {
  readonly log: Logger;
  /** Never opened: the zero snapshot and sink counts of a worker that has not reported yet. */
  private readonly template: Channel;
  private readonly workers: WorkerState[] = [];
  private readonly fanout: number;
  private stopping = false;

  /** `entry`: the module each worker runs (tests give a fake). */
  constructor(
    readonly opts: ChannelOptions,
    private readonly baseLog: Logger,
    private readonly excludeHosts: string[] = [],
    private readonly entry: URL = new URL('./capture-worker.js', import.meta.url),
  ) {
    this.log = prefixedLogger(baseLog, `[-${String(opts.index).padStart(2, '0')}-] `);
    this.template = new Channel(opts, SILENT, excludeHosts);
    this.fanout = fanoutGroup(process.pid, opts.index);
  }

  get dumpDir(): string | null {
    return null;
  }

  /** Starts the workers one after the other; each has opened its capture and sinks when this resolves. */
  async open(): Promise<void> {
    this.log.info(`${this.opts.workers} workers, fanout group ${this.fanout} (flow hash)`);
    try {
      for (let k = 1; k <= this.opts.workers; k++) await this.start(k);
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  private start(number: number): Promise<void> {
    const init: WorkerInit = { opts: this.opts, excludeHosts: this.excludeHosts, fanout: this.fanout, number };
    const thread = new Worker(this.entry, { workerData: init });
    let markExited!: () => void;
    const w: WorkerState = { number, thread, report: null, error: null, exited: new Promise((resolve) => (markExited = resolve)) };
    this.workers.push(w);
    return new Promise<void>((resolve, reject) => {
      let opened = false;
      thread.on('message', (m: WorkerMessage) => {
        switch (m.type) {
          case 'log':
            this.baseLog[m.level](this.tagged(number, m.message));
            break;
          case 'opened':
            opened = true;
            w.report = m.report;
            resolve();
            break;
          case 'failed':
            reject(m.user ? new UserError(m.message) : new Error(m.message));
            break;
          case 'report':
            w.report = m.report;
            break;
          case 'ended':
            w.report = m.report;
            if (m.error !== null) this.fail(w, m.error);
            setTimeout(() => void thread.terminate(), STRAGGLER_MS).unref();
            break;
        }
      });
      // A worker may throw any value, not only an Error.
      thread.on('error', (e: unknown) => {
        if (!opened) reject(e);
        else this.fail(w, `worker ${number}: ${e instanceof Error ? e.message : String(e)}`);
      });
      thread.on('exit', (code) => {
        markExited();
        if (!opened) reject(new Error(`worker ${number} exited (code ${code}) before it opened capture`));
        else if (w.report === null || (code !== 0 && w.error === null && !this.stopping)) this.fail(w, `worker ${number} exited (code ${code})`);
      });
    });
  }

  /** `[-01-] capturing on eth0` from worker 2 of 4: `[-01-] worker 2/4: capturing on eth0`. */
  private tagged(number: number, message: string): string {
    const tag = `worker ${number}/${this.opts.workers}: `;
    const prefix = /^\[-\d+-\] /.exec(message)?.[0] ?? '';
    return prefix + tag + message.slice(prefix.length);
  }

  /** The first failure is the channel's; the other workers are stopped. */
  private fail(w: WorkerState, error: string): void {
    w.error ??= error;
    this.stop();
  }

  /** Until every worker has ended and its thread exited; rejects with the first worker's failure. */
  async run(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.exited));
    this.log.info(`workers' shares: ${this.workers.map((w) => `${w.number}: ${w.report?.snapshot.captured.packets ?? 0} packets`).join(', ')}`);
    const failed = this.workers.find((w) => w.error !== null);
    if (failed) throw new Error(failed.error!);
  }

  /** Graceful stop: every worker's source ends, everything read so far is sent. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const w of this.workers) {
      try {
        w.thread.postMessage({ type: 'stop' } satisfies MainMessage);
      } catch {
        // exited already
      }
    }
  }

  /** Ends every thread at once (a start-up failure); safe at any time. */
  destroy(): void {
    this.stopping = true;
    for (const w of this.workers) void w.thread.terminate();
    this.template.destroy();
  }

  snapshot(): ChannelSnapshot {
    const blank = this.template.snapshot();
    return mergeSnapshots(this.workers.length ? this.workers.map((w) => w.report?.snapshot ?? blank) : [blank]);
  }

  summary(): string[] {
    const reports = this.workers.map((w) => w.report).filter((r) => r !== null);
    const directions = this.opts.dir === null ? null : mergeDirections(reports.map((r) => r.directions));
    const sinks = reports.length ? mergeSinkCounts(reports.map((r) => r.sinks)) : this.template.sinkCounts();
    return formatSummary(this.snapshot(), true, directions, sinks);
  }
}

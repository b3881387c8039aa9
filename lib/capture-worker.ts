/**
 * One worker thread of a channel with `--workers N` (worker-channel.ts runs
 * this module in a worker_thread): the whole channel — live source, stages,
 * its own sinks and sockets — as with one worker, except that its capture
 * joins the channel's PACKET_FANOUT group and so sees one share of the
 * flows. It talks to the main thread only by messages (WorkerMessage):
 * its log lines, its counts (WorkerReport) every REPORT_MS and once more at
 * the end, and how it ended; the main thread sends `stop`.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { Channel } from './channel.js';
import type { ChannelOptions } from './config.js';
import { UserError } from './errors.js';
import type { Logger } from './log.js';
import type { WorkerReport } from './worker-merge.js';

/** What the main thread gives each worker (workerData). */
export interface WorkerInit {
  opts: ChannelOptions;
  excludeHosts: string[];
  fanout: number;
  /** 1..N, for the main thread's log lines. */
  number: number;
}

/** Worker → main thread. */
export type WorkerMessage =
  | { type: 'log'; level: keyof Logger; message: string }
  /** open() succeeded: capture (or the wait for the interface) and every sink are set up. */
  | { type: 'opened'; report: WorkerReport }
  /** open() failed: nothing of the worker is left; `user`: a UserError (one line, no stack). */
  | { type: 'failed'; message: string; user: boolean }
  | { type: 'report'; report: WorkerReport }
  /** run() is over, everything flushed; `error`: why the channel failed (the summary still counts). */
  | { type: 'ended'; report: WorkerReport; error: string | null };

/** Main thread → worker. */
export type MainMessage = { type: 'stop' };

/** How often a worker sends its counts: the live counter redraws every 250 ms. */
export const REPORT_MS = 200;

if (parentPort === null) throw new Error('capture-worker.ts runs in a worker thread (worker-channel.ts)');
const port = parentPort;
const init = workerData as WorkerInit;
const post = (m: WorkerMessage): void => port.postMessage(m);

const log: Logger = {
  debug: (message) => post({ type: 'log', level: 'debug', message }),
  info: (message) => post({ type: 'log', level: 'info', message }),
  warn: (message) => post({ type: 'log', level: 'warn', message }),
  error: (message) => post({ type: 'log', level: 'error', message }),
};

function report(channel: Channel): WorkerReport {
  return { snapshot: channel.snapshot(), directions: [...(channel.directions() ?? [])], sinks: channel.sinkCounts() };
}

async function main(): Promise<void> {
  let channel: Channel;
  try {
    channel = new Channel(init.opts, log, init.excludeHosts, init.fanout);
    await channel.open();
  } catch (e) {
    post({ type: 'failed', message: (e as Error).message, user: e instanceof UserError });
    return;
  }
  const onMessage = (m: MainMessage): void => {
    if (m.type === 'stop') channel.stop();
  };
  port.on('message', onMessage);
  // Linux keeps a nice value per thread: each capture thread raises its own.
  if (init.opts.priority) {
    try {
      setPriority(-18);
    } catch (e) {
      log.warn(`-p/--priority: cannot raise the priority: ${(e as Error).message}`);
    }
  }
  post({ type: 'opened', report: report(channel) });
  const timer = setInterval(() => post({ type: 'report', report: report(channel) }), REPORT_MS);
  let error: string | null = null;
  try {
    await channel.run();
  } catch (e) {
    error = (e as Error).message;
  }
  clearInterval(timer);
  post({ type: 'ended', report: report(channel), error });
  // Nothing more to hear: the thread ends once its sockets and timers are closed.
  port.off('message', onMessage);
  port.unref();
}

void main();

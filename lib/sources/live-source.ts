/**
 * Live capture on one interface. The capture itself runs in a child process
 * (capture-child.ts) that streams pcap records; this side decodes them with
 * the same decoder as files, so the rest of the channel cannot tell the two
 * apart. The interface is watched every WATCH_MS: while it is absent or down
 * the source waits (no busy loop, one log line per state change), and capture
 * starts again when it comes back. Counters live in the channel and survive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import type { ChannelCounters } from '../counters.js';
import type { Logger } from '../log.js';
import { BATCH_QUEUE, type Batch, type Packet } from '../packet.js';
import { CaptureFileDecoder } from '../proto/capture-file-decoder.js';
import { CAP_SNAPLEN, CHILD_EXIT_FILTER } from './cap-binding.js';
import type { CaptureSource } from './source.js';

const CHILD = fileURLToPath(new URL('./capture-child.js', import.meta.url));
const WATCH_MS = 250;
/** Retry delays after a failed open, while the interface looks up (permissions, a racing rename). */
const RETRY_MS = [1000, 2000, 5000, 10000];
const IFF_UP = 0x1;

export interface LiveSourceOptions {
  device: string;
  /** The complete BPF filter ('' = none). */
  filter: string;
  bufferBytes: number;
  counters: ChannelCounters;
  log: Logger;
  snaplen?: number;
  count?: number;
  /** Filled with the interface's MAC at every open (for `--dir auto`). */
  mac?: Buffer;
  /** Called when capture starts again after a gap (a dump continues in a new file). */
  onReopen?: () => void;
}

type LinkState = 'up' | 'down' | 'absent';

/** Administrative state of an interface, from sysfs (which `ip netns exec` mounts per namespace). */
export function linkState(device: string): LinkState {
  if (device === 'any') return 'up';
  try {
    return parseInt(readFileSync(`/sys/class/net/${device}/flags`, 'utf8'), 16) & IFF_UP ? 'up' : 'down';
  } catch {
    return 'absent';
  }
}

export function readMac(device: string): Buffer | null {
  try {
    const text = readFileSync(`/sys/class/net/${device}/address`, 'utf8').trim();
    const mac = Buffer.from(text.replace(/:/g, ''), 'hex');
    return mac.length === 6 ? mac : null;
  } catch {
    return null;
  }
}

export class LiveSource extends Readable implements CaptureSource {
  readonly name: string;
  readonly nanos = true;
  readonly snaplen: number;
  private _failure: Error | null = null;
  private child: ChildProcess | null = null;
  private decoder: CaptureFileDecoder | null = null;
  private readonly watch: NodeJS.Timeout;
  private stopping = false;
  private capturing = false;
  private opens = 0;
  private failures = 0;
  private retryAt = 0;
  private lastState = '';
  private lastError = '';
  private remaining: number;

  constructor(private readonly o: LiveSourceOptions) {
    super({ objectMode: true, highWaterMark: BATCH_QUEUE });
    this.name = o.device;
    this.snaplen = o.snaplen || CAP_SNAPLEN;
    this.remaining = o.count || Infinity;
    this.watch = setInterval(() => this.tick(), WATCH_MS);
    this.tick();
  }

  get failure(): Error | null {
    return this._failure;
  }

  override _read(): void {
    this.child?.stdout?.resume();
  }

  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.watch);
    // The child flushes what it holds and exits; its stdout then ends and so do we.
    if (this.child) this.child.kill('SIGTERM');
    else this.push(null);
  }

  override _destroy(err: Error | null, done: (e?: Error | null) => void): void {
    clearInterval(this.watch);
    this.child?.kill('SIGKILL');
    done(err);
  }

  private tick(): void {
    const state = linkState(this.o.device);
    if (this.child) {
      // cap aborts its process when the interface goes down; end it first, cleanly.
      if (state !== 'up') this.child.kill('SIGTERM');
      return;
    }
    this.report(state === 'up' ? '' : `waiting for ${this.o.device}: ${state === 'absent' ? 'no such interface' : 'interface is down'}`);
    if (state === 'up' && Date.now() >= this.retryAt) this.start();
  }

  private report(state: string): void {
    if (state === this.lastState) return;
    this.lastState = state;
    if (state) this.o.log.warn(state);
  }

  private start(): void {
    if (this.o.mac) {
      const mac = readMac(this.o.device);
      if (mac) mac.copy(this.o.mac);
    }
    const child = spawn(process.execPath, [CHILD, this.o.device, this.o.filter, String(this.o.bufferBytes)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.decoder = new CaptureFileDecoder(this.o.snaplen);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    child.stdout!.on('data', (chunk: Buffer) => this.decode(chunk));
    child.on('close', (code, signal) => this.ended(code, signal, stderr.trim()));
    child.on('error', (e) => this.o.log.error(`capture process: ${e.message}`));
  }

  private decode(chunk: Buffer): void {
    // The child writes the file header only once the device is open.
    if (!this.capturing) this.opened();
    const packets: Packet[] = [];
    try {
      this.decoder!.push(chunk, packets);
    } catch (e) {
      // Our own child wrote this stream: damage means the child died mid-write.
      this.o.log.error(`capture stream from ${this.o.device}: ${(e as Error).message}`);
      this.child?.kill('SIGKILL');
    }
    if (packets.length === 0) return;
    if (packets.length > this.remaining) packets.length = this.remaining;
    this.remaining -= packets.length;
    let bytes = 0;
    for (let i = 0; i < packets.length; i++) bytes += packets[i]!.caplen;
    this.o.counters.captured += packets.length;
    this.o.counters.capturedBytes += bytes;
    const batch: Batch = packets;
    if (!this.push(batch)) this.child?.stdout?.pause();
    if (this.remaining === 0) this.stop();
  }

  private opened(): void {
    this.capturing = true;
    this.failures = 0;
    this.lastState = '';
    this.lastError = '';
    this.o.log.info(`capturing on ${this.o.device}${this.o.filter ? ` with filter '${this.o.filter}'` : ''}`);
    if (++this.opens > 1) this.o.onReopen?.();
  }

  private ended(code: number | null, signal: NodeJS.Signals | null, stderr: string): void {
    this.child = null;
    this.capturing = false;
    if (this.stopping) {
      this.push(null);
      return;
    }
    if (code === CHILD_EXIT_FILTER) {
      this._failure = new Error(stderr || `bad capture filter '${this.o.filter}'`);
      this.stopping = true;
      clearInterval(this.watch);
      this.push(null);
      return;
    }
    const state = linkState(this.o.device);
    if (state === 'up' && stderr) {
      this.failures++;
      this.retryAt = Date.now() + RETRY_MS[Math.min(this.failures, RETRY_MS.length) - 1]!;
      if (stderr !== this.lastError) this.o.log.error(`cannot capture on ${this.o.device}: ${stderr}; retrying`);
      this.lastError = stderr;
    } else {
      this.o.log.warn(`capture on ${this.o.device} stopped (${state === 'up' ? (signal ?? `exit ${code}`) : `interface ${state}`})`);
    }
    this.lastState = 'stopped';
  }
}

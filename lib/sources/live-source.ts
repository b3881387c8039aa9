/**
 * Live capture on one interface, through our libpcap addon (lib/native):
 * the kernel fills a TPACKET_V3 ring, each wake-up hands every ready block to
 * this side as one batch buffer (the frames and their columns), which becomes a
 * PacketBatch by bulk copies (capture-batch.ts), as a file's records become one
 * through the file decoder: the rest of the channel cannot tell the two apart.
 * The interface is watched every WATCH_MS: while it is absent or down the
 * source waits (no busy loop, one log line per state change), and capture
 * starts again when it comes back, its batches marked with the next generation
 * (PacketBatch.generation: a dump goes on in a new file from exactly that
 * batch). Counters live in the source and survive.
 *
 * Nothing happens at construction: open() loads the addon and, if the
 * interface is up, opens capture at once, so that a filter that does not
 * compile, a missing permission or an unusable link type is a start-up error.
 * The same faults on a later reopen end the source with `failure`.
 */
import { Readable } from 'node:stream';
import { SourceCounters } from '../counters.js';
import type { Logger } from '../log.js';
import { BATCH_QUEUE, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, PacketBatch, SPARE_BATCHES, type BatchOwner, type CaptureFormat } from '../packet.js';
import { readCaptureBatch } from '../proto/capture-batch.js';
import { loadAddon, PCAP_MAX_SNAPLEN, type PacketIoAddon, type PcapHandle } from '../native/addon.js';
import { UserError } from '../errors.js';
import type { CaptureTarget, TargetLink } from './capture-target.js';
import type { CaptureSource } from './source.js';

const WATCH_MS = 250;
/** Retry delays after a failed open, while the interface looks up (permissions, a racing rename). */
const RETRY_MS = [1000, 2000, 5000, 10000];
/** After the block timeout, how long the kernel may take to hand over the last partly filled block. */
const LAST_BLOCK_MARGIN_MS = 20;
/** The longest stop() waits for that block: pktminerg gives a stop 10 s in all. */
const LAST_BLOCK_MAX_WAIT_MS = 5000;
/** pcap_stats counters are 32-bit: sampled every WATCH_MS, so they cannot wrap unseen below ~17 G frames/s. */
const UINT32 = 2 ** 32;
/** Link types the stages can read (decodeLinkLayer). */
const LINKTYPES = new Set([LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL]);

export interface LiveSourceOptions {
  /** Where to capture: an interface, one inside a container, a guest's tap (capture-target.ts). */
  target: CaptureTarget;
  /**
   * The complete BPF filter ('' = none), built at every open with the addresses of the target's
   * namespace (`host nic.<if>` inside a container means the container's address); throws UserError.
   */
  filter: (addresses: TargetLink['addresses']) => string;
  bufferBytes: number;
  /** Longest a frame waits in the kernel ring before it is handed over; 0 = at once (immediate mode). */
  timeoutMs: number;
  log: Logger;
  snaplen?: number;
  count?: number;
  /** Filled with the target's MAC at every open (for `--dir auto`). */
  mac?: Buffer;
  /**
   * `--workers N`: the PACKET_FANOUT group (1..65535) every open joins, shared with the channel's
   * other workers, which then split the interface's frames by flow; absent or 0: none.
   */
  fanout?: number;
  /** Tests give a fake; by default our addon. */
  addon?: PacketIoAddon;
}

export class LiveSource extends Readable implements CaptureSource, BatchOwner {
  readonly counters = new SourceCounters();
  readonly name: string;
  private readonly snaplen: number;
  /** The format of every batch: the same at every open (the addon writes nanoseconds even where the kernel gave microseconds). */
  private readonly format: CaptureFormat;
  private _failure: Error | null = null;
  private pcap: PacketIoAddon | null = null;
  private readonly target: CaptureTarget;
  private handle: PcapHandle | null = null;
  /** The instance of the link capture was opened on (TargetLink.instance). */
  private instance = '';
  /** What the log lines call the capture (the target's label at the last open). */
  private where: string;
  /** The handle's last pcap_stats, to accumulate 32-bit deltas. */
  private readonly lastStats = [0, 0, 0];
  /** LINKTYPE_* of the current capture. */
  private linktype = 0;
  private watch: NodeJS.Timeout | null = null;
  private stopping = false;
  /** Opens so far: the generation of the batches of the current capture (PacketBatch.generation). */
  private generation = 0;
  private failures = 0;
  private retryAt = 0;
  private lastState = '';
  /** The interface's state at the last look, for the metrics endpoint. */
  linkState: TargetLink['state'] = 'absent';
  private lastError = '';
  private remaining: number;
  /** The batch buffer of each batch handed out, to give back to the addon with the batch (recycle). */
  private readonly buffers = new WeakMap<PacketBatch, Buffer>();
  /** Batches given back, to read into again: their columns are reused with the buffer. */
  private readonly spareBatches: PacketBatch[] = [];
  private readonly onBatch = (buffer: Buffer): void => this.readBatch(buffer);
  private readonly onError = (message: string, exception?: unknown): void => {
    if (exception === undefined) this.ended(message);
    else this.crashed(exception);
  };

  constructor(private readonly o: LiveSourceOptions) {
    super({ objectMode: true, highWaterMark: BATCH_QUEUE });
    this.target = o.target;
    this.name = o.target.name;
    this.where = o.target.label;
    this.snaplen = o.snaplen || PCAP_MAX_SNAPLEN;
    this.format = Object.freeze({ nanos: true, snaplen: this.snaplen });
    this.remaining = o.count || Infinity;
  }

  /** Loads the addon and starts capture if the interface is up (else waits for it); throws UserError for what cannot work. */
  open(): void {
    this.pcap = this.o.addon ?? loadAddon();
    const link = this.target.look();
    this.linkState = link.state;
    if (link.state === 'up') {
      const fatal = this.start(link);
      if (fatal) throw new UserError(fatal);
    } else {
      this.report(link);
    }
    this.watch = setInterval(() => this.tick(), WATCH_MS);
  }

  /** What is captured, as of the last open: `eth0`, `container 3f2a1b2c3d4e (pid 1234) eth0`, `guest web1 (vnet3)`. */
  get label(): string {
    return this.where;
  }

  get failure(): Error | null {
    return this._failure;
  }

  override _read(): void {
    if (this.handle) this.pcap!.resume(this.handle);
  }

  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stopWatching();
    if (!this.handle) {
      this.push(null);
      return;
    }
    // The kernel hands over a partly filled block only when its timeout expires: wait for it, then take the rest.
    setTimeout(() => {
      this.closeCapture(true);
      this.push(null);
    }, Math.min(this.o.timeoutMs, LAST_BLOCK_MAX_WAIT_MS) + LAST_BLOCK_MARGIN_MS);
  }

  override _destroy(err: Error | null, done: (e?: Error | null) => void): void {
    this.stopWatching();
    this.closeCapture(false);
    done(err);
  }

  private stopWatching(): void {
    if (this.watch) clearInterval(this.watch);
    this.watch = null;
  }

  private tick(): void {
    let link: TargetLink;
    try {
      link = this.target.look();
    } catch (e) {
      // The target can no longer be named (a container id prefix that became ambiguous).
      this.closeCapture(true);
      this.fail((e as Error).message);
      return;
    }
    this.linkState = link.state;
    if (this.handle) {
      if (link.state !== 'up') this.ended(link.why);
      // Re-created between two looks (deleted and added again, a restarted container or guest): the
      // old socket is bound to an interface that is gone.
      else if (link.instance !== this.instance) this.ended('re-created');
      else this.sampleStats(this.handle);
      if (this.handle || link.state !== 'up') return;
    }
    this.report(link);
    if (link.state === 'up' && Date.now() >= this.retryAt) {
      const fatal = this.start(link);
      if (fatal) this.fail(fatal);
    }
  }

  private report(link: TargetLink): void {
    const line = link.state === 'up' ? '' : `waiting for ${this.target.label}: ${link.why}`;
    if (line === this.lastState) return;
    this.lastState = line;
    if (line) this.o.log.warn(line);
  }

  /** Opens capture; returns why it can never work (the caller decides how to end), or null when open or worth a retry. */
  private start(link: TargetLink): string | null {
    const o = this.o;
    if (o.mac && link.mac) link.mac.copy(o.mac);
    this.where = this.target.label;
    let filter: string;
    try {
      filter = o.filter(link.addresses);
    } catch (e) {
      return (e as Error).message;
    }
    const pcap = this.pcap!;
    let opened: ReturnType<PacketIoAddon['open']>;
    try {
      // Promiscuous like tcpdump: a host agent also sees what a bridge or a mirror port floods to it.
      opened = pcap.open(link.device, filter, this.snaplen, o.bufferBytes, o.timeoutMs, true, this.onBatch, this.onError, link.netns, o.fanout || undefined);
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err.code === 'FILTER') return `filter '${filter}': ${err.message}`;
      // Waiting cannot give a permission: say what is needed, as tcpdump does.
      if (err.code === 'PERM') return `cannot capture on ${this.where}: permission denied (capture needs root or the CAP_NET_RAW and CAP_NET_ADMIN capabilities)`;
      if (err.code === 'RANGE') return `cannot capture on ${this.where}: ${err.message}`;
      this.openFailed(err.message);
      return null;
    }
    if (!LINKTYPES.has(opened.linktype)) {
      pcap.close(opened.handle);
      return `${this.where}: link type ${opened.linktype} is not supported (Ethernet and Linux cooked capture are)`;
    }
    this.handle = opened.handle;
    this.instance = link.instance;
    this.lastStats.fill(0);
    this.linktype = opened.linktype;
    this.failures = 0;
    this.lastState = '';
    this.lastError = '';
    o.log.info(`capturing on ${this.where}${filter ? ` with filter '${filter}'` : ''}`);
    this.generation++;
    pcap.resume(this.handle);
    return null;
  }

  /** The source cannot work (bad filter, unsupported link): it ends, and the channel reports why. */
  private fail(message: string): void {
    this._failure = new Error(message);
    this.stopping = true;
    this.stopWatching();
    this.push(null);
  }

  private openFailed(message: string): void {
    this.backOff();
    if (message !== this.lastError) this.o.log.error(`cannot capture on ${this.where}: ${message}; retrying`);
    this.lastError = message;
    this.lastState = 'stopped';
  }

  /** A batch buffer from the addon (capture-batch.ts) becomes the next batch. */
  private readBatch(buffer: Buffer): void {
    const batch = this.spareBatches.pop() ?? new PacketBatch();
    batch.format = this.format;
    batch.generation = this.generation;
    // Consumers that hold the batch (the channel's fan-out) give it back when done: no new batch buffer per wake-up.
    batch.owner = this;
    this.buffers.set(batch, buffer);
    readCaptureBatch(buffer, this.pcap!.captureBatch, batch, this.linktype);
    if (batch.length === 0 || this.remaining === 0) {
      batch.discard();
      return;
    }
    if (batch.length > this.remaining) batch.truncate(this.remaining);
    this.remaining -= batch.length;
    this.counters.addCaptured(batch, batch.bytes());
    if (!this.push(batch) && this.handle) this.pcap!.pause(this.handle);
    if (this.remaining === 0) this.stop();
  }

  /** Every consumer is done with `batch`: its batch buffer goes back to the addon, its columns to the next read. */
  recycle(batch: PacketBatch): void {
    const records = this.buffers.get(batch);
    this.buffers.delete(batch);
    if (records !== undefined && this.handle) this.pcap!.provide(this.handle, records);
    batch.truncate(0);
    if (this.spareBatches.length < SPARE_BATCHES) this.spareBatches.push(batch);
  }

  /** Adds what the handle's 32-bit counters gained since the last sample (modulo 2^32) to the source's. */
  private sampleStats(h: PcapHandle): void {
    const stats = this.pcap!.stats(h);
    if (!stats) return;
    const last = this.lastStats;
    const delta = (i: number): number => (stats[i]! - last[i]! + UINT32) % UINT32;
    this.counters.kernelReceived += delta(0);
    this.counters.kernelDropped += delta(1);
    this.counters.interfaceDropped += delta(2);
    last[0] = stats[0];
    last[1] = stats[1];
    last[2] = stats[2];
  }

  /** Takes what the kernel still holds (`drain`), adds the handle's last drop counts to the source's, closes it. */
  private closeCapture(drain: boolean): void {
    const h = this.handle;
    if (!h) return;
    const pcap = this.pcap!;
    pcap.pause(h);
    if (drain) for (let buffer = pcap.drain(h); buffer; buffer = pcap.drain(h)) this.readBatch(buffer);
    this.sampleStats(h);
    pcap.close(h);
    this.handle = null;
  }

  /** Waits longer after each failure in a row before the next open. */
  private backOff(): void {
    this.failures++;
    this.retryAt = Date.now() + RETRY_MS[Math.min(this.failures, RETRY_MS.length) - 1]!;
  }

  /**
   * Our own handling of a batch threw (a bug): the addon stopped the capture. What the kernel still
   * holds is not decoded (it could throw again); the fault is logged with its stack and capture
   * starts again after a back-off, so the process survives.
   */
  private crashed(exception: unknown): void {
    this.closeCapture(false);
    this.o.log.error(`capture on ${this.where} stopped by an internal error; restarting: ${(exception as Error)?.stack ?? String(exception)}`);
    this.backOff();
    this.lastState = 'stopped';
  }

  /** Capture stopped on its own (the interface went down or away): wait for it to come back. */
  private ended(reason: string): void {
    this.closeCapture(true);
    if (this.stopping) return;
    this.o.log.warn(`capture on ${this.where} stopped (${reason})`);
    this.lastState = 'stopped';
  }
}

/**
 * Live capture on one interface, through our libpcap addon (lib/native):
 * the kernel fills a TPACKET_V3 ring, each wake-up hands every ready block to
 * this side as pcap records, which are decoded with the same decoder as files,
 * so the rest of the channel cannot tell the two apart. The interface is
 * watched every WATCH_MS: while it is absent or down the source waits (no busy
 * loop, one log line per state change), and capture starts again when it comes
 * back. Counters live in the channel and survive.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { ChannelCounters } from '../counters.js';
import type { Logger } from '../log.js';
import { BATCH_QUEUE, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, type Batch, type Packet } from '../packet.js';
import { CaptureFileDecoder } from '../proto/capture-file-decoder.js';
import { encodeFileHeader } from '../proto/pcap.js';
import { loadAddon, PCAP_MAX_SNAPLEN, type PacketIoAddon, type PcapHandle } from '../native/addon.js';
import type { CaptureSource } from './source.js';

const WATCH_MS = 250;
/** Retry delays after a failed open, while the interface looks up (permissions, a racing rename). */
const RETRY_MS = [1000, 2000, 5000, 10000];
/** After the block timeout, how long the kernel may take to hand over the last partly filled block. */
const LAST_BLOCK_MARGIN_MS = 20;
/** The longest stop() waits for that block: pktminerg gives a stop 10 s in all. */
const LAST_BLOCK_MAX_WAIT_MS = 5000;
const IFF_UP = 0x1;
/** Link types the stages can read (decodeLinkLayer). */
const LINKTYPES = new Set([LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL]);

export interface LiveSourceOptions {
  device: string;
  /** The complete BPF filter ('' = none). */
  filter: string;
  bufferBytes: number;
  /** Longest a frame waits in the kernel ring before it is handed over; 0 = at once (immediate mode). */
  timeoutMs: number;
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
  private readonly pcap: PacketIoAddon;
  private handle: PcapHandle | null = null;
  private decoder: CaptureFileDecoder | null = null;
  private readonly watch: NodeJS.Timeout;
  private stopping = false;
  private opens = 0;
  private failures = 0;
  private retryAt = 0;
  private lastState = '';
  private lastError = '';
  private remaining: number;
  private readonly onBatch = (records: Buffer): void => this.decode(records);
  private readonly onError = (message: string): void => this.ended(message);

  constructor(private readonly o: LiveSourceOptions) {
    super({ objectMode: true, highWaterMark: BATCH_QUEUE });
    this.name = o.device;
    this.snaplen = o.snaplen || PCAP_MAX_SNAPLEN;
    this.remaining = o.count || Infinity;
    this.pcap = loadAddon();
    this.watch = setInterval(() => this.tick(), WATCH_MS);
    this.tick();
  }

  get failure(): Error | null {
    return this._failure;
  }

  override _read(): void {
    if (this.handle) this.pcap.resume(this.handle);
  }

  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.watch);
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
    clearInterval(this.watch);
    this.closeCapture(false);
    done(err);
  }

  private tick(): void {
    const state = linkState(this.o.device);
    if (this.handle) {
      if (state !== 'up') this.ended(`interface ${state}`);
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
    const o = this.o;
    let opened: ReturnType<PacketIoAddon['open']>;
    try {
      // Promiscuous like tcpdump: a host agent also sees what a bridge or a mirror port floods to it.
      opened = this.pcap.open(o.device, o.filter, this.snaplen, o.bufferBytes, o.timeoutMs, true, this.onBatch, this.onError);
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err.code === 'FILTER') this.fail(`filter '${o.filter}': ${err.message}`);
      else this.openFailed(err.message);
      return;
    }
    if (!LINKTYPES.has(opened.linktype)) {
      this.pcap.close(opened.handle);
      this.fail(`${o.device}: link type ${opened.linktype} is not supported (Ethernet and Linux cooked capture are)`);
      return;
    }
    this.handle = opened.handle;
    this.decoder = new CaptureFileDecoder(this.snaplen);
    // The addon writes nanoseconds even where the kernel gave microseconds.
    this.decoder.push(encodeFileHeader({ nanos: true, snaplen: this.snaplen, linktype: opened.linktype }), []);
    this.failures = 0;
    this.lastState = '';
    this.lastError = '';
    o.log.info(`capturing on ${o.device}${o.filter ? ` with filter '${o.filter}'` : ''}`);
    if (++this.opens > 1) o.onReopen?.();
    this.pcap.resume(this.handle);
  }

  /** The source cannot work (bad filter, unsupported link): it ends, and the channel reports why. */
  private fail(message: string): void {
    this._failure = new Error(message);
    this.stopping = true;
    clearInterval(this.watch);
    this.push(null);
  }

  private openFailed(message: string): void {
    this.failures++;
    this.retryAt = Date.now() + RETRY_MS[Math.min(this.failures, RETRY_MS.length) - 1]!;
    if (message !== this.lastError) this.o.log.error(`cannot capture on ${this.o.device}: ${message}; retrying`);
    this.lastError = message;
    this.lastState = 'stopped';
  }

  private decode(records: Buffer): void {
    const packets: Packet[] = [];
    this.decoder!.push(records, packets);
    if (packets.length === 0 || this.remaining === 0) return;
    if (packets.length > this.remaining) packets.length = this.remaining;
    this.remaining -= packets.length;
    let bytes = 0;
    for (let i = 0; i < packets.length; i++) bytes += packets[i]!.caplen;
    this.o.counters.captured += packets.length;
    this.o.counters.capturedBytes += bytes;
    const batch: Batch = packets;
    if (!this.push(batch) && this.handle) this.pcap.pause(this.handle);
    if (this.remaining === 0) this.stop();
  }

  /** Takes what the kernel still holds (`drain`), adds the handle's drop counts to the channel's, closes it. */
  private closeCapture(drain: boolean): void {
    const h = this.handle;
    if (!h) return;
    this.pcap.pause(h);
    if (drain) for (let records = this.pcap.drain(h); records; records = this.pcap.drain(h)) this.decode(records);
    const stats = this.pcap.stats(h);
    if (stats) {
      this.o.counters.kernelReceived += stats[0];
      this.o.counters.kernelDropped += stats[1];
      this.o.counters.interfaceDropped += stats[2];
    }
    this.pcap.close(h);
    this.handle = null;
  }

  /** Capture stopped on its own (the interface went down or away): wait for it to come back. */
  private ended(reason: string): void {
    this.closeCapture(true);
    if (this.stopping) return;
    this.o.log.warn(`capture on ${this.o.device} stopped (${reason})`);
    this.lastState = 'stopped';
  }
}

/**
 * What the GRE and VXLAN sinks share: the frames of a batch are encapsulated
 * back to back into one reused buffer, a chunk at a time, by the addon
 * (encapAppend, lib/native/encap_records.c: a call per run of frames, not per
 * packet), and each chunk goes to every remote (fan-out, spec §5.1) in one
 * sendmmsg. Send errors are counted per reason and logged rate-limited; they
 * never stop the channel. A full socket buffer (ENOBUFS/EAGAIN) is retried
 * after 1 ms, for at most RETRY_BUDGET_MS per batch: that briefly holds the
 * source back (backpressure) but never spins and never blocks it for longer;
 * what is still unsent then is dropped and counted.
 */
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { SinkCounters, type SinkCounts } from '../counters.js';
import { RateLimitedLog, type Logger } from '../log.js';
import { loadAddon, type PacketIoAddon } from '../native/addon.js';
import { BATCH_QUEUE, type Batch } from '../packet.js';
import { IPV4_MAX_PACKET_LEN, IPV4_MIN_HEADER_LEN, parseIPv4 } from '../proto/ipv4.js';
import { PacketSender } from './packet-sender.js';
import { errnoName, RawIpSender, type RawSenderOptions } from './raw-ip-sender.js';

const RETRY_BUDGET_MS = 200;
/**
 * The largest payload of one IPv4 datagram (its total length is 16 bits and
 * the kernel adds a 20-byte header). The reference copied up to 65 535 bytes
 * of a frame, so GRO/TSO super-frames of host captures could not be sent
 * (EMSGSIZE); we cut each frame to what fits (spec §5.1, README).
 */
const MAX_IPV4_PAYLOAD = IPV4_MAX_PACKET_LEN - IPV4_MIN_HEADER_LEN;
/** Datagrams per sendmmsg (the kernel's UIO_MAXIOV) and the bytes a chunk may fill before it is sent. */
const CHUNK_DATAGRAMS = 1024;
const CHUNK_BYTES = 1 << 20;

/**
 * What the sink needs of its socket (RawIpSender, PacketSender for --tx packet and auto; tests give a fake).
 * `kernelPath`: PacketSender's count of the datagrams the kernel's IP output sent.
 */
export type DatagramSender = Pick<RawIpSender, 'send' | 'close'> & { readonly kernelPath?: number };

/** encapAppend's kinds of datagram (lib/native/encap_records.c). */
export const ENCAP_GRE = 0;
export const ENCAP_VXLAN_V1 = 1;
export const ENCAP_VXLAN_V2 = 2;

/** What a sink's datagrams are: the layouts of lib/proto/gre.ts and lib/proto/vxlan.ts. */
export interface Encapsulation {
  kind: typeof ENCAP_GRE | typeof ENCAP_VXLAN_V1 | typeof ENCAP_VXLAN_V2;
  /** The GRE key base (--keybit), the VNI of --vni1 or the value of --vni2. */
  value: number;
  /** Bytes around a frame: headers, and the trailer if any. */
  overhead: number;
  /** VXLAN: UDP ports, and the capture-time trailer. */
  sourcePort?: number;
  port?: number;
  capTime?: boolean;
}

/** encapAppend's spec: kind, value, maxFrame, maxDatagram, UDP source port, UDP port, trailer. */
export function encapSpec(e: Encapsulation, maxFrame: number, maxDatagram: number): Uint32Array {
  return Uint32Array.of(e.kind, e.value >>> 0, maxFrame, maxDatagram, e.sourcePort ?? 0, e.port ?? 0, e.capTime ? 1 : 0);
}

export abstract class DatagramSink extends Writable {
  readonly counters: SinkCounters;
  private readonly maxDatagram = MAX_IPV4_PAYLOAD;
  private sender: DatagramSender | null = null;
  private readonly errors: RateLimitedLog;
  private readonly addresses: number[];
  /** The chunk, as the addon lays it out: each datagram after its headroom (made by open()). */
  private out: Buffer = Buffer.alloc(0);
  private readonly lengths = new Uint32Array(CHUNK_DATAGRAMS);
  /** encapAppend's bytes used and datagrams written in the chunk being filled. */
  private readonly chunk = new Float64Array(2);
  private readonly spec: Uint32Array;
  private encapAppend: PacketIoAddon['encapAppend'] | null = null;

  constructor(
    readonly label: string,
    private readonly protocol: number,
    private readonly remotes: string[],
    private readonly opts: RawSenderOptions,
    private readonly log: Logger,
    encapsulation: Encapsulation,
  ) {
    super({ objectMode: true, highWaterMark: BATCH_QUEUE });
    this.counters = new SinkCounters(remotes);
    // The remotes were validated as IPv4 addresses with the options.
    this.addresses = remotes.map((r) => parseIPv4(r)!);
    this.errors = new RateLimitedLog(log);
    // maxFrame: the longest frame (or part of one) a datagram carries; a longer one is cut to it.
    this.spec = encapSpec(encapsulation, this.maxDatagram - encapsulation.overhead, this.maxDatagram);
  }

  /** Opens the sending socket(s); throws UserError (permission, -B, -M). */
  open(sender?: DatagramSender): void {
    const { encapAppend, datagramHeadroom } = loadAddon();
    this.encapAppend = encapAppend;
    this.out = Buffer.allocUnsafeSlow(CHUNK_BYTES + datagramHeadroom + this.maxDatagram);
    const { tx } = this.opts;
    // AF_PACKET is Linux: elsewhere auto is the IP output (config.ts refuses --tx there).
    const framePath = tx === 'packet' || (tx === 'auto' && process.platform === 'linux') ? tx : null;
    this.sender =
      sender ?? (framePath !== null ? PacketSender.open(this.label, this.protocol, { ...this.opts, tx: framePath }, this.log) : new RawIpSender(this.protocol, this.opts));
  }

  override _write(batch: Batch, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.sendBatch(batch).then(() => done(), done);
  }

  override _destroy(err: Error | null, done: (e?: Error | null) => void): void {
    this.sender?.close();
    done(err);
  }

  override _final(done: (e?: Error | null) => void): void {
    this.sender?.close();
    done();
  }

  private async sendBatch(batch: Batch): Promise<void> {
    const deadline = Date.now() + RETRY_BUDGET_MS;
    const { out, lengths, chunk, spec } = this;
    const encapAppend = this.encapAppend!;
    const { data, offset, caplen, direction, tsSec, tsNsec } = batch;
    const n = batch.length;
    for (let i = 0; i < n; ) {
      chunk[0] = 0;
      chunk[1] = 0;
      // A chunk takes runs of frames in one buffer, one call each (a batch is usually one run), until it is full.
      while (i < n) {
        const end = batch.runEnd(i);
        const stop = encapAppend(out, lengths, chunk, spec, data[i]!, offset, caplen, direction, tsSec, tsNsec, i, end);
        i = stop;
        if (stop < end) break;
      }
      for (let r = 0; r < this.remotes.length; r++) await this.sendChunk(chunk[1]!, r, deadline);
    }
  }

  private async sendChunk(count: number, remote: number, deadline: number): Promise<void> {
    const { out, lengths } = this;
    const address = this.addresses[remote]!;
    for (let start = 0; start < count; ) {
      const sent = this.sender!.send(out, lengths, start, count, address);
      if (sent > 0) {
        let bytes = 0;
        for (let k = start; k < start + sent; k++) bytes += lengths[k]!;
        const c = this.counters.remotes[remote]!;
        c.packets += sent;
        c.bytes += bytes;
        this.counters.packets += sent;
        this.counters.bytes += bytes;
        start += sent;
        continue;
      }
      const failure = errnoName(-sent);
      // A full queue drains in microseconds to milliseconds: wait, don't spin.
      if ((failure === 'ENOBUFS' || failure === 'EAGAIN') && Date.now() < deadline) {
        await sleep(1);
        continue;
      }
      this.counters.drop(failure, 1);
      this.errors.error(failure, `${this.label} to ${this.remotes[remote]}: ${failure}; dropped and counted`);
      start++;
    }
  }

  counts(): SinkCounts {
    const kernelPath = this.sender?.kernelPath;
    return this.counters.counts(this.label, kernelPath === undefined ? {} : { kernelPath });
  }
}

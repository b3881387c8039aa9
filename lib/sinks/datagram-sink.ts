/**
 * What the GRE and VXLAN sinks share: the frames of a batch are encapsulated
 * back to back into one reused buffer, a chunk at a time, and each chunk goes
 * to every remote (fan-out, spec §5.1) in one sendmmsg. Send errors are
 * counted per reason and logged rate-limited; they never stop the channel. A
 * full socket buffer (ENOBUFS/EAGAIN) is retried after 1 ms, for at most
 * RETRY_BUDGET_MS per batch: that briefly holds the source back
 * (backpressure) but never spins and never blocks it for longer; what is
 * still unsent then is dropped and counted.
 */
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { SinkCounters, type SinkCounts } from '../counters.js';
import { RateLimitedLog, type Logger } from '../log.js';
import { BATCH_QUEUE, FrameCopier, type Batch } from '../packet.js';
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

export abstract class DatagramSink extends Writable {
  readonly counters: SinkCounters;
  /** The longest frame (or part of one) a datagram carries. */
  protected readonly maxFrame: number;
  private readonly maxDatagram = MAX_IPV4_PAYLOAD;
  private sender: DatagramSender | null = null;
  private readonly errors: RateLimitedLog;
  private readonly addresses: number[];
  private readonly out: Buffer;
  /** Copies frames into `out`, for encode(). */
  protected readonly copier: FrameCopier;
  private readonly lengths = new Uint32Array(CHUNK_DATAGRAMS);

  constructor(
    readonly label: string,
    private readonly protocol: number,
    private readonly remotes: string[],
    private readonly opts: RawSenderOptions,
    private readonly log: Logger,
    /** Bytes encode() adds around a frame (UDP, VXLAN, GRE headers, trailer). */
    encapsulation: number,
  ) {
    super({ objectMode: true, highWaterMark: BATCH_QUEUE });
    this.counters = new SinkCounters(remotes);
    // The remotes were validated as IPv4 addresses with the options.
    this.addresses = remotes.map((r) => parseIPv4(r)!);
    this.errors = new RateLimitedLog(log);
    this.maxFrame = this.maxDatagram - encapsulation;
    this.out = Buffer.allocUnsafeSlow(CHUNK_BYTES + this.maxDatagram);
    this.copier = new FrameCopier(this.out);
  }

  /** Opens the sending socket(s); throws UserError (permission, -B, -M). */
  open(sender?: DatagramSender): void {
    const { tx } = this.opts;
    // AF_PACKET is Linux: elsewhere auto is the IP output (config.ts refuses --tx there).
    const framePath = tx === 'packet' || (tx === 'auto' && process.platform === 'linux') ? tx : null;
    this.sender =
      sender ?? (framePath !== null ? PacketSender.open(this.label, this.protocol, { ...this.opts, tx: framePath }, this.log) : new RawIpSender(this.protocol, this.opts));
  }

  /** Writes the datagram for packet `i` of `b` at `out[offset]` (frames copied with `copier`), cutting the frame to maxFrame; returns its length. */
  protected abstract encode(b: Batch, i: number, out: Buffer, offset: number): number;

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
    const { out, lengths, maxDatagram } = this;
    for (let i = 0; i < batch.length; ) {
      let count = 0;
      let offset = 0;
      while (i < batch.length && count < CHUNK_DATAGRAMS && offset + maxDatagram <= out.length) {
        const length = this.encode(batch, i++, out, offset);
        lengths[count++] = length;
        offset += length;
      }
      for (let r = 0; r < this.remotes.length; r++) await this.sendChunk(count, r, deadline);
    }
    this.copier.release();
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

/**
 * What the GRE and VXLAN sinks share: every frame of a batch, encapsulated
 * once into a reused buffer, is sent to every remote (fan-out, spec §5.1).
 * Send errors are counted per reason and logged rate-limited; they never stop
 * the channel. A full socket buffer (ENOBUFS/EAGAIN) is retried after 1 ms,
 * for at most RETRY_BUDGET_MS per batch: that briefly holds the source back
 * (backpressure) but never spins and never blocks it for longer; what is
 * still unsent then is dropped and counted.
 */
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { SinkCounters } from '../counters.js';
import { RateLimitedLog, type Logger } from '../log.js';
import { BATCH_QUEUE, type Batch, type Packet } from '../packet.js';
import { RawIpSender, type RawSenderOptions } from './raw-ip-sender.js';

const RETRY_BUDGET_MS = 200;
/** The reference copies at most this much of a frame (spec §5.1). */
export const MAX_FORWARDED_CAPLEN = 65535;

export class RemoteCounters {
  packets = 0;
  bytes = 0;
}

export abstract class DatagramSink extends Writable {
  readonly counters = new SinkCounters();
  readonly perRemote: Map<string, RemoteCounters>;
  private readonly sender: RawIpSender;
  private readonly errors: RateLimitedLog;

  constructor(
    readonly label: string,
    protocol: number,
    private readonly remotes: string[],
    opts: RawSenderOptions,
    log: Logger,
  ) {
    super({ objectMode: true, highWaterMark: BATCH_QUEUE });
    this.sender = new RawIpSender(protocol, opts);
    this.perRemote = new Map(remotes.map((r) => [r, new RemoteCounters()]));
    this.errors = new RateLimitedLog(log);
  }

  /** Writes the datagram for `p` into the sink's buffer; returns its length. */
  protected abstract encode(p: Packet): number;
  protected abstract readonly buffer: Buffer;

  override _write(batch: Batch, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.sendBatch(batch).then(() => done(), done);
  }

  override _destroy(err: Error | null, done: (e?: Error | null) => void): void {
    this.sender.close();
    done(err);
  }

  override _final(done: (e?: Error | null) => void): void {
    this.sender.close();
    done();
  }

  private async sendBatch(batch: Batch): Promise<void> {
    const remotes = this.remotes;
    const deadline = Date.now() + RETRY_BUDGET_MS;
    for (let i = 0; i < batch.length; i++) {
      const length = this.encode(batch[i]!);
      for (let r = 0; r < remotes.length; r++) {
        let failure = this.sender.send(this.buffer, length, remotes[r]!);
        // A full queue drains in microseconds to milliseconds: wait, don't spin.
        while ((failure === 'ENOBUFS' || failure === 'EAGAIN') && Date.now() < deadline) {
          await sleep(1);
          failure = this.sender.send(this.buffer, length, remotes[r]!);
        }
        if (failure === null) {
          const c = this.perRemote.get(remotes[r]!)!;
          c.packets++;
          c.bytes += length;
          this.counters.packets++;
          this.counters.bytes += length;
        } else {
          this.counters.drop(failure, 1);
          this.errors.error(failure, `${this.label} to ${remotes[r]}: ${failure}; dropped and counted`);
        }
      }
    }
  }

  describe(): string {
    const per = [...this.perRemote].map(([r, c]) => `${r} ${c.packets} packets ${c.bytes} bytes`).join(', ');
    return `${this.label}: sent ${this.counters.packets} datagrams (${per})`;
  }
}

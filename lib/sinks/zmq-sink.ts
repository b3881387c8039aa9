/**
 * ZeroMQ exporter (spec §5.4): batches of records (version 2, MPLS label in
 * place of the EtherType) sent to a PUSH socket per remote. Differences from
 * the reference, on purpose: the record is built in the batch's own buffer
 * (dumps stay intact); a batch also flushes after FLUSH_AGE_MS on a real
 * timer and at shutdown, never empty and never twice; a batch ZeroMQ refuses
 * (high-water mark reached, or no receiver connected) is dropped and counted
 * with its packets, per remote, and logged rate-limited. Batches queue only
 * for a connected receiver (ZMQ_IMMEDIATE), so memory stays bounded while one
 * is down; at start-up the first batch waits up to CONNECT_WAIT_MS for them.
 */
import { Writable } from 'node:stream';
import { Push } from 'zeromq';
import { SinkCounters } from '../counters.js';
import { RateLimitedLog, type Logger } from '../log.js';
import { BATCH_QUEUE, type Batch, type Packet } from '../packet.js';
import { readUuidFile, ZmqBatchBuilder } from '../proto/zmq-batch.js';
import { RemoteCounters } from './datagram-sink.js';

const FLUSH_AGE_MS = 1000;
/** At start-up, how long the first batch waits for receivers to connect (see `immediate` below). */
const CONNECT_WAIT_MS = 3000;
/** How long close() lets queued batches reach a slow receiver (the reference waited 10 s). */
const LINGER_MS = 2000;

export interface ZmqSinkOptions {
  remotes: string[];
  port: number;
  key: number;
  hwm: number;
  uuidFile: string;
}

interface Remote {
  address: string;
  socket: Push;
  counters: RemoteCounters;
}

export class ZmqSink extends Writable {
  readonly label = 'zmq';
  readonly counters = new SinkCounters();
  private builder: ZmqBatchBuilder | null = null;
  private remotes: Remote[] = [];
  private readonly errors: RateLimitedLog;
  private timer: NodeJS.Timeout | null = null;
  /** Wall-clock time of the current batch's first record. */
  private batchStartedAt = 0;
  /** Settles when every remote has connected, or CONNECT_WAIT_MS after start-up. */
  private startup: Promise<unknown> = Promise.resolve();
  /** Serialises writes, the age timer and close: one builder, one send at a time per socket. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: ZmqSinkOptions, private readonly log: Logger) {
    super({ objectMode: true, highWaterMark: BATCH_QUEUE });
    this.errors = new RateLimitedLog(log);
  }

  /** Reads the agent UUID and connects a PUSH socket to every remote. */
  open(): void {
    const { o, log } = this;
    const { uuid, problem } = readUuidFile(o.uuidFile);
    if (problem) log.warn(`zmq: agent UUID from ${o.uuidFile}: ${problem}; sending 16 zero bytes`);
    this.builder = new ZmqBatchBuilder(o.key, uuid);
    this.remotes = o.remotes.map((address) => {
      // sendTimeout 0: a full queue refuses at once instead of blocking the channel; immediate: batches
      // queue only for a connected receiver, so an absent one costs no memory and its losses are counted.
      const socket = new Push({ sendHighWaterMark: o.hwm, sendTimeout: 0, immediate: true, linger: LINGER_MS });
      socket.events.on('handshake', () => log.info(`zmq: connected to ${address}:${o.port}`));
      socket.events.on('disconnect', () => log.warn(`zmq: lost ${address}:${o.port}; batches are dropped and counted until it is back`));
      socket.connect(`tcp://${address}:${o.port}`);
      return { address, socket, counters: new RemoteCounters() };
    });
    this.startup = Promise.all(
      this.remotes.map(
        (r) =>
          new Promise<void>((resolve) => {
            r.socket.events.on('handshake', () => resolve());
            setTimeout(resolve, CONNECT_WAIT_MS).unref();
          }),
      ),
    );
    this.timer = setInterval(() => this.serially(() => this.flushIfOlderThan(FLUSH_AGE_MS)), FLUSH_AGE_MS / 4);
    this.timer.unref();
  }

  private serially(work: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(work);
    return this.chain;
  }

  override _write(batch: Batch, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.serially(() => this.appendBatch(batch)).then(() => done(), done);
  }

  override _final(done: (e?: Error | null) => void): void {
    if (this.timer) clearInterval(this.timer);
    this.serially(async () => {
      await this.flush();
      for (const r of this.remotes) r.socket.close();
    }).then(() => done(), done);
  }

  override _destroy(err: Error | null, done: (e?: Error | null) => void): void {
    if (this.timer) clearInterval(this.timer);
    for (const r of this.remotes) if (!r.socket.closed) r.socket.close();
    done(err);
  }

  private async appendBatch(batch: Batch): Promise<void> {
    const b = this.builder!;
    for (let i = 0; i < batch.length; i++) {
      const p: Packet = batch[i]!;
      if (!b.canLabel(p)) {
        this.counters.drop('frame too short for the MPLS label', this.remotes.length);
        continue;
      }
      if (!b.carries(p)) {
        this.counters.drop('not IPv4/IPv6 (the ZMQ format cannot restore its EtherType)', this.remotes.length);
        continue;
      }
      if (b.count > 0 && (!b.fits(p) || b.startsNewSecond(p))) await this.flush();
      if (b.count === 0) this.batchStartedAt = Date.now();
      b.append(p, p.direction);
    }
  }

  private async flushIfOlderThan(ms: number): Promise<void> {
    if (this.builder!.count > 0 && Date.now() - this.batchStartedAt >= ms) await this.flush();
  }

  private async flush(): Promise<void> {
    const builder = this.builder;
    if (builder === null || builder.count === 0) return;
    const records = builder.count;
    const message = builder.finish();
    await this.startup;
    for (const r of this.remotes) {
      try {
        await r.socket.send(message);
        r.counters.packets += records;
        r.counters.bytes += message.length;
        this.counters.packets += records;
        this.counters.bytes += message.length;
      } catch (e) {
        const reason = (e as { code?: string }).code === 'EAGAIN' ? 'receiver slow or absent (ZeroMQ queue full)' : `send failed: ${(e as Error).message}`;
        this.counters.drop(reason, records);
        this.errors.error(reason, `zmq to ${r.address}: ${reason}; batch of ${records} packets dropped and counted`);
      }
    }
  }

  describe(): string {
    const per = this.remotes.map((r) => `${r.address} ${r.counters.packets} packets ${r.counters.bytes} bytes`).join(', ');
    return `zmq: queued ${this.counters.packets} packets (${per})`;
  }
}

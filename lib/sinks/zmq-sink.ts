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
 *
 * Delivery: ZeroMQ's send only queues. A batch counts as delivered once our
 * TCP connection to its receiver has been seen with nothing unacknowledged at
 * least CONFIRM_MARGIN_MS after the batch was queued (tcp-send-queue.ts).
 * Batches not confirmed when the sink closes and the receiver has not taken
 * them within DRAIN_MS are counted as dropped; those in flight when a
 * connection closes, as unconfirmed (the receiver may have read them before
 * it hung up). Both are upper bounds, never a silent loss. Memory held for a slow receiver: at most --zmq_hwm batches of at
 * most 1 MiB each per remote, plus the kernel's TCP buffers.
 */
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { SinkCounters, type RemoteCounters, type SinkCounts } from '../counters.js';
import { RateLimitedLog, type Logger } from '../log.js';
import { loadAddon } from '../native/addon.js';
import { BATCH_QUEUE, type Batch } from '../packet.js';
import { ZMQ_MAX_BATCH_BYTES, ZmqBatchBuilder } from '../proto/zmq-batch.js';
import { readAgentUuid } from '../uuid-file.js';
import { youngCollector } from '../young-collection.js';
import { zeromq } from '../zeromq.js';
import { ourTcpSendQueues } from './tcp-send-queue.js';
import { MessagePool } from './zmq-message-pool.js';

const FLUSH_AGE_MS = 1000;
/** At start-up, how long the first batch waits for receivers to connect (see `immediate` below). */
const CONNECT_WAIT_MS = 3000;
/** How long closing waits for receivers to take what is queued (the stop deadline is 10 s in all). */
const DRAIN_MS = 3000;
/** How often delivery is checked while running, and while closing. */
const CONFIRM_EVERY_MS = 1000;
const DRAIN_POLL_MS = 50;
/** A batch queued this long before an empty TCP send queue was seen has left ZeroMQ's own queue too. */
const CONFIRM_MARGIN_MS = 50;
/** How often the message pool lets go of buffers it did not need (MessagePool.trimUnused). */
const POOL_TRIM_EVERY_MS = 10_000;
export const NOT_DELIVERED_AT_CLOSE = 'not delivered when the sink closed (receiver too slow)';
/** Upper bound: the receiver may have taken some before it hung up, but nobody can tell. */
export const UNCONFIRMED_AT_DISCONNECT = 'unconfirmed: the connection closed before delivery was confirmed';

export interface ZmqSinkOptions {
  remotes: string[];
  port: number;
  key: number;
  hwm: number;
  uuidFile: string;
}

/** What the sink needs of a ZeroMQ PUSH socket (tests give a fake). */
export interface PushSocket {
  send(message: Buffer): Promise<void>;
  connect(address: string): void;
  close(): void;
  readonly closed: boolean;
  linger: number;
  readonly events: { on(event: 'handshake' | 'disconnect', listener: () => void): void };
}

/** How the sink reaches the outside: real sockets and the kernel's TCP table, or fakes. */
export interface ZmqSinkDeps {
  makeSocket(hwm: number): PushSocket;
  /** Unacknowledged bytes of our connections by `ip:port` (ourTcpSendQueues). */
  sendQueues(): Map<string, number>;
}

const realDeps: ZmqSinkDeps = {
  // sendTimeout 0: a full queue refuses at once instead of blocking the channel; immediate: batches
  // queue only for a connected receiver, so an absent one costs no memory and its losses are counted.
  makeSocket: (hwm) => new (zeromq().Push)({ sendHighWaterMark: hwm, sendTimeout: 0, immediate: true }),
  sendQueues: ourTcpSendQueues,
};

/** A batch ZeroMQ accepted and nobody has confirmed delivered yet. */
interface InFlight {
  packets: number;
  bytes: number;
  queuedAt: number;
}

interface Remote {
  address: string;
  /** `ip:port`, as the TCP table names the connection. */
  endpoint: string;
  socket: PushSocket;
  /** Delivered (confirmed). */
  counters: RemoteCounters;
  inFlight: InFlight[];
}

/** Packets in the batches `r` has in flight. */
function inFlightPackets(r: Remote): number {
  return r.inFlight.reduce((sum, b) => sum + b.packets, 0);
}

export class ZmqSink extends Writable {
  readonly label = 'zmq';
  readonly counters: SinkCounters;
  private builder: ZmqBatchBuilder | null = null;
  private pool: MessagePool | null = null;
  private remotes: Remote[] = [];
  private readonly errors: RateLimitedLog;
  private timer: NodeJS.Timeout | null = null;
  /** Wall-clock time of the current batch's first record. */
  private batchStartedAt = 0;
  /** Settles when every remote has connected, or CONNECT_WAIT_MS after start-up. */
  private startup: Promise<unknown> = Promise.resolve();
  /** Serialises writes, the age timer and close: one builder, one send at a time per socket. */
  private chain: Promise<void> = Promise.resolve();
  private lastConfirm = 0;
  private lastPoolTrim = 0;

  constructor(private readonly o: ZmqSinkOptions, private readonly log: Logger, private readonly deps: ZmqSinkDeps = realDeps) {
    super({ objectMode: true, highWaterMark: BATCH_QUEUE });
    this.counters = new SinkCounters(o.remotes);
    this.errors = new RateLimitedLog(log);
  }

  /** Batches ZeroMQ accepted that are not confirmed delivered yet (in its queues or the kernel's): the queue depth. */
  get queued(): number {
    return this.remotes.reduce((n, r) => n + r.inFlight.length, 0);
  }

  /** Reads the agent UUID and connects a PUSH socket to every remote. */
  open(): void {
    const { o, log } = this;
    const { uuid, problem } = readAgentUuid(o.uuidFile);
    if (problem) log.warn(`zmq: agent UUID from ${o.uuidFile}: ${problem}; sending 16 zero bytes`);
    this.pool = new MessagePool(youngCollector());
    this.builder = new ZmqBatchBuilder(o.key, uuid, loadAddon().zmqAppend, ZMQ_MAX_BATCH_BYTES, this.pool);
    this.remotes = this.counters.remotes.map((counters) => {
      const { address } = counters;
      const socket = this.deps.makeSocket(o.hwm);
      const r: Remote = { address, endpoint: `${address}:${o.port}`, socket, counters, inFlight: [] };
      socket.events.on('handshake', () => log.info(`zmq: connected to ${r.endpoint}`));
      socket.events.on('disconnect', () => {
        log.warn(`zmq: lost ${r.endpoint}; batches are dropped and counted until it is back`);
        this.giveUp(r, UNCONFIRMED_AT_DISCONNECT);
      });
      socket.connect(`tcp://${r.endpoint}`);
      return r;
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
    this.timer = setInterval(() => this.serially(() => this.tick()), FLUSH_AGE_MS / 4);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    await this.flushIfOlderThan(FLUSH_AGE_MS);
    const now = Date.now();
    if (now - this.lastConfirm >= CONFIRM_EVERY_MS) this.confirmDelivered();
    if (now - this.lastPoolTrim >= POOL_TRIM_EVERY_MS) {
      this.lastPoolTrim = now;
      this.pool!.trimUnused();
    }
  }

  /** Moves batches to "delivered" for every remote whose connection has nothing unacknowledged. */
  private confirmDelivered(): void {
    if (this.remotes.every((r) => r.inFlight.length === 0)) return;
    const now = Date.now();
    this.lastConfirm = now;
    let queues: Map<string, number>;
    try {
      queues = this.deps.sendQueues();
    } catch (e) {
      this.errors.error('zmq-confirm', `zmq: cannot read the TCP table to confirm delivery: ${(e as Error).message}`);
      return;
    }
    for (const r of this.remotes) {
      if (queues.get(r.endpoint) !== 0) continue;
      let n = 0;
      while (n < r.inFlight.length && r.inFlight[n]!.queuedAt <= now - CONFIRM_MARGIN_MS) {
        const b = r.inFlight[n++]!;
        r.counters.packets += b.packets;
        r.counters.bytes += b.bytes;
        this.counters.packets += b.packets;
        this.counters.bytes += b.bytes;
      }
      r.inFlight.splice(0, n);
    }
  }

  /** Counts what `r` still has in flight as dropped for `reason`. */
  private giveUp(r: Remote, reason: string): void {
    const packets = inFlightPackets(r);
    r.inFlight.length = 0;
    if (packets === 0) return;
    this.counters.drop(reason, packets);
    this.errors.error(reason, `zmq to ${r.address}: ${packets} packets ${reason}; counted as dropped`);
  }

  /** Waits, at most DRAIN_MS, for receivers to confirm what is in flight; the rest is counted as dropped. */
  private async drain(): Promise<void> {
    const deadline = Date.now() + DRAIN_MS;
    while (this.remotes.some((r) => r.inFlight.length > 0) && Date.now() < deadline) {
      await sleep(DRAIN_POLL_MS);
      this.confirmDelivered();
    }
    for (const r of this.remotes) this.giveUp(r, NOT_DELIVERED_AT_CLOSE);
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
      await this.drain();
      // What is still queued was counted as dropped: don't let it trickle out afterwards.
      for (const r of this.remotes) {
        r.socket.linger = 0;
        r.socket.close();
      }
    }).then(() => done(), done);
  }

  override _destroy(err: Error | null, done: (e?: Error | null) => void): void {
    if (this.timer) clearInterval(this.timer);
    for (const r of this.remotes) if (!r.socket.closed) r.socket.close();
    done(err);
  }

  private async appendBatch(batch: Batch): Promise<void> {
    const b = this.builder!;
    let i = 0;
    for (;;) {
      const wasEmpty = b.count === 0;
      i = b.add(batch, i);
      if (wasEmpty && b.count > 0) this.batchStartedAt = Date.now();
      if (i === batch.length) break;
      await this.flush();
    }
    // Each packet would have gone to every remote.
    if (b.tooShort > 0) this.counters.drop('frame too short for the MPLS label', b.tooShort * this.remotes.length);
    if (b.notIp > 0) this.counters.drop('not IPv4/IPv6 (the ZMQ format cannot restore its EtherType)', b.notIp * this.remotes.length);
    b.clearDrops();
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
        r.inFlight.push({ packets: records, bytes: message.length, queuedAt: Date.now() });
      } catch (e) {
        const reason = (e as { code?: string }).code === 'EAGAIN' ? 'receiver slow or absent (ZeroMQ queue full)' : `send failed: ${(e as Error).message}`;
        this.counters.drop(reason, records);
        this.errors.error(reason, `zmq to ${r.address}: ${reason}; batch of ${records} packets dropped and counted`);
      }
    }
  }

  counts(): SinkCounts {
    return this.counters.counts(this.label, { queued: this.queued, inFlight: this.remotes.reduce((n, r) => n + inFlightPackets(r), 0) });
  }
}

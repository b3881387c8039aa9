/**
 * FanOut with fake sinks, in the style of Node's own stream tests: what a
 * stalled sink costs the others (live) or the source (files), and that an
 * error reaches every stream exactly once.
 */
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SinkCounters } from '../../lib/counters.js';
import type { Logger } from '../../lib/log.js';
import { DIR_IN, DIR_OUT, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, type Batch } from '../../lib/packet.js';
import { decodeFileHeader } from '../../lib/proto/pcap.js';
import { DumpSink } from '../../lib/sinks/dump-sink.js';
import { branchTo, FanOut, QUEUE_FULL_DROP, SINK_QUEUE_BATCHES } from '../../lib/sinks/fan-out.js';
import { makeToEthernetStage } from '../../lib/stages/to-ethernet.js';
import { hex } from '../helpers/hex.js';
import { packedBatchOf } from '../helpers/packed-batch.js';
import { batchOf, packet, packetsOf, stamped, type TestPacket } from '../helpers/packets.js';

/** A sink that takes batches at once, or holds every write until release() when stalled. */
class FakeSink extends Writable {
  readonly counters = new SinkCounters();
  readonly received: Batch[] = [];
  private held: (() => void)[] = [];
  constructor(private stalled = false, private readonly failOn = -1) {
    super({ objectMode: true, highWaterMark: 2 });
  }
  override _write(batch: Batch, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    if (this.received.length === this.failOn) {
      done(new Error('disk on fire'));
      return;
    }
    this.received.push(batch);
    if (this.stalled) this.held.push(() => done());
    else done();
  }
  release(): void {
    this.stalled = false;
    const held = this.held;
    this.held = [];
    for (const h of held) h();
  }
}

const batch = (i: number): Batch => batchOf([packet(i, 0, 60, 60, Buffer.alloc(60), 1), packet(i, 1, 60, 60, Buffer.alloc(60), 1)]);

/** Writes n batches; resolves with how many writes completed within the time the test allows them. */
async function offer(fan: FanOut, n: number): Promise<number> {
  let completed = 0;
  for (let i = 0; i < n; i++) fan.write(batch(i), () => completed++);
  await new Promise((r) => setTimeout(r, 50));
  return completed;
}

/** A batch whose owner notes when it comes back. */
function owned(i: number): { b: Batch; back: () => boolean } {
  const b = batch(i);
  let back = false;
  b.owner = { recycle: () => (back = true) };
  return { b, back: () => back };
}

describe('FanOut', () => {
  it('gives a batch back to its owner only when every sink that took it (or a copy) is done with it', async () => {
    const fast = new FakeSink();
    const stuck = new FakeSink(true);
    const filtered = new FakeSink();
    const fan = new FanOut([branchTo(fast), branchTo(stuck), branchTo(filtered, (x) => x.truncate(1))], true);
    const { b, back } = owned(1);
    fan.write(b);
    await new Promise(setImmediate);
    assert.equal(fast.received.length, 1);
    assert.notEqual(filtered.received[0], b, 'the filtering branch got a copy, which shares the frames');
    assert.equal(back(), false, 'the stalled sink still holds it');
    stuck.release();
    await new Promise(setImmediate);
    assert.equal(back(), true);
    fan.end();
  });

  it('a branch that drops the batch (queue full) or whose filter empties it does not hold it', async () => {
    const stuck = new FakeSink(true);
    const other = new FakeSink(true);
    const emptied = new FakeSink();
    const fan = new FanOut([branchTo(stuck), branchTo(other), branchTo(emptied, (x) => x.truncate(0))], false);
    for (let i = 0; i < SINK_QUEUE_BATCHES + 2; i++) fan.write(batch(i));
    await new Promise(setImmediate);
    // stuck's queue is full now, other's too: a new batch waits for both (backpressure), so release other first.
    other.release();
    await new Promise(setImmediate);
    const { b, back } = owned(99);
    fan.write(b);
    await new Promise(setImmediate);
    assert.equal(emptied.received.length, 0);
    assert.equal(back(), true, 'only the sinks that took it held it');
    stuck.release();
    fan.destroy();
  });


  it('live, one sink stalled: the other gets every batch, the stalled one is dropped and counted beyond its queue', async () => {
    const fast = new FakeSink();
    const stuck = new FakeSink(true);
    const branches = [branchTo(fast), branchTo(stuck)];
    const fan = new FanOut(branches, false);
    const n = 200;
    assert.equal(await offer(fan, n), n, 'the source is never held back');
    assert.equal(fast.received.length, n);
    // Held by the sink: the write in progress and those buffered behind it.
    const queued = stuck.writableLength;
    assert.ok(queued >= SINK_QUEUE_BATCHES && queued <= SINK_QUEUE_BATCHES + 1, `queued ${queued}`);
    // Counted by the fan-out for that branch, not by the sink, which never saw those batches.
    assert.equal(branches[1]!.queueFull.reason, QUEUE_FULL_DROP);
    assert.equal(branches[1]!.queueFull.dropped, (n - queued) * 2);
    assert.equal(branches[0]!.queueFull.dropped, 0);
    assert.equal(stuck.counters.dropped.size, 0);
    stuck.release();
    fan.end();
    await new Promise((r) => fan.on('finish', r));
    assert.equal(stuck.received.length, queued, 'what was queued is written at the end');
  });

  it('a file (lossless): the source waits for the stalled sink, nothing is dropped', async () => {
    const fast = new FakeSink();
    const stuck = new FakeSink(true);
    const branches = [branchTo(fast), branchTo(stuck)];
    const fan = new FanOut(branches, true);
    const completed = await offer(fan, 20);
    assert.ok(completed < 5, `${completed} writes went through past a stalled sink`);
    stuck.release();
    await new Promise((r) => setTimeout(r, 50));
    fan.end();
    await new Promise((r) => fan.on('finish', r));
    assert.equal(fast.received.length, 20);
    assert.equal(stuck.received.length, 20);
    assert.equal(branches[1]!.queueFull.dropped, 0);
  });

  it('live, a single sink or every sink stalled: backpressure, not drops (the kernel ring counts what it cannot hold)', async () => {
    for (const sinks of [[new FakeSink(true)], [new FakeSink(true), new FakeSink(true)]]) {
      const branches = sinks.map((sink) => branchTo(sink));
      const fan = new FanOut(branches, false);
      const completed = await offer(fan, SINK_QUEUE_BATCHES * 3);
      assert.ok(completed <= SINK_QUEUE_BATCHES + 2, `${completed} completed`);
      for (const b of branches) assert.equal(b.queueFull.dropped, 0);
      for (const s of sinks) s.release();
      fan.destroy();
    }
  });

  it('an error in one sink fails the pipeline once and destroys every stream', async () => {
    const ok = new FakeSink();
    const bad = new FakeSink(false, 3);
    const fan = new FanOut([branchTo(ok), branchTo(bad)], true);
    const source = Readable.from(Array.from({ length: 10 }, (_, i) => batch(i)), { objectMode: true });
    let settled = 0;
    await assert.rejects(
      pipeline(source, fan).finally(() => settled++),
      /disk on fire/,
    );
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, 1);
    for (const s of [source, fan, ok, bad]) assert.ok(s.destroyed, s.constructor.name);
  });

  it('a branch with a filter gets a copy: to-ethernet rewrites the forwarder\'s frames, the dump keeps the originals', async () => {
    // Linux cooked frames (-i any) in one capture buffer, and one frame to-ethernet cannot carry.
    const sll = (last: number): Buffer => hex(`00 04 00 01 00 06 02 42 ac 11 00 02 00 00 08 00 45 00 00 14 ${last.toString(16).padStart(2, '0')}`);
    const frames: TestPacket[] = [packet(1700000000, 0, 21, 80, sll(1), LINKTYPE_LINUX_SLL), packet(1700000000, 1000, 21, 81, hex('08 02 00 00 ff ff ff ff ff ff'), 105), packet(1700000001, 0, 21, 82, sll(3), LINKTYPE_LINUX_SLL)];
    frames[0]!.direction = DIR_OUT;
    frames[2]!.direction = DIR_IN;
    const original = packedBatchOf(frames);
    const shared = original.data[0]!;
    const sharedBytes = Buffer.from(shared);
    const before = packetsOf(original);

    const dump = new FakeSink();
    const forward = new FakeSink();
    const toEthernet = makeToEthernetStage();
    // The dump first: it holds the very batch while the forwarder's filter runs after it.
    const fan = new FanOut([branchTo(dump), branchTo(forward, toEthernet.fn)], true);
    await new Promise<void>((res, rej) => fan.write(original, (e) => (e ? rej(e) : res())));
    fan.end();
    await new Promise((r) => fan.on('finish', r));

    assert.equal(dump.received.length, 1);
    assert.equal(dump.received[0], original);
    assert.deepEqual(packetsOf(dump.received[0]!), before, 'the dump sees the frames as captured');
    assert.ok(shared.equals(sharedBytes), 'the capture buffer is not written');

    assert.equal(forward.received.length, 1);
    const fwd = forward.received[0]!;
    assert.notEqual(fwd, original);
    assert.equal(toEthernet.counters.dropped, 1);
    const got = packetsOf(fwd);
    assert.deepEqual(got.map((p) => [p.tsSec, p.tsNsec, p.linktype, p.direction, p.caplen, p.wirelen]), [
      [1700000000, 0, LINKTYPE_ETHERNET, DIR_OUT, 19, 78],
      [1700000001, 0, LINKTYPE_ETHERNET, DIR_IN, 19, 80],
    ]);
    assert.deepEqual(got.map((p) => p.data.toString('hex')), ['000000000000' + '0242ac110002' + '0800' + '45000014' + '01', '000000000000' + '0242ac110002' + '0800' + '45000014' + '03']);
  });

  it('a filter that removes every packet: that branch gets nothing, the others the whole batch', async () => {
    const dump = new FakeSink();
    const forward = new FakeSink();
    const fan = new FanOut([branchTo(forward, (b) => b.truncate(0)), branchTo(dump)], true);
    const b = batch(7);
    await new Promise<void>((res, rej) => fan.write(b, (e) => (e ? rej(e) : res())));
    fan.end();
    await new Promise((r) => fan.on('finish', r));
    assert.equal(forward.received.length, 0);
    assert.equal(dump.received.length, 1);
    assert.equal(dump.received[0]!.length, 2);
    assert.deepEqual(packetsOf(dump.received[0]!), packetsOf(batch(7)));
  });

  it('a real dump beside a to-ethernet forwarder: the dump file holds the cooked frames, byte for byte', async () => {
    const base = mkdtempSync(join(tmpdir(), 'fan-dump-'));
    const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
    const dump = new DumpSink({ dir: base, intervalSec: 0, maxFiles: 0, maxBytes: 0 }, 'cap', quiet);
    dump.open();
    const forward = new FakeSink();
    const fan = new FanOut([branchTo(dump), branchTo(forward, makeToEthernetStage().fn)], true);
    const sll = (i: number): Buffer => hex(`00 00 00 01 00 06 02 42 ac 11 00 02 00 00 08 00 45 00 00 14 0${i}`);
    const frames = [0, 1, 2, 3].map((i) => packet(1700000000 + i, 7, 21, 21, sll(i), LINKTYPE_LINUX_SLL));
    // Two batches, so the dump still holds the first while the second is converted.
    for (const b of [packedBatchOf(frames.slice(0, 2)), packedBatchOf(frames.slice(2))]) fan.write(stamped(b, { nanos: true, snaplen: 65535 }));
    fan.end();
    await new Promise((r) => fan.on('finish', r));
    const bytes = readFileSync(join(base, 'cap', 'pktminerg_dump.pcap'));
    assert.equal(decodeFileHeader(bytes).linktype, LINKTYPE_LINUX_SLL);
    const records = Buffer.concat(frames.map((p) => {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(p.tsSec, 0);
      h.writeUInt32LE(7, 4);
      h.writeUInt32LE(21, 8);
      h.writeUInt32LE(21, 12);
      return Buffer.concat([h, p.data]);
    }));
    assert.ok(bytes.subarray(24).equals(records));
    assert.equal(forward.received.reduce((n, b) => n + b.length, 0), 4);
    assert.ok(forward.received.every((b) => b.linktype.subarray(0, b.length).every((t) => t === LINKTYPE_ETHERNET)));
  });
});

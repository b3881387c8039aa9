/**
 * FanOut with fake sinks, in the style of Node's own stream tests: what a
 * stalled sink costs the others (live) or the source (files), and that an
 * error reaches every stream exactly once.
 */
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { SinkCounters } from '../../lib/counters.js';
import { Packet, type Batch } from '../../lib/packet.js';
import { FanOut, QUEUE_FULL_DROP, SINK_QUEUE_BATCHES } from '../../lib/sinks/fan-out.js';

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

const batch = (i: number): Batch => [new Packet(i, 0, 60, 60, Buffer.alloc(60), 1), new Packet(i, 1, 60, 60, Buffer.alloc(60), 1)];

/** Writes n batches; resolves with how many writes completed within the time the test allows them. */
async function offer(fan: FanOut, n: number): Promise<number> {
  let completed = 0;
  for (let i = 0; i < n; i++) fan.write(batch(i), () => completed++);
  await new Promise((r) => setTimeout(r, 50));
  return completed;
}

describe('FanOut', () => {
  it('live, one sink stalled: the other gets every batch, the stalled one is dropped and counted beyond its queue', async () => {
    const fast = new FakeSink();
    const stuck = new FakeSink(true);
    const fan = new FanOut([{ sink: fast }, { sink: stuck }], false);
    const n = 200;
    assert.equal(await offer(fan, n), n, 'the source is never held back');
    assert.equal(fast.received.length, n);
    // Held by the sink: the write in progress and those buffered behind it.
    const queued = stuck.writableLength;
    assert.ok(queued >= SINK_QUEUE_BATCHES && queued <= SINK_QUEUE_BATCHES + 1, `queued ${queued}`);
    assert.equal(stuck.counters.dropped.get(QUEUE_FULL_DROP), (n - queued) * 2);
    stuck.release();
    fan.end();
    await new Promise((r) => fan.on('finish', r));
    assert.equal(stuck.received.length, queued, 'what was queued is written at the end');
  });

  it('a file (lossless): the source waits for the stalled sink, nothing is dropped', async () => {
    const fast = new FakeSink();
    const stuck = new FakeSink(true);
    const fan = new FanOut([{ sink: fast }, { sink: stuck }], true);
    const completed = await offer(fan, 20);
    assert.ok(completed < 5, `${completed} writes went through past a stalled sink`);
    stuck.release();
    await new Promise((r) => setTimeout(r, 50));
    fan.end();
    await new Promise((r) => fan.on('finish', r));
    assert.equal(fast.received.length, 20);
    assert.equal(stuck.received.length, 20);
    assert.equal(stuck.counters.dropped.size, 0);
  });

  it('live, a single sink or every sink stalled: backpressure, not drops (the kernel ring counts what it cannot hold)', async () => {
    for (const sinks of [[new FakeSink(true)], [new FakeSink(true), new FakeSink(true)]]) {
      const fan = new FanOut(sinks.map((sink) => ({ sink })), false);
      const completed = await offer(fan, SINK_QUEUE_BATCHES * 3);
      assert.ok(completed <= SINK_QUEUE_BATCHES + 2, `${completed} completed`);
      for (const s of sinks) assert.equal(s.counters.dropped.size, 0);
      for (const s of sinks) s.release();
      fan.destroy();
    }
  });

  it('an error in one sink fails the pipeline once and destroys every stream', async () => {
    const ok = new FakeSink();
    const bad = new FakeSink(false, 3);
    const fan = new FanOut([{ sink: ok }, { sink: bad }], true);
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
});

/**
 * LiveSource in-process, with a fake addon and a fake view of the interface:
 * open errors, waiting, a re-created interface (a new generation of
 * batches), 32-bit kernel counters, backpressure and the drain at stop. The real addon is covered by
 * test/native and the namespace tests in test/e2e.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../../lib/log.js';
import type { PacketIoAddon, PcapHandle } from '../../lib/native/addon.js';
import type { Batch } from '../../lib/packet.js';
import { packet, packetsOf } from '../helpers/packets.js';
import { captureBatchLayout, writeCaptureBatch } from '../helpers/capture-batch.js';
import type { CaptureTarget, TargetLink } from '../../lib/sources/capture-target.js';
import { LiveSource } from '../../lib/sources/live-source.js';

type OpenError = { code: string; message: string } | null;

/** The addon's capture half, driven by the test: `deliver` plays the kernel handing over a block. */
class FakeCapture {
  openError: OpenError = null;
  linktype = 1;
  stats: [number, number, number] = [0, 0, 0];
  opens = 0;
  closed = 0;
  paused = false;
  readonly drainQueue: Buffer[] = [];
  /** Buffers given back (provide). */
  readonly provided: Buffer[] = [];
  private onBatch: ((batch: Buffer) => void) | null = null;
  /** Smaller than the addon's own: the source reads any layout the addon gives. */
  readonly layout = captureBatchLayout(1024, 8);

  readonly addon = {
    captureBatch: this.layout,
    open: (_device: string, _filter: string, _snaplen: number, _buffer: number, _timeout: number, _promisc: boolean, onBatch: (b: Buffer) => void) => {
      if (this.openError) throw Object.assign(new Error(this.openError.message), { code: this.openError.code });
      this.opens++;
      this.onBatch = onBatch;
      return { handle: { n: this.opens } as unknown as PcapHandle, linktype: this.linktype, nanos: true };
    },
    resume: () => void (this.paused = false),
    pause: () => void (this.paused = true),
    drain: () => this.drainQueue.shift(),
    stats: () => [...this.stats] as [number, number, number],
    close: () => void this.closed++,
    provide: (_h: PcapHandle, buffer: Buffer) => void this.provided.push(buffer),
  } as unknown as PacketIoAddon;

  /** A batch buffer of `n` frames of 60 bytes, their nanoseconds and bytes `from`, `from + 1`, ...; into `buffer` (one given back) if given. */
  batch(n: number, from = 0, buffer?: Buffer): Buffer {
    return writeCaptureBatch(this.layout, Array.from({ length: n }, (_, i) => packet(1700000000, from + i, 60, 60, Buffer.alloc(60, from + i), 1)), buffer);
  }

  deliver(n: number, from = 0): void {
    this.onBatch!(this.batch(n, from));
  }

  /** As the addon does once buffers come back: the next batch is read into one of them. */
  deliverInto(buffer: Buffer, n: number, from = 0): void {
    this.onBatch!(this.batch(n, from, buffer));
  }
}

/** The interface as the source sees it at each look; tests change its fields. */
interface FakeLink {
  state: TargetLink['state'];
  ifindex: number;
}

function setup(o: { state?: TargetLink['state']; count?: number; timeoutMs?: number } = {}) {
  const fake = new FakeCapture();
  const link: FakeLink = { state: o.state ?? 'up', ifindex: 7 };
  const target: CaptureTarget = {
    name: 'eth9',
    label: 'eth9',
    look: () => ({
      state: link.state,
      why: link.state === 'absent' ? 'no such interface' : 'interface is down',
      instance: String(link.ifindex),
      device: 'eth9',
      netns: null,
      mac: null,
      addresses: () => undefined,
    }),
  };
  const lines: string[] = [];
  const log: Logger = { debug() {}, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
  const src = new LiveSource({
    target,
    filter: () => 'tcp',
    bufferBytes: 1 << 20,
    timeoutMs: o.timeoutMs ?? 100,
    log,
    count: o.count,
    addon: fake.addon,
  });
  return { fake, link, counters: src.counters, lines, src };
}

const packetsIn = (batches: Batch[]): number => batches.reduce((n, b) => n + b.length, 0);

describe('LiveSource', () => {
  it('opens at once when the interface is up; every delivered frame comes out and is counted', async () => {
    const { fake, src, counters } = setup();
    src.open();
    assert.equal(fake.opens, 1);
    const got: Batch[] = [];
    src.on('data', (b: Batch) => got.push(b));
    fake.deliver(3);
    fake.deliver(2, 3);
    // Flowing mode hands queued batches over on the next turns of the event loop.
    await new Promise(setImmediate);
    assert.equal(packetsIn(got), 5);
    assert.deepEqual(got.flatMap(packetsOf).map((p) => p.tsNsec), [0, 1, 2, 3, 4]);
    assert.equal(counters.captured, 5);
    src.destroy();
    assert.equal(fake.closed, 1);
  });

  it('a batch its consumers are done with goes back: the batch buffer to the addon, the columns to the next batch', async () => {
    const { fake, src } = setup();
    src.open();
    const got: Batch[] = [];
    src.on('data', (b: Batch) => got.push(b));
    const buffer = Buffer.alloc(fake.layout.bytes);
    fake.deliverInto(buffer, 3);
    await new Promise(setImmediate);
    const first = got[0]!;
    assert.deepEqual(packetsOf(first).map((p) => [p.tsSec, p.tsNsec, p.caplen, p.data[0]]), [0, 1, 2].map((i) => [1700000000, i, 60, i]));
    assert.ok([0, 1, 2].every((i) => first.data[i] === buffer), 'the frames refer to the batch buffer itself, no view of it');
    assert.deepEqual(fake.provided, [], 'not before its consumers are done');
    first.hold();
    first.done();
    assert.equal(fake.provided.length, 1);
    assert.equal(fake.provided[0], buffer);
    fake.deliverInto(buffer, 2, 3);
    await new Promise(setImmediate);
    assert.equal(got[1], first, 'the batch object and its columns are used again');
    assert.deepEqual(packetsOf(got[1]!).map((p) => p.tsNsec), [3, 4]);
    fake.deliver(1, 5);
    await new Promise(setImmediate);
    assert.notEqual(got[2], first, 'a batch still out is never handed out twice');
    src.destroy();
  });

  it('a wake-up of no packet gives its batch buffer and batch back at once', async () => {
    const { fake, src } = setup();
    src.open();
    try {
      const got: Batch[] = [];
      src.on('data', (b: Batch) => got.push(b));
      const buffer = Buffer.alloc(fake.layout.bytes);
      fake.deliverInto(buffer, 2);
      await new Promise(setImmediate);
      const first = got[0]!;
      first.discard();
      assert.deepEqual(fake.provided, [buffer]);
      fake.deliverInto(buffer, 0);
      await new Promise(setImmediate);
      assert.equal(got.length, 1, 'nothing to push');
      assert.deepEqual(fake.provided, [buffer, buffer], 'given back without a consumer');
      fake.deliver(1, 2);
      await new Promise(setImmediate);
      assert.equal(got[1], first, 'the same batch object, kept for the next wake-up');
    } finally {
      src.destroy();
    }
  });

  for (const [code, message, expected] of [
    ['PERM', 'socket: Operation not permitted', 'cannot capture on eth9: permission denied (capture needs root or the CAP_NET_RAW and CAP_NET_ADMIN capabilities)'],
    ['FILTER', 'syntax error', "filter 'tcp': syntax error"],
  ] as const) {
    it(`an open error ${code} is a start-up error: one line, nothing left running`, () => {
      const { fake, src } = setup();
      fake.openError = { code, message };
      assert.throws(() => src.open(), { name: 'UserError', message: expected });
      // A watch timer left behind would keep this test file from ending.
      src.destroy();
    });
  }

  it('an unsupported link type is refused and its handle closed', () => {
    const { fake, src } = setup();
    fake.linktype = 105;
    assert.throws(() => src.open(), { name: 'UserError', message: /link type 105 is not supported/ });
    assert.equal(fake.closed, 1);
    src.destroy();
  });

  it('waits while the interface is absent, says so once, and opens when it appears', (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
    const { fake, src, link, lines } = setup({ state: 'absent' });
    src.open();
    t.mock.timers.tick(1000);
    assert.equal(fake.opens, 0);
    assert.deepEqual(lines, ['waiting for eth9: no such interface']);
    assert.equal(src.linkState, 'absent');
    link.state = 'up';
    t.mock.timers.tick(250);
    assert.equal(fake.opens, 1);
    assert.equal(src.linkState, 'up', 'the metrics endpoint reads the state of the last look');
    link.state = 'down';
    t.mock.timers.tick(250);
    assert.equal(src.linkState, 'down');
    src.destroy();
  });

  it('an interface deleted and created again under the same name (new ifindex) is re-opened, its batches of the next generation', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
    const { fake, src, link, lines } = setup();
    src.open();
    const got: Batch[] = [];
    src.on('data', (b: Batch) => got.push(b));
    fake.deliver(2);
    // What the kernel still holds for the old socket is taken at the close: still the first generation.
    fake.drainQueue.push(fake.batch(1, 2));
    link.ifindex = 8;
    t.mock.timers.tick(250);
    assert.equal(fake.closed, 1, 'the socket bound to the old interface is closed');
    assert.equal(fake.opens, 2);
    assert.ok(lines.some((l) => l === 'capture on eth9 stopped (re-created)'), lines.join('\n'));
    fake.deliver(3, 3);
    link.state = 'down';
    t.mock.timers.tick(250);
    link.state = 'up';
    t.mock.timers.tick(250);
    assert.equal(fake.opens, 3, 'down and up again: a third open');
    fake.deliver(1, 6);
    await new Promise(setImmediate);
    src.destroy();
    assert.deepEqual(
      got.map((b) => [b.generation, b.length, b.format.nanos, b.format.snaplen]),
      [
        [1, 2, true, 262144],
        [1, 1, true, 262144],
        [2, 3, true, 262144],
        [3, 1, true, 262144],
      ],
    );
    assert.ok(got.every((b) => b.format === got[0]!.format), 'one format object for every open');
    assert.deepEqual(got.flatMap(packetsOf).map((p) => p.tsNsec), [0, 1, 2, 3, 4, 5, 6]);
  });

  it('kernel counters are sampled while capturing, so a 32-bit wrap is not lost', (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
    const { fake, src, counters } = setup();
    src.open();
    fake.stats = [2 ** 32 - 10, 5, 1];
    t.mock.timers.tick(250);
    fake.stats = [20, 7, 1]; // received wrapped past 2^32
    t.mock.timers.tick(250);
    src.destroy();
    assert.equal(counters.kernelReceived, 2 ** 32 + 20);
    assert.equal(counters.kernelDropped, 7);
    assert.equal(counters.interfaceDropped, 1);
  });

  it('pauses the ring while the consumer does not read, resumes when it does', () => {
    const { fake, src } = setup();
    src.open();
    // Nobody reads: the queue of 2 batches fills.
    fake.deliver(1);
    fake.deliver(1, 1);
    assert.equal(fake.paused, true);
    src.read();
    assert.equal(fake.paused, false);
    src.destroy();
  });

  it('stop() waits for the last block, takes what the kernel still holds, then ends', async () => {
    const { fake, src, counters } = setup({ timeoutMs: 10 });
    src.open();
    const got: Batch[] = [];
    src.on('data', (b: Batch) => got.push(b));
    fake.deliver(2);
    fake.drainQueue.push(fake.batch(3, 2));
    fake.stats = [5, 0, 0];
    const ended = new Promise((res) => src.on('end', res));
    src.stop();
    await ended;
    assert.equal(packetsIn(got), 5);
    assert.equal(counters.kernelReceived, 5);
    assert.equal(fake.closed, 1);
  });

  it('--count ends the stream after exactly N packets, mid-batch', async () => {
    const { fake, src, counters } = setup({ count: 4, timeoutMs: 0 });
    src.open();
    const got: Batch[] = [];
    src.on('data', (b: Batch) => got.push(b));
    const ended = new Promise((res) => src.on('end', res));
    fake.deliver(3);
    fake.deliver(3, 3);
    await ended;
    assert.equal(packetsIn(got), 4);
    assert.equal(counters.captured, 4);
  });
});

/**
 * MessagePool: a message buffer comes back only once nothing refers to the
 * message sent over it (zeromq.js holds the message object while libzmq sends it).
 * The collector is run by the test (--expose-gc set at run time).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ZMQ_MAX_BATCH_BYTES, ZmqBatchBuilder } from '../../lib/proto/zmq-batch.js';
import { MAX_FREE, MessagePool, REFILL_AT } from '../../lib/sinks/zmq-message-pool.js';
import { youngCollector } from '../../lib/young-collection.js';
import { batchOf, packet } from '../helpers/packets.js';
import { loadAddon } from '../../lib/native/addon.js';

const { zmqAppend } = loadAddon();

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Collects until `pool` has `n` free buffers (FinalizationRegistry callbacks run in a later task), at most ~2 s. */
async function collectUntilFree(pool: MessagePool, n = 1): Promise<boolean> {
  for (let i = 0; i < 40 && pool.freeCount < n; i++) {
    gc();
    await sleep(50);
  }
  return pool.freeCount >= n;
}

/** Lends a view of `buffer` and drops it at once, in a frame of its own so that no local keeps it. */
function lendAndDrop(pool: MessagePool, buffer: Buffer): number {
  return pool.lend(buffer, 100).length;
}

it('a buffer comes back once its message is unreachable, and take() hands it out again', async () => {
  const pool = new MessagePool();
  const buffer = pool.take(4096);
  assert.equal(buffer.length, 4096);
  assert.equal(lendAndDrop(pool, buffer), 100);
  assert.ok(await collectUntilFree(pool), 'given back after a collection');
  assert.equal(pool.take(4096), buffer);
  assert.equal(pool.freeCount, 0);
});

it('a buffer whose message is still referred to (queued for sending) is never handed out', async () => {
  const pool = new MessagePool();
  const buffer = pool.take(4096);
  const queue = [pool.lend(buffer, 100)];
  for (let i = 0; i < 5; i++) {
    gc();
    await sleep(20);
  }
  assert.equal(pool.freeCount, 0);
  const other = pool.take(4096);
  assert.notEqual(other.buffer, buffer.buffer, 'a new buffer while the message may still be sent');
  assert.equal(queue[0]!.buffer, buffer.buffer);
  queue.length = 0;
  assert.ok(await collectUntilFree(pool));
  assert.equal(pool.take(4096), buffer);
});

it(`keeps up to MAX_FREE (${MAX_FREE}) free buffers, more than the messages made between two of V8's own scavenges at the top rate: one more goes to the collector`, async () => {
  const pool = new MessagePool();
  const buffers = Array.from({ length: MAX_FREE + 1 }, () => pool.take(1024));
  for (const b of buffers) lendAndDrop(pool, b);
  buffers.length = 0;
  await collectUntilFree(pool, MAX_FREE);
  gc();
  await sleep(50);
  assert.equal(pool.freeCount, MAX_FREE);
});

/** A pool (with `collectYoung`) holding `n` free buffers of 1024 bytes. */
async function poolWithFree(n: number, collectYoung: (() => void) | null = null): Promise<MessagePool> {
  const pool = new MessagePool(collectYoung);
  const buffers = Array.from({ length: n }, () => pool.take(1024));
  for (const b of buffers) lendAndDrop(pool, b);
  buffers.length = 0;
  await collectUntilFree(pool, n);
  assert.equal(pool.freeCount, n);
  return pool;
}

it('trimUnused lets go of half the free buffers no take() needed since the last call', async () => {
  const pool = await poolWithFree(8);
  pool.trimUnused(); // the first window began with an empty pool: nothing was spare
  assert.equal(pool.freeCount, 8);
  const taken = [pool.take(1024), pool.take(1024)];
  pool.trimUnused(); // 6 were never needed: 3 go
  assert.equal(pool.freeCount, 3);
  const kept = [pool.take(1024), pool.take(1024), pool.take(1024)];
  assert.equal(pool.freeCount, 0);
  const fresh = pool.take(1024);
  assert.ok(![...taken, ...kept].includes(fresh), 'an empty pool makes a new buffer');
});

it('an idle pool empties by halves; a pool drained to empty in the window keeps all it got back', async () => {
  const pool = await poolWithFree(5);
  pool.trimUnused();
  const counts = [];
  for (let i = 0; i < 4; i++) {
    pool.trimUnused();
    counts.push(pool.freeCount);
  }
  assert.deepEqual(counts, [2, 1, 0, 0]);

  const busy = await poolWithFree(4);
  busy.trimUnused();
  const out = Array.from({ length: 5 }, () => busy.take(1024)); // one more than it had
  for (const b of out) lendAndDrop(busy, b);
  out.length = 0;
  await collectUntilFree(busy, 5);
  assert.equal(busy.freeCount, 5);
  busy.trimUnused();
  assert.equal(busy.freeCount, 5, 'all were needed');
});

it('a buffer of another size is not handed out for a take()', async () => {
  const pool = new MessagePool();
  lendAndDrop(pool, pool.take(100));
  assert.ok(await collectUntilFree(pool));
  assert.equal(pool.take(200).length, 200);
});

it('the batch builder sends full messages over pooled buffers, and a given-back one carries the next message byte for byte', async () => {
  const pool = new MessagePool();
  const pooled = new ZmqBatchBuilder(7, Buffer.alloc(16, 1), zmqAppend, ZMQ_MAX_BATCH_BYTES, pool);
  const fresh = new ZmqBatchBuilder(7, Buffer.alloc(16, 1), zmqAppend);
  const frame = Buffer.alloc(1400);
  frame.writeUInt16BE(0x0800, 12);
  /** A message of 400 IPv4 frames whose payload bytes are `tag` (over half the buffer: lent, not copied). */
  const build = (builder: ZmqBatchBuilder, tag: number): Buffer => {
    const batch = batchOf(Array.from({ length: 400 }, (_, i) => packet(1700000000, i, 1400, 1400, Buffer.from(frame).fill(tag, 14), 1)));
    batch.direction.fill(1);
    assert.equal(builder.add(batch), batch.length);
    return builder.finish();
  };
  /** Builds a message and drops it: only its memory is kept. */
  const sendAndDrop = (tag: number): ArrayBufferLike => build(pooled, tag).buffer;
  const first = sendAndDrop(1);
  assert.ok(await collectUntilFree(pool));
  // The builder took its next buffer when it lent the first; the one after that is the first again.
  const second = build(pooled, 2);
  assert.notEqual(second.buffer, first);
  const third = build(pooled, 3);
  assert.equal(third.buffer, first, 'the given-back buffer carries the next message');
  assert.deepEqual(third, build(fresh, 3));
  assert.deepEqual(second, build(fresh, 2), 'the message still out is untouched');
});

it(`asks for a scavenge when fewer than REFILL_AT (${REFILL_AT}) buffers are free, at most once per REFILL_AT takes`, async () => {
  let collections = 0;
  const pool = new MessagePool(() => collections++);
  for (let i = 0; i < 3 * REFILL_AT + 1; i++) pool.take(1024);
  assert.equal(collections, 3);
});

it('does not ask while REFILL_AT or more buffers are free', async () => {
  let collections = 0;
  const counting = await poolWithFree(2 * REFILL_AT, () => collections++);
  collections = 0; // those the filling asked for
  for (let i = 0; i < REFILL_AT; i++) counting.take(1024); // REFILL_AT takes, REFILL_AT left free
  assert.equal(collections, 0);
  counting.take(1024);
  assert.equal(collections, 1, 'one fewer free: now it asks');
});

it('a scavenge alone brings back the buffers whose messages are gone, before the pool runs dry', async () => {
  const collectYoung = youngCollector();
  assert.ok(collectYoung, 'this Node offers a collection on demand');
  const pool = new MessagePool(collectYoung);
  const buffers = Array.from({ length: REFILL_AT }, () => pool.take(1024)); // the last take asks for one: too early
  for (const b of buffers) lendAndDrop(pool, b);
  buffers.length = 0;
  for (let i = 0; i < REFILL_AT; i++) pool.take(1024); // asks again, now that the views are dead
  await sleep(10); // the registry's callbacks run in a later task
  assert.equal(pool.freeCount, REFILL_AT);
});

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
import { MessagePool } from '../../lib/sinks/zmq-message-pool.js';
import { batchOf, packet } from '../helpers/packets.js';
import { loadAddon } from '../../lib/native/addon.js';

const { zmqAppend } = loadAddon();

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Collects until `pool` has a free buffer (FinalizationRegistry callbacks run in a later task), at most ~2 s. */
async function collectUntilFree(pool: MessagePool): Promise<boolean> {
  for (let i = 0; i < 40 && pool.freeCount === 0; i++) {
    gc();
    await sleep(50);
  }
  return pool.freeCount > 0;
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

it('keeps up to 64 free buffers, more than a second of messages at the top rate measured: the 65th goes to the collector', async () => {
  const pool = new MessagePool();
  const buffers = Array.from({ length: 65 }, () => pool.take(1024));
  for (const b of buffers) lendAndDrop(pool, b);
  for (let i = 0; i < 40 && pool.freeCount < 64; i++) {
    gc();
    await sleep(50);
  }
  gc();
  await sleep(50);
  assert.equal(pool.freeCount, 64);
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

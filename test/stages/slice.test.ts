import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LINKTYPE_ETHERNET, type PacketBatch } from '../../lib/packet.js';
import { makeSliceFn, sliceBatch } from '../../lib/stages/slice.js';
import { batchOf, packet } from '../helpers/packets.js';

function packets(...caplens: number[]): PacketBatch {
  return batchOf(caplens.map((c) => packet(1, 0, c, c + 1000, Buffer.alloc(c), LINKTYPE_ETHERNET)));
}

const lengths = (batch: PacketBatch): number[][] => Array.from({ length: batch.length }, (_, i) => [batch.caplen[i]!, batch.wirelen[i]!]);

describe('sliceBatch', () => {
  it('cuts caplen to n, keeps wirelen and the data buffer', () => {
    const batch = packets(100, 64, 63, 0);
    const buffers = [...batch.data];
    const offsets = [...batch.offset.subarray(0, batch.length)];
    sliceBatch(batch, 64);
    assert.deepEqual(lengths(batch), [[64, 1100], [64, 1064], [63, 1063], [0, 1000]]);
    assert.equal(batch.data.length, buffers.length);
    buffers.forEach((b, i) => assert.equal(batch.data[i], b));
    assert.deepEqual([...batch.offset.subarray(0, batch.length)], offsets);
    assert.deepEqual(batch.data.map((d) => d.length), [100, 64, 63, 0]);
  });

  it('n <= 0 changes nothing', () => {
    for (const n of [0, -1]) {
      const batch = packets(100, 1);
      sliceBatch(batch, n);
      assert.deepEqual(lengths(batch), [[100, 1100], [1, 1001]]);
    }
  });
});

describe('makeSliceFn', () => {
  it('n > 0 slices every packet of the batch', () => {
    const batch = packets(1514, 60, 200);
    makeSliceFn(96)(batch);
    assert.deepEqual(lengths(batch), [[96, 2514], [60, 1060], [96, 1200]]);
  });

  it('n <= 0 is a no-op', () => {
    const batch = packets(1514);
    makeSliceFn(0)(batch);
    makeSliceFn(-5)(batch);
    assert.deepEqual(lengths(batch), [[1514, 2514]]);
  });

  it('slicing twice keeps the smaller cut', () => {
    const batch = packets(1514);
    makeSliceFn(128)(batch);
    makeSliceFn(256)(batch);
    assert.deepEqual(lengths(batch), [[128, 2514]]);
  });
});

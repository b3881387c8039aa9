import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CorruptError } from '../../lib/errors.js';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, PacketBatch } from '../../lib/packet.js';
import { readCaptureBatch } from '../../lib/proto/capture-batch.js';
import { captureBatchLayout, writeCaptureBatch } from '../helpers/capture-batch.js';
import { batchOf, packet, packetsOf } from '../helpers/packets.js';

const LAYOUT = captureBatchLayout(4096, 16);
const frame = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);
const PACKETS = [
  packet(1700000000, 0, 60, 60, frame(60, 1)),
  packet(1700000000, 999_999_999, 40, 1514, frame(40, 2)),
  packet(1700000001, 5, 1, 1, frame(1, 3)),
];

describe('readCaptureBatch', () => {
  it('adds every packet: columns copied, frames read in place at their offsets, link-layer fields unset', () => {
    const buffer = writeCaptureBatch(LAYOUT, PACKETS);
    const out = new PacketBatch(1);
    assert.equal(readCaptureBatch(buffer, LAYOUT, out, LINKTYPE_ETHERNET), 3);
    assert.deepEqual(packetsOf(out), PACKETS);
    for (let i = 0; i < out.length; i++) assert.equal(out.data[i], buffer, 'the frames stay in the batch buffer');
    assert.equal(out.offset[0], 8, 'after the filler, not at 0');
  });

  it('appends after the packets a batch holds, with the link type given', () => {
    const out = batchOf([packet(1, 2, 3, 3, frame(3, 9))]);
    readCaptureBatch(writeCaptureBatch(LAYOUT, PACKETS), LAYOUT, out, LINKTYPE_LINUX_SLL);
    assert.equal(out.length, 4);
    assert.deepEqual(packetsOf(out).slice(1), PACKETS.map((p) => ({ ...p, linktype: LINKTYPE_LINUX_SLL })));
    assert.deepEqual(packetsOf(out)[0]!.data, frame(3, 9));
  });

  it('an empty batch adds nothing; a recycled batch is refilled from the start', () => {
    const out = new PacketBatch(2);
    assert.equal(readCaptureBatch(writeCaptureBatch(LAYOUT, []), LAYOUT, out, LINKTYPE_ETHERNET), 0);
    assert.equal(out.length, 0);
    readCaptureBatch(writeCaptureBatch(LAYOUT, PACKETS), LAYOUT, out, LINKTYPE_ETHERNET);
    out.truncate(0);
    readCaptureBatch(writeCaptureBatch(LAYOUT, PACKETS.slice(2)), LAYOUT, out, LINKTYPE_ETHERNET);
    assert.deepEqual(packetsOf(out), PACKETS.slice(2));
  });

  it('refuses, with CorruptError and nothing added, a buffer of another length, too many packets, a frame outside the frames area', () => {
    const out = new PacketBatch();
    assert.throws(() => readCaptureBatch(Buffer.alloc(LAYOUT.bytes - 8), LAYOUT, out, 1), (e: unknown) => e instanceof CorruptError && /capture batch of \d+ bytes/.test(e.message));
    const tooMany = writeCaptureBatch(LAYOUT, []);
    new Uint32Array(tooMany.buffer, tooMany.byteOffset + LAYOUT.countAt, 1)[0] = LAYOUT.packetsMax + 1;
    assert.throws(() => readCaptureBatch(tooMany, LAYOUT, out, 1), /capture batch of 17 packets, at most 16/);
    const outside = writeCaptureBatch(LAYOUT, PACKETS);
    new Uint32Array(outside.buffer, outside.byteOffset + LAYOUT.caplenAt, 3)[2] = LAYOUT.countAt;
    assert.throws(() => readCaptureBatch(outside, LAYOUT, out, 1), /capture batch frame 2 outside the frames area/);
    assert.equal(out.length, 0);
  });
});

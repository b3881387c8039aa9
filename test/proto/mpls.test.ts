import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DIR_IN, DIR_NONE, DIR_OUT, DIR_UNKNOWN } from '../../lib/packet.js';
import {
  ETHERTYPE_MPLS,
  MPLS_ENTRY_LEN,
  mplsBottomOfStack,
  mplsDirection,
  mplsEntry,
  mplsServiceTag,
} from '../../lib/proto/mpls.js';
import { hex } from '../helpers/hex.js';

function wire(entry: number): Buffer {
  const b = Buffer.alloc(MPLS_ENTRY_LEN);
  b.writeUInt32BE(entry);
  return b;
}

describe('MPLS label stack entry (spec §5.4)', () => {
  it('constants', () => {
    assert.equal(ETHERTYPE_MPLS, 0x8847);
    assert.equal(MPLS_ENTRY_LEN, 4);
  });

  it('keybit 12 with direction 0, 1, 2', () => {
    assert.ok(wire(mplsEntry(DIR_NONE, 12)).equals(hex('80 00 c1 ff   # magic | dir 0 | tag 0x00c | S | TTL 255')));
    assert.ok(wire(mplsEntry(DIR_IN, 12)).equals(hex('88 00 c1 ff   # dir 1 in label bits 18..15')));
    assert.ok(wire(mplsEntry(DIR_OUT, 12)).equals(hex('90 00 c1 ff   # dir 2')));
  });

  it('default keybit 0xFFFFFFFF keeps only the low 12 bits', () => {
    assert.ok(wire(mplsEntry(DIR_NONE, 0xffffffff)).equals(hex('80 ff f1 ff   # tag 0xfff')));
  });

  it('keybit 0x123, direction 2', () => {
    assert.ok(wire(mplsEntry(DIR_OUT, 0x123)).equals(hex('90 12 31 ff')));
  });

  it("the reference's unit test: direction 1, tag 12 is native-order 4290838664", () => {
    const b = wire(mplsEntry(DIR_IN, 12));
    assert.equal(b.readUInt32LE(0), 4290838664);
  });

  it('direction −1 would be 0xF', () => {
    assert.ok(wire(mplsEntry(DIR_UNKNOWN, 12)).equals(hex('f8 00 c1 ff')));
  });

  it('decode helpers invert mplsEntry', () => {
    for (let dir = 0; dir < 16; dir++) {
      for (const tag of [0, 1, 12, 0x123, 0x800, 0xfff]) {
        const entry = mplsEntry(dir, tag);
        assert.equal(mplsDirection(entry), dir);
        assert.equal(mplsServiceTag(entry), tag);
        assert.ok(mplsBottomOfStack(entry));
        assert.equal(entry >>> 31, 1, 'magic bit');
        assert.equal(entry & 0xff, 0xff, 'TTL');
      }
    }
    assert.equal(mplsDirection(mplsEntry(DIR_UNKNOWN, 0)), 0xf);
    assert.ok(!mplsBottomOfStack(0x8000c0ff));
  });
});

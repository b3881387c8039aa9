import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capacityFor, DIR_IN, DIR_NONE, DIR_OUT, DIR_UNKNOWN, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, FrameCopier, PacketBatch, UNKNOWN_FORMAT } from '../lib/packet.js';
import { packetsOf, type TestPacket } from './helpers/packets.js';

/** One shared buffer of distinct bytes: packet k's frame is k + 3 bytes at offset 7 * k. */
const SHARED = Buffer.from(Array.from({ length: 4096 }, (_, j) => (j * 31 + 7) & 0xff));

/** Adds packet k with a distinct value in every column, each near its type's limits. */
function addDistinct(b: PacketBatch, k: number): number {
  const i = b.add(SHARED, 7 * k, k + 3, 1000 + k, 2 ** 32 + k, 999_999_000 + k, k % 2 ? LINKTYPE_LINUX_SLL2 : LINKTYPE_ETHERNET);
  b.direction[i] = [DIR_UNKNOWN, DIR_NONE, DIR_IN, DIR_OUT][k % 4]!;
  b.vlanOuter[i] = 4095 - k;
  b.vlanInner[i] = k % 3 ? k : -1;
  b.l3Offset[i] = k % 5 ? 14 + k : -1;
  b.etherType[i] = 0x86dd - k;
  return i;
}

/** What addDistinct(k) should read back as. */
function distinct(k: number): TestPacket {
  return {
    tsSec: 2 ** 32 + k,
    tsNsec: 999_999_000 + k,
    caplen: k + 3,
    wirelen: 1000 + k,
    data: SHARED.subarray(7 * k, 7 * k + k + 3),
    linktype: k % 2 ? LINKTYPE_LINUX_SLL2 : LINKTYPE_ETHERNET,
    direction: [DIR_UNKNOWN, DIR_NONE, DIR_IN, DIR_OUT][k % 4]!,
    vlanOuter: 4095 - k,
    vlanInner: k % 3 ? k : -1,
    l3Offset: k % 5 ? 14 + k : -1,
    etherType: 0x86dd - k,
  };
}

/** Slots of b.data past the batch's length that still hold a buffer with bytes (truncate must let go of them). */
function heldPastEnd(b: PacketBatch): number {
  return b.data.slice(b.length).filter((d) => d.length > 0).length;
}

/** Every column of packet i, offset and buffer included. */
function row(b: PacketBatch, i: number): unknown[] {
  return [b.data[i], b.offset[i], b.caplen[i], b.wirelen[i], b.tsSec[i], b.tsNsec[i], b.linktype[i], b.direction[i], b.vlanOuter[i], b.vlanInner[i], b.l3Offset[i], b.etherType[i]];
}

describe('PacketBatch', () => {
  it('add: returns the index, sets the given fields and the defaults; frame(i) views the buffer', () => {
    const b = new PacketBatch(4);
    assert.equal(b.length, 0);
    const buf = Buffer.from('00112233445566778899', 'hex');
    assert.equal(b.add(buf, 2, 5, 60, 1_700_000_000, 123, LINKTYPE_ETHERNET), 0);
    assert.equal(b.add(buf, 0, 0, 0, 0, 0, LINKTYPE_LINUX_SLL2), 1);
    assert.equal(b.length, 2);
    assert.deepEqual(row(b, 0), [buf, 2, 5, 60, 1_700_000_000, 123, LINKTYPE_ETHERNET, DIR_NONE, -1, -1, -1, 0]);
    const f = b.frame(0);
    assert.ok(f.equals(Buffer.from('2233445566', 'hex')));
    assert.equal(f.buffer, buf.buffer, 'a view, not a copy');
    assert.equal(f.byteOffset, buf.byteOffset + 2);
    assert.equal(b.frame(1).length, 0);
    assert.equal(b.bytes(), 5);
    assert.equal(new PacketBatch().bytes(), 0);
  });

  it('runEnd: where the run of packets whose frames lie in one buffer ends', () => {
    const one = Buffer.alloc(10);
    const two = Buffer.alloc(10);
    const b = new PacketBatch(6);
    for (const d of [one, one, two, one, one, one]) b.add(d, 0, 1, 1, 0, 0, LINKTYPE_ETHERNET);
    assert.deepEqual([0, 1, 2, 3, 5].map((i) => b.runEnd(i)), [2, 2, 3, 6, 6]);
  });

  it('add after a reused index resets direction, VLANs, l3Offset and etherType', () => {
    const b = new PacketBatch(2);
    addDistinct(b, 1);
    b.truncate(0);
    b.add(SHARED, 0, 1, 1, 0, 0, LINKTYPE_ETHERNET);
    assert.deepEqual([b.direction[0], b.vlanOuter[0], b.vlanInner[0], b.l3Offset[0], b.etherType[0]], [DIR_NONE, -1, -1, -1, 0]);
  });

  it('grows past its capacity keeping every column of every packet', () => {
    for (const capacity of [0, 1, 3, 64]) {
      const b = new PacketBatch(capacity);
      for (let k = 0; k < 200; k++) assert.equal(addDistinct(b, k), k);
      assert.equal(b.length, 200);
      assert.ok(b.offset.length >= 200 && b.etherType.length >= 200);
      assert.deepEqual(packetsOf(b), Array.from({ length: 200 }, (_, k) => distinct(k)), `capacity ${capacity}`);
      for (let k = 0; k < 200; k++) {
        assert.equal(b.data[k], SHARED);
        assert.equal(b.offset[k], 7 * k);
      }
      assert.equal(b.bytes(), Array.from({ length: 200 }, (_, k) => k + 3).reduce((x, y) => x + y));
    }
  });

  it('reserve keeps values written past the length; addDecoded makes them packets with add()\'s defaults, in a fresh or a recycled batch', () => {
    for (const recycled of [false, true]) {
      const b = new PacketBatch(2);
      if (recycled) {
        // Slots of data past the length already exist: a batch given back and emptied.
        for (let k = 0; k < 40; k++) addDistinct(b, k);
        b.direction.fill(DIR_OUT);
        b.truncate(0);
      }
      addDistinct(b, 0);
      const other = Buffer.alloc(10);
      for (let i = 1; i <= 20; i++) {
        b.reserve(i + 1);
        // Written as a decoder writes them: straight into the columns, read again after reserve.
        b.offset[i] = i;
        b.caplen[i] = 2;
        b.wirelen[i] = 60 + i;
        b.tsSec[i] = 1_700_000_000 + i;
        b.tsNsec[i] = i * 1000;
      }
      assert.ok(b.offset.length >= 21 && b.etherType.length >= 21, 'reserve made room for every column');
      b.addDecoded(21, other, LINKTYPE_LINUX_SLL2);
      assert.equal(b.length, 21);
      assert.deepEqual(packetsOf(b).slice(0, 1), [distinct(0)], 'the packet before is kept');
      for (let i = 1; i <= 20; i++) {
        assert.deepEqual(row(b, i), [other, i, 2, 60 + i, 1_700_000_000 + i, i * 1000, LINKTYPE_LINUX_SLL2, DIR_NONE, -1, -1, -1, 0], `packet ${i}`);
      }
      b.addDecoded(21, SHARED, LINKTYPE_ETHERNET);
      assert.equal(b.length, 21, 'an empty run adds nothing');
      assert.equal(heldPastEnd(b), 0, recycled ? 'no buffer held past the end' : 'fresh');
    }
  });

  it('retain keeps the chosen packets in order with all their columns, asks about each once in order', () => {
    const b = new PacketBatch(2);
    for (let k = 0; k < 50; k++) addDistinct(b, k);
    const asked: number[] = [];
    const removed = b.retain((i) => {
      asked.push(i);
      return i % 3 === 1 || i === 0 || i === 49;
    });
    assert.deepEqual(asked, Array.from({ length: 50 }, (_, i) => i));
    const kept = Array.from({ length: 50 }, (_, k) => k).filter((k) => k % 3 === 1 || k === 0 || k === 49);
    assert.equal(removed, 50 - kept.length);
    assert.equal(b.length, kept.length);
    assert.equal(heldPastEnd(b), 0, 'no buffer is held past the end');
    assert.deepEqual(packetsOf(b), kept.map(distinct));
    kept.forEach((k, i) => assert.equal(b.offset[i], 7 * k));

    assert.equal(b.retain(() => true), 0);
    assert.deepEqual(packetsOf(b), kept.map(distinct));
    assert.equal(b.retain(() => false), kept.length);
    assert.equal(b.length, 0);
    assert.equal(heldPastEnd(b), 0);
    assert.equal(addDistinct(b, 5), 0, 'usable after emptying');
    assert.deepEqual(packetsOf(b), [distinct(5)]);
  });

  it('truncate keeps the first n packets; n at or above the length changes nothing', () => {
    const b = new PacketBatch();
    for (let k = 0; k < 10; k++) addDistinct(b, k);
    b.truncate(10);
    b.truncate(20);
    assert.equal(b.length, 10);
    b.truncate(4);
    assert.equal(b.length, 4);
    assert.equal(heldPastEnd(b), 0);
    assert.deepEqual(packetsOf(b), [0, 1, 2, 3].map(distinct));
    assert.equal(b.bytes(), 3 + 4 + 5 + 6);
    b.truncate(0);
    assert.deepEqual([b.length, b.bytes(), heldPastEnd(b)], [0, 0, 0]);
  });

  it('truncate(0) keeps the slots of data, without their buffers: a recycled batch is refilled in place', () => {
    const b = new PacketBatch(4);
    for (let k = 0; k < 100; k++) addDistinct(b, k);
    const data = b.data;
    b.truncate(0);
    assert.equal(data.length, 100, 'the slots stay');
    assert.equal(heldPastEnd(b), 0);
    for (let k = 0; k < 30; k++) addDistinct(b, k);
    assert.equal(b.data, data);
    assert.deepEqual(packetsOf(b), Array.from({ length: 30 }, (_, k) => distinct(k)));
    assert.equal(heldPastEnd(b), 0);
  });

  it('slice: packets [start, end) in a new batch that shares the bytes but not the columns', () => {
    const bytes = Buffer.from(SHARED);
    const b = new PacketBatch(1);
    for (let k = 0; k < 10; k++) {
      addDistinct(b, k);
      b.data[k] = bytes;
    }
    const s = b.slice(3, 7);
    assert.equal(s.length, 4);
    assert.deepEqual(
      Array.from({ length: 4 }, (_, i) => row(s, i)),
      [3, 4, 5, 6].map((k) => row(b, k)),
    );
    // The bytes are shared ...
    assert.equal(s.data[0], bytes);
    bytes[7 * 3] = (bytes[7 * 3]! + 1) & 0xff;
    assert.equal(s.frame(0)[0], bytes[7 * 3]);
    // ... the columns and the buffer list are not.
    assert.notEqual(s.data, b.data);
    s.caplen[0] = 1;
    s.direction[1] = DIR_IN;
    s.data[2] = SHARED;
    b.vlanOuter[6] = 1;
    assert.equal(b.caplen[3], 6);
    assert.equal(b.direction[4], distinct(4).direction);
    assert.equal(b.data[5], bytes);
    assert.equal(s.vlanOuter[3], distinct(6).vlanOuter);
    // Appending to the slice leaves the original alone.
    s.add(SHARED, 0, 1, 1, 0, 0, LINKTYPE_ETHERNET);
    assert.deepEqual([s.length, b.length], [5, 10]);

    assert.deepEqual(packetsOf(b.slice()), packetsOf(b), 'all by default');
    assert.deepEqual(packetsOf(b.slice(8)), packetsOf(b).slice(8));
    assert.deepEqual(packetsOf(b.slice(-5, 100)), packetsOf(b), 'clamped');
    assert.equal(b.slice(7, 3).length, 0);
    assert.equal(b.slice(10).length, 0);
    const empty = b.slice(4, 4);
    assert.equal(addDistinct(empty, 1), 0, 'an empty slice can grow');
  });

  it('the format and generation are the batch\'s: a slice shares the format object, growing and removing packets keep both', () => {
    const format = Object.freeze({ nanos: true, snaplen: 96 });
    const b = new PacketBatch(1);
    assert.deepEqual([b.format, b.generation], [UNKNOWN_FORMAT, 0], 'a batch no source stamped');
    b.format = format;
    b.generation = 3;
    for (let k = 0; k < 10; k++) addDistinct(b, k);
    b.retain((i) => i % 2 === 0);
    b.truncate(4);
    for (const s of [b, b.slice(1, 3), b.slice(), b.slice(4)]) {
      assert.equal(s.format, format);
      assert.equal(s.generation, 3);
    }
  });
});

describe('PacketBatch owner: hold and done', () => {
  /** An owner that records what came back. */
  const owner = (): { back: PacketBatch[]; recycle(b: PacketBatch): void } => {
    const back: PacketBatch[] = [];
    return { back, recycle: (b) => back.push(b) };
  };

  it('goes back to its owner once, after the last of its holders is done, not before', () => {
    const o = owner();
    const b = new PacketBatch(4);
    addDistinct(b, 0);
    b.owner = o;
    b.hold();
    b.hold();
    b.done();
    assert.deepEqual(o.back, [], 'one holder still reads it');
    b.done();
    assert.deepEqual(o.back, [b]);
    assert.equal(b.owner, null);
    b.hold();
    b.done();
    assert.equal(o.back.length, 1, 'given back once: the owner sets itself again when it hands the batch out anew');
  });

  it('done is a callback (a write callback passes an error: ignored); a slice has no owner; without an owner nothing happens', () => {
    const o = owner();
    const b = new PacketBatch(4);
    addDistinct(b, 1);
    b.owner = o;
    assert.equal(b.slice().owner, null);
    b.hold();
    const callback: (e?: Error | null) => void = b.done;
    callback(new Error('sink destroyed'));
    assert.deepEqual(o.back, [b]);
    const orphan = new PacketBatch(1);
    orphan.hold();
    orphan.done();
  });
});

describe('FrameCopier', () => {
  /** A source that is a view at a non-zero offset of a larger buffer, as a capture chunk's frames are. */
  const backing = Buffer.from(Array.from({ length: 3000 }, (_, j) => (j * 13 + 1) & 0xff));
  const src = backing.subarray(100, 2900);

  // 128 and below: 4 bytes at a time, then the rest byte by byte; above: one view.
  for (const n of [0, 1, 3, 4, 5, 60, 127, 128, 129, 200, 1514]) {
    it(`${n} bytes: exactly src[from, from + n) lands at out[at ..]`, () => {
      for (const [from, at] of [[33, 17], [0, 0], [2, 1]] as const) {
        const out = Buffer.alloc(n + 40, 0xee);
        const c = new FrameCopier(out);
        c.copy(src, from, at, n);
        assert.ok(out.subarray(at, at + n).equals(backing.subarray(100 + from, 100 + from + n)), `from ${from} at ${at}`);
        assert.ok(out.subarray(0, at).every((x) => x === 0xee), 'nothing before');
        assert.ok(out.subarray(at + n).every((x) => x === 0xee), 'nothing after');
      }
    });
  }

  it('into an output view at a non-zero offset, and into a new output after setOutput', () => {
    for (const n of [50, 500]) {
      const big = Buffer.alloc(1000, 0);
      const c = new FrameCopier(big.subarray(200, 900));
      c.copy(src, 1, 3, n);
      assert.ok(big.subarray(203, 203 + n).equals(src.subarray(1, 1 + n)));
      assert.equal(big[202], 0);
      assert.equal(big[203 + n], 0);

      const next = Buffer.alloc(n + 10, 0);
      c.setOutput(next);
      c.copy(src, 7, 2, n);
      assert.ok(next.subarray(2, 2 + n).equals(src.subarray(7, 7 + n)));
      assert.ok(big.subarray(203, 203 + n).equals(src.subarray(1, 1 + n)), 'the old output is left alone');
    }
  });

  it('alternating sources: each copy reads its own source', () => {
    const a = Buffer.alloc(300, 0xaa);
    const b = Buffer.from(src.subarray(0, 300));
    const out = Buffer.alloc(600);
    const c = new FrameCopier(out);
    c.copy(a, 0, 0, 10);
    c.copy(b, 0, 10, 10);
    c.copy(a, 5, 20, 10);
    c.copy(b, 290, 30, 10);
    assert.ok(out.subarray(0, 40).equals(Buffer.concat([a.subarray(0, 10), b.subarray(0, 10), a.subarray(5, 15), b.subarray(290, 300)])));
  });

  it('view(src) is a DataView of src kept until another source or release()', () => {
    const c = new FrameCopier(Buffer.alloc(8));
    const v = c.view(src);
    assert.deepEqual([v.buffer, v.byteOffset, v.byteLength], [src.buffer, src.byteOffset, src.length]);
    assert.equal(v.getUint8(0), src[0]);
    assert.equal(c.view(src), v);
    const other = Buffer.alloc(4);
    assert.notEqual(c.view(other), v);
    const again = c.view(src);
    assert.notEqual(again, v, 'another source came between: a fresh view');
    assert.equal(c.view(src), again);
    c.release();
    assert.notEqual(c.view(src), again, 'released: a fresh view');
  });
});

describe('capacityFor', () => {
  it('one packet per minimal record (60-byte frame + 16-byte header)', () => {
    assert.deepEqual([capacityFor(0), capacityFor(1), capacityFor(76), capacityFor(77), capacityFor(76 * 1000)], [0, 1, 1, 2, 1000]);
  });
});

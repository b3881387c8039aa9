import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CorruptError, TruncatedError, isDecodeError } from '../../lib/errors.js';
import { Packet } from '../../lib/packet.js';
import {
  FILE_HEADER_LEN,
  MAGIC_NSEC,
  MAGIC_USEC,
  PcapRecordEncoder,
  RECORD_HEADER_LEN,
  decodeFileHeader,
  encodeFileHeader,
} from '../../lib/proto/pcap.js';
import { seededRandom } from '../helpers/capture-files.js';
import { hex } from '../helpers/hex.js';

describe('pcap constants', () => {
  it('match the savefile format', () => {
    assert.equal(MAGIC_USEC, 0xa1b2c3d4);
    assert.equal(MAGIC_NSEC, 0xa1b23c4d);
    assert.equal(FILE_HEADER_LEN, 24);
    assert.equal(RECORD_HEADER_LEN, 16);
  });
});

describe('decodeFileHeader', () => {
  const golden: [string, Buffer, ReturnType<typeof decodeFileHeader>][] = [
    [
      'µs little-endian',
      hex(`d4c3b2a1 # magic a1b2c3d4 LE: µs
           0200 0400 # version 2.4
           00000000  # thiszone
           00000000  # sigfigs
           ffff0000  # snaplen 65535
           01000000  # linktype 1 (Ethernet)`),
      { littleEndian: true, nanos: false, versionMajor: 2, versionMinor: 4, snaplen: 65535, linktype: 1 },
    ],
    [
      'µs big-endian',
      hex(`a1b2c3d4 # magic BE: µs
           0002 0004 # version 2.4
           00000000  # thiszone
           00000000  # sigfigs
           000005ee  # snaplen 1518
           00000071  # linktype 113 (Linux SLL)`),
      { littleEndian: false, nanos: false, versionMajor: 2, versionMinor: 4, snaplen: 1518, linktype: 113 },
    ],
    [
      'ns little-endian',
      hex(`4d3cb2a1 # magic a1b23c4d LE: ns
           0200 0400 # version 2.4
           00000000  # thiszone
           00000000  # sigfigs
           00000400  # snaplen 262144
           01000000  # linktype 1`),
      { littleEndian: true, nanos: true, versionMajor: 2, versionMinor: 4, snaplen: 262144, linktype: 1 },
    ],
    [
      'ns big-endian',
      hex(`a1b23c4d # magic BE: ns
           0002 0003 # version 2.3
           00000000  # thiszone
           00000000  # sigfigs
           00000040  # snaplen 64
           00000001  # linktype 1`),
      { littleEndian: false, nanos: true, versionMajor: 2, versionMinor: 3, snaplen: 64, linktype: 1 },
    ],
  ];
  for (const [name, bytes, want] of golden) {
    it(`decodes golden ${name}`, () => {
      assert.equal(bytes.length, FILE_HEADER_LEN);
      assert.deepEqual(decodeFileHeader(bytes), want);
    });
  }

  it('decodes at an offset', () => {
    const bytes = Buffer.concat([Buffer.alloc(5, 0xee), golden[1]![1]]);
    assert.deepEqual(decodeFileHeader(bytes, 5), golden[1]![2]);
  });

  it('throws TruncatedError on a short buffer, with offset and lengths', () => {
    for (let len = 0; len < FILE_HEADER_LEN; len++) {
      assert.throws(
        () => decodeFileHeader(golden[0]![1].subarray(0, len)),
        (e: unknown) => e instanceof TruncatedError && e.offset === 0 && e.needed === 24 && e.available === len,
      );
    }
    // An offset past the end is short too, not a RangeError.
    assert.throws(() => decodeFileHeader(golden[0]![1], 100), TruncatedError);
  });

  it('throws CorruptError on an unknown magic', () => {
    const bytes = Buffer.from(golden[0]![1]);
    bytes.writeUInt32BE(0x0a0d0d0a, 0);
    assert.throws(() => decodeFileHeader(bytes), (e: unknown) => e instanceof CorruptError && /magic 0x0a0d0d0a/.test(e.message));
  });

  it('never throws anything but a typed error on random input', () => {
    const rnd = seededRandom(1);
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.alloc(Math.floor(rnd() * 40));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
      // Every fourth input gets a valid magic so the field reads run too.
      if (i % 4 === 0 && b.length >= 4) b.writeUInt32LE([MAGIC_USEC, MAGIC_NSEC][i % 8 === 0 ? 0 : 1]!, 0);
      try {
        const h = decodeFileHeader(b, Math.floor(rnd() * 3));
        assert.equal(typeof h.snaplen, 'number');
      } catch (e) {
        assert.ok(isDecodeError(e), `unexpected ${String(e)}`);
      }
    }
  });
});

describe('encodeFileHeader', () => {
  it('writes golden µs and ns headers', () => {
    assert.ok(
      encodeFileHeader({ nanos: false, snaplen: 65535, linktype: 1 }).equals(
        hex(`d4c3b2a1 # magic µs, LE
             0200 0400 # version 2.4
             00000000  # thiszone 0
             00000000  # sigfigs 0
             ffff0000  # snaplen 65535
             01000000  # linktype 1`),
      ),
    );
    assert.ok(
      encodeFileHeader({ nanos: true, snaplen: 1518, linktype: 113 }).equals(
        hex(`4d3cb2a1 # magic ns, LE
             0200 0400 # version 2.4
             00000000  # thiszone 0
             00000000  # sigfigs 0
             ee050000  # snaplen 1518
             71000000  # linktype 113`),
      ),
    );
  });

  it('round-trips through decodeFileHeader', () => {
    for (const nanos of [false, true]) {
      const h = decodeFileHeader(encodeFileHeader({ nanos, snaplen: 9000, linktype: 113 }));
      assert.deepEqual(h, { littleEndian: true, nanos, versionMajor: 2, versionMinor: 4, snaplen: 9000, linktype: 113 });
    }
  });
});

describe('PcapRecordEncoder', () => {
  const batch = (): Packet[] => [
    new Packet(0x5b2a2573, 58_123_456, 4, 60, Buffer.from('01020304', 'hex'), 1),
    // caplen 2 of a 5-byte view: only two bytes are written.
    new Packet(0x5b2a2574, 999_999_999, 2, 1514, Buffer.from('aabbccddee', 'hex'), 1),
  ];

  it('writes golden µs records', () => {
    const want = hex(`
      73252a5b  # ts_sec 0x5b2a2573
      0be30000  # ts_usec 58123 (58123456 ns floored)
      04000000  # incl_len 4
      3c000000  # orig_len 60
      01020304  # data
      74252a5b  # ts_sec 0x5b2a2574
      3f420f00  # ts_usec 999999
      02000000  # incl_len 2
      ea050000  # orig_len 1514
      aabb      # data[0..2)`);
    assert.ok(new PcapRecordEncoder(false).encode(batch()).equals(want));
  });

  it('writes golden ns records', () => {
    const want = hex(`
      73252a5b  # ts_sec
      c0e47603  # ts_nsec 58123456
      04000000  # incl_len 4
      3c000000  # orig_len 60
      01020304  # data
      74252a5b  # ts_sec
      ffc99a3b  # ts_nsec 999999999
      02000000  # incl_len 2
      ea050000  # orig_len 1514
      aabb      # data`);
    assert.ok(new PcapRecordEncoder(true).encode(batch()).equals(want));
  });

  it('wraps seconds past 2106 instead of throwing, like gopacket', () => {
    const out = new PcapRecordEncoder(false).encode([new Packet(2 ** 32 + 5, 0, 1, 1, Buffer.alloc(1), 1)]);
    assert.equal(out.readUInt32LE(0), 5);
  });

  it('encodes an empty batch to nothing', () => {
    assert.equal(new PcapRecordEncoder(false).encode([]).length, 0);
  });

  it('grows past its initial buffer and keeps encoding correctly', () => {
    const enc = new PcapRecordEncoder(false);
    const big = Array.from({ length: 100 }, (_, i) => new Packet(i, i * 1000, 1500, 1500, Buffer.alloc(1500, i), 1));
    const out = enc.encode(big);
    assert.equal(out.length, 100 * (16 + 1500));
    for (let i = 0; i < 100; i++) {
      const off = i * 1516;
      assert.equal(out.readUInt32LE(off), i);
      assert.equal(out.readUInt32LE(off + 4), i);
      assert.equal(out[off + 16 + 1499], i);
    }
    const small = enc.encode(batch());
    assert.ok(small.equals(new PcapRecordEncoder(false).encode(batch())));
  });

  it('returns a view of one reused buffer', () => {
    const enc = new PcapRecordEncoder(false);
    const a = enc.encode(batch());
    const b = enc.encode(batch());
    assert.equal(a.buffer, b.buffer);
    assert.equal(a.byteOffset, b.byteOffset);
  });
});

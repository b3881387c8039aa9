import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CorruptError, TruncatedError, isDecodeError } from '../../lib/errors.js';
import { PacketBatch } from '../../lib/packet.js';
import { CaptureFileDecoder } from '../../lib/proto/capture-file-decoder.js';
import {
  FILE_HEADER_LEN,
  MAGIC_NSEC,
  MAGIC_USEC,
  PcapRecordEncoder,
  RECORD_HEADER_LEN,
  decodeFileHeader,
  encodeFileHeader,
} from '../../lib/proto/pcap.js';
import { buildPcap, FIXTURES, seededRandom, type PcapRecordSpec } from '../helpers/capture-files.js';
import { hex } from '../helpers/hex.js';
import { batchOf, packet, packetsOf } from '../helpers/packets.js';

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
  const batch = (): PacketBatch =>
    batchOf([
      packet(0x5b2a2573, 58_123_456, 4, 60, Buffer.from('01020304', 'hex'), 1),
      // caplen 2 of a 5-byte view: only two bytes are written.
      packet(0x5b2a2574, 999_999_999, 2, 1514, Buffer.from('aabbccddee', 'hex'), 1),
    ]);

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
    const out = new PcapRecordEncoder(false).encode(batchOf([packet(2 ** 32 + 5, 0, 1, 1, Buffer.alloc(1), 1)]));
    assert.equal(out.readUInt32LE(0), 5);
  });

  it('encodes an empty batch to nothing', () => {
    assert.equal(new PcapRecordEncoder(false).encode(new PacketBatch()).length, 0);
  });

  it('grows past its initial buffer and keeps encoding correctly', () => {
    const enc = new PcapRecordEncoder(false);
    const big = batchOf(Array.from({ length: 100 }, (_, i) => packet(i, i * 1000, 1500, 1500, Buffer.alloc(1500, i), 1)));
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

describe('PcapRecordEncoder: records that already lie in the source are copied whole', () => {
  /** sample.pcap: 8 little-endian µs records, 60 to 1514 bytes. */
  const sample = readFileSync(new URL('sample.pcap', FIXTURES));
  const records = sample.subarray(FILE_HEADER_LEN);

  /** The records of the file, independently: their header fields and data. */
  const specs = (): PcapRecordSpec[] => {
    const out: PcapRecordSpec[] = [];
    for (let o = FILE_HEADER_LEN; o < sample.length; ) {
      const caplen = sample.readUInt32LE(o + 8);
      out.push({ tsSec: sample.readUInt32LE(o), tsFrac: sample.readUInt32LE(o + 4), wirelen: sample.readUInt32LE(o + 12), data: sample.subarray(o + 16, o + 16 + caplen) });
      o += RECORD_HEADER_LEN + caplen;
    }
    return out;
  };

  /** The packets of `file`, pushed to the decoder in chunks of `chunk` bytes. */
  const decode = (file: Buffer, chunk = file.length): PacketBatch => {
    const d = new CaptureFileDecoder();
    const b = new PacketBatch();
    if (chunk >= file.length) d.push(file, b);
    else for (let o = 0; o < file.length; o += chunk) d.push(file.subarray(o, o + chunk), b);
    d.finish();
    return b;
  };

  it('a batch decoded from a µs pcap file re-encodes with nanos=false to the identical records', () => {
    assert.equal(specs().length, 8);
    const b = decode(sample);
    assert.equal(b.length, 8);
    assert.ok(b.data.every((d) => d === sample), 'the frames lie in the file buffer');
    assert.ok(new PcapRecordEncoder(false).encode(b).equals(records));
  });

  it('so does one decoded in small chunks (units cut across chunks lie in their own buffers)', () => {
    for (const chunk of [7, 100, 1000, 1530]) {
      const b = decode(sample, chunk);
      assert.equal(b.length, 8);
      assert.ok(new PcapRecordEncoder(false).encode(b).equals(records), `chunks of ${chunk}`);
    }
  });

  it('start..end, removed packets and a changed order: only the packets asked for, in batch order', () => {
    const all = specs();
    const enc = new PcapRecordEncoder(false);
    const b = decode(sample);
    assert.ok(enc.encode(b, 2, 5).equals(buildPcap({}, all.slice(2, 5)).subarray(FILE_HEADER_LEN)));
    assert.equal(enc.encode(b, 3, 3).length, 0);

    const kept = decode(sample);
    kept.retain((i) => i !== 1 && i !== 4 && i !== 5);
    assert.ok(enc.encode(kept).equals(buildPcap({}, all.filter((_, i) => i !== 1 && i !== 4 && i !== 5)).subarray(FILE_HEADER_LEN)));

    const order = [3, 4, 0, 1, 2, 2, 7];
    const reordered = new PacketBatch();
    for (const i of order) reordered.add(b.data[i]!, b.offset[i]!, b.caplen[i]!, b.wirelen[i]!, b.tsSec[i]!, b.tsNsec[i]!, b.linktype[i]!);
    assert.ok(enc.encode(reordered).equals(buildPcap({}, order.map((i) => all[i]!)).subarray(FILE_HEADER_LEN)));
  });

  it('a sliced caplen falls back to a written header, with the new caplen and the original length', () => {
    const b = decode(sample);
    for (const i of [0, 3, 7]) b.caplen[i] = Math.min(b.caplen[i]!, 20);
    const want = specs().map((r, i) => ([0, 3, 7].includes(i) ? { ...r, data: r.data.subarray(0, 20) } : r));
    assert.ok(new PcapRecordEncoder(false).encode(b).equals(buildPcap({}, want).subarray(FILE_HEADER_LEN)));
  });

  it('any other field changed since decoding also gets a written header', () => {
    const b = decode(sample);
    b.tsSec[1]! += 1;
    b.tsNsec[2]! += 1000;
    b.wirelen[5]! += 1;
    const want = specs();
    want[1] = { ...want[1]!, tsSec: want[1]!.tsSec + 1 };
    want[2] = { ...want[2]!, tsFrac: want[2]!.tsFrac + 1 };
    want[5] = { ...want[5]!, wirelen: want[5]!.wirelen! + 1 };
    assert.ok(new PcapRecordEncoder(false).encode(b).equals(buildPcap({}, want).subarray(FILE_HEADER_LEN)));
  });

  it('nanos=true writes every header (ns fractions), as for frames that lie nowhere', () => {
    const b = decode(sample);
    const want = buildPcap({ nanos: true }, specs().map((r) => ({ ...r, tsFrac: r.tsFrac * 1000 }))).subarray(FILE_HEADER_LEN);
    assert.ok(new PcapRecordEncoder(true).encode(b).equals(want));
    assert.ok(new PcapRecordEncoder(true).encode(batchOf(packetsOf(b))).equals(want));
  });

  it('a ns file re-encoded: nanos=true copies it, nanos=false floors to µs', () => {
    const ns = specs().map((r, i) => ({ ...r, tsFrac: r.tsFrac * 1000 + i * 7 }));
    const file = buildPcap({ nanos: true }, ns);
    assert.ok(new PcapRecordEncoder(true).encode(decode(file)).equals(file.subarray(FILE_HEADER_LEN)));
    const us = ns.map((r) => ({ ...r, tsFrac: Math.floor(r.tsFrac / 1000) }));
    assert.ok(new PcapRecordEncoder(false).encode(decode(file)).equals(buildPcap({}, us).subarray(FILE_HEADER_LEN)));
  });

  it('a big-endian file is re-encoded little-endian, record for record', () => {
    const be = buildPcap({ littleEndian: false }, specs());
    assert.ok(!be.subarray(FILE_HEADER_LEN).equals(records));
    assert.ok(new PcapRecordEncoder(false).encode(decode(be)).equals(records));
    assert.ok(new PcapRecordEncoder(false).encode(decode(be, 333)).equals(records));
  });
});

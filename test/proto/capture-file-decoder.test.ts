import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CorruptError, TruncatedError, isDecodeError } from '../../lib/errors.js';
import { PacketBatch } from '../../lib/packet.js';
import { CaptureFileDecoder } from '../../lib/proto/capture-file-decoder.js';
import { PcapRecordEncoder, decodeFileHeader, encodeFileHeader } from '../../lib/proto/pcap.js';
import { FIXTURES, buildPcap, buildPcapng, seededRandom } from '../helpers/capture-files.js';
import { packetsOf, type TestPacket } from '../helpers/packets.js';

/** The real captures (fixtures/) and what they hold. */
const FIXTURE_FILES = [
  { file: 'sample.pcap', packets: 8, snaplen: 65535 },
  { file: 'xml.pcap', packets: 1200, snaplen: 65535 },
  { file: 'http_sample.pcap', packets: 913, snaplen: 1518 },
];
const load = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));

/** Everything a decoded packet says, comparable with deepEqual. */
const seen = (p: TestPacket): unknown[] => [p.tsSec, p.tsNsec, p.caplen, p.wirelen, p.linktype, p.data.toString('hex')];

/** `file` pushed in chunks of `chunk` bytes: the batch, its packets as objects, the decoder. */
function decodeIn(file: Buffer, chunk: number, snaplenCap?: number): { packets: TestPacket[]; batch: PacketBatch; dec: CaptureFileDecoder } {
  const dec = new CaptureFileDecoder(snaplenCap);
  const batch = new PacketBatch();
  for (let i = 0; i < file.length; i += chunk) dec.push(file.subarray(i, i + chunk), batch);
  dec.finish();
  return { packets: packetsOf(batch), batch, dec };
}

/** Start offset and length of every record of a classic pcap, from a whole-file decode. */
function recordSpans(file: Buffer): { start: number; len: number }[] {
  const { batch } = decodeIn(file, file.length);
  return Array.from({ length: batch.length }, (_, i) => {
    assert.equal(batch.data[i]!.byteOffset, file.byteOffset, 'the frames lie in the pushed file');
    return { start: batch.offset[i]! - 16, len: 16 + batch.caplen[i]! };
  });
}

const PCAPNG_SAMPLE = buildPcapng([
  { type: 'shb' },
  { type: 'idb', linktype: 1, snaplen: 0 },
  { type: 'epb', ts: 1_700_000_000_000_001n, data: Buffer.alloc(61, 1), wirelen: 100 },
  { type: 'other', blockType: 5, body: Buffer.alloc(20, 5) },
  { type: 'spb', data: Buffer.alloc(9, 2) },
  { type: 'shb', littleEndian: false },
  { type: 'idb', linktype: 113, snaplen: 1000, tsresol: 9 },
  { type: 'epb', ts: 1_700_000_000_123_456_789n, data: Buffer.alloc(42, 3) },
]);

describe('CaptureFileDecoder on the fixtures', () => {
  for (const f of FIXTURE_FILES) {
    it(`${f.file}: ${f.packets} packets, re-encoded byte for byte`, () => {
      const file = load(f.file);
      // The premise of byte-identical re-encoding: LE µs 2.4 with thiszone and sigfigs 0.
      assert.equal(file.readUInt32LE(0), 0xa1b2c3d4);
      assert.equal(file.readUInt32LE(4), 0x00040002);
      assert.equal(file.readBigUInt64LE(8), 0n);
      const { packets, batch, dec } = decodeIn(file, file.length);
      assert.equal(packets.length, f.packets);
      assert.deepEqual([dec.format, dec.nanos, dec.snaplen, dec.linktype, dec.offset], ['pcap', false, f.snaplen, 1, file.length]);
      const h = decodeFileHeader(file);
      const again = Buffer.concat([encodeFileHeader(h), new PcapRecordEncoder(h.nanos).encode(batch)]);
      assert.ok(again.equals(file));
    });
  }
});

describe('CaptureFileDecoder chunking', () => {
  it('sample.pcap gives identical packets in every chunk size from 1 to 300 and whole', () => {
    const file = load('sample.pcap');
    const want = decodeIn(file, file.length).packets.map(seen);
    for (let size = 1; size <= 300; size++) assert.deepEqual(decodeIn(file, size).packets.map(seen), want, `chunk ${size}`);
  });

  for (const f of FIXTURE_FILES.slice(1)) {
    it(`${f.file} gives identical packets in chunks of 1, 2, 3, 7, 16, 17, 100, 65539`, () => {
      const file = load(f.file);
      const want = decodeIn(file, file.length).packets.map(seen);
      for (const size of [1, 2, 3, 7, 16, 17, 100, 65539]) {
        assert.deepEqual(decodeIn(file, size).packets.map(seen), want, `chunk ${size}`);
      }
    });
  }

  it('a pcapng file gives identical packets in every chunk size', () => {
    const want = decodeIn(PCAPNG_SAMPLE, PCAPNG_SAMPLE.length).packets.map(seen);
    assert.equal(want.length, 3);
    for (let size = 1; size <= PCAPNG_SAMPLE.length; size++) {
      assert.deepEqual(decodeIn(PCAPNG_SAMPLE, size).packets.map(seen), want, `chunk ${size}`);
    }
  });

  it('views the pushed chunk for records inside it and copies records that span chunks', () => {
    const file = load('sample.pcap');
    const spans = recordSpans(file);
    let inside = 0;
    let spanning = 0;
    for (const size of [100, 700, 2000]) {
      // Chunks of their own memory (Buffer.alloc never uses the shared pool), so views are recognisable.
      const chunks: Buffer[] = [];
      for (let i = 0; i < file.length; i += size) {
        const c = Buffer.alloc(Math.min(size, file.length - i));
        file.copy(c, 0, i);
        chunks.push(c);
      }
      const dec = new CaptureFileDecoder();
      const packets = new PacketBatch();
      for (const c of chunks) dec.push(c, packets);
      dec.finish();
      assert.equal(packets.length, spans.length);
      for (let i = 0; i < packets.length; i++) {
        const { start, len } = spans[i]!;
        const k = Math.floor(start / size);
        if (Math.floor((start + len - 1) / size) === k) {
          inside++;
          assert.equal(packets.data[i], chunks[k], `record ${i} chunk ${size}`);
          assert.equal(packets.offset[i], start + 16 - k * size);
        } else {
          spanning++;
          assert.ok(chunks.every((c) => c.buffer !== packets.data[i]!.buffer), `record ${i} chunk ${size} must be a copy`);
        }
        assert.ok(packets.frame(i).equals(file.subarray(start + 16, start + len)), `record ${i} chunk ${size}: its bytes`);
      }
    }
    assert.ok(inside > 0 && spanning > 0);
  });


  it('takePending: a reader that carries the cut unit into its next read gets the same packets, each in the buffer it was pushed with', () => {
    const cases = [
      { name: 'xml.pcap', file: load('xml.pcap'), sizes: [200, 700, 4096] },
      { name: 'pcapng', file: PCAPNG_SAMPLE, sizes: [48, 100, 160] },
    ];
    for (const { name, file, sizes } of cases) {
      const want = decodeIn(file, file.length).packets.map(seen);
      for (const size of sizes) {
        const dec = new CaptureFileDecoder();
        const packets = new PacketBatch();
        const reads: Buffer[] = [];
        let carriedTotal = 0;
        for (let at = 0; at < file.length; ) {
          const read = Buffer.alloc(size);
          const carried = dec.takePending(read);
          carriedTotal += carried;
          const n = file.copy(read, carried, at, at + size - carried);
          at += n;
          reads.push(read);
          dec.push(read, packets, carried + n);
        }
        dec.finish();
        const label = `${name}, reads of ${size}`;
        assert.deepEqual(packetsOf(packets).map(seen), want, label);
        assert.ok(carriedTotal > 0, `${label}: units were cut`);
        // Only a unit longer than a read (a pcap record: 16 bytes and the frame; a pcapng block at least 32) is joined into a buffer of its own.
        let inReads = 0;
        for (let i = 0; i < packets.length; i++) {
          if (reads.includes(packets.data[i]!)) inReads++;
          else assert.ok(packets.caplen[i]! + 32 > size, `${label}: packet ${i} (${packets.caplen[i]} bytes) lies in a read`);
        }
        assert.ok(inReads > 0, label);
      }
    }
  });

  it('takePending keeps a unit longer than the target (joined as before), and nothing when no unit was cut', () => {
    const file = load('xml.pcap');
    const dec = new CaptureFileDecoder();
    const out = new PacketBatch();
    assert.equal(dec.takePending(Buffer.alloc(64)), 0);
    // The file header and the first 10 bytes of a record of more than 64 bytes.
    const first = 24 + recordSpans(file)[0]!.len;
    dec.push(file.subarray(0, first + 20), out);
    assert.equal(out.length, 1);
    const need = recordSpans(file)[1]!.len;
    assert.ok(need > 64);
    assert.equal(dec.takePending(Buffer.alloc(64)), 0);
    const target = Buffer.alloc(need);
    assert.equal(dec.takePending(target), 20);
    assert.ok(target.subarray(0, 20).equals(file.subarray(first, first + 20)));
    assert.equal(dec.takePending(target), 0);
  });
  it('keeps no view of a chunk past push(): one buffer read into again for every chunk gives the same packets', () => {
    /** `file` through one buffer overwritten chunk after chunk (as FileSource reuses a read buffer), each push's packets copied out first. */
    const throughOneBuffer = (file: Buffer, size: number): unknown[] => {
      const dec = new CaptureFileDecoder();
      const reused = Buffer.alloc(size);
      const out: unknown[] = [];
      for (let i = 0; i < file.length; i += size) {
        const n = file.copy(reused, 0, i, i + size);
        const batch = new PacketBatch();
        dec.push(reused.subarray(0, n), batch);
        out.push(...packetsOf(batch).map(seen));
      }
      dec.finish();
      return out;
    };
    for (const file of [load('sample.pcap'), PCAPNG_SAMPLE]) {
      const want = decodeIn(file, file.length).packets.map(seen);
      // Size 1 up: heads and units cut in two and spread over many chunks.
      for (let size = 1; size <= 300; size++) assert.deepEqual(throughOneBuffer(file, size), want, `chunk ${size}`);
    }
  });

  it('push(buffer, out, end) reads only buffer[0 .. end), as a view of it would, and its packets refer to the buffer itself', () => {
    const file = load('sample.pcap');
    const want = decodeIn(file, file.length).packets.map(seen);
    for (const size of [1, 17, 100, 300, file.length]) {
      const dec = new CaptureFileDecoder();
      // Longer than any read, the rest a copy of the file: a record past `end` would decode if read.
      const reused = Buffer.alloc(Math.max(size, 24) + file.length);
      const got: unknown[] = [];
      for (let i = 0; i < file.length; i += size) {
        const n = file.copy(reused, 0, i, i + size);
        file.copy(reused, n);
        const batch = new PacketBatch();
        dec.push(reused, batch, n);
        for (let k = 0; k < batch.length; k++) assert.equal(batch.data[k] === reused || batch.data[k]!.buffer !== reused.buffer, true, 'the buffer itself, or a copy of a cut record');
        got.push(...packetsOf(batch).map(seen));
      }
      dec.finish();
      assert.deepEqual(got, want, `chunk ${size}`);
    }
  });

  it('pcapng: a block cut across chunks is decoded from its own buffer, the frame bytes right', () => {
    // [start, end) of the three packet blocks: EPB after SHB (28) and IDB (20); SPB after the other block; EPB after SHB and IDB with an option.
    const blocks = [
      [48, 144],
      [176, 204],
      [264, PCAPNG_SAMPLE.length],
    ] as const;
    const whole = decodeIn(PCAPNG_SAMPLE, PCAPNG_SAMPLE.length).batch;
    assert.deepEqual(Array.from(whole.offset.subarray(0, whole.length)), [48 + 28, 176 + 12, 264 + 28], 'frame offsets in the file');
    let inside = 0;
    let cut = 0;
    for (let size = 8; size <= PCAPNG_SAMPLE.length; size += 4) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < PCAPNG_SAMPLE.length; i += size) {
        // Memory of their own (Buffer.alloc never uses the shared pool), so copies are recognisable.
        const c = Buffer.alloc(Math.min(size, PCAPNG_SAMPLE.length - i));
        PCAPNG_SAMPLE.copy(c, 0, i);
        chunks.push(c);
      }
      const dec = new CaptureFileDecoder();
      const b = new PacketBatch();
      for (const c of chunks) dec.push(c, b);
      dec.finish();
      assert.equal(b.length, 3);
      blocks.forEach(([start, end], i) => {
        const k = Math.floor(start / size);
        if (Math.floor((end - 1) / size) === k) {
          inside++;
          assert.equal(b.data[i], chunks[k], `packet ${i} chunk ${size}`);
          assert.equal(b.offset[i], whole.offset[i]! - k * size);
        } else {
          cut++;
          assert.ok(chunks.every((c) => c.buffer !== b.data[i]!.buffer), `packet ${i} chunk ${size} must be a copy`);
        }
        assert.ok(b.frame(i).equals(whole.frame(i)), `packet ${i} chunk ${size}: its bytes`);
      });
    }
    assert.ok(inside > 0 && cut > 0);
  });
});

describe('CaptureFileDecoder damage', () => {
  it('every prefix of sample.pcap: complete records, then TruncatedError at the cut record', () => {
    const file = load('sample.pcap');
    const spans = recordSpans(file);
    let cuts = 0;
    for (let len = 0; len < file.length; len++) {
      const complete = spans.filter((s) => s.start + s.len <= len).length;
      // Ending right after the header or a record is a shorter file, not a truncated one.
      const whole = len === 24 || spans.some((s) => s.start + s.len === len);
      const cut = len < 24 ? { start: 0, len: 24 } : spans[complete]!;
      const have = len - cut.start;
      const needed = len < 24 ? 24 : have < 16 ? 16 : cut.len;
      for (const chunk of [file.length, 7]) {
        const dec = new CaptureFileDecoder();
        const packets = new PacketBatch();
        const prefix = file.subarray(0, len);
        for (let i = 0; i < prefix.length; i += chunk) dec.push(prefix.subarray(i, i + chunk), packets);
        assert.equal(packets.length, complete, `prefix ${len}`);
        if (whole) {
          dec.finish();
          continue;
        }
        cuts++;
        assert.throws(
          () => dec.finish(),
          (e: unknown) =>
            e instanceof TruncatedError && e.offset === cut.start && e.needed === needed && e.available === have,
          `prefix ${len} chunk ${chunk}`,
        );
      }
    }
    assert.equal(cuts, 2 * (file.length - spans.length)); // all but the header end and the first n-1 record ends
  });

  it('names what was cut', () => {
    const message = (file: Buffer, len: number): string => {
      const dec = new CaptureFileDecoder();
      dec.push(file.subarray(0, len), new PacketBatch());
      try {
        dec.finish();
      } catch (e) {
        assert.ok(e instanceof TruncatedError);
        return e.message;
      }
      return 'no error';
    };
    const file = load('sample.pcap');
    const r2 = recordSpans(file)[2]!;
    assert.equal(message(file, 0), 'truncated capture file header at byte offset 0: need 24 bytes, have 0');
    assert.equal(message(file, 3), 'truncated capture file header at byte offset 0: need 24 bytes, have 3');
    assert.equal(message(file, 10), 'truncated pcap file header at byte offset 0: need 24 bytes, have 10');
    assert.equal(message(file, r2.start + 5), `truncated pcap record header at byte offset ${r2.start}: need 16 bytes, have 5`);
    assert.equal(message(file, r2.start + 20), `truncated pcap record at byte offset ${r2.start}: need ${r2.len} bytes, have 20`);
    // The SHB is 28 bytes, the IDB after it 20.
    assert.equal(message(PCAPNG_SAMPLE, 34), 'truncated pcapng block header at byte offset 28: need 12 bytes, have 6');
    assert.equal(message(PCAPNG_SAMPLE, 40), 'truncated pcapng block at byte offset 28: need 20 bytes, have 12');
  });

  it('rejects a record longer than the limit with CorruptError at its offset, after the records before it', () => {
    const file = Buffer.from(load('sample.pcap'));
    const spans = recordSpans(file);
    file.writeUInt32LE(0x100001, spans[3]!.start + 8);
    file.writeUInt32LE(0x100001, spans[3]!.start + 12);
    for (const chunk of [file.length, 100, 1]) {
      const dec = new CaptureFileDecoder();
      const packets = new PacketBatch();
      assert.throws(
        () => {
          for (let i = 0; i < file.length; i += chunk) dec.push(file.subarray(i, i + chunk), packets);
        },
        (e: unknown) =>
          e instanceof CorruptError &&
          e.offset === spans[3]!.start &&
          e.message === `pcap record captured length 1048577 exceeds limit 262144 at byte offset ${spans[3]!.start}`,
      );
      assert.equal(packets.length, 3, `chunk ${chunk}`);
    }
  });

  it('reads a record whose captured length exceeds its original length, and every record after it', () => {
    const file = Buffer.from(load('sample.pcap'));
    const spans = recordSpans(file);
    const before = decodeIn(file, file.length).packets.map(seen);
    file.writeUInt32LE(file.readUInt32LE(spans[5]!.start + 12) - 1, spans[5]!.start + 12);
    for (const chunk of [file.length, 100, 1]) {
      const packets = decodeIn(file, chunk).packets.map(seen);
      // Nothing lost or changed: libpcap keeps the captured length; the wire length is raised to it.
      assert.deepEqual(packets, before, `chunk ${chunk}`);
    }
    const crafted = buildPcap({}, [
      { tsSec: 1, tsFrac: 0, data: Buffer.from('0102030405', 'hex'), wirelen: 3 },
      { tsSec: 2, tsFrac: 0, data: Buffer.from('0a0b', 'hex'), wirelen: 60 },
      { tsSec: 3, tsFrac: 0, data: Buffer.from('0c', 'hex'), wirelen: 0 },
      { tsSec: 4, tsFrac: 0, data: Buffer.from('0d0e0f', 'hex') },
    ]);
    assert.deepEqual(
      decodeIn(crafted, 7).packets.map((p) => [p.tsSec, p.caplen, p.wirelen, p.data.toString('hex')]),
      [
        [1, 5, 5, '0102030405'],
        [2, 2, 60, '0a0b'],
        [3, 1, 1, '0c'],
        [4, 3, 3, '0d0e0f'],
      ],
    );
  });

  it('as libpcap: cuts records above the header snaplen to it, refuses more than 262144 bytes (for Ethernet), 0 or a huge snaplen means that limit', () => {
    const rec = (n: number): { tsSec: number; tsFrac: number; data: Buffer } => ({ tsSec: 1, tsFrac: 2, data: Buffer.alloc(n, n & 0xff) });
    const { batch, dec } = decodeIn(buildPcap({ snaplen: 100 }, [rec(200), rec(262144), rec(50)]), 1 << 20);
    // The whole record still follows the frame's start in its buffer; caplen is what is handed over.
    const recordAt = (i: number): number => (batch.data[i]!.subarray(batch.offset[i]!, batch.offset[i]! + batch.wirelen[i]!).equals(rec(batch.wirelen[i]!).data) ? batch.wirelen[i]! : -1);
    assert.deepEqual(
      Array.from({ length: batch.length }, (_, i) => [batch.caplen[i], batch.wirelen[i], recordAt(i)]),
      [
        [100, 200, 200],
        [100, 262144, 262144],
        [50, 50, 50],
      ],
    );
    assert.equal(dec.snaplen, 100);
    // -s (snaplenCap) still applies below the file's snaplen.
    assert.deepEqual(decodeIn(buildPcap({ snaplen: 100 }, [rec(200)]), 64, 40).packets.map((p) => p.caplen), [40]);
    assert.throws(() => decodeIn(buildPcap({ snaplen: 100 }, [rec(262145)]), 1 << 20), /exceeds limit 262144 at byte offset 24/);
    const huge = buildPcap({ snaplen: 0xffffffff }, [rec(1)]);
    assert.equal(decodeIn(huge, huge.length).dec.snaplen, 262144);
    huge.writeUInt32LE(262145, 24 + 8);
    assert.throws(() => decodeIn(huge, huge.length), /exceeds limit 262144/);
    // USBPcap (249) frames may be up to 1 MiB in libpcap.
    assert.equal(decodeIn(buildPcap({ snaplen: 0, linktype: 249 }, [rec(1 << 20)]), 1 << 16).packets[0]!.caplen, 1 << 20);
  });

  it('pcapng with interfaces of different link types: each packet carries its own, the decoder reports the first', () => {
    const file = buildPcapng([
      { type: 'shb' },
      { type: 'idb', linktype: 1 },
      { type: 'idb', linktype: 113 },
      { type: 'epb', iface: 1, ts: 1n, data: Buffer.alloc(20, 1) },
      { type: 'epb', iface: 0, ts: 2n, data: Buffer.alloc(20, 2) },
    ]);
    const { packets, dec } = decodeIn(file, 16);
    assert.deepEqual(packets.map((p) => p.linktype), [113, 1]);
    assert.equal(dec.linktype, 1);
  });

  it('rejects an unknown magic as soon as 4 bytes are in', () => {
    const dec = new CaptureFileDecoder();
    dec.push(Buffer.from([1, 2, 3]), new PacketBatch());
    assert.throws(() => dec.push(Buffer.from([4]), new PacketBatch()), (e: unknown) => e instanceof CorruptError && e.offset === 0 && /magic 0x01020304/.test(e.message));
  });

  it('reports pcapng damage at the absolute block offset', () => {
    const file = Buffer.from(PCAPNG_SAMPLE);
    const spb = 28 + 20 + 96 + 32; // SHB, IDB, EPB (61 data bytes padded to 64), other block
    file.writeUInt32LE(6, spb + 4);
    const packets = new PacketBatch();
    assert.throws(
      () => decodeIn(file, 5).packets,
      (e: unknown) => e instanceof CorruptError && e.offset === spb && /not a multiple of 4/.test(e.message),
    );
    assert.throws(() => new CaptureFileDecoder().push(file, packets), CorruptError);
    assert.equal(packets.length, 1);
  });
});

describe('CaptureFileDecoder fields', () => {
  it('decodes big-endian nanosecond pcap', () => {
    const file = buildPcap({ nanos: true, littleEndian: false, snaplen: 0, linktype: 113 }, [
      { tsSec: 1_700_000_000, tsFrac: 999_999_999, data: Buffer.from('abcd', 'hex'), wirelen: 70 },
    ]);
    const { packets, dec } = decodeIn(file, 3);
    assert.deepEqual(packets.map(seen), [[1_700_000_000, 999_999_999, 2, 70, 113, 'abcd']]);
    // snaplen 0 in the header means libpcap's maximum.
    assert.deepEqual([dec.nanos, dec.snaplen, dec.linktype], [true, 262144, 113]);
  });

  it('every byte order and resolution: the same packets with all records in one chunk as cut anywhere, with a sloppy record among them', () => {
    const records = Array.from({ length: 40 }, (_, i) => ({
      tsSec: 1_700_000_000 + i,
      tsFrac: i * 24_999,
      data: Buffer.alloc(1 + ((i * 37) % 90), i),
      // Record 20: a wire length below the captured one (raised to it); record 30: above the snaplen of 64 (cut to it).
      wirelen: i === 20 ? 1 : 100 + i,
    }));
    for (const nanos of [false, true]) {
      const expected = records.map((r, i) => [r.tsSec, nanos ? r.tsFrac : r.tsFrac * 1000, Math.min(r.data.length, 64), i === 20 ? r.data.length : r.wirelen, 1, r.data.subarray(0, 64).toString('hex')]);
      for (const littleEndian of [true, false]) {
        const file = buildPcap({ nanos, littleEndian, snaplen: 64 }, records);
        for (const chunk of [file.length, 1, 15, 16, 17, 100, 333]) {
          assert.deepEqual(decodeIn(file, chunk).packets.map(seen), expected, `nanos ${nanos}, little-endian ${littleEndian}, chunk ${chunk}`);
        }
      }
    }
  });

  it('scales microseconds and carries a fraction of a second or more into the seconds', () => {
    const file = buildPcap({}, [
      { tsSec: 10, tsFrac: 999_999, data: Buffer.alloc(1) },
      { tsSec: 10, tsFrac: 1_500_000, data: Buffer.alloc(1) },
    ]);
    assert.deepEqual(
      decodeIn(file, file.length).packets.map((p) => [p.tsSec, p.tsNsec]),
      [
        [10, 999_999_000],
        [11, 500_000_000],
      ],
    );
  });

  it('cuts caplen to snaplenCap but keeps the data view and wirelen', () => {
    const file = load('xml.pcap');
    const full = decodeIn(file, file.length).packets;
    const cut = decodeIn(file, 4096, 64).batch;
    assert.equal(cut.length, full.length);
    assert.ok(full.some((p) => p.caplen > 64));
    full.forEach((p, i) => {
      assert.equal(cut.caplen[i], Math.min(64, p.caplen));
      // The whole frame still follows the start, in the chunk or the unit's own copy.
      assert.ok(cut.data[i]!.subarray(cut.offset[i]!, cut.offset[i]! + p.caplen).equals(p.data));
      assert.equal(cut.wirelen[i], p.wirelen);
    });
    assert.deepEqual(
      decodeIn(PCAPNG_SAMPLE, 10, 8).packets.map((p) => p.caplen),
      [8, 8, 8],
    );
  });

  it('reads pcapng properties from the interfaces', () => {
    const { packets, dec } = decodeIn(PCAPNG_SAMPLE, 64);
    assert.deepEqual(
      packets.map((p) => [p.tsSec, p.tsNsec, p.caplen, p.wirelen, p.linktype]),
      [
        [1_700_000_000, 1000, 61, 100, 1],
        [0, 0, 9, 9, 1],
        [1_700_000_000, 123_456_789, 42, 42, 113],
      ],
    );
    // nanos from the 10^-9 interface, snaplen the largest (0 = 262144), linktype of the first interface.
    assert.deepEqual([dec.format, dec.nanos, dec.snaplen, dec.linktype, dec.offset], ['pcapng', true, 262144, 1, PCAPNG_SAMPLE.length]);
    const us = decodeIn(buildPcapng([{ type: 'shb' }, { type: 'idb', snaplen: 1500 }]), 100).dec;
    assert.deepEqual([us.nanos, us.snaplen], [false, 1500]);
  });
});

describe('CaptureFileDecoder fuzz', () => {
  /** Feeds `file` in random chunks; returns normally or with a typed error, and checks every packet. */
  function run(file: Buffer, rnd: () => number): void {
    const dec = new CaptureFileDecoder(rnd() < 0.5 ? 0 : 1 + Math.floor(rnd() * 100));
    const packets = new PacketBatch();
    try {
      for (let i = 0; i < file.length; ) {
        const n = 1 + Math.floor(rnd() * 300);
        dec.push(file.subarray(i, i + n), packets);
        i += n;
      }
      dec.finish();
      assert.equal(dec.offset, file.length);
    } catch (e) {
      assert.ok(isDecodeError(e), `unexpected ${String(e)}`);
    }
    for (let i = 0; i < packets.length; i++) {
      assert.ok(packets.data[i]!.length >= packets.offset[i]! + packets.caplen[i]! && packets.caplen[i]! <= packets.wirelen[i]!);
      assert.ok(Number.isInteger(packets.tsNsec[i]) && packets.tsNsec[i]! >= 0 && packets.tsNsec[i]! < 1e9);
    }
  }

  const mutate = (src: Buffer, rnd: () => number, hot: number[]): Buffer => {
    const b = Buffer.from(src);
    const flips = 1 + Math.floor(rnd() * 8);
    for (let j = 0; j < flips; j++) {
      // Half the flips land in headers, where they matter.
      const at = rnd() < 0.5 ? hot[Math.floor(rnd() * hot.length)]! : Math.floor(rnd() * b.length);
      b[at] = Math.floor(rnd() * 256);
    }
    return rnd() < 0.2 ? b.subarray(0, Math.floor(rnd() * b.length)) : b;
  };

  it('2000 random buffers throw only typed errors', () => {
    const rnd = seededRandom(42);
    const starts = ['d4c3b2a1', 'a1b2c3d4', '4d3cb2a1', 'a1b23c4d', '0a0d0d0a'];
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.alloc(Math.floor(rnd() * 400));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
      // Most get a valid magic (and pcapng a valid byte-order magic) so decoding goes past the first check.
      if (i % 6 !== 0 && b.length >= 12) {
        Buffer.from(starts[i % 5]!, 'hex').copy(b);
        if (i % 5 === 4) b.writeUInt32LE(0x1a2b3c4d, 8);
      }
      run(b, rnd);
    }
  });

  it('2000 mutated copies of sample.pcap throw only typed errors', () => {
    const rnd = seededRandom(43);
    const file = load('sample.pcap');
    const hot = [...Array(24).keys(), ...recordSpans(file).flatMap((s) => [...Array(16).keys()].map((k) => s.start + k))];
    for (let i = 0; i < 2000; i++) run(mutate(file, rnd, hot), rnd);
  });

  it('2000 mutated copies of a pcapng file throw only typed errors', () => {
    const rnd = seededRandom(44);
    const hot = [...Array(PCAPNG_SAMPLE.length).keys()].filter((k) => k < 60 || k % 4 < 2);
    for (let i = 0; i < 2000; i++) run(mutate(PCAPNG_SAMPLE, rnd, hot), rnd);
  });
});

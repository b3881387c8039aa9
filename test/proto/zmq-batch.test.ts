import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CorruptError, isDecodeError, TruncatedError } from '../../lib/errors.js';
import { DIR_IN, DIR_NONE, DIR_OUT, LINKTYPE_ETHERNET, PacketBatch } from '../../lib/packet.js';
import {
  decodeZmqBatch,
  labelEntry,
  parseUuidText,
  unlabelFrame,
  UUID_LEN,
  ZMQ_BATCH_HEADER_LEN,
  ZMQ_BATCH_VERSION,
  ZMQ_BATCH_VERSION_LEGACY,
  ZMQ_LEGACY_BATCH_HEADER_LEN,
  ZMQ_MAX_BATCH_BYTES,
  ZMQ_MAX_RECORDS,
  ZMQ_RECORD_HEADER_LEN,
  ZmqBatchBuilder,
} from '../../lib/proto/zmq-batch.js';
import { FIXTURES, seededRandom } from '../helpers/capture-files.js';
import { hex } from '../helpers/hex.js';
import { batchOf, packet as testPacket } from '../helpers/packets.js';
import { loadAddon } from '../../lib/native/addon.js';

const { zmqAppend } = loadAddon();

/** The first record of sample.pcap: 200 bytes at 1529488755.000058, left in the file's buffer (offset 40). */
function firstSamplePacket(): PacketBatch {
  const file = readFileSync(new URL('sample.pcap', FIXTURES));
  assert.equal(file.readUInt32LE(0), 0xa1b2c3d4, 'little-endian µs pcap');
  const sec = file.readUInt32LE(24);
  const usec = file.readUInt32LE(28);
  const caplen = file.readUInt32LE(32);
  const wirelen = file.readUInt32LE(36);
  assert.deepEqual([sec, usec, caplen, wirelen], [1529488755, 58, 200, 200]);
  const b = new PacketBatch(1);
  b.add(file, 40, caplen, wirelen, sec, usec * 1000, LINKTYPE_ETHERNET);
  return b;
}

/** A batch of one packet (index 0), its frame at the start of `data`. */
function packet(data: Buffer, tsSec = 1_700_000_000, tsNsec = 0, caplen = data.length, wirelen = caplen): PacketBatch {
  return batchOf([testPacket(tsSec, tsNsec, caplen, wirelen, data, LINKTYPE_ETHERNET)]);
}

const UUID_TEXT = '123e4567-e89b-12d3-a456-426614174000';
const UUID = hex('12 3e 45 67 e8 9b 12 d3 a4 56 42 66 14 17 40 00');
const ZERO_UUID = Buffer.alloc(UUID_LEN);

const MACS = `
  00 00 5e 00 53 02   # destination MAC
  00 00 5e 00 53 01   # source MAC
`;
const IPV4_UDP = `
  45 00 00 1c  00 01 00 00  40 11 00 00   # IPv4, 28 bytes, UDP
  0a 00 00 05  0a 09 09 09                # 10.0.0.5 -> 10.9.9.9
  04 d2 16 2e  00 08 00 00                # UDP 1234 -> 5678`;
const UNTAGGED = hex(`${MACS} 08 00 ${IPV4_UDP}`);
const TAGGED = hex(`${MACS}
  81 00   # 802.1Q
  00 64   # TCI: VLAN 100
  08 00   # IPv4
  ${IPV4_UDP}`);
const IPV6 = hex(`${MACS} 86 dd
  60 00 00 00  00 00 3b 40   # IPv6, no payload, no next header, hop limit 64
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01   # 2001:db8::1
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02   # 2001:db8::2`);
const ARP = hex(`${MACS} 08 06
  00 01 08 00 06 04 00 01   # Ethernet/IPv4 request`);

/** Adds every packet of `p` with direction `dir` (when given); none may wait for a send. */
function addAll(b: ZmqBatchBuilder, p: PacketBatch, dir?: number): void {
  if (dir !== undefined) p.direction.fill(dir, 0, p.length);
  assert.equal(b.add(p), p.length, 'every packet taken');
}

/** One finished message of `packets`, all with direction `dir`; those the format cannot carry are left out. */
function message(packets: PacketBatch[], dir = DIR_NONE, keybit = 12): Buffer {
  const b = new ZmqBatchBuilder(keybit, UUID, zmqAppend);
  for (const p of packets) addAll(b, p, dir);
  return b.finish();
}

/** An IPv4 frame of `length` bytes (at least 14): the MACs, 0x0800, zeros. */
function ipv4Frame(length: number): Buffer {
  const f = Buffer.alloc(length);
  f.writeUInt16BE(0x0800, 12);
  return f;
}

/** `count` packets of one frame, back to back in one buffer (as a capture chunk holds them), all at second `tsSec`. */
function repeated(frame: Buffer, count: number, tsSec = 1): PacketBatch {
  const data = Buffer.concat(Array.from({ length: count }, () => frame));
  const b = new PacketBatch(count);
  for (let i = 0; i < count; i++) b.add(data, i * frame.length, frame.length, frame.length, tsSec, 0, LINKTYPE_ETHERNET);
  return b;
}

describe('ZmqBatchBuilder: the version 2 message (spec §5.4)', () => {
  it('constants', () => {
    assert.deepEqual(
      [ZMQ_BATCH_HEADER_LEN, ZMQ_RECORD_HEADER_LEN, ZMQ_MAX_BATCH_BYTES, ZMQ_MAX_RECORDS],
      [24, 18, 1048576, 65535],
    );
    assert.deepEqual([ZMQ_BATCH_VERSION, ZMQ_BATCH_VERSION_LEGACY, ZMQ_LEGACY_BATCH_HEADER_LEN, UUID_LEN], [2, 1, 8, 16]);
  });

  it('worked example: keybit 12, no --dir, first frame of sample.pcap → 246 bytes', () => {
    const p = firstSamplePacket();
    const expected = Buffer.concat([
      hex(`
        00 02                     # version 2
        00 01                     # 1 record
        00 00 00 0c               # keybit 12
        12 3e 45 67 e8 9b 12 d3   # UUID 123e4567-e89b-12d3-
        a4 56 42 66 14 17 40 00   #      a456-426614174000
        00 cc                     # N = 200 + 4
        5b 2a 25 73               # 1529488755 s
        00 00 00 3a               # 58 µs
        00 00 00 cc               # caplen + 4
        00 00 00 cc               # wire length + 4
        00 14 5e 79 e7 3c         # destination MAC
        00 1c 7f 62 39 91         # source MAC
        88 47                     # EtherType replaced: MPLS unicast
        80 00 c1 ff               # MPLS: magic | dir 0 | tag 12 | S | TTL 255
        45 00 00 ba               # the frame from offset 14 ...`),
      p.frame(0).subarray(18),
    ]);
    const msg = message([p]);
    assert.equal(msg.length, 246);
    assert.ok(msg.equals(expected));
  });

  it('the header: version, count, keybit as uint32, the UUID', () => {
    const b = new ZmqBatchBuilder(0xffffffff, UUID, zmqAppend);
    addAll(b, packet(UNTAGGED), DIR_OUT);
    addAll(b, packet(UNTAGGED), DIR_IN);
    const msg = b.finish();
    assert.ok(msg.subarray(0, 24).equals(hex(`00 02  00 02  ff ff ff ff  ${UUID.toString('hex')}`)));
    assert.throws(() => new ZmqBatchBuilder(12, Buffer.alloc(15), zmqAppend), RangeError);
  });

  it('an 802.1Q frame: TCI kept, inner EtherType replaced, entry after the tag', () => {
    const p = packet(TAGGED, 1_700_000_000, 123_456_789, TAGGED.length, 60);
    const msg = message([p], DIR_OUT);
    assert.ok(
      msg.subarray(ZMQ_BATCH_HEADER_LEN).equals(
        hex(`
          00 32         # N = 46 + 4
          65 53 f1 00   # 1700000000 s
          00 01 e2 40   # 123456 µs (ns rounded down)
          00 00 00 32   # caplen + 4
          00 00 00 40   # wire length 60 + 4
          ${MACS}
          81 00  00 64  # 802.1Q, VLAN 100: unchanged
          88 47         # inner EtherType replaced
          90 00 c1 ff   # MPLS: dir 2, tag 12
          ${IPV4_UDP}`),
      ),
    );
  });

  it('the entry carries the direction', () => {
    for (const [dir, entry] of [[DIR_NONE, '80 00 c1 ff'], [DIR_IN, '88 00 c1 ff'], [DIR_OUT, '90 00 c1 ff']] as const) {
      const msg = message([packet(UNTAGGED)], dir);
      assert.ok(msg.subarray(24 + 18 + 14, 24 + 18 + 18).equals(hex(entry)), entry);
    }
  });

  it('N caps caplen at 65531; the caplen field does not', () => {
    const big = Buffer.alloc(70_000, 0x33);
    UNTAGGED.copy(big);
    const msg = message([packet(big, 5, 0, 70_000, 80_000)]);
    const rec = msg.subarray(24);
    assert.ok(rec.subarray(0, 18).equals(hex('ff ff  00 00 00 05  00 00 00 00  00 01 11 74   00 01 38 84   # 65535 | 5 s | 0 | 70004 | 80004')));
    assert.equal(msg.length, 24 + 18 + 65535);
    assert.ok(rec.subarray(18 + 18).equals(big.subarray(14, 65531)));
  });

  it('only caplen bytes are copied from a longer buffer', () => {
    const data = Buffer.concat([UNTAGGED, Buffer.alloc(10, 0xee)]);
    const msg = message([packet(data, 1, 0, UNTAGGED.length, 100)]);
    const [rec] = decodeZmqBatch(msg).records;
    assert.equal(rec!.data.length, UNTAGGED.length + 4);
    assert.ok(!rec!.data.includes(0xee));
  });

  it('microseconds are the nanoseconds floored', () => {
    const [rec] = decodeZmqBatch(message([packet(UNTAGGED, 1, 999_999_999)])).records;
    assert.equal(rec!.tsUsec, 999_999);
  });

  it("the packet's data is never modified", () => {
    for (const frame of [UNTAGGED, TAGGED, IPV6]) {
      const data = Buffer.from(frame);
      message([packet(data)], DIR_OUT);
      assert.ok(data.equals(frame));
    }
  });

  it('add: carries only IPv4 and IPv6 frames, untagged or with one 802.1Q tag; the others are skipped and counted as notIp', () => {
    const b = new ZmqBatchBuilder(12, UUID, zmqAppend);
    const withType = (frame: Buffer, at: number, type: number) => {
      const d = Buffer.from(frame);
      d.writeUInt16BE(type, at);
      return packet(d);
    };
    for (const p of [packet(UNTAGGED), withType(UNTAGGED, 12, 0x86dd), packet(TAGGED)]) addAll(b, p);
    const size = b.byteLength;
    assert.equal(b.notIp, 0);
    addAll(b, withType(UNTAGGED, 12, 0x0806)); // ARP
    addAll(b, withType(UNTAGGED, 12, 0x0064)); // an 802.3 length field
    addAll(b, withType(TAGGED, 16, 0x0806)); // tagged ARP
    addAll(b, withType(UNTAGGED, 12, 0x88a8)); // a QinQ outer tag
    assert.deepEqual([b.count, b.byteLength, b.notIp, b.tooShort], [3, size, 4, 0]);
    b.clearDrops();
    assert.deepEqual([b.notIp, b.tooShort], [0, 0]);
    assert.equal(b.count, 3, 'clearDrops leaves the records');
  });

  it('add: frames too short for the label are skipped and counted; a frame 2 s after the first, or one that does not fit, stops add where it is', () => {
    const b = new ZmqBatchBuilder(12, UUID, zmqAppend, 24 + 2 * (18 + 64));
    addAll(b, packet(UNTAGGED.subarray(0, 13)));
    addAll(b, packet(TAGGED, 1, 0, 17));
    assert.deepEqual([b.count, b.tooShort], [0, 2]);
    const at = (sec: number) => packet(Buffer.concat([UNTAGGED, Buffer.alloc(60)]).subarray(0, 60), sec);
    assert.equal(b.add(at(100)), 1);
    assert.equal(b.add(at(102)), 0, 'rule 2: two seconds after the first');
    assert.equal(b.add(at(101)), 1, 'the next second is the same batch');
    assert.equal(b.add(at(101)), 0, 'rule 3: no room');
    assert.equal(b.count, 2);
    b.finish();
    assert.equal(b.add(at(102)), 1, 'an empty batch takes any second');
  });

  it('add: a frame that does not fit even an empty message is a RangeError', () => {
    const b = new ZmqBatchBuilder(12, UUID, zmqAppend, 24 + 18 + 64);
    assert.throws(() => b.add(packet(ipv4Frame(61))), RangeError);
    assert.equal(b.add(packet(ipv4Frame(60))), 1, 'one byte less fits exactly');
    assert.equal(b.byteLength, 24 + 18 + 64);
  });

  it('frames too short for the label: under 14 bytes, or tagged under 18 (caplen decides); 14 and 18 are labelled', () => {
    const b = new ZmqBatchBuilder(12, UUID, zmqAppend);
    addAll(b, packet(UNTAGGED.subarray(0, 13)));
    addAll(b, packet(TAGGED, 1, 0, 17));
    addAll(b, packet(UNTAGGED, 1, 0, 13));
    assert.deepEqual([b.count, b.byteLength, b.tooShort], [0, 24, 3]);

    addAll(b, packet(UNTAGGED.subarray(0, 14)));
    addAll(b, packet(TAGGED.subarray(0, 18)));
    const [r1, r2] = decodeZmqBatch(b.finish()).records;
    assert.ok(r1!.data.equals(hex(`${MACS} 88 47 80 00 c1 ff`)));
    assert.ok(r2!.data.equals(hex(`${MACS} 81 00 00 64 88 47 80 00 c1 ff`)));
  });
});

describe('ZmqBatchBuilder: flush rules and reuse', () => {
  it('rule 3: stops at 1 MiB, and a record that ends exactly there fits', () => {
    const b = new ZmqBatchBuilder(12, UUID, zmqAppend);
    // (1048576 - 24) / (18 + 1518) = 682.6
    assert.equal(b.add(repeated(ipv4Frame(1514), 1000)), 682);
    assert.deepEqual([b.count, b.byteLength], [682, 24 + 682 * 1536]);
    const remaining = ZMQ_MAX_BATCH_BYTES - b.byteLength;
    assert.equal(b.add(packet(ipv4Frame(remaining - 18 - 4 + 1), 1)), 0, 'one byte too many');
    assert.equal(b.add(packet(ipv4Frame(remaining - 18 - 4), 1)), 1);
    assert.equal(b.byteLength, ZMQ_MAX_BATCH_BYTES);
    assert.equal(b.add(packet(ipv4Frame(14), 1)), 0);
    assert.equal(b.finish().length, ZMQ_MAX_BATCH_BYTES);
  });

  it('rule 1 cannot trigger at 1 MiB: the smallest record is 36 bytes', () => {
    const b = new ZmqBatchBuilder(12, UUID, zmqAppend);
    const expected = Math.floor((ZMQ_MAX_BATCH_BYTES - 24) / 36);
    assert.equal(b.add(repeated(ipv4Frame(14), expected + 10)), expected);
    assert.equal(b.count, expected);
    assert.ok(b.count < ZMQ_MAX_RECORDS);
  });

  it('rule 1: at most 65535 records, whatever room is left', () => {
    const b = new ZmqBatchBuilder(12, UUID, zmqAppend, 4 * ZMQ_MAX_BATCH_BYTES);
    assert.equal(b.add(repeated(ipv4Frame(14), ZMQ_MAX_RECORDS + 2)), ZMQ_MAX_RECORDS);
    assert.ok(b.byteLength + 36 < 4 * ZMQ_MAX_BATCH_BYTES, 'room was left');
    const msg = b.finish();
    assert.ok(msg.subarray(2, 4).equals(hex('ff ff   # count 65535')));
    assert.equal(decodeZmqBatch(msg).records.length, ZMQ_MAX_RECORDS);
  });

  it('rule 2: a frame 2 seconds after the first one starts a new batch (add stops at it)', () => {
    const b = new ZmqBatchBuilder(12, UUID, zmqAppend);
    assert.equal(b.add(packet(UNTAGGED, 100)), 1, 'an empty batch takes any second');
    assert.equal(b.add(batchOf([100, 99, 101].map((sec) => testPacket(sec, 0, UNTAGGED.length, UNTAGGED.length, UNTAGGED)))), 3);
    const later = batchOf([101, 102, 103].map((sec) => testPacket(sec, 0, UNTAGGED.length, UNTAGGED.length, UNTAGGED)));
    // The first record decides: not the latest (101 would take 102), not the earliest (99 would stop at 101).
    assert.equal(b.add(later), 1, 'stops at the record of second 102');
    assert.deepEqual(decodeZmqBatch(b.finish()).records.map((r) => r.tsSec), [100, 100, 99, 101, 101]);
    assert.equal(b.add(later, 1), 3, 'the next message starts at 102 and takes 103');
    assert.deepEqual(decodeZmqBatch(b.finish()).records.map((r) => r.tsSec), [102, 103]);
  });
  it('finish() resets, never re-sends, and returns a copy', () => {
    const b = new ZmqBatchBuilder(12, UUID, zmqAppend);
    addAll(b, packet(UNTAGGED, 1));
    const first = b.finish();
    const firstBytes = Buffer.from(first);
    assert.deepEqual([b.count, b.byteLength], [0, 24]);

    addAll(b, packet(TAGGED, 2), DIR_OUT);
    const second = b.finish();
    assert.ok(first.equals(firstBytes), 'refilling the builder left the sent message alone');
    const batch = decodeZmqBatch(second);
    assert.equal(batch.records.length, 1);
    assert.equal(batch.records[0]!.tsSec, 2);
    assert.ok(second.subarray(2, 4).equals(hex('00 01')));

    const empty = b.finish();
    assert.ok(empty.equals(hex(`00 02 00 00 00 00 00 0c ${UUID.toString('hex')}`)));
  });
});

describe('ZmqBatchBuilder: frames inside a shared buffer', () => {
  it('frames at non-zero offsets give the same bytes as the same frames at offset 0', () => {
    const frames = [UNTAGGED, TAGGED, IPV6, UNTAGGED.subarray(0, 14), TAGGED.subarray(0, 18)];
    // Filler before and between the frames; an 802.1Q type at the buffer's bytes 12-13 and 0xee
    // everywhere else, so reading at the buffer's start instead of the frame's shows.
    const filler = (n: number) => Buffer.alloc(n, 0xee);
    const head = filler(31);
    head.writeUInt16BE(0x8100, 12);
    const parts: Buffer[] = [head];
    const offsets: number[] = [];
    let at = head.length;
    for (const f of frames) {
      offsets.push(at);
      parts.push(f, filler(7));
      at += f.length + 7;
    }
    const shared = Buffer.concat(parts);
    const inShared = new PacketBatch(1);
    frames.forEach((f, i) => inShared.add(shared, offsets[i]!, f.length, f.length + 10, 1_700_000_000, 1000 * i, LINKTYPE_ETHERNET));
    const separate = batchOf(frames.map((f, i) => testPacket(1_700_000_000, 1000 * i, f.length, f.length + 10, Buffer.from(f))));

    // Direction codes 0, 1, 2, 0, 1: each frame's own entry.
    frames.forEach((_, i) => (inShared.direction[i] = separate.direction[i] = i % 3));
    const viaShared = new ZmqBatchBuilder(12, UUID, zmqAppend);
    const viaSeparate = new ZmqBatchBuilder(12, UUID, zmqAppend);
    addAll(viaShared, inShared);
    addAll(viaSeparate, separate);
    const got = viaShared.finish();
    const want = viaSeparate.finish();
    assert.ok(got.equals(want));
    assert.ok(!got.subarray(ZMQ_BATCH_HEADER_LEN).includes(0xee), 'no filler byte was copied');
    const records = decodeZmqBatch(got).records;
    assert.equal(records.length, frames.length);
    frames.slice(0, 3).forEach((f, i) => assert.ok(unlabelFrame(records[i]!.data).equals(f), `frame ${i}`));
  });

  it('add reads each frame at its offset', () => {
    const b = new ZmqBatchBuilder(12, UUID, zmqAppend);
    const shared = Buffer.concat([Buffer.from(TAGGED.subarray(0, 17)), ARP, UNTAGGED]);
    const batch = new PacketBatch(1);
    batch.add(shared, 17, ARP.length, ARP.length, 1, 0, LINKTYPE_ETHERNET);
    batch.add(shared, 17 + ARP.length, UNTAGGED.length, UNTAGGED.length, 1, 0, LINKTYPE_ETHERNET);
    batch.add(shared, 0, 17, 17, 1, 0, LINKTYPE_ETHERNET);
    addAll(b, batch);
    // ARP after a tagged header: not IP; IPv4 after ARP: carried; tagged and 17 bytes: too short.
    assert.deepEqual([b.notIp, b.count, b.tooShort], [1, 1, 1]);
    assert.ok(unlabelFrame(decodeZmqBatch(b.finish()).records[0]!.data).equals(UNTAGGED));
  });
});

describe('decodeZmqBatch', () => {
  it('version 2 round trip, and unlabelFrame gives the frames back', () => {
    const frames = [UNTAGGED, TAGGED, IPV6];
    const b = new ZmqBatchBuilder(0xabc, UUID, zmqAppend);
    const seconds = [10, 11, 11];
    frames.forEach((f, i) => addAll(b, packet(f, seconds[i], 1000 * i, f.length, f.length + 100), i));
    const batch = decodeZmqBatch(b.finish());
    assert.equal(batch.version, 2);
    assert.equal(batch.keybit, 0xabc);
    assert.ok(batch.uuid!.equals(UUID));
    assert.equal(batch.records.length, 3);
    batch.records.forEach((r, i) => {
      const f = frames[i]!;
      assert.deepEqual([r.tsSec, r.tsUsec, r.caplen, r.wirelen], [seconds[i], i, f.length + 4, f.length + 104]);
      assert.ok(unlabelFrame(r.data).equals(f), `frame ${i}`);
    });
  });

  it('legacy version 1: 8-byte header, original lengths, unmodified frames', () => {
    const msg = hex(`
      00 01         # version 1
      00 02         # 2 records
      00 00 00 01   # keybit 1 (the 0.3.6 default)
      00 10         # N = 16
      5b 2a 25 73   # 1529488755 s
      00 00 00 3a   # 58 µs
      00 00 00 10   # caplen 16
      00 00 00 10   # wire length 16
      ${MACS} 08 00 45 00   # the frame as captured
      00 0e         # N = 14
      5b 2a 25 74   # 1529488756 s
      00 0f 42 3f   # 999999 µs
      00 00 00 0e   # caplen 14
      00 00 05 ea   # wire length 1514
      ${MACS} 08 00`);
    const batch = decodeZmqBatch(msg);
    assert.deepEqual({ ...batch, records: batch.records.length }, { version: 1, keybit: 1, uuid: null, records: 2 });
    const [a, b] = batch.records;
    assert.deepEqual([a!.tsSec, a!.tsUsec, a!.caplen, a!.wirelen], [1529488755, 58, 16, 16]);
    assert.ok(a!.data.equals(hex(`${MACS} 08 00 45 00`)));
    assert.deepEqual([b!.tsSec, b!.tsUsec, b!.caplen, b!.wirelen], [1529488756, 999999, 14, 1514]);
    assert.ok(b!.data.equals(hex(`${MACS} 08 00`)));
  });

  it('an empty batch decodes to no records', () => {
    assert.deepEqual(decodeZmqBatch(hex(`00 02 00 00 00 00 00 0c ${UUID.toString('hex')}`)).records, []);
    assert.deepEqual(decodeZmqBatch(hex('00 01 00 00 00 00 00 01')).records, []);
  });

  it('typed errors for every kind of damage', () => {
    const good = message([packet(UNTAGGED), packet(TAGGED)]);
    assert.throws(() => decodeZmqBatch(hex('00')), TruncatedError);
    assert.throws(() => decodeZmqBatch(good.subarray(0, 23)), TruncatedError);
    assert.throws(() => decodeZmqBatch(hex('00 01 00 00 00 00 00')), TruncatedError);
    assert.throws(() => decodeZmqBatch(good.subarray(0, 24 + 17)), TruncatedError, 'record header cut');
    assert.throws(() => decodeZmqBatch(good.subarray(0, good.length - 1)), TruncatedError, 'record data cut');
    for (const version of [0, 3, 0x0200]) {
      const bad = Buffer.from(good);
      bad.writeUInt16BE(version, 0);
      assert.throws(() => decodeZmqBatch(bad), CorruptError, `version ${version}`);
    }
    assert.throws(() => decodeZmqBatch(Buffer.concat([good, hex('00')])), CorruptError, 'trailing byte');
    const fewer = Buffer.from(good);
    fewer.writeUInt16BE(1, 2);
    assert.throws(() => decodeZmqBatch(fewer), CorruptError, 'count below the records present');
    const oversized = Buffer.from(good);
    oversized.writeUInt32BE(UNTAGGED.length + 3, 24 + 10);
    assert.throws(() => decodeZmqBatch(oversized), CorruptError, 'N above caplen');
  });

  it('records are views into the message', () => {
    const msg = message([packet(UNTAGGED)]);
    const [rec] = decodeZmqBatch(msg).records;
    assert.equal(rec!.data.buffer, msg.buffer);
  });
});

describe('unlabelFrame', () => {
  it('IPv4, untagged: the worked example comes back whole', () => {
    const p = firstSamplePacket();
    const [rec] = decodeZmqBatch(message([p])).records;
    assert.ok(unlabelFrame(rec!.data).equals(p.frame(0)));
  });

  it('IPv6, untagged: 0x86DD from the first nibble 6', () => {
    const labelled = hex(`${MACS} 88 47 88 00 c1 ff  60 00 00 00 00 00 3b 40`);
    assert.ok(unlabelFrame(labelled).equals(hex(`${MACS} 86 dd  60 00 00 00 00 00 3b 40`)));
  });

  it('IPv4, 802.1Q: tag kept, inner EtherType restored', () => {
    const labelled = hex(`${MACS} 81 00 00 64  88 47 90 00 c1 ff  45 00 00 1c`);
    assert.ok(unlabelFrame(labelled).equals(hex(`${MACS} 81 00 00 64  08 00  45 00 00 1c`)));
  });

  it('labelEntry reads the entry where the label went: after the EtherType, or after one 802.1Q tag', () => {
    assert.equal(labelEntry(hex(`${MACS} 88 47 88 00 c1 ff  60 00 00 00`)), 0x8800c1ff);
    assert.equal(labelEntry(hex(`${MACS} 81 00 00 64  88 47 90 00 c1 ff  45 00 00 1c`)), 0x9000c1ff);
  });

  it('unidentifiable payloads keep the label: the same buffer comes back', () => {
    const arp = hex(`${MACS} 88 47 80 00 c1 ff  00 01 08 00`);
    assert.equal(unlabelFrame(arp), arp, 'ARP: first nibble 0');
    const notBottom = hex(`${MACS} 88 47 80 00 c0 ff  45 00 00 1c   # S = 0: another label follows`);
    assert.equal(unlabelFrame(notBottom), notBottom);
    const noPayload = hex(`${MACS} 88 47 80 00 c1 ff`);
    assert.equal(unlabelFrame(noPayload), noPayload);
  });

  it('typed errors: short frames, frames without the entry', () => {
    assert.throws(() => unlabelFrame(hex(`${MACS} 88`)), TruncatedError);
    assert.throws(() => unlabelFrame(hex(`${MACS} 88 47 80 00 c1`)), TruncatedError);
    assert.throws(() => unlabelFrame(hex(`${MACS} 81 00 00 64 88 47 80 00 c1`)), TruncatedError);
    assert.throws(() => unlabelFrame(hex(`${MACS} 81 00 00 64`)), TruncatedError);
    assert.throws(() => unlabelFrame(UNTAGGED), CorruptError);
    assert.throws(() => unlabelFrame(TAGGED), CorruptError);
  });
});

describe('agent UUID text', () => {
  it('parseUuidText is the same rule without the file', () => {
    assert.deepEqual(parseUuidText(UUID_TEXT), { uuid: UUID, problem: null });
    assert.ok(parseUuidText('x').uuid.equals(ZERO_UUID));
  });
});

describe('fuzz: receivers see only typed errors', () => {
  const rnd = seededRandom(0x8847);
  const byte = (): number => Math.floor(rnd() * 256);
  const randomBytes = (max: number): Buffer => {
    const b = Buffer.alloc(Math.floor(rnd() * max));
    for (let j = 0; j < b.length; j++) b[j] = byte();
    return b;
  };
  const mutate = (valid: Buffer, flips: number): Buffer => {
    const b = Buffer.from(valid.subarray(0, rnd() < 0.3 ? Math.floor(rnd() * (valid.length + 1)) : valid.length));
    for (let k = 0; k < flips && b.length > 0; k++) b[Math.floor(rnd() * Math.min(b.length, 64))] = byte();
    return rnd() < 0.1 ? Buffer.concat([b, randomBytes(8)]) : b;
  };

  it('decodeZmqBatch', () => {
    const valid = [
      message([packet(UNTAGGED), packet(TAGGED), packet(ARP)], DIR_OUT),
      hex(`00 01 00 01 00 00 00 01  00 0e 00 00 00 01 00 00 00 00 00 00 00 0e 00 00 00 0e ${MACS} 08 00`),
    ];
    let values = 0;
    for (let i = 0; i < 6000; i++) {
      let msg: Buffer;
      if (i % 3 === 0) {
        msg = randomBytes(64);
        if (msg.length >= 2) msg.writeUInt16BE(1 + (i % 2), 0);
      } else {
        msg = mutate(valid[i % 2]!, 1 + Math.floor(rnd() * 3));
      }
      try {
        const batch = decodeZmqBatch(msg);
        for (const r of batch.records) assert.ok(r.data.length <= r.caplen);
        values++;
      } catch (e) {
        assert.ok(isDecodeError(e), `input ${msg.toString('hex')} threw ${String(e)}`);
      }
    }
    assert.ok(values > 100, 'the fuzz reached the success path');
  });

  it('unlabelFrame', () => {
    // A labelled ARP frame as the reference sends it (our builder carries IP frames only).
    const labelledArp = Buffer.concat([ARP.subarray(0, 12), hex('88 47 80 00 c1 ff'), ARP.subarray(14)]);
    const valid = [...[UNTAGGED, TAGGED, IPV6].map((f) => decodeZmqBatch(message([packet(f)])).records[0]!.data), labelledArp];
    let values = 0;
    for (let i = 0; i < 6000; i++) {
      let data: Buffer;
      if (i % 3 === 0) {
        data = randomBytes(40);
        if (data.length >= 14) data.writeUInt16BE(i % 2 ? 0x8847 : 0x8100, 12);
      } else {
        data = mutate(valid[i % valid.length]!, 1 + Math.floor(rnd() * 2));
      }
      try {
        const out = unlabelFrame(data);
        assert.ok(out === data || out.length === data.length - 4);
        values++;
      } catch (e) {
        assert.ok(isDecodeError(e), `input ${data.toString('hex')} threw ${String(e)}`);
      }
    }
    assert.ok(values > 100, 'the fuzz reached the success path');
  });
});

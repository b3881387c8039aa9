import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CorruptError, isDecodeError, TruncatedError } from '../../lib/errors.js';
import { DIR_IN, DIR_NONE, DIR_OUT } from '../../lib/packet.js';
import {
  CAPTIME_TRAILER_LEN,
  decodeVxlanHeader,
  seededSum,
  v1Direction,
  v1MatchesVni,
  verifyV1Check,
  vxlanCheck,
  VXLAN_HEADER_LEN,
} from '../../lib/proto/vxlan.js';
import { FIXTURES, seededRandom } from '../helpers/capture-files.js';
import { vxlanHeader, vxlanPayload } from '../helpers/encap.js';
import { hex } from '../helpers/hex.js';

/** The first record of sample.pcap, read past the 24-byte global and 16-byte record headers. */
function firstSampleFrame(): Buffer {
  const file = readFileSync(new URL('sample.pcap', FIXTURES));
  assert.equal(file.readUInt32LE(0), 0xa1b2c3d4, 'little-endian µs pcap');
  assert.equal(file.readUInt32LE(24 + 8), 200, 'caplen');
  return file.subarray(40, 40 + 200);
}

const FRAME = firstSampleFrame();

/** The headers the sink writes (the addon's encapAppend, test/helpers/encap.ts). */
const v1 = (vni: number, direction: number, frame = FRAME, caplen = frame.length): Buffer => vxlanHeader(1, vni, direction, frame, { caplen });
const v2 = (value: number, direction: number): Buffer => vxlanHeader(2, value, direction);

describe('VXLAN encoding (spec §5.3)', () => {
  it('constants', () => {
    assert.equal(VXLAN_HEADER_LEN, 8);
    assert.equal(CAPTIME_TRAILER_LEN, 8);
  });

  it('the fixture frame is the one the worked examples use', () => {
    assert.ok(
      FRAME.subarray(0, 34).equals(
        hex(`
          00 14 5e 79 e7 3c  00 1c 7f 62 39 91  08 00   # Ethernet, IPv4
          45 00 00 ba 90 fc 40 00 37 06 4c 90 0a c8 af 53 0a 64 a1 32   # IPv4 header`),
      ),
    );
  });

  it('seededSum: the spec unit vector 01 02 02 03 → 31834', () => {
    assert.equal(seededSum(hex('01 02 02 03')), 31834);
  });

  it('seededSum: odd length adds the last byte; the second fold matters', () => {
    // 0x4A3B2D1C + 0x0201 + 0x03 = 0x4A3B2F20 → 0x4A3B + 0x2F20 = 0x795B
    assert.equal(seededSum(hex('01 02 03')), 0x795b);
    // 0x4A3B2D1C + 0x88A9 = 0x4A3BB5C5 → 0x4A3B + 0xB5C5 = 0x10000 → 0x1 + 0x0000 = 1
    assert.equal(seededSum(hex('a9 88')), 1);
    assert.equal(seededSum(Buffer.alloc(0)), 0x4a3b + 0x2d1c);
  });

  it('table row: v1, V=12, direction 2 (folded sum 0x5192)', () => {
    assert.ok(v1(12, DIR_OUT).equals(hex('08 00 00 00  20 00 0c  92   # I flag | VNI dir 2 << 20 | 12 | check')));
    const summed = Buffer.concat([hex('08 00 00 00  20 00 0c  00'), FRAME.subarray(0, 34)]);
    assert.equal(seededSum(summed), 0x5192);
  });

  it('table row: v1, V=12, direction 1', () => {
    assert.ok(v1(12, DIR_IN).equals(hex('08 00 00 00  10 00 0c  82')));
  });

  it('table row: v1, V=12, direction 0', () => {
    assert.ok(v1(12, DIR_NONE).equals(hex('08 00 00 00  00 00 0c  72')));
  });

  it('table row: v1, V=0xABCDEF, direction 0 keeps all 24 bits', () => {
    assert.ok(v1(0xabcdef, DIR_NONE).equals(hex('08 00 00 00  ab cd ef  01')));
  });

  it('table row: v2, V=260, direction 2', () => {
    assert.ok(v2(260, DIR_OUT).equals(hex('08 00 00 00  00 00 01 06   # (0x104 + 2) as uint32')));
  });

  it('table row: v2, V=0x123494 (domain 0x1234, E=1, point 5), direction 1', () => {
    assert.ok(v2(0x123494, DIR_IN).equals(hex('08 00 00 00  00 12 34 95   # domain | E(1) point(5) dir(1)')));
  });

  it('v1 with a direction clears VNI bits 19..12; bits above 24 are lost', () => {
    const h = v1(0xabcdef, DIR_IN);
    assert.ok(h.subarray(0, 7).equals(hex('08 00 00 00  10 0d ef')));
    assert.ok(verifyV1Check(h, FRAME, FRAME.length));
    assert.ok(v1(0x1abcdef, DIR_NONE).equals(v1(0xabcdef, DIR_NONE)));
  });

  it('v2 adds as uint32 and does not shift a hand-written value', () => {
    assert.ok(v2(100, DIR_OUT).equals(hex('08 00 00 00  00 00 00 66   # --vni2 100: VNI 0, byte 7 = 102')));
    assert.ok(v2(0xffffffff, DIR_IN).equals(hex('08 00 00 00  00 00 00 00   # wraps like the reference')));
  });

  it('a frame under 34 bytes is padded with zeros, not stale bytes', () => {
    const frame = hex(`
      ff ff ff ff ff ff   # broadcast
      00 00 5e 00 53 01   # source
      08 06               # ARP, and nothing more captured`);
    // Words (LE) of 08 00 00 00 00 00 0c 00: 0x0008 + 0x000C = 0x14.
    // Frame: 3 × 0xFFFF + 0x0000 + 0x005E + 0x0153 + 0x0608 = 0x307B6; 20 zero bytes add nothing.
    // 0x4A3B2D1C + 0x14 + 0x307B6 = 0x4A3E34E6 → 0x4A3E + 0x34E6 = 0x7F24 → check 0x24.
    const expected = hex('08 00 00 00  00 00 0c  24');
    // A longer frame first, so a checker that reused its last bytes would see them. Not an
    // IPv4 header: a valid one sums to zero in ones' complement and would hide them.
    v1(12, DIR_NONE, Buffer.alloc(34, 0x5a));
    assert.ok(v1(12, DIR_NONE, frame).equals(expected));
    const stale = Buffer.alloc(60, 0x5a);
    frame.copy(stale);
    assert.ok(v1(12, DIR_NONE, stale, frame.length).equals(expected), 'bytes past caplen ignored');
  });

  it('only the first 34 frame bytes count', () => {
    const changed = Buffer.from(FRAME);
    changed[34] ^= 0xff;
    assert.ok(v1(12, DIR_OUT, changed).equals(v1(12, DIR_OUT)));
    // An even position: it lands in a word's low byte, which is all the check keeps.
    changed[32] ^= 0x01;
    assert.notEqual(v1(12, DIR_OUT, changed)[7], 0x92);
  });

  it('vxlanCheck ignores byte 7 of the header it is given', () => {
    assert.equal(vxlanCheck(hex('08 00 00 00  20 00 0c  ff'), FRAME, FRAME.length), 0x92);
    assert.throws(() => vxlanCheck(hex('08 00 00 00  20 00 0c'), FRAME, FRAME.length), TruncatedError);
  });

  it('a frame at an offset in a larger buffer gives the check of the same frame alone', () => {
    const file = readFileSync(new URL('sample.pcap', FIXTURES));
    assert.ok(file.subarray(40, 40 + FRAME.length).equals(FRAME));
    const atOffset = (vni: number, direction: number, caplen: number): Buffer => vxlanHeader(1, vni, direction, file, { offset: 40, caplen });
    const checks = new Set<number>();
    for (const [vni, direction] of [[12, DIR_OUT], [0xabcdef, 0], [7, 1]] as const) {
      for (const caplen of [FRAME.length, 20, 5, 0]) {
        const want = v1(vni, direction, FRAME, caplen);
        assert.ok(atOffset(vni, direction, caplen).equals(want), `vni ${vni} dir ${direction} caplen ${caplen}`);
        checks.add(want[7]!);
      }
    }
    assert.ok(checks.size > 3, 'the cases differ in their check byte');
    // A frame ending at its buffer's end: the check reads no byte past it.
    const tail = Buffer.concat([hex('ee ee ee'), FRAME.subarray(0, 6)]);
    assert.ok(vxlanHeader(1, 12, DIR_OUT, tail, { offset: 3 }).equals(v1(12, DIR_OUT, FRAME.subarray(0, 6))));
  });

  it('capTime trailer: seconds, then whole microseconds × 1000', () => {
    const trailer = (tsSec: number, tsNsec: number): Buffer => vxlanPayload(1, 12, DIR_OUT, FRAME, { tsSec, tsNsec }).subarray(-CAPTIME_TRAILER_LEN);
    assert.ok(trailer(1529488755, 58_999).equals(hex('5b 2a 25 73   # 1529488755 s\n 00 00 e2 90   # 58 µs → 58000 ns')));
    assert.ok(trailer(0, 999_999_999).equals(hex('00 00 00 00  3b 9a c6 18   # 999999000')));
  });
});

describe('VXLAN decoding for receivers', () => {
  it('decodes every table row', () => {
    assert.deepEqual(decodeVxlanHeader(v1(12, DIR_OUT), 0), { vni: 0x20000c, flags: 0x08, reserved7: 0x92 });
    assert.deepEqual(decodeVxlanHeader(v1(0xabcdef, DIR_NONE), 0), { vni: 0xabcdef, flags: 0x08, reserved7: 0x01 });
    assert.deepEqual(decodeVxlanHeader(v2(0x123494, DIR_IN), 0), { vni: 0x1234, flags: 0x08, reserved7: 0x95 });
    const at3 = Buffer.concat([hex('00 00 00'), v2(260, DIR_OUT)]);
    assert.deepEqual(decodeVxlanHeader(at3, 3), { vni: 1, flags: 0x08, reserved7: 0x06 });
  });

  it('reserved flag bits are ignored, a clear I flag is corrupt', () => {
    assert.equal(decodeVxlanHeader(hex('ff ff ff ff  00 00 07 00'), 0).vni, 7);
    assert.throws(() => decodeVxlanHeader(hex('f7 00 00 00  00 00 07 00'), 0), CorruptError);
  });

  it('short buffers give TruncatedError', () => {
    assert.throws(() => decodeVxlanHeader(hex('08 00 00 00  00 00 07'), 0), TruncatedError);
    assert.throws(
      () => decodeVxlanHeader(v1(12, DIR_OUT), 2),
      (e: unknown) => e instanceof TruncatedError && e.offset === 2 && e.needed === 8 && e.available === 6,
    );
    assert.throws(() => decodeVxlanHeader(v1(12, DIR_OUT), 20), TruncatedError);
  });

  it('v1Direction reads VNI bits 23..20', () => {
    assert.equal(v1Direction(0x20000c), DIR_OUT);
    assert.equal(v1Direction(0x10000c), DIR_IN);
    assert.equal(v1Direction(0x00000c), DIR_NONE);
  });

  it('v1MatchesVni: exact V, or direction + V & 0xFFF with bits 19..12 clear', () => {
    const cases: [number, number, boolean][] = [
      [0x00000c, 12, true],
      [0x10000c, 12, true],
      [0x20000c, 12, true],
      [0xabcdef, 0xabcdef, true],
      [0x100def, 0xabcdef, true],
      [0x200def, 0xabcdef, true],
      [0xabcdef, 0x1abcdef, true], // bits above 24 of the configured V are never sent
      [0x000def, 0xabcdef, false], // direction 0 carries the whole V
      [0x20000d, 12, false],
      [0x00000c, 13, false],
      [0x20100c, 12, false], // bit 12 set: not what a v1 sender with a direction writes
    ];
    for (const [vni, configured, expected] of cases) {
      assert.equal(v1MatchesVni(vni, configured), expected, `vni ${vni.toString(16)} vs ${configured.toString(16)}`);
    }
  });

  it('verifyV1Check recomputes with byte 7 zeroed', () => {
    for (const [vni, dir] of [[12, DIR_OUT], [12, DIR_IN], [12, DIR_NONE], [0xabcdef, DIR_NONE]] as const) {
      const h = v1(vni, dir);
      assert.ok(verifyV1Check(h, FRAME, FRAME.length), `${vni}/${dir}`);
      h[7] ^= 0x01;
      assert.ok(!verifyV1Check(h, FRAME, FRAME.length), `${vni}/${dir} tampered check`);
    }
    const changed = Buffer.from(FRAME);
    changed[20] ^= 0x01;
    assert.ok(!verifyV1Check(v1(12, DIR_OUT), changed, changed.length), 'tampered frame');
  });

  it('fuzz: random and mutated buffers give a header or a typed error', () => {
    const rnd = seededRandom(0x7348);
    const byte = (): number => Math.floor(rnd() * 256);
    const valid = v1(12, DIR_OUT);
    let values = 0;
    for (let i = 0; i < 4000; i++) {
      let b: Buffer;
      if (i % 2 === 0) {
        b = Buffer.alloc(Math.floor(rnd() * 16));
        for (let j = 0; j < b.length; j++) b[j] = byte();
      } else {
        b = Buffer.from(valid.subarray(0, Math.floor(rnd() * (valid.length + 1))));
        for (let k = 0; k < 2 && b.length > 0; k++) b[Math.floor(rnd() * b.length)] = byte();
      }
      const offset = Math.floor(rnd() * 3);
      try {
        const h = decodeVxlanHeader(b, offset);
        assert.ok(h.vni >= 0 && h.vni <= 0xffffff && (h.flags & 0x08) !== 0);
        verifyV1Check(b.subarray(offset), b, b.length);
        values++;
      } catch (e) {
        assert.ok(isDecodeError(e), `input ${b.toString('hex')} at ${offset} threw ${String(e)}`);
      }
    }
    assert.ok(values > 100, 'the fuzz reached the success path');
  });
});

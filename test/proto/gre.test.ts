import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CorruptError, isDecodeError, TruncatedError } from '../../lib/errors.js';
import { DIR_IN, DIR_NONE, DIR_OUT } from '../../lib/packet.js';
import { decodeGreHeader, GRE_HEADER_LEN, GRE_PROTO_TEB } from '../../lib/proto/gre.js';
import { seededRandom } from '../helpers/capture-files.js';
import { encapsulate, gre, greHeader as header } from '../helpers/encap.js';
import { hex } from '../helpers/hex.js';

/** The key field the sink writes for --keybit `keybit` and a frame of `direction`. */
const greKey = (keybit: number, direction: number): number => header(keybit, direction).readUInt32BE(4);

describe('GRE encoding (spec §5.2)', () => {
  it('constants', () => {
    assert.equal(GRE_HEADER_LEN, 8);
    assert.equal(GRE_PROTO_TEB, 0x6558);
  });

  it('worked example: -k 12, outgoing frame', () => {
    assert.ok(
      header(12, DIR_OUT).equals(
        hex(`
          20 00   # flags: K only, version 0
          65 58   # Transparent Ethernet Bridging
          20 00 00 0c   # key: direction 2 in bits 31..28 | keybit 12`),
      ),
    );
  });

  it('key 12 with each direction', () => {
    assert.ok(header(12, DIR_NONE).equals(hex('20 00 65 58  00 00 00 0c  # no direction bits')));
    assert.ok(header(12, DIR_IN).equals(hex('20 00 65 58  10 00 00 0c  # direction 1')));
    assert.ok(header(12, DIR_OUT).equals(hex('20 00 65 58  20 00 00 0c  # direction 2')));
  });

  it('default key 0xFFFFFFFF hides the direction (OR, not insert)', () => {
    for (const dir of [DIR_NONE, DIR_IN, DIR_OUT]) {
      assert.ok(header(0xffffffff, dir).equals(hex('20 00 65 58  ff ff ff ff')));
    }
  });

  it('key bits 31..28 mix with the direction', () => {
    assert.equal(greKey(0x10000000, DIR_OUT), 0x30000000);
    assert.equal(greKey(0x50000001, DIR_IN), 0x50000001);
  });

  it('the frame follows the header, whole', () => {
    const frame = Buffer.from('0102030405060708090a0b0c0d0e', 'hex');
    assert.ok(encapsulate(gre(0x0102_0304), frame, DIR_NONE).equals(Buffer.concat([hex('20 00 65 58 01 02 03 04'), frame])));
  });
});

describe('decodeGreHeader (RFC 2784 / RFC 2890)', () => {
  it('our own header: key, protocol, 8 bytes', () => {
    assert.deepEqual(decodeGreHeader(header(12, DIR_OUT), 0), { key: 0x2000000c, protocol: 0x6558, headerLen: 8 });
  });

  it('honours C, K and S: 4 bytes plus 4 per field, key after the checksum', () => {
    const all = hex(`
      b0 00 08 00   # C K S, version 0 | IPv4
      12 34 00 00   # checksum | reserved1
      00 00 00 2a   # key 42
      00 00 00 07   # sequence number 7`);
    assert.deepEqual(decodeGreHeader(all, 0), { key: 42, protocol: 0x0800, headerLen: 16 });
    assert.deepEqual(decodeGreHeader(hex('00 00 65 58'), 0), { key: null, protocol: 0x6558, headerLen: 4 });
    assert.deepEqual(decodeGreHeader(hex('80 00 65 58  ff ff 00 00   # C: checksum'), 0), {
      key: null,
      protocol: 0x6558,
      headerLen: 8,
    });
    assert.deepEqual(decodeGreHeader(hex('10 00 65 58  00 00 00 01   # S: sequence'), 0), {
      key: null,
      protocol: 0x6558,
      headerLen: 8,
    });
    assert.deepEqual(decodeGreHeader(hex('30 00 65 58  00 00 00 05  00 00 00 01   # K S'), 0), {
      key: 5,
      protocol: 0x6558,
      headerLen: 12,
    });
  });

  it('reads at an offset', () => {
    const b = Buffer.concat([hex('ff ff ff'), header(0xdeadbeef, DIR_NONE)]);
    assert.deepEqual(decodeGreHeader(b, 3), { key: 0xdeadbeef, protocol: 0x6558, headerLen: 8 });
  });

  it('short buffers give TruncatedError with offset and sizes', () => {
    assert.throws(() => decodeGreHeader(hex('20 00 65'), 0), TruncatedError);
    assert.throws(() => decodeGreHeader(header(1, DIR_NONE), 8), TruncatedError);
    assert.throws(() => decodeGreHeader(header(1, DIR_NONE), 100), TruncatedError);
    assert.throws(
      () => decodeGreHeader(hex('00  20 00 65 58 00 00'), 1),
      (e: unknown) => e instanceof TruncatedError && e.offset === 1 && e.needed === 8 && e.available === 6,
    );
    assert.throws(() => decodeGreHeader(hex('b0 00 65 58  00 00 00 00  00 00 00 00  00 00 00'), 0), TruncatedError);
  });

  it('version other than 0 is corrupt (e.g. PPTP enhanced GRE, version 1)', () => {
    assert.throws(() => decodeGreHeader(hex('30 01 88 0b  00 00 00 00  00 00 00 01'), 0), CorruptError);
    assert.throws(() => decodeGreHeader(hex('20 07 65 58  00 00 00 00'), 0), CorruptError);
  });

  it('routing, strict source route and recursion bits are corrupt (RFC 2784 §2.3)', () => {
    for (const flags of ['60 00', '28 00', '24 00']) {
      assert.throws(() => decodeGreHeader(hex(`${flags} 65 58  00 00 00 00  00 00 00 00`), 0), CorruptError, flags);
    }
    assert.deepEqual(decodeGreHeader(hex('23 f8 65 58  00 00 00 09   # K + reserved0 bits 6..12, ignored'), 0).key, 9);
  });

  it('fuzz: random and mutated buffers give a header or a typed error', () => {
    const rnd = seededRandom(0x67e);
    const byte = (): number => Math.floor(rnd() * 256);
    const valid = hex('b0 00 65 58  12 34 00 00  00 00 00 2a  00 00 00 07');
    let values = 0;
    for (let i = 0; i < 4000; i++) {
      let b: Buffer;
      if (i % 2 === 0) {
        b = Buffer.alloc(Math.floor(rnd() * 24));
        for (let j = 0; j < b.length; j++) b[j] = byte();
      } else {
        const cut = rnd() < 0.3 ? Math.floor(rnd() * (valid.length + 1)) : valid.length;
        b = Buffer.from(valid.subarray(0, cut));
        if (b.length > 0) b[Math.floor(rnd() * b.length)] = byte();
      }
      const offset = Math.floor(rnd() * 4);
      try {
        const h = decodeGreHeader(b, offset);
        assert.ok(h.headerLen >= 4 && offset + h.headerLen <= b.length);
        values++;
      } catch (e) {
        assert.ok(isDecodeError(e), `input ${b.toString('hex')} at ${offset} threw ${String(e)}`);
      }
    }
    assert.ok(values > 100, 'the fuzz reached the success path');
  });
});

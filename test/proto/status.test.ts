import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CorruptError, isDecodeError, TruncatedError } from '../../lib/errors.js';
import {
  decodeStatusRequest,
  decodeStatusResponse,
  encodeStatusError,
  encodeStatusRequest,
  encodeStatusResponse,
  StatusErrors,
  type StatusValues,
} from '../../lib/proto/status.js';
import { seededRandom } from '../helpers/capture-files.js';
import { hex } from '../helpers/hex.js';

/** What the reference's Python client sends: native (little-endian) order, query id 0x0F0F. */
const REQUEST_LE = hex(`
  30 32 4d 50  # magic 0x504D3230, little-endian
  10 00 00 00  # length 16
  01 00 00 00  # action 1: query status
  0f 0f 00 00  # query id 0x0F0F
`);

/** The same request in the byte order the reference's header comment names. */
const REQUEST_BE = hex(`
  50 4d 32 30  # magic, big-endian
  00 00 00 10  # length 16
  00 00 00 01  # action 1
  00 00 0f 0f  # query id 0x0F0F
`);

/** Totals with 64-bit values past 2^53, which a double would round. */
const VALUES: StatusValues = {
  firstPacketSec: 1529488755,
  lastPacketSec: 1529488760,
  capturedBytes: 0x0102030405060708n,
  capturedPackets: 8n,
  captureDrops: 3n,
  forwardedBytes: 2n ** 53n + 1n,
  forwardedPackets: 0xffffffffffffffffn,
};

const RESPONSE_LE = hex(`
  30 32 4d 50              # 0  magic (echo)
  48 00 00 00              # 4  length 72
  01 00 00 00              # 8  action 1 (echo)
  0f 0f 00 00              # 12 query id (echo)
  01 00 00 00              # 16 version 1
  73 25 2a 5b              # 20 first packet 1529488755 = 0x5B2A2573
  78 25 2a 5b              # 24 last packet 1529488760 = 0x5B2A2578
  00 00 00 00              # 28 padding
  08 07 06 05 04 03 02 01  # 32 captured bytes
  08 00 00 00 00 00 00 00  # 40 captured packets
  03 00 00 00 00 00 00 00  # 48 capture drops
  01 00 00 00 00 00 20 00  # 56 forwarded bytes 2^53 + 1
  ff ff ff ff ff ff ff ff  # 64 forwarded packets 2^64 - 1
`);

const RESPONSE_BE = hex(`
  50 4d 32 30              # 0  magic
  00 00 00 48              # 4  length 72
  00 00 00 01              # 8  action 1
  00 00 0f 0f              # 12 query id
  00 00 00 01              # 16 version 1
  5b 2a 25 73              # 20 first packet
  5b 2a 25 78              # 24 last packet
  00 00 00 00              # 28 padding
  01 02 03 04 05 06 07 08  # 32 captured bytes
  00 00 00 00 00 00 00 08  # 40 captured packets
  00 00 00 00 00 00 00 03  # 48 capture drops
  00 20 00 00 00 00 00 01  # 56 forwarded bytes
  ff ff ff ff ff ff ff ff  # 64 forwarded packets
`);

describe('status request', () => {
  it('decodes both byte orders of the magic, every field in the magic\'s order', () => {
    assert.deepEqual(decodeStatusRequest(REQUEST_LE), { ok: true, magicOrder: 'le', action: 1, queryId: 0x0f0f });
    assert.deepEqual(decodeStatusRequest(REQUEST_BE), { ok: true, magicOrder: 'be', action: 1, queryId: 0x0f0f });
  });

  it('a client\'s request is the table\'s 16 bytes, little-endian, and decodes back', () => {
    const golden = hex(`
      30 32 4d 50  # magic 0x504D3230, little-endian
      10 00 00 00  # length 16
      01 00 00 00  # action 1: query status
      78 56 34 12  # query id 0x12345678
    `);
    assert.ok(encodeStatusRequest(0x12345678).equals(golden));
    assert.ok(encodeStatusRequest(0x0f0f).equals(REQUEST_LE));
    assert.deepEqual(decodeStatusRequest(encodeStatusRequest(0xffffffff)), { ok: true, magicOrder: 'le', action: 1, queryId: 0xffffffff });
  });

  const refused: [string, Buffer, number, 'le' | 'be', number][] = [
    ['empty', Buffer.alloc(0), StatusErrors.size, 'le', 0],
    ['15 bytes', REQUEST_LE.subarray(0, 15), StatusErrors.size, 'le', 0],
    ['17 bytes, big-endian magic', Buffer.concat([REQUEST_BE, Buffer.of(0)]), StatusErrors.size, 'be', 0x0f0f],
    ['bad magic', hex('30 32 4d 51 10 00 00 00 01 00 00 00 0f 0f 00 00'), StatusErrors.magic, 'le', 0x0f0f],
    ['length 72', hex('30 32 4d 50 48 00 00 00 01 00 00 00 0f 0f 00 00'), StatusErrors.length, 'le', 0x0f0f],
    ['length little-endian in a big-endian request', hex('50 4d 32 30 10 00 00 00 00 00 00 01 00 00 0f 0f'), StatusErrors.length, 'be', 0x0f0f],
    ['action 0', hex('30 32 4d 50 10 00 00 00 00 00 00 00 0f 0f 00 00'), StatusErrors.action, 'le', 0x0f0f],
    ['action 2', hex('50 4d 32 30 00 00 00 10 00 00 00 02 00 00 0f 0f'), StatusErrors.action, 'be', 0x0f0f],
  ];
  for (const [what, request, error, order, queryId] of refused) {
    it(`refuses ${what} with its error code, order and query id`, () => {
      const d = decodeStatusRequest(request);
      assert.ok(!d.ok);
      assert.equal(d.error, error);
      assert.equal(d.magicOrder, order);
      assert.equal(d.queryId, queryId);
      assert.ok(d.reason.length > 0);
    });
  }

  it('never throws on random bytes, and accepts only what the table allows', () => {
    const rand = seededRandom(9);
    for (let i = 0; i < 20000; i++) {
      const b = Buffer.alloc(Math.floor(rand() * 24));
      for (let j = 0; j < b.length; j++) b[j] = rand() * 256;
      // Half the time a real magic and length, so the later checks are reached too.
      if (b.length === 16 && rand() < 0.5) (rand() < 0.5 ? REQUEST_LE : REQUEST_BE).copy(b, 0, 0, 8 + Math.floor(rand() * 2) * 4);
      const d = decodeStatusRequest(b);
      const le = b.length === 16 && b.readUInt32LE(0) === 0x504d3230 && b.readUInt32LE(4) === 16 && b.readUInt32LE(8) === 1;
      const be = b.length === 16 && b.readUInt32BE(0) === 0x504d3230 && b.readUInt32BE(4) === 16 && b.readUInt32BE(8) === 1;
      assert.equal(d.ok, le || be, b.toString('hex'));
    }
  });
});

describe('status response', () => {
  it('is the table\'s 72 bytes, little-endian for a little-endian request', () => {
    const d = decodeStatusRequest(REQUEST_LE);
    assert.ok(d.ok);
    assert.ok(encodeStatusResponse(d, VALUES).equals(RESPONSE_LE));
  });

  it('is big-endian throughout for a big-endian request', () => {
    const d = decodeStatusRequest(REQUEST_BE);
    assert.ok(d.ok);
    assert.ok(encodeStatusResponse(d, VALUES).equals(RESPONSE_BE));
  });

  it('truncates times to 32 bits and wraps 64-bit values instead of throwing', () => {
    const b = encodeStatusResponse(
      { magicOrder: 'le', action: 1, queryId: 0xffffffff },
      { ...VALUES, firstPacketSec: 2 ** 32 + 5.9, lastPacketSec: Number.NaN, capturedBytes: -1n, capturedPackets: 2n ** 64n + 7n },
    );
    assert.equal(b.readUInt32LE(12), 0xffffffff);
    assert.equal(b.readUInt32LE(20), 5);
    assert.equal(b.readUInt32LE(24), 0);
    assert.equal(b.readBigUInt64LE(32), 2n ** 64n - 1n);
    assert.equal(b.readBigUInt64LE(40), 7n);
  });

  it('decodes back (a client\'s side) in both orders', () => {
    assert.deepEqual(decodeStatusResponse(RESPONSE_LE), { queryId: 0x0f0f, magicOrder: 'le', values: VALUES });
    assert.deepEqual(decodeStatusResponse(RESPONSE_BE), { queryId: 0x0f0f, magicOrder: 'be', values: VALUES });
  });

  it('a client refuses anything but a status with a typed error', () => {
    assert.throws(() => decodeStatusResponse(RESPONSE_LE.subarray(0, 15)), TruncatedError);
    assert.throws(() => decodeStatusResponse(RESPONSE_LE.subarray(0, 71)), TruncatedError);
    assert.throws(() => decodeStatusResponse(Buffer.concat([RESPONSE_LE, Buffer.of(0)])), CorruptError);
    assert.throws(() => decodeStatusResponse(Buffer.alloc(72)), CorruptError);
    assert.throws(() => decodeStatusResponse(encodeStatusError({ error: StatusErrors.action, magicOrder: 'le', queryId: 1 })), /refused the request \(error 0x80000004\)/);
    const rand = seededRandom(10);
    for (let i = 0; i < 5000; i++) {
      const b = Buffer.from(RESPONSE_LE);
      b[Math.floor(rand() * 16)] = rand() * 256;
      try {
        decodeStatusResponse(b.subarray(0, Math.floor(rand() * 80)));
      } catch (e) {
        assert.ok(isDecodeError(e), String(e));
      }
    }
  });
});

describe('status error reply', () => {
  it('echoes the header with length 16 and the error code in the action field', () => {
    const d = decodeStatusRequest(hex('30 32 4d 50 10 00 00 00 02 00 00 00 0f 0f 00 00'));
    assert.ok(!d.ok);
    const golden = hex(`
      30 32 4d 50  # magic, the request's order
      10 00 00 00  # length 16: not a status
      04 00 00 80  # error 0x80000004: unknown action
      0f 0f 00 00  # query id (echo)
    `);
    assert.ok(encodeStatusError(d).equals(golden));
  });

  it('answers a big-endian request in big-endian, and unknown bytes little-endian with query id 0', () => {
    const be = decodeStatusRequest(hex('50 4d 32 30 00 00 00 11 00 00 00 01 12 34 56 78'));
    assert.ok(!be.ok);
    assert.ok(encodeStatusError(be).equals(hex('50 4d 32 30  00 00 00 10  80 00 00 03  12 34 56 78')));
    const junk = decodeStatusRequest(Buffer.from('GET /'));
    assert.ok(!junk.ok);
    assert.ok(encodeStatusError(junk).equals(hex('30 32 4d 50  10 00 00 00  01 00 00 80  00 00 00 00')));
  });
});

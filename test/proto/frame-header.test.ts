import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FRAME_HEADER_LEN, writeFrameHeader } from '../../lib/proto/frame-header.js';
import { IPPROTO_GRE, IPPROTO_UDP } from '../../lib/proto/ipv4.js';
import { hex } from '../helpers/hex.js';

describe('writeFrameHeader', () => {
  it('GRE with DF: golden bytes; length and checksum left to the sender, the id as it was', () => {
    const out = Buffer.alloc(FRAME_HEADER_LEN, 0xee);
    writeFrameHeader(out, {
      destinationMac: hex('02 00 5e 00 53 02'),
      sourceMac: hex('02 00 5e 00 53 01'),
      source: 0x0afc0101,
      destination: 0x0afc0102,
      protocol: IPPROTO_GRE,
      dontFragment: true,
    });
    assert.deepEqual(
      out,
      hex(`
        02 00 5e 00 53 02  02 00 5e 00 53 01  08 00   # next hop, our interface, IPv4
        45 00 00 00   # version 4, IHL 5 | TOS 0 | total length (per datagram)
        ee ee 40 00   # id (untouched) | DF
        40 2f 00 00   # TTL 64 | GRE | checksum (per datagram)
        0a fc 01 01   # source 10.252.1.1
        0a fc 01 02   # destination 10.252.1.2
      `),
    );
  });

  it('UDP without DF (-M dont)', () => {
    const out = Buffer.alloc(FRAME_HEADER_LEN);
    writeFrameHeader(out, {
      destinationMac: Buffer.alloc(6, 0xaa),
      sourceMac: Buffer.alloc(6, 0xbb),
      source: 1,
      destination: 0xffffff00,
      protocol: IPPROTO_UDP,
      dontFragment: false,
    });
    assert.equal(out.readUInt16BE(14 + 6), 0);
    assert.equal(out[14 + 9], 17);
    assert.equal(out.readUInt32BE(14 + 12), 1);
    assert.equal(out.readUInt32BE(14 + 16), 0xffffff00);
  });
});

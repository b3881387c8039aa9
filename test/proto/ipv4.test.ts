import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeIPv4, formatIPv4, IPPROTO_TCP, IPPROTO_UDP, IPv4View, parseIPv4 } from '../../lib/proto/ipv4.js';
import { hex } from '../helpers/hex.js';

function view(v: IPv4View): Record<string, number> {
  return { src: v.src, dst: v.dst, protocol: v.protocol, l4Offset: v.l4Offset, srcPort: v.srcPort, dstPort: v.dstPort };
}

const TCP_80_TO_5555 = hex(`
  45 00 00 28   # version 4, IHL 5 | TOS | total length 40
  00 01 40 00   # id 1 | DF, fragment offset 0
  40 06 00 00   # TTL 64 | protocol 6 TCP | checksum (not checked)
  0a 00 00 05   # source 10.0.0.5
  0a 09 09 09   # destination 10.9.9.9
  00 50 15 b3   # TCP source port 80 | destination port 5555
  00 00 00 01 00 00 00 00   # sequence | acknowledgement
  50 10 ff ff 00 00 00 00   # data offset 5, ACK | window | checksum | urgent
`);

describe('decodeIPv4', () => {
  it('TCP at offset 0', () => {
    const v = new IPv4View();
    assert.equal(decodeIPv4(TCP_80_TO_5555, 0, TCP_80_TO_5555.length, v), true);
    assert.deepEqual(view(v), { src: 0x0a000005, dst: 0x0a090909, protocol: IPPROTO_TCP, l4Offset: 20, srcPort: 80, dstPort: 5555 });
  });

  it('UDP inside a frame, offsets relative to the buffer', () => {
    const frame = hex(`
      00 00 5e 00 53 02 00 00 5e 00 53 01 08 00   # Ethernet, IPv4
      45 00 00 1c   # IHL 5 | total length 28
      00 02 00 00   # id 2 | no flags, offset 0
      40 11 00 00   # TTL 64 | protocol 17 UDP
      c0 a8 01 01   # source 192.168.1.1
      ff ff ff ff   # destination 255.255.255.255
      9c 40 12 b5   # UDP ports 40000 -> 4789
      00 08 00 00   # length 8 | checksum
    `);
    const v = new IPv4View();
    assert.equal(decodeIPv4(frame, 14, frame.length, v), true);
    assert.deepEqual(view(v), { src: 0xc0a80101, dst: 4294967295, protocol: IPPROTO_UDP, l4Offset: 34, srcPort: 40000, dstPort: 4789 });
  });

  it('IHL 6: ports after the 4 option bytes', () => {
    const buf = hex(`
      46 00 00 24   # version 4, IHL 6 (24 bytes) | total length 36
      00 03 00 00   # id 3
      40 11 00 00   # UDP
      0a 00 00 01   # 10.0.0.1
      0a 00 00 02   # 10.0.0.2
      01 01 01 00   # options: NOP NOP NOP EOL
      00 35 d4 31   # UDP ports 53 -> 54321
      00 0c 00 00   # length | checksum
    `);
    const v = new IPv4View();
    assert.equal(decodeIPv4(buf, 0, buf.length, v), true);
    assert.deepEqual(view(v), { src: 0x0a000001, dst: 0x0a000002, protocol: IPPROTO_UDP, l4Offset: 24, srcPort: 53, dstPort: 54321 });
  });

  it('IHL 15: a 60-byte header must fit before end', () => {
    const buf = Buffer.concat([
      hex(`4f 00 00 40  00 00 00 00  40 06 00 00  0a 00 00 01  0a 00 00 02   # IHL 15, TCP`),
      Buffer.alloc(40, 0x01), // 40 bytes of NOP options
      hex(`01 bb 00 16   # TCP ports 443 -> 22`),
    ]);
    const v = new IPv4View();
    assert.equal(decodeIPv4(buf, 0, 59, v), false);
    assert.equal(decodeIPv4(buf, 0, buf.length, v), true);
    assert.deepEqual([v.l4Offset, v.srcPort, v.dstPort], [60, 443, 22]);
  });

  it('rejects IHL < 5, a version other than 4, fewer than 20 bytes, a negative offset', () => {
    const v = new IPv4View();
    const ihl4 = Buffer.from(TCP_80_TO_5555);
    ihl4[0] = 0x44;
    assert.equal(decodeIPv4(ihl4, 0, ihl4.length, v), false);
    const v6 = hex(`60 00 00 00  00 08 11 40  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01   # IPv6 header start`);
    assert.equal(decodeIPv4(v6, 0, v6.length, v), false);
    for (const versionIhl of [0x55, 0x65, 0x05]) {
      const wrongVersion = Buffer.from(TCP_80_TO_5555);
      wrongVersion[0] = versionIhl; // IHL 5 would be fine; the version is not
      assert.equal(decodeIPv4(wrongVersion, 0, wrongVersion.length, v), false);
    }
    assert.equal(decodeIPv4(TCP_80_TO_5555, 0, 19, v), false);
    assert.equal(decodeIPv4(TCP_80_TO_5555, 5, 24, v), false);
    assert.equal(decodeIPv4(TCP_80_TO_5555, -1, TCP_80_TO_5555.length, v), false);
  });

  it('leaves the view untouched when it returns false', () => {
    const v = new IPv4View();
    v.src = v.dst = v.protocol = v.l4Offset = v.srcPort = v.dstPort = 99;
    assert.equal(decodeIPv4(TCP_80_TO_5555, 0, 10, v), false);
    assert.deepEqual(view(v), { src: 99, dst: 99, protocol: 99, l4Offset: 99, srcPort: 99, dstPort: 99 });
  });

  it('ports only when all 4 port bytes lie before end', () => {
    const v = new IPv4View();
    assert.equal(decodeIPv4(TCP_80_TO_5555, 0, 23, v), true);
    assert.deepEqual([v.src, v.srcPort, v.dstPort], [0x0a000005, 0, 0]);
    assert.equal(decodeIPv4(TCP_80_TO_5555, 0, 24, v), true);
    assert.deepEqual([v.srcPort, v.dstPort], [80, 5555]);
  });

  it('ports only for the first fragment', () => {
    const fragment = (flagsAndOffset: string): Buffer =>
      hex(`
        45 00 00 1c  00 04 ${flagsAndOffset}   # id 4 | flags, fragment offset
        40 11 00 00  0a 00 00 05  0a 09 09 09  # UDP 10.0.0.5 -> 10.9.9.9
        00 50 15 b3  00 08 00 00               # ports 80 -> 5555 (or payload)
      `);
    const v = new IPv4View();
    for (const [flags, first] of [['20 00', true], ['40 00', true], ['20 b9', false], ['00 b9', false], ['00 01', false]] as const) {
      const buf = fragment(flags);
      assert.equal(decodeIPv4(buf, 0, buf.length, v), true);
      assert.equal(v.protocol, IPPROTO_UDP);
      assert.deepEqual([v.srcPort, v.dstPort], first ? [80, 5555] : [0, 0], `flags/offset ${flags}`);
    }
  });

  it('no ports for other protocols; a reused view is reset', () => {
    const v = new IPv4View();
    decodeIPv4(TCP_80_TO_5555, 0, TCP_80_TO_5555.length, v);
    const icmp = hex(`
      45 00 00 1c  00 05 00 00  40 01 00 00   # protocol 1 ICMP
      0a 00 00 05  0a 09 09 09
      08 00 f7 ff  00 00 00 00                # echo request
    `);
    assert.equal(decodeIPv4(icmp, 0, icmp.length, v), true);
    assert.deepEqual(view(v), { src: 0x0a000005, dst: 0x0a090909, protocol: 1, l4Offset: 20, srcPort: 0, dstPort: 0 });
  });
});

describe('parseIPv4 / formatIPv4', () => {
  it('parses dotted quads to uint32', () => {
    assert.equal(parseIPv4('10.0.0.5'), 0x0a000005);
    assert.equal(parseIPv4('0.0.0.0'), 0);
    assert.equal(parseIPv4('255.255.255.255'), 4294967295);
    assert.equal(parseIPv4('192.168.1.200'), 0xc0a801c8);
  });

  it('refuses anything else', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.256', '01.2.3.4', '1.2.3.04', ' 1.2.3.4', '1.2.3.4 ',
      '1.2.3.4\n', '+1.2.3.4', '1.2.3.-4', '1..2.3', 'a.b.c.d', '0x1.2.3.4', '1.2.3.4/24', '::1', '1000.2.3.4', '١.2.3.4']) {
      assert.equal(parseIPv4(bad), null, JSON.stringify(bad));
    }
  });

  it('formats and round-trips', () => {
    assert.equal(formatIPv4(0x0a000005), '10.0.0.5');
    assert.equal(formatIPv4(4294967295), '255.255.255.255');
    assert.equal(formatIPv4(0), '0.0.0.0');
    for (const text of ['1.2.3.4', '172.16.254.1', '128.0.0.1']) assert.equal(formatIPv4(parseIPv4(text)!), text);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, PacketBatch } from '../../lib/packet.js';
import {
  decodeLinkLayer,
  ETHERNET_HEADER_LEN,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_QINQ_LEGACY,
  ETHERTYPE_VLAN,
  LINUX_SLL_HEADER_LEN,
} from '../../lib/proto/ethernet.js';
import { hex } from '../helpers/hex.js';

interface Fields {
  vlanOuter: number;
  vlanInner: number;
  l3Offset: number;
  etherType: number;
}

/** Bytes before a frame that would mislead a decoder reading from the buffer's start: a tag, then IPv4. */
const MISLEADING = hex('81 00 00 64 08 00 45');

/**
 * The link-layer fields of `data` as one packet, decoded twice: alone in its
 * buffer, and behind MISLEADING in a shared one after another packet; both
 * must give the same fields (l3Offset counts from the frame's start).
 */
function decoded(data: Buffer, linktype = LINKTYPE_ETHERNET, caplen = data.length): Fields {
  const alone = new PacketBatch(1);
  alone.add(data, 0, caplen, data.length, 0, 0, linktype);
  decodeLinkLayer(alone, 0);
  const shared = new PacketBatch(1);
  const buf = Buffer.concat([MISLEADING, data]);
  shared.add(buf, 0, MISLEADING.length, MISLEADING.length, 0, 0, LINKTYPE_ETHERNET);
  shared.add(buf, MISLEADING.length, caplen, data.length, 0, 0, linktype);
  decodeLinkLayer(shared, 1);
  assert.deepEqual(fields(shared, 1), fields(alone, 0), 'the frame at offset 7 of a shared buffer');
  return fields(alone, 0);
}

function fields(p: PacketBatch | Fields, i = 0): Fields {
  if (!(p instanceof PacketBatch)) return { vlanOuter: p.vlanOuter, vlanInner: p.vlanInner, l3Offset: p.l3Offset, etherType: p.etherType };
  return { vlanOuter: p.vlanOuter[i]!, vlanInner: p.vlanInner[i]!, l3Offset: p.l3Offset[i]!, etherType: p.etherType[i]! };
}

const MACS = `
  00 00 5e 00 53 02   # destination MAC
  00 00 5e 00 53 01   # source MAC
`;
// IPv4 header + 8 bytes of TCP; the link layer does not look into it.
const IPV4_TCP = `
  45 00 00 28   # version 4, IHL 5 | TOS | total length 40
  00 01 40 00   # id 1 | DF, fragment offset 0
  40 06 00 00   # TTL 64 | protocol TCP | checksum (not checked)
  0a 00 00 05   # source 10.0.0.5
  0a 09 09 09   # destination 10.9.9.9
  00 50 15 b3   # TCP ports 80 -> 5555
  00 00 00 01   # sequence number
`;

describe('decodeLinkLayer: Ethernet II', () => {
  it('constants', () => {
    assert.equal(ETHERNET_HEADER_LEN, 14);
    assert.equal(LINUX_SLL_HEADER_LEN, 16);
    assert.deepEqual(
      [ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_ARP, ETHERTYPE_VLAN, ETHERTYPE_QINQ, ETHERTYPE_QINQ_LEGACY],
      [0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x9100],
    );
  });

  it('untagged IPv4: L3 at 14', () => {
    const p = decoded(hex(`${MACS} 08 00 # IPv4 ${IPV4_TCP}`));
    assert.deepEqual(fields(p), { vlanOuter: -1, vlanInner: -1, l3Offset: 14, etherType: 0x0800 });
  });

  it('ARP and IPv6 are found, not judged', () => {
    const arp = decoded(hex(`${MACS} 08 06 # ARP
      00 01 08 00 06 04 00 01   # Ethernet/IPv4, request`));
    assert.deepEqual(fields(arp), { vlanOuter: -1, vlanInner: -1, l3Offset: 14, etherType: 0x0806 });
    const ipv6 = decoded(hex(`${MACS} 86 dd # IPv6
      60 00 00 00 00 00 3b 40   # version 6 | payload length 0 | no next header | hop limit 64`));
    assert.deepEqual(fields(ipv6), { vlanOuter: -1, vlanInner: -1, l3Offset: 14, etherType: 0x86dd });
  });

  it('802.3 length field is not an EtherType', () => {
    const p = decoded(hex(`${MACS}
      00 26      # length 38 (< 0x0600)
      42 42 03   # LLC: STP SAPs, UI`));
    assert.deepEqual(fields(p), { vlanOuter: -1, vlanInner: -1, l3Offset: -1, etherType: 0 });
  });

  it('0x05ff is still a length, 0x0600 the first EtherType', () => {
    assert.equal(decoded(hex(`${MACS} 05 ff 00 00`)).l3Offset, -1);
    assert.deepEqual(fields(decoded(hex(`${MACS} 06 00 00 00`))), { vlanOuter: -1, vlanInner: -1, l3Offset: 14, etherType: 0x0600 });
  });
});

describe('decodeLinkLayer: VLAN tags', () => {
  it('802.1Q: id 100, L3 at 18', () => {
    const p = decoded(hex(`${MACS}
      81 00   # TPID 802.1Q
      20 64   # PCP 1, DEI 0, VID 100
      08 00   # IPv4
      ${IPV4_TCP}`));
    assert.deepEqual(fields(p), { vlanOuter: 100, vlanInner: -1, l3Offset: 18, etherType: 0x0800 });
  });

  it('QinQ 0x88a8 then 0x8100: outer 200 (PCP/DEI masked off), inner 100, L3 at 22', () => {
    const p = decoded(hex(`${MACS}
      88 a8   # TPID 802.1ad
      f0 c8   # PCP 7, DEI 1, VID 200
      81 00   # TPID 802.1Q
      20 64   # PCP 1, VID 100
      08 00   # IPv4
      ${IPV4_TCP}`));
    assert.deepEqual(fields(p), { vlanOuter: 200, vlanInner: 100, l3Offset: 22, etherType: 0x0800 });
  });

  it('legacy QinQ 0x9100, VID 4095', () => {
    const p = decoded(hex(`${MACS}
      91 00   # TPID pre-standard QinQ
      0f ff   # VID 4095
      81 00   # TPID 802.1Q
      00 01   # VID 1
      86 dd   # IPv6
      60 00 00 00`));
    assert.deepEqual(fields(p), { vlanOuter: 4095, vlanInner: 1, l3Offset: 22, etherType: 0x86dd });
  });

  it('three tags: outer is the first, inner the last', () => {
    const p = decoded(hex(`${MACS}
      88 a8 00 01   # 802.1ad VID 1
      81 00 00 02   # 802.1Q VID 2
      81 00 00 03   # 802.1Q VID 3
      08 06         # ARP
      00 01 08 00`));
    assert.deepEqual(fields(p), { vlanOuter: 1, vlanInner: 3, l3Offset: 26, etherType: 0x0806 });
  });

  it('a tag followed by an 802.3 length keeps the VLAN id but finds no L3', () => {
    const p = decoded(hex(`${MACS}
      81 00 00 64   # 802.1Q VID 100
      00 26         # length 38
      42 42 03`));
    assert.deepEqual(fields(p), { vlanOuter: 100, vlanInner: -1, l3Offset: -1, etherType: 0 });
  });
});

describe('decodeLinkLayer: Linux cooked capture v1', () => {
  const SLL = `
    00 00                     # packet type 0: to us
    00 01                     # ARPHRD_ETHER
    00 06                     # address length 6
    00 00 5e 00 53 01 00 00   # sender MAC, padded to 8
  `;

  it('protocol at 14, L3 at 16', () => {
    const p = decoded(hex(`${SLL} 08 00 # IPv4 ${IPV4_TCP}`), LINKTYPE_LINUX_SLL);
    assert.deepEqual(fields(p), { vlanOuter: -1, vlanInner: -1, l3Offset: 16, etherType: 0x0800 });
  });

  it('VLAN tag after the SLL header', () => {
    const p = decoded(hex(`${SLL}
      81 00   # 802.1Q
      00 0a   # VID 10
      08 00   # IPv4
      ${IPV4_TCP}`), LINKTYPE_LINUX_SLL);
    assert.deepEqual(fields(p), { vlanOuter: 10, vlanInner: -1, l3Offset: 20, etherType: 0x0800 });
  });

  it('SLL protocol 0x0004 (802.2 LLC) is no EtherType', () => {
    const p = decoded(hex(`${SLL} 00 04 42 42 03`), LINKTYPE_LINUX_SLL);
    assert.equal(p.l3Offset, -1);
    assert.equal(p.etherType, 0);
  });

  it('a 15-byte SLL frame is too short', () => {
    const p = decoded(hex(`${SLL} 08`), LINKTYPE_LINUX_SLL);
    assert.equal(p.l3Offset, -1);
  });
});

describe('decodeLinkLayer: truncated and unknown', () => {
  it('13 bytes: no EtherType', () => {
    const p = decoded(hex(`${MACS} 08`));
    assert.deepEqual(fields(p), { vlanOuter: -1, vlanInner: -1, l3Offset: -1, etherType: 0 });
  });

  it('14 bytes ending at the EtherType: L3 found at caplen, empty', () => {
    const p = decoded(hex(`${MACS} 08 00`));
    assert.deepEqual(fields(p), { vlanOuter: -1, vlanInner: -1, l3Offset: 14, etherType: 0x0800 });
  });

  it('802.1Q cut inside the tag: the incomplete tag is not recorded', () => {
    const p = decoded(hex(`${MACS} 81 00 20 64 08`)); // 17 bytes
    assert.deepEqual(fields(p), { vlanOuter: -1, vlanInner: -1, l3Offset: -1, etherType: 0 });
  });

  it('QinQ cut inside the inner tag keeps the outer id', () => {
    const p = decoded(hex(`${MACS} 88 a8 00 c8 81 00 20 64 08`)); // 21 bytes
    assert.deepEqual(fields(p), { vlanOuter: 200, vlanInner: -1, l3Offset: -1, etherType: 0 });
  });

  it('bytes beyond caplen are not read', () => {
    const full = hex(`${MACS} 81 00 20 64 08 00 ${IPV4_TCP}`);
    assert.equal(decoded(full, LINKTYPE_ETHERNET, 13).l3Offset, -1);
    assert.deepEqual(fields(decoded(full, LINKTYPE_ETHERNET, 17)), { vlanOuter: -1, vlanInner: -1, l3Offset: -1, etherType: 0 });
    assert.equal(decoded(full, LINKTYPE_ETHERNET, 18).l3Offset, 18);
  });

  it('unknown linktype (105, 802.11): nothing found', () => {
    const p = decoded(hex(IPV4_TCP), 105);
    assert.deepEqual(fields(p), { vlanOuter: -1, vlanInner: -1, l3Offset: -1, etherType: 0 });
  });

  it('raw IP (101, 228, 229): the network header at 0, its type from the version nibble', () => {
    for (const linktype of [101, 228]) assert.deepEqual(fields(decoded(hex(IPV4_TCP), linktype)), { vlanOuter: -1, vlanInner: -1, l3Offset: 0, etherType: 0x0800 });
    assert.deepEqual(fields(decoded(hex('60 00 00 00'), 229)), { vlanOuter: -1, vlanInner: -1, l3Offset: 0, etherType: 0x86dd });
    assert.deepEqual(fields(decoded(hex('50 00 00 00'), 101)), { vlanOuter: -1, vlanInner: -1, l3Offset: -1, etherType: 0 });
  });

  it('Linux cooked v2 (276): protocol at 0, network header at 20', () => {
    const sll2 = hex(`08 00 00 00 00 00 00 02 00 01 00 06 00 00 5e 00 53 01 00 00 ${IPV4_TCP}`);
    assert.deepEqual(fields(decoded(sll2, 276)), { vlanOuter: -1, vlanInner: -1, l3Offset: 20, etherType: 0x0800 });
  });

  it('resets results of an earlier decode', () => {
    const p = new PacketBatch(1);
    p.add(hex(`${MACS} 08`), 0, 13, 13, 0, 0, LINKTYPE_ETHERNET);
    p.vlanOuter[0] = 7;
    p.vlanInner[0] = 8;
    p.l3Offset[0] = 9;
    p.etherType[0] = 0x0800;
    decodeLinkLayer(p, 0);
    assert.deepEqual(fields(p), { vlanOuter: -1, vlanInner: -1, l3Offset: -1, etherType: 0 });
  });
});

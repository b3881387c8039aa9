import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, Packet } from '../../lib/packet.js';
import { vlanDecodeBatch } from '../../lib/stages/vlan.js';
import { hex } from '../helpers/hex.js';

const MACS = '00 00 5e 00 53 02  00 00 5e 00 53 01   # destination, source MAC\n';
const IPV4 = '45 00 00 14 00 00 40 00 40 3b 00 00 0a 00 00 05 0a 09 09 09   # IPv4, no next header\n';

function packet(data: Buffer, linktype = LINKTYPE_ETHERNET): Packet {
  return new Packet(0, 0, data.length, data.length, data, linktype);
}

describe('vlanDecodeBatch', () => {
  it('decodes every packet of the batch and removes none', () => {
    const batch = [
      packet(hex(`${MACS} 08 00 # IPv4\n ${IPV4}`)),
      packet(hex(`${MACS} 88 a8 00 c8 # 802.1ad VID 200\n 81 00 00 64 # 802.1Q VID 100\n 08 00 # IPv4\n ${IPV4}`)),
      packet(hex(`00 00 00 01 00 06 00 00 5e 00 53 01 00 00 # SLL header to protocol\n 81 00 00 0a # 802.1Q VID 10\n 08 06 # ARP\n 00 01`), LINKTYPE_LINUX_SLL),
      packet(hex(`${MACS} 81`)),
      packet(hex(`${MACS} 00 26 # 802.3 length\n 42 42 03`)),
    ];
    vlanDecodeBatch(batch);
    assert.equal(batch.length, 5);
    assert.deepEqual(
      batch.map((p) => [p.vlanOuter, p.vlanInner, p.l3Offset, p.etherType]),
      [
        [-1, -1, 14, 0x0800],
        [200, 100, 22, 0x0800],
        [10, -1, 20, 0x0806],
        [-1, -1, -1, 0],
        [-1, -1, -1, 0],
      ],
    );
  });

  it('an empty batch is fine', () => {
    const batch: Packet[] = [];
    vlanDecodeBatch(batch);
    assert.equal(batch.length, 0);
  });

  it('leaves direction and lengths alone', () => {
    const p = packet(hex(`${MACS} 81 00 00 64 08 00 ${IPV4}`));
    p.direction = 2;
    vlanDecodeBatch([p]);
    assert.deepEqual([p.direction, p.caplen, p.wirelen, p.vlanOuter, p.l3Offset], [2, 38, 38, 100, 18]);
  });
});

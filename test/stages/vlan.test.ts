import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, PacketBatch } from '../../lib/packet.js';
import { vlanDecodeBatch } from '../../lib/stages/vlan.js';
import { hex } from '../helpers/hex.js';
import { batchOf, packet as testPacket, packetsOf, type TestPacket } from '../helpers/packets.js';
import { packedBatchOf } from '../helpers/packed-batch.js';

const MACS = '00 00 5e 00 53 02  00 00 5e 00 53 01   # destination, source MAC\n';
const IPV4 = '45 00 00 14 00 00 40 00 40 3b 00 00 0a 00 00 05 0a 09 09 09   # IPv4, no next header\n';

function packet(data: Buffer, linktype = LINKTYPE_ETHERNET): TestPacket {
  return testPacket(0, 0, data.length, data.length, data, linktype);
}

describe('vlanDecodeBatch', () => {
  it('decodes every packet of the batch and removes none', () => {
    const batch = batchOf([
      packet(hex(`${MACS} 08 00 # IPv4\n ${IPV4}`)),
      packet(hex(`${MACS} 88 a8 00 c8 # 802.1ad VID 200\n 81 00 00 64 # 802.1Q VID 100\n 08 00 # IPv4\n ${IPV4}`)),
      packet(hex(`00 00 00 01 00 06 00 00 5e 00 53 01 00 00 # SLL header to protocol\n 81 00 00 0a # 802.1Q VID 10\n 08 06 # ARP\n 00 01`), LINKTYPE_LINUX_SLL),
      packet(hex(`${MACS} 81`)),
      packet(hex(`${MACS} 00 26 # 802.3 length\n 42 42 03`)),
    ]);
    vlanDecodeBatch(batch);
    assert.equal(batch.length, 5);
    assert.deepEqual(
      packetsOf(batch).map((p) => [p.vlanOuter, p.vlanInner, p.l3Offset, p.etherType]),
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
    const batch = new PacketBatch();
    vlanDecodeBatch(batch);
    assert.equal(batch.length, 0);
  });

  it('leaves direction and lengths alone', () => {
    const p = packet(hex(`${MACS} 81 00 00 64 08 00 ${IPV4}`));
    p.direction = 2;
    const batch = batchOf([p]);
    vlanDecodeBatch(batch);
    const [q] = packetsOf(batch);
    assert.equal(batch.length, 1);
    assert.deepEqual([q!.direction, q!.caplen, q!.wirelen, q!.vlanOuter, q!.l3Offset], [2, 38, 38, 100, 18]);
  });
});

describe('vlanDecodeBatch on frames that share one capture buffer', () => {
  it('reads each frame from its own offset; l3Offset is relative to the frame', () => {
    const frames = [
      packet(hex(`${MACS} 88 a8 00 c8 81 00 00 64 08 00 ${IPV4}`)),
      packet(hex(`${MACS} 08 00 ${IPV4}`)),
      packet(hex(`00 00 00 01 00 06 00 00 5e 00 53 01 00 00 81 00 00 0a 08 06 00 01`), LINKTYPE_LINUX_SLL),
      packet(hex(`${MACS} 81 00 00 64`)),
    ];
    const batch = packedBatchOf(frames);
    assert.ok(batch.data.every((d) => d === batch.data[0]) && batch.offset[0]! > 0);
    vlanDecodeBatch(batch);
    assert.deepEqual(
      packetsOf(batch).map((p) => [p.vlanOuter, p.vlanInner, p.l3Offset, p.etherType]),
      [
        [200, 100, 22, 0x0800],
        [-1, -1, 14, 0x0800],
        [10, -1, 20, 0x0806],
        // Cut inside the tag (no EtherType after it): the filler behind (ee ee) must not be read as one.
        [-1, -1, -1, 0],
      ],
    );
  });
});

/**
 * The addon's AF_PACKET sending (lib/native/packet_sender.c) in a namespace pair made for the test:
 * packetRoute's answers, and the frames packetSend puts on the wire, byte for byte, as a capture on
 * the same interface sees them. Also run under the sanitizers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadAddon } from '../../lib/native/addon.js';
import { FRAME_HEADER_LEN, writeFrameHeader } from '../../lib/proto/frame-header.js';
import { IPPROTO_GRE, parseIPv4 } from '../../lib/proto/ipv4.js';
import { createPair, ip, macOf, netnsAvailable } from '../helpers/netns.js';
import { CAPTURE_BATCH_MODULE, PACKET_MODULE, runJson } from './scripts.js';

const ROOT_ONLY = netnsAvailable() ? false : 'needs root';
const mac = (text: string): Buffer => Buffer.from(text.replaceAll(':', ''), 'hex');

/** RFC 1071, written apart from the addon's: the checksum a receiver verifies. */
function ipv4Checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

test('packetSend: argument checks before anything is sent', () => {
  const addon = loadAddon();
  const header = Buffer.alloc(FRAME_HEADER_LEN);
  const lengths = new Uint32Array([4]);
  // A datagram of 4 bytes after its headroom; one byte less does not hold it.
  const datagram = Buffer.alloc(addon.datagramHeadroom + 4);
  assert.throws(() => addon.packetSend(0, datagram, lengths, 0, 1, 1, Buffer.alloc(33), 1500), TypeError);
  assert.throws(() => addon.packetSend(0, datagram, lengths, 0, 1, 0, header, 1500), { code: 'RANGE', message: /ifindex/ });
  assert.throws(() => addon.packetSend(0, datagram, lengths, 0, 1, 1, header, 67), { code: 'RANGE', message: /mtu/ });
  assert.throws(() => addon.packetSend(0, datagram.subarray(1), lengths, 0, 1, 1, header, 1500), { code: 'RANGE' });
  assert.throws(() => addon.packetRoute(2 ** 32, 0), { code: 'RANGE', message: /address/ });
});

test('packetRoute and packetSend in a namespace: the route, the neighbour, and frames with length, id and checksum filled in', { skip: ROOT_ONLY, timeout: 30_000 }, async (t) => {
  const net = createPair();
  t.after(() => net.destroy());
  ip('-n', net.a, 'route', 'add', '198.51.100.0/24', 'via', net.addrB);
  ip('-n', net.a, 'route', 'add', '203.0.113.0/24', 'dev', 'veth0', 'mtu', '1400');
  const [a, b] = [parseIPv4(net.addrA)!, parseIPv4(net.addrB)!];
  const macA = mac(macOf(net.a, 'veth0'));
  const macB = mac(macOf(net.b, 'veth1'));
  const header = Buffer.alloc(FRAME_HEADER_LEN);
  writeFrameHeader(header, { destinationMac: macB, sourceMac: macA, source: a, destination: b, protocol: IPPROTO_GRE, dontFragment: true });
  header.writeUInt16BE(0xfffe, 18); // the id wraps within the call
  const script = `
    const { loadAddon } = await import(process.argv[2]);
    const { readCaptureBatch } = await import(${JSON.stringify(CAPTURE_BATCH_MODULE)});
    const { PacketBatch } = await import(${JSON.stringify(PACKET_MODULE)});
    const addon = loadAddon();
    const [b, header] = [Number(process.argv[3]), Buffer.from(process.argv[4], 'hex')];
    const routes = {
      peer: addon.packetRoute(b, 0),
      viaGateway: addon.packetRoute(0xc6336407, 0),
      smallMtu: addon.packetRoute(0xcb007107, 0),
      local: addon.packetRoute(${a}, 0),
      unreachable: addon.packetRoute(0x08080808, 0),
      otherInterface: addon.packetRoute(b, 1),
    };
    for (const r of Object.values(routes)) for (const k of ['mac', 'neighbour']) r[k] = r[k] && r[k].toString('hex');
    const captured = new PacketBatch();
    const opened = addon.open('veth0', 'ip proto 47', 0, 1 << 20, 10, false, (batch) => readCaptureBatch(batch, addon.captureBatch, captured, 1), () => {});
    addon.resume(opened.handle);
    const fd = addon.packetOpen();
    // Three GRE datagrams; the third would make a 1501-byte IPv4 packet.
    const lengths = new Uint32Array([12, 1480, 1481]);
    // Each datagram after its headroom, where packetSend writes the frame's headers.
    const H = addon.datagramHeadroom;
    const datagrams = Buffer.alloc(3 * H + 12 + 1480 + 1481, 0x5a);
    for (const off of [H, 2 * H + 12, 3 * H + 12 + 1480]) Buffer.from('2000655800000001', 'hex').copy(datagrams, off);
    const first = addon.packetSend(fd, datagrams, lengths, 0, 3, routes.peer.ifindex, header, 1500);
    const third = addon.packetSend(fd, datagrams, lengths, 2, 3, routes.peer.ifindex, header, 1500);
    // The socket is bound to the interface, with protocol 0: it takes in nothing, not even what it sent.
    const fs = await import('node:fs');
    const inode = fs.readlinkSync('/proc/self/fd/' + fd).match(/\\d+/)[0];
    const row = fs.readFileSync('/proc/self/net/packet', 'utf8').split('\\n').find((l) => l.trim().split(/\\s+/)[8] === inode).trim().split(/\\s+/);
    const socket = { proto: row[3], ifindex: Number(row[4]), rmem: Number(row[6]) };
    for (let i = 0; i < 100 && captured.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    addon.close(opened.handle);
    addon.rawClose(fd);
    const frames = [];
    for (let i = 0; i < captured.length; i++) frames.push(captured.data[i].subarray(captured.offset[i], captured.offset[i] + captured.caplen[i]).toString('hex'));
    console.log(JSON.stringify({ routes, first, third, nextId: header.readUInt16BE(18), frames, socket }));
  `;
  const out = (await runJson(script, [String(b), header.toString('hex')], { prefix: ['ip', 'netns', 'exec', net.a] })) as {
    routes: Record<string, { errno: number; unicast: boolean; ifindex: number; interface: string; source: number; nextHop: number; mtu: number; mac: string | null; neighbour: string | null }>;
    first: number;
    third: number;
    nextId: number;
    frames: string[];
    socket: { proto: string; ifindex: number; rmem: number };
  };
  assert.deepEqual(out.socket, { proto: '0000', ifindex: out.routes.peer!.ifindex, rmem: 0 });
  const { peer, viaGateway, smallMtu, local, unreachable, otherInterface } = out.routes;
  assert.deepEqual(
    { ...peer, ifindex: peer!.ifindex > 0 },
    { errno: 0, unicast: true, ifindex: true, interface: 'veth0', source: a, nextHop: b, mtu: 1500, mac: macA.toString('hex'), neighbour: macB.toString('hex') },
  );
  assert.deepEqual([viaGateway!.nextHop, viaGateway!.neighbour], [b, macB.toString('hex')], 'the gateway is the next hop');
  assert.deepEqual([smallMtu!.mtu, smallMtu!.nextHop, smallMtu!.neighbour], [1400, 0xcb007107, null], "the route's MTU; a next hop not in the neighbour table");
  assert.equal(local!.unicast, false);
  assert.deepEqual([unreachable!.errno, unreachable!.ifindex, unreachable!.mac], [101, 0, null], 'ENETUNREACH');
  // Restricted to interface 1 (lo), as SO_BINDTODEVICE restricts the raw socket: no Ethernet address, so the kernel's path.
  assert.deepEqual([otherInterface!.interface, otherInterface!.mac], ['lo', null]);

  assert.equal(out.first, 2, 'the datagram over the MTU ends the call');
  assert.equal(out.third, -90, 'EMSGSIZE when it is the first');
  assert.equal(out.nextId, 0, 'two ids used: 0xfffe, 0xffff');
  assert.equal(out.frames.length, 2);
  for (const [k, [length, id]] of [[12, 0xfffe], [1480, 0xffff]].entries()) {
    const frame = Buffer.from(out.frames[k]!, 'hex');
    assert.equal(frame.length, FRAME_HEADER_LEN + length!);
    const expected = Buffer.from(header);
    expected.writeUInt16BE(20 + length!, 16);
    expected.writeUInt16BE(id!, 18);
    expected.writeUInt16BE(ipv4Checksum(expected.subarray(14)), 24);
    assert.deepEqual(frame.subarray(0, FRAME_HEADER_LEN), expected, `frame ${k}: headers`);
    assert.equal(ipv4Checksum(frame.subarray(14, 34)), 0, `frame ${k}: a receiver's checksum check passes`);
    assert.deepEqual(frame.subarray(FRAME_HEADER_LEN, FRAME_HEADER_LEN + 8), Buffer.from('2000655800000001', 'hex'));
    assert.ok(frame.subarray(FRAME_HEADER_LEN + 8).every((x) => x === 0x5a));
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../lib/errors.js';
import { DIR_IN, DIR_NONE, DIR_OUT, DIR_UNKNOWN, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, type PacketBatch } from '../../lib/packet.js';
import { hostIPv4Addresses } from '../../lib/net-interfaces.js';
import { DIRECTION_DROP, makeDirectionStage, parseDirExpression, type DirectionSpec } from '../../lib/stages/direction.js';
import { vlanDecodeBatch } from '../../lib/stages/vlan.js';
import { hex } from '../helpers/hex.js';
import { seededRandom } from '../helpers/capture-files.js';
import { packedBatchOf } from '../helpers/packed-batch.js';
import { batchOf, packet as testPacket, packetsOf, type TestPacket } from '../helpers/packets.js';

const noNics = (): undefined => undefined;
const expr = (text: string): DirectionSpec => parseDirExpression(text, noNics);

function packet(data: Buffer, linktype = LINKTYPE_ETHERNET, caplen = data.length): TestPacket {
  return testPacket(0, 0, caplen, data.length, data, linktype);
}

/**
 * Runs the VLAN stage then the direction stage on `packets`; returns each
 * input packet's direction, DIR_UNKNOWN for those removed from the batch,
 * after checking removal, order, the drop counter and that every column of
 * a kept packet is still its own. Runs twice: every frame in a buffer of its
 * own, and all frames in one shared buffer at non-zero offsets (as a source
 * decodes them); both must give the same directions.
 */
function classify(spec: DirectionSpec, ...packets: TestPacket[]): number[] {
  const own = classifyBatch(spec, batchOf(packets));
  const packed = classifyBatch(spec, packedBatchOf(packets));
  assert.deepEqual(packed, own, 'same directions for frames in a shared buffer');
  return own;
}

function classifyBatch(spec: DirectionSpec, batch: PacketBatch): number[] {
  const { fn, counters } = makeDirectionStage(spec);
  const n = batch.length;
  // Packet k is told by its tsNsec (the stages never read it).
  for (let k = 0; k < n; k++) batch.tsNsec[k] = k;
  vlanDecodeBatch(batch);
  const before = packetsOf(batch);
  const where = before.map((_, k) => [batch.data[k], batch.offset[k]] as const);
  fn(batch);
  const after = packetsOf(batch);
  const directions = Array<number>(n).fill(DIR_UNKNOWN);
  let last = -1;
  after.forEach((p, j) => {
    const k = p.tsNsec;
    assert.ok(k > last && k < n, 'kept packets in input order');
    last = k;
    assert.notEqual(p.direction, DIR_UNKNOWN, 'no unknown packet kept');
    assert.deepEqual({ ...p, direction: 0 }, { ...before[k]!, direction: 0 }, `columns of kept packet ${k} stay aligned`);
    assert.ok(batch.data[j] === where[k]![0] && batch.offset[j] === where[k]![1], `packet ${k} still lies where it was`);
    directions[k] = p.direction;
  });
  assert.equal(counters.dropped, n - batch.length);
  return directions;
}

const ETH_IPV4 = `
  00 00 5e 00 53 02   # destination MAC
  00 00 5e 00 53 01   # source MAC
  08 00               # IPv4
`;
const TCP_REST = `
  00 00 00 01 00 00 00 00 50 10 ff ff 00 00 00 00   # rest of the TCP header
`;
const IP_TCP = (addrsAndPorts: string): string => `
  45 00 00 28  00 01 40 00  40 06 00 00   # IPv4 IHL 5, total 40, DF, TCP
  ${addrsAndPorts}
  ${TCP_REST}
`;
const OUT_80 = IP_TCP(`
  0a 00 00 05  0a 09 09 09   # 10.0.0.5 -> 10.9.9.9
  00 50 15 b3                # ports 80 -> 5555
`);
const IN_80 = IP_TCP(`
  0a 09 09 09  0a 00 00 05   # 10.9.9.9 -> 10.0.0.5
  15 b3 00 50                # ports 5555 -> 80
`);
const OUT_22 = IP_TCP(`
  0a 00 00 05  0a 09 09 09   # 10.0.0.5 -> 10.9.9.9
  00 16 15 b3                # ports 22 -> 5555
`);

const ARP = `
  ff ff ff ff ff ff   # broadcast
  00 00 5e 00 53 01   # source MAC
  08 06               # ARP
  00 01 08 00 06 04 00 01   # Ethernet/IPv4, request
  00 00 5e 00 53 01 0a 00 00 05 00 00 00 00 00 00 0a 09 09 09
`;
const IPV6 = `
  00 00 5e 00 53 01   # destination MAC
  00 00 5e 00 53 02   # source MAC
  86 dd               # IPv6
  60 00 00 00 00 00 3b 40   # no next header
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01   # 2001:db8::1
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02   # 2001:db8::2
`;
const LLC = `
  01 80 c2 00 00 00   # STP multicast
  00 00 5e 00 53 01
  00 26               # 802.3 length 38
  42 42 03 00 00 00 00 00
`;

describe('parseDirExpression', () => {
  const A = 0x0a000005; // 10.0.0.5
  const B = 0x0a090909; // 10.9.9.9
  const term = (text: string): unknown => {
    const spec = expr(text);
    return spec.mode === 'expr' ? spec.term : spec;
  };

  it('§3.4 forms the reference was given mean the same: host and port, hosts joined by or', () => {
    assert.deepEqual(term('host_10.0.0.5_and_port_80'), { and: [{ host: [A] }, { port: [80] }] });
    assert.deepEqual(term('host_10.0.0.5_or_host_10.9.9.9'), { host: [A, B] });
    assert.deepEqual(term('(host_10.0.0.5_or_host_10.9.9.9)_and_(port_80_or_port_443)'), { and: [{ host: [A, B] }, { port: [80, 443] }] });
  });

  it("tcpdump's precedence: not binds tightest, and / or bind equally from the left", () => {
    assert.deepEqual(term('host_10.0.0.5_or_host_10.9.9.9_and_port_80'), { and: [{ host: [A, B] }, { port: [80] }] });
    assert.deepEqual(term('host_10.0.0.5_and_port_80_or_port_443'), { or: [{ and: [{ host: [A] }, { port: [80] }] }, { port: [443] }] });
    assert.deepEqual(term('host_10.0.0.5_and_(port_80_or_port_443)'), { and: [{ host: [A] }, { port: [80, 443] }] });
    assert.deepEqual(term('not_port_22_and_host_10.0.0.5'), { and: [{ not: { port: [22] } }, { host: [A] }] });
    assert.deepEqual(term('((host_10.0.0.5))'), { host: [A] });
    // `or` means or: a port alone is an end, whatever its address (the reference read this as `and`).
    assert.deepEqual(term('host_10.0.0.5_or_port_80'), { or: [{ host: [A] }, { port: [80] }] });
    assert.deepEqual(term('port_80'), { port: [80] });
  });

  it('auto leaves the MAC for the caller to fill', () => {
    const spec = expr('auto');
    assert.equal(spec.mode, 'auto');
    assert.equal(spec.mode === 'auto' && spec.mac.length, 0);
  });

  it('nic.<name>: every IPv4 address of the interface', () => {
    const asked: string[] = [];
    const resolve = (name: string): string[] | undefined => {
      asked.push(name);
      return name === 'lo' ? ['127.0.0.1'] : name === 'br' ? ['192.0.2.9', '198.51.100.1'] : undefined;
    };
    assert.deepEqual(parseDirExpression('(host_nic.lo)', resolve), { mode: 'expr', term: { host: [0x7f000001] } });
    assert.deepEqual(parseDirExpression('host_nic.br_and_port_80', resolve), { mode: 'expr', term: { and: [{ host: [0xc0000209, 0xc6336401] }, { port: [80] }] } });
    assert.deepEqual(asked, ['lo', 'br']);
  });

  it('hostIPv4Addresses reads the real interfaces, IPv4 only', () => {
    assert.deepEqual(hostIPv4Addresses('lo'), ['127.0.0.1']);
    assert.equal(hostIPv4Addresses('no-such-nic0'), undefined);
    assert.deepEqual(parseDirExpression('host_nic.lo', hostIPv4Addresses).mode, 'expr');
  });

  const resolver = (name: string): string[] | undefined => (name === 'dummy0' ? [] : name === 'br' ? ['192.0.2.9'] : undefined);
  const bad: Array<[string, RegExp]> = [
    ['host_10.0.0.256', /host "10\.0\.0\.256" is not an IPv4 address/],
    ['host_example.com_and_port_80', /"example\.com"/],
    ['(host_::1)', /host "::1" is not/],
    ['host_010.0.0.5', /"010\.0\.0\.5"/],
    ['host_10.0.0.5_and_port_http', /port "http" is not an integer 0-65535/],
    ['host_10.0.0.5_and_port_65536', /port "65536"/],
    ['host_10.0.0.5_and_port_-1', /port "-1"/],
    ['host_10.0.0.5_and_port_8o', /port "8o"/],
    ['host_10.0.0.5_and_port_', /port ""/],
    ['host_nic.eth9', /"nic\.eth9": no interface named "eth9"/],
    ['host_nic.dummy0', /"nic\.dummy0": interface "dummy0" has no IPv4 address/],
    // Unknown words are named (the reference ignored them).
    ['src_host_10.0.0.5', /^--dir "src_host_10\.0\.0\.5": unknown word "src" \(the words are host, port, not, and, or and parentheses\) where host, port, not or \( is expected$/],
    ['host_10.0.0.5_and_dst_port_80', /unknown word "dst"/],
    ['host_10.0.0.5_and_tcp', /unknown word "tcp"/],
    ['host_10.0.0.5_foo', /^--dir "host_10\.0\.0\.5_foo": unknown word "foo"/],
    ['host_nic.br_ex', /unknown word "ex" .*\(an interface name cannot contain "_": the expression is split on it\)/],
    ['host_10.0.0.5__and_port_80', /an empty word/],
    ['', /^--dir "": an empty word/],
    ['src_and_dst', /unknown word "src"/],
    // Structure.
    ['host', /"host" needs a value/],
    ['host_10.0.0.5_and_port', /"port" needs a value/],
    ['(host_)', /"host" needs a value/],
    ['host_10.0.0.5_and', /ends where host, port, not or \( is expected/],
    ['host_10.0.0.5_port_80', /"port" follows a complete term: join them with and \/ or/],
    ['(host_10.0.0.5', /"\(" without "\)"/],
    ['host_10.0.0.5)', /"\)" without "\("/],
    ['port\n_80', /unknown word "port\\n"/],
    // No end can match: every frame would drop.
    ['host_10.0.0.5_and_host_10.9.9.9', /no address and port can match it, so every frame would be dropped/],
    ['port_80_and_port_443', /no address and port can match it/],
    ['host_10.0.0.5_and_not_host_10.0.0.5', /no address and port can match it/],
  ];
  for (const [text, message] of bad) {
    it(`UserError for ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseDirExpression(text, resolver),
        (e: unknown) => e instanceof UserError && message.test(e.message) && !e.message.includes('\n'),
      );
    });
  }
});

describe('makeDirectionStage: none', () => {
  it('every frame passes untouched with direction 0: ARP, IPv6, 802.3, runts', () => {
    const frames = [hex(ETH_IPV4 + OUT_80), hex(ARP), hex(IPV6), hex(LLC), hex('00 01 02 03 04')].map((b) => packet(b));
    assert.deepEqual(classify({ mode: 'none' }, ...frames), [DIR_NONE, DIR_NONE, DIR_NONE, DIR_NONE, DIR_NONE]);
  });
});

describe('makeDirectionStage: auto', () => {
  const ours = { mode: 'auto', mac: hex('00 00 5e 00 53 01') } as const;

  it('source MAC ours → out, anything else → in, for every kind of frame', () => {
    const frames = [hex(ETH_IPV4 + OUT_80), hex(ARP), hex(IPV6), hex(LLC)].map((b) => packet(b));
    assert.deepEqual(classify(ours, ...frames), [DIR_OUT, DIR_OUT, DIR_IN, DIR_OUT]);
  });

  it('the whole MAC must match', () => {
    const last = packet(hex('00 00 5e 00 53 02  00 00 5e 00 53 02  08 00'));
    const first = packet(hex('00 00 5e 00 53 02  01 00 5e 00 53 01  08 00'));
    assert.deepEqual(classify(ours, last, first), [DIR_IN, DIR_IN]);
  });

  it('frames under 14 captured bytes are dropped and counted', () => {
    const full = hex(ETH_IPV4 + OUT_80);
    assert.deepEqual(classify(ours, packet(full, LINKTYPE_ETHERNET, 13), packet(full, LINKTYPE_ETHERNET, 14)), [DIR_UNKNOWN, DIR_OUT]);
  });

  it('refuses a MAC that was never filled in', () => {
    assert.throws(() => makeDirectionStage(expr('auto')), RangeError);
  });

  it('Linux cooked frames (-i any): the packet type decides, outgoing → out, anything else → in', () => {
    // SLL: pkttype, ARPHRD_ETHER, addr len 6, our own MAC as the address (it must not matter), protocol IPv4.
    const sll = (pkttype: number): Buffer => hex(`00 0${pkttype} 00 01 00 06 00 00 5e 00 53 01 00 00 08 00 45 00`);
    const sll2 = (pkttype: number): Buffer => hex(`08 00 00 00 00 00 00 02 00 01 0${pkttype} 06 00 00 5e 00 53 01 00 00 45 00`);
    const frames = [
      packet(sll(4), LINKTYPE_LINUX_SLL),
      packet(sll(0), LINKTYPE_LINUX_SLL),
      packet(sll(1), LINKTYPE_LINUX_SLL),
      packet(sll2(4), LINKTYPE_LINUX_SLL2),
      packet(sll2(3), LINKTYPE_LINUX_SLL2),
      packet(sll(4), LINKTYPE_LINUX_SLL, 15),
    ];
    assert.deepEqual(classify(ours, ...frames), [DIR_OUT, DIR_IN, DIR_IN, DIR_OUT, DIR_IN, DIR_UNKNOWN]);
  });
});

describe('makeDirectionStage: expression', () => {
  const example = expr('host_10.0.0.5_and_port_80');

  it('§3.4 worked example: out, in, and a dropped non-matching port', () => {
    const frames = [OUT_80, IN_80, OUT_22].map((ip) => packet(hex(ETH_IPV4 + ip)));
    assert.deepEqual(classify(example, ...frames), [DIR_OUT, DIR_IN, DIR_UNKNOWN]);
  });

  it('no port given: any port of the host matches', () => {
    const frames = [OUT_80, IN_80, OUT_22].map((ip) => packet(hex(ETH_IPV4 + ip)));
    assert.deepEqual(classify(expr('host_10.0.0.5'), ...frames), [DIR_OUT, DIR_IN, DIR_OUT]);
  });

  it('or, not: each end is tested against the whole expression', () => {
    const frames = [OUT_80, IN_80, OUT_22].map((ip) => packet(hex(ETH_IPV4 + ip)));
    // The reference read `or` as `and`: OUT_22 would have been dropped.
    assert.deepEqual(classify(expr('host_10.0.0.5_or_port_80'), ...frames), [DIR_OUT, DIR_IN, DIR_OUT]);
    // Port 80 alone: the end that has it (the reference refused to match without a host).
    assert.deepEqual(classify(expr('port_80'), ...frames), [DIR_OUT, DIR_IN, DIR_UNKNOWN]);
    assert.deepEqual(classify(expr('host_10.0.0.5_and_not_port_22'), ...frames), [DIR_OUT, DIR_IN, DIR_UNKNOWN]);
    // 10.9.9.9:5555 is not 10.0.0.5 and not port 80: the first end that matches decides.
    assert.deepEqual(classify(expr('not_(host_10.0.0.5_and_port_80)'), ...frames), [DIR_IN, DIR_OUT, DIR_OUT]);
  });

  it('source is tried before destination', () => {
    const frames = [OUT_80, IN_80].map((ip) => packet(hex(ETH_IPV4 + ip)));
    assert.deepEqual(classify(expr('host_10.0.0.5_or_host_10.9.9.9'), ...frames), [DIR_OUT, DIR_OUT]);
  });

  it('nic.lo resolving to 127.0.0.1', () => {
    const frame = hex(ETH_IPV4 + IP_TCP(`
      0a 09 09 09  7f 00 00 01   # 10.9.9.9 -> 127.0.0.1
      15 b3 00 16                # ports 5555 -> 22
    `));
    const spec = parseDirExpression('host_nic.lo', (name) => (name === 'lo' ? ['127.0.0.1'] : undefined));
    assert.deepEqual(classify(spec, packet(frame), packet(hex(ETH_IPV4 + OUT_80))), [DIR_IN, DIR_UNKNOWN]);
  });

  it('non-IPv4 frames are dropped: ARP, IPv6, 802.3', () => {
    assert.deepEqual(classify(expr('host_10.0.0.5'), packet(hex(ARP)), packet(hex(IPV6)), packet(hex(LLC))), [DIR_UNKNOWN, DIR_UNKNOWN, DIR_UNKNOWN]);
  });

  it('only EtherType 0x0800 is IPv4, whatever the payload looks like', () => {
    const frame = hex(`
      00 00 5e 00 53 02 00 00 5e 00 53 01   # MACs
      88 b5                                 # local experimental EtherType
      ${OUT_80}
    `);
    assert.deepEqual(classify(example, packet(frame)), [DIR_UNKNOWN]);
  });

  it('802.1Q, QinQ, Linux SLL and SLL + 802.1Q are classified', () => {
    const macs = '00 00 5e 00 53 02 00 00 5e 00 53 01   # MACs\n';
    const dot1q = hex(`${macs} 81 00 00 64 # VID 100\n 08 00 ${OUT_80}`);
    const qinq = hex(`${macs} 88 a8 00 c8 # S-VID 200\n 81 00 00 64 # C-VID 100\n 08 00 ${IN_80}`);
    const sll = '00 04 00 01 00 06 00 00 5e 00 53 01 00 00   # SLL: outgoing, Ethernet, 6-byte address\n';
    const sllIp = hex(`${sll} 08 00 ${OUT_80}`);
    const sllVlan = hex(`${sll} 81 00 00 0a # VID 10\n 08 00 ${IN_80}`);
    assert.deepEqual(
      classify(example, packet(dot1q), packet(qinq), packet(sllIp, LINKTYPE_LINUX_SLL), packet(sllVlan, LINKTYPE_LINUX_SLL)),
      [DIR_OUT, DIR_IN, DIR_OUT, DIR_IN],
    );
  });

  it('IPv4 options (IHL 6): ports read after them', () => {
    const frame = hex(`${ETH_IPV4}
      46 00 00 24  00 03 00 00  40 11 00 00   # IHL 6, total 36, UDP
      0a 00 00 05  0a 09 09 09                # 10.0.0.5 -> 10.9.9.9
      01 01 01 00                             # options: NOP NOP NOP EOL
      00 50 15 b3  00 0c 00 00                # UDP 80 -> 5555
      00 00 00 00
    `);
    assert.deepEqual(classify(example, packet(frame)), [DIR_OUT]);
  });

  it('a non-first fragment has port 0', () => {
    const frame = hex(`${ETH_IPV4}
      45 00 00 1c  00 04 00 b9  40 11 00 00   # fragment offset 185 (1480 bytes), UDP
      0a 00 00 05  0a 09 09 09                # 10.0.0.5 -> 10.9.9.9
      00 50 15 b3  00 00 00 00                # payload that looks like ports 80 -> 5555
    `);
    assert.deepEqual(classify(example, packet(frame)), [DIR_UNKNOWN]);
    assert.deepEqual(classify(expr('host_10.0.0.5'), packet(frame)), [DIR_OUT]);
    assert.deepEqual(classify(expr('host_10.0.0.5_and_port_0'), packet(frame)), [DIR_OUT]);
  });

  it('truncated frames: no IPv4 header → dropped; no ports → port 0', () => {
    const full = hex(ETH_IPV4 + OUT_80);
    assert.deepEqual(classify(expr('host_10.0.0.5'), packet(full, LINKTYPE_ETHERNET, 33)), [DIR_UNKNOWN]);
    assert.deepEqual(classify(expr('host_10.0.0.5'), packet(full, LINKTYPE_ETHERNET, 37)), [DIR_OUT]);
    assert.deepEqual(classify(example, packet(full, LINKTYPE_ETHERNET, 37)), [DIR_UNKNOWN]);
    assert.deepEqual(classify(example, packet(full, LINKTYPE_ETHERNET, 38)), [DIR_OUT]);
  });
});

describe('makeDirectionStage: VXLAN peek', () => {
  // Offsets: outer IPv4 14, UDP 34 (dport 36), VXLAN 42, inner Ethernet 50
  // (EtherType 62), inner IPv4 64, inner ports 84.
  const VXLAN_4789 = hex(`${ETH_IPV4}
    45 00 00 5a  00 00 40 00  40 11 00 00   # IPv4 IHL 5, total 90, UDP
    c0 a8 01 01  c0 a8 01 02                # 192.168.1.1 -> 192.168.1.2
    9c 40 12 b5  00 46 00 00                # UDP 40000 -> 4789, length 70
    08 00 00 00  00 00 64 00                # VXLAN: I flag, VNI 100
    ${ETH_IPV4}
    ${OUT_80}
  `);
  const VXLAN_4800 = hex(`${ETH_IPV4}
    45 00 00 5a  00 00 40 00  40 11 00 00   # IPv4 IHL 5, total 90, UDP
    c0 a8 01 01  c0 a8 01 02                # 192.168.1.1 -> 192.168.1.2
    9c 40 12 c0  00 46 00 00                # UDP 40000 -> 4800, length 70
    08 00 00 00  00 00 64 00                # VXLAN: I flag, VNI 100
    ${ETH_IPV4}
    ${OUT_80}
  `);
  const inner = expr('host_10.0.0.5_and_port_80');
  const outer = expr('host_192.168.1.2');

  it('to 4789: inner addresses and ports decide', () => {
    assert.equal(VXLAN_4789.length, 104);
    assert.deepEqual(classify(inner, packet(VXLAN_4789)), [DIR_OUT]);
    assert.deepEqual(classify(outer, packet(VXLAN_4789)), [DIR_UNKNOWN]);
  });

  it('to 4800 (outside [4700, 4800)): outer addresses decide', () => {
    assert.deepEqual(classify(inner, packet(VXLAN_4800)), [DIR_UNKNOWN]);
    assert.deepEqual(classify(outer, packet(VXLAN_4800)), [DIR_IN]);
  });

  it('port range bounds: 4699 no, 4700 and 4799 yes', () => {
    const withPort = (port: number): TestPacket => {
      const b = Buffer.from(VXLAN_4789);
      b.writeUInt16BE(port, 36); // outer UDP destination port
      return packet(b);
    };
    assert.deepEqual(classify(inner, withPort(4699), withPort(4700), withPort(4799)), [DIR_UNKNOWN, DIR_OUT, DIR_OUT]);
  });

  it('TCP to port 4789 is not VXLAN', () => {
    const b = Buffer.from(VXLAN_4789);
    b[23] = 6; // outer protocol TCP
    assert.deepEqual(classify(outer, packet(b)), [DIR_IN]);
  });

  it('inner EtherType not IPv4 → outer', () => {
    const b = Buffer.from(VXLAN_4789);
    b.writeUInt16BE(0x0806, 62); // inner EtherType ARP
    assert.deepEqual(classify(outer, packet(b)), [DIR_IN]);
  });

  it('captured bytes end inside the inner IPv4 header → outer; before the inner ports → inner, port 0', () => {
    assert.deepEqual(classify(outer, packet(VXLAN_4789, LINKTYPE_ETHERNET, 83)), [DIR_IN]);
    assert.deepEqual(classify(outer, packet(VXLAN_4789, LINKTYPE_ETHERNET, 84)), [DIR_UNKNOWN]);
    assert.deepEqual(classify(expr('host_10.0.0.5'), packet(VXLAN_4789, LINKTYPE_ETHERNET, 87)), [DIR_OUT]);
    assert.deepEqual(classify(inner, packet(VXLAN_4789, LINKTYPE_ETHERNET, 87)), [DIR_UNKNOWN]);
    assert.deepEqual(classify(inner, packet(VXLAN_4789, LINKTYPE_ETHERNET, 88)), [DIR_OUT]);
  });

  it('both IHLs honoured (outer and inner IHL 6)', () => {
    const frame = hex(`${ETH_IPV4}
      46 00 00 56  00 00 40 00  40 11 00 00   # IPv4 IHL 6, total 86, UDP
      c0 a8 01 01  c0 a8 01 02                # 192.168.1.1 -> 192.168.1.2
      01 01 01 00                             # options: NOP NOP NOP EOL
      9c 40 12 b5  00 3e 00 00                # UDP 40000 -> 4789, length 62
      08 00 00 00  00 00 64 00                # VXLAN: I flag, VNI 100
      ${ETH_IPV4}
      46 00 00 20  00 01 40 00  40 06 00 00   # inner IPv4 IHL 6, total 32, TCP
      0a 09 09 09  0a 00 00 05                # 10.9.9.9 -> 10.0.0.5
      01 01 01 00                             # options
      15 b3 00 50  00 00 00 01                # TCP 5555 -> 80, sequence
    `);
    assert.equal(frame.length, 100);
    assert.deepEqual(classify(inner, packet(frame)), [DIR_IN]);
  });

  it('a VLAN-tagged outer frame is peeked too', () => {
    const tagged = Buffer.concat([VXLAN_4789.subarray(0, 12), hex('81 00 00 64 # VID 100'), VXLAN_4789.subarray(12)]);
    assert.deepEqual(classify(inner, packet(tagged)), [DIR_OUT]);
  });
});


describe('fuzz: VLAN stage + every direction mode', () => {
  it('5000 random frames: nothing throws, offsets stay inside caplen, counts add up', () => {
    const rnd = seededRandom(0x5eed);
    const int = (n: number): number => Math.floor(rnd() * n);
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
    const TPIDS = [0x8100, 0x88a8, 0x9100];
    const TYPES = [0x0800, 0x0800, 0x0800, 0x86dd, 0x0806, 0x0026, ...TPIDS];
    const ADDRS = [0x0a000005, 0x0a090909, 0xc0a80102];
    const PORTS = [80, 5555, 4789, 4700, 4800];

    // Random bytes almost never spell a TPID or an IPv4 header: plant them
    // (and VXLAN inside) so the deep paths run, at random, often truncated.
    function randomPacket(): TestPacket {
      const caplen = int(140);
      const data = Buffer.alloc(caplen + (rnd() < 0.25 ? 1 + int(40) : 0));
      for (let i = 0; i < data.length; i++) data[i] = int(256);
      const put = (off: number, value: number, size: 1 | 2 | 4): void => {
        if (off + size <= data.length) data.writeUIntBE(value, off, size);
      };
      const plantIPv4 = (off: number, depth: number): void => {
        const versionIhl = pick([0x45, 0x45, 0x46, 0x4f, 0x44, 0x65, int(256)]);
        put(off, versionIhl, 1);
        put(off + 6, pick([0, 0x2000, 0x4000, 0x00b9, int(65536)]), 2);
        put(off + 9, pick([6, 17, 17, 1]), 1);
        put(off + 12, rnd() < 0.8 ? pick(ADDRS) : int(2 ** 32), 4);
        put(off + 16, rnd() < 0.8 ? pick(ADDRS) : int(2 ** 32), 4);
        const l4 = off + Math.max(5, versionIhl & 0x0f) * 4;
        put(l4, rnd() < 0.8 ? pick(PORTS) : int(65536), 2);
        put(l4 + 2, rnd() < 0.8 ? pick(PORTS) : int(65536), 2);
        if (depth === 0 && rnd() < 0.5) {
          put(l4 + 8 + 8 + 12, 0x0800, 2);
          plantIPv4(l4 + 8 + 8 + 14, 1);
        }
      };
      const linktype = pick([LINKTYPE_ETHERNET, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, 0, 101]);
      // Our source MAC, sometimes only its first 4 bytes (a near miss).
      if (rnd() < 0.5) put(6, 0x00005e00, 4);
      if (rnd() < 0.5) put(10, 0x5301, 2);
      let off = linktype === LINKTYPE_LINUX_SLL ? 14 : 12;
      let type = pick(TYPES);
      put(off, type, 2);
      while (TPIDS.includes(type)) {
        off += 4;
        type = pick(TYPES);
        put(off, type, 2);
      }
      if (type === 0x0800 || rnd() < 0.1) plantIPv4(off + 2, 0);
      return testPacket(int(2 ** 31), int(1e9), caplen, caplen + int(100), data, linktype);
    }

    const modes: Array<[string, DirectionSpec, number[]]> = [
      ['none', { mode: 'none' }, [DIR_NONE]],
      ['auto', { mode: 'auto', mac: hex('00 00 5e 00 53 01') }, [DIR_IN, DIR_OUT]],
      ['host+port', expr('host_10.0.0.5_and_port_80'), [DIR_IN, DIR_OUT]],
      ['hosts', expr('host_10.0.0.5_or_host_10.9.9.9'), [DIR_IN, DIR_OUT]],
      ['vxlan outer', expr('host_192.168.1.2_and_port_4789'), [DIR_IN, DIR_OUT]],
    ];
    const runs = modes.map(([name, spec, allowed]) => ({ name, allowed, ...makeDirectionStage(spec), kept: 0 }));
    const seen = { l3: 0, sll: 0, inner: 0, ipv4: 0 };

    let total = 0;
    while (total < 5000) {
      // As a source decodes them: the frames of a batch in one buffer, at non-zero offsets.
      const batch = packedBatchOf(Array.from({ length: 1 + int(64) }, randomPacket));
      total += batch.length;
      const shared = batch.data[0]!;
      const copy = Buffer.from(shared);
      vlanDecodeBatch(batch);
      const decoded = packetsOf(batch);
      for (const p of decoded) {
        assert.ok(p.l3Offset >= -1 && p.l3Offset <= p.caplen, `l3Offset ${p.l3Offset} outside [-1, ${p.caplen}]`);
        assert.equal(p.l3Offset === -1, p.etherType === 0);
        assert.ok(p.vlanOuter >= -1 && p.vlanOuter <= 4095 && p.vlanInner >= -1 && p.vlanInner <= 4095);
        assert.ok(p.vlanInner === -1 || p.vlanOuter !== -1, 'inner tag without outer');
        if (p.l3Offset >= 0) seen.l3++;
        if (p.l3Offset >= 0 && p.linktype === LINKTYPE_LINUX_SLL) seen.sll++;
        if (p.vlanInner >= 0) seen.inner++;
        if (p.etherType === 0x0800) seen.ipv4++;
      }
      for (const run of runs) {
        batch.direction.fill(DIR_NONE);
        // The stage's own copy (as a fan-out branch gets): the batch stays whole for the next mode.
        const sub = batch.slice();
        const before = run.counters.dropped;
        run.fn(sub);
        assert.equal(sub.length + run.counters.dropped - before, batch.length, run.name);
        assert.ok(sub.direction.subarray(0, sub.length).every((d) => run.allowed.includes(d)), run.name);
        // Each frame has an offset of its own: it tells which input packet a kept one is.
        let r = 0;
        packetsOf(sub).forEach((p, j) => {
          while (r < batch.length && batch.offset[r] !== sub.offset[j]) r++;
          assert.ok(r < batch.length, `${run.name}: order kept`);
          assert.equal(sub.data[j], shared);
          assert.deepEqual({ ...p, direction: DIR_NONE }, decoded[r], `${run.name}: columns of a kept packet stay aligned`);
          r++;
        });
        run.kept += sub.length;
      }
      assert.ok(shared.equals(copy), 'stages never write frame bytes');
    }

    // The generator must reach the paths it is meant to exercise.
    assert.ok(seen.l3 > 500 && seen.sll > 100 && seen.inner > 50 && seen.ipv4 > 500, JSON.stringify(seen));
    const kept = Object.fromEntries(runs.map((r) => [r.name, r.kept]));
    assert.equal(kept['none'], total);
    for (const name of ['host+port', 'hosts', 'vxlan outer']) assert.ok(kept[name]! > 10 && kept[name]! < total, JSON.stringify(kept));
  });
});

describe('per-direction counts', () => {
  it('counts every frame by the code it gets, at code + 1 (unknown, none, in, out)', () => {
    const { fn, counters } = makeDirectionStage(expr('host_192.0.2.1'));
    const frame = (src: string, dst: string): TestPacket => {
      const data = Buffer.alloc(34);
      data.writeUInt16BE(0x0800, 12);
      data[14] = 0x45;
      data.writeUInt16BE(20, 16);
      data[22] = 64;
      data[23] = 6;
      Buffer.from(src.split('.').map(Number)).copy(data, 26);
      Buffer.from(dst.split('.').map(Number)).copy(data, 30);
      return packet(data);
    };
    for (let round = 0; round < 2; round++) {
      const batch = batchOf([frame('192.0.2.1', '198.51.100.1'), frame('198.51.100.1', '192.0.2.1'), frame('198.51.100.1', '192.0.2.1'), frame('198.51.100.1', '198.51.100.2')]);
      vlanDecodeBatch(batch);
      fn(batch);
    }
    assert.deepEqual([...counters.directions], [2, 0, 4, 2]);
    assert.equal(counters.dropped, counters.directions[0]);
    assert.equal(counters.reason, DIRECTION_DROP);
  });

  it('without --dir nothing is counted', () => {
    const { fn, counters } = makeDirectionStage({ mode: 'none' });
    fn(batchOf([packet(Buffer.alloc(60))]));
    assert.deepEqual([...counters.directions], [0, 0, 0, 0]);
    assert.equal(counters.dropped, 0);
  });

  it('each stage counts into its own counters: two stages of one spec share nothing', () => {
    const spec = expr('host_192.0.2.1');
    const [a, b] = [makeDirectionStage(spec), makeDirectionStage(spec)];
    // Not IPv4 (no EtherType after the VLAN stage): unknown, dropped.
    const batch = batchOf([packet(Buffer.alloc(60)), packet(Buffer.alloc(60))]);
    vlanDecodeBatch(batch);
    a.fn(batch);
    assert.deepEqual([a.counters.dropped, ...a.counters.directions], [2, 2, 0, 0, 0]);
    assert.deepEqual([b.counters.dropped, ...b.counters.directions], [0, 0, 0, 0, 0]);
  });
});

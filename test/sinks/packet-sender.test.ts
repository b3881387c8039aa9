/** PacketSender (--tx packet and auto) with a fake addon, raw sender, clock and IP output hooks: which path each datagram takes, and the headers it is given. */
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { test } from 'node:test';
import type { Logger } from '../../lib/log.js';
import type { LinkEntry, PacketRoute } from '../../lib/native/addon.js';
import { FRAME_HEADER_LEN, writeFrameHeader } from '../../lib/proto/frame-header.js';
import { IPPROTO_GRE } from '../../lib/proto/ipv4.js';
import type { DatagramSender } from '../../lib/sinks/datagram-sink.js';
import type { IpOutputHooks } from '../../lib/sinks/ip-output-hooks.js';
import { PacketSender, REFRESH_MS, type FramePath, type PacketSenderAddon } from '../../lib/sinks/packet-sender.js';
import type { RawSenderOptions } from '../../lib/sinks/raw-ip-sender.js';

const REMOTE = 0x0afc0102;
const OUR_MAC = Buffer.from('020000000001', 'hex');
const NEXT_HOP_MAC = Buffer.from('020000000002', 'hex');
const { EMSGSIZE, ENETDOWN, ENETUNREACH, ENOBUFS } = constants.errno;

function route(o: Partial<PacketRoute> = {}): PacketRoute {
  return { errno: 0, unicast: true, ifindex: 7, interface: 'veth0', source: 0x0afc0101, nextHop: REMOTE, mtu: 1500, mac: OUR_MAC, neighbour: NEXT_HOP_MAC, ...o };
}

/** The datagrams of one call: [start, end) of the given lengths. */
type Call = { path: 'raw' | 'packet'; start: number; end: number; header?: Buffer; ifindex?: number; mtu?: number };

class Fakes implements PacketSenderAddon, DatagramSender {
  routes: PacketRoute[] = [route()];
  readonly routeCalls: [number, number][] = [];
  readonly calls: Call[] = [];
  readonly logs: string[] = [];
  packetResult: ((start: number, count: number) => number) | null = null;
  closed: number[] = [];
  rawClosed = false;
  clock = 0;
  /** null: reading them fails. */
  hooks: IpOutputHooks | null = { nftChains: 0, xfrmPolicies: 0, cgroupPrograms: 0, legacyTables: [] };
  hookReads = 0;
  readonly log: Logger = { debug() {}, info: (m: string) => this.logs.push(m), warn() {}, error() {} };

  packetOpen(): number {
    return 42;
  }
  packetSend(fd: number, _d: Buffer, _l: Uint32Array, start: number, count: number, ifindex: number, header: Buffer, mtu: number): number {
    assert.equal(fd, 42);
    const n = this.packetResult?.(start, count) ?? count - start;
    this.calls.push({ path: 'packet', start, end: start + Math.max(n, 0), header: Buffer.from(header), ifindex, mtu });
    // As the addon: the id of the next datagram is left in the header.
    if (n > 0) header.writeUInt16BE((header.readUInt16BE(18) + n) & 0xffff, 18);
    return n;
  }
  packetRoute(address: number, oif: number): PacketRoute {
    this.routeCalls.push([address, oif]);
    return this.routes.length > 1 ? this.routes.shift()! : this.routes[0]!;
  }
  ipOutputHooks(): never {
    throw new Error('the sender reads the hooks through the `hooks` fake');
  }
  rawClose(fd: number): void {
    this.closed.push(fd);
  }
  links(): LinkEntry[] {
    return [{ name: 'eth1', ifindex: 3, up: true, mac: OUR_MAC, addresses: [] }];
  }
  send(_d: Buffer, _l: Uint32Array, start: number, count: number, address: number): number {
    assert.equal(address, REMOTE);
    this.calls.push({ path: 'raw', start, end: count });
    return count - start;
  }
  close(): void {
    this.rawClosed = true;
  }
}

const OPTS: RawSenderOptions & { tx: FramePath } = { bindDevice: null, pmtudisc: null, tx: 'packet' };
const DATA = Buffer.alloc(10 * 100);
const LENGTHS = new Uint32Array(10).fill(100);

function open(f: Fakes, opts = OPTS): PacketSender {
  const hooks = (): IpOutputHooks => {
    f.hookReads++;
    if (f.hooks === null) throw new Error('EMFILE: too many open files');
    return f.hooks;
  };
  return PacketSender.open('gre', IPPROTO_GRE, opts, f.log, { raw: f, addon: f, now: () => f.clock, hooks });
}

/** Sends [0, 10) as the datagram sink does: from where the last call stopped. */
function sendAll(s: PacketSender): void {
  for (let start = 0; start < 10; ) {
    const n = s.send(DATA, LENGTHS, start, 10, REMOTE);
    assert.ok(n > 0, `send returned ${n}`);
    start += n;
  }
}

test('a resolved route: the first datagram after each look-up goes through the kernel, the rest as frames with our headers', () => {
  const f = new Fakes();
  const s = open(f);
  sendAll(s);
  sendAll(s);
  f.clock = REFRESH_MS;
  sendAll(s);
  assert.deepEqual(
    f.calls.map(({ path, start, end }) => [path, start, end]),
    [['raw', 0, 1], ['packet', 1, 10], ['packet', 0, 10], ['raw', 0, 1], ['packet', 1, 10]],
  );
  assert.equal(f.routeCalls.length, 2);
  assert.deepEqual(f.routeCalls[0], [REMOTE, 0]);
  const expected = Buffer.alloc(FRAME_HEADER_LEN);
  writeFrameHeader(expected, { destinationMac: NEXT_HOP_MAC, sourceMac: OUR_MAC, source: 0x0afc0101, destination: REMOTE, protocol: IPPROTO_GRE, dontFragment: true });
  const first = f.calls[1]!;
  assert.deepEqual(first.header, expected);
  assert.equal(first.ifindex, 7);
  assert.equal(first.mtu, 1500);
  // The identification runs on across calls and look-ups: 9, then 10 more, then 9 more.
  assert.equal(f.calls[2]!.header!.readUInt16BE(18), 9);
  assert.equal(f.calls[4]!.header!.readUInt16BE(18), 19);
  assert.deepEqual(f.logs, ['gre to 10.252.1.2: whole frames out of veth0 through AF_PACKET (--tx packet)']);
  assert.equal(s.kernelPath, 2, "the datagrams the kernel's IP output sent");
  assert.equal(f.hookReads, 0, '--tx packet does not look at the IP output');
});

test('--tx auto, nothing in the IP output: frames as under --tx packet, the hooks read again with each look-up', () => {
  const f = new Fakes();
  const s = open(f, { ...OPTS, tx: 'auto' });
  sendAll(s);
  f.clock = REFRESH_MS;
  sendAll(s);
  assert.deepEqual(
    f.calls.map(({ path, start, end }) => [path, start, end]),
    [['raw', 0, 1], ['packet', 1, 10], ['raw', 0, 1], ['packet', 1, 10]],
  );
  assert.equal(f.hookReads, 2);
  assert.deepEqual(f.logs, ['gre to 10.252.1.2: whole frames out of veth0 through AF_PACKET (--tx auto)']);
});

test('--tx auto: everything through the kernel while netfilter, IPsec or a cgroup program is set up, frames again once they are gone', () => {
  const f = new Fakes();
  f.hooks = { nftChains: 2, xfrmPolicies: 0, cgroupPrograms: 0, legacyTables: [] };
  const s = open(f, { ...OPTS, tx: 'auto' });
  sendAll(s);
  assert.equal(f.routeCalls.length, 0, 'no route look-up while the IP output must carry everything');
  f.clock = REFRESH_MS / 2;
  sendAll(s);
  assert.equal(f.hookReads, 1, 'read at most once per look-up interval');
  f.clock = REFRESH_MS;
  f.hooks = { nftChains: 0, xfrmPolicies: 1, cgroupPrograms: 1, legacyTables: [] };
  sendAll(s);
  f.clock = 2 * REFRESH_MS;
  f.hooks = { nftChains: 0, xfrmPolicies: 0, cgroupPrograms: 0, legacyTables: [] };
  sendAll(s);
  assert.deepEqual(
    f.calls.map(({ path, start, end }) => [path, start, end]),
    [['raw', 0, 10], ['raw', 0, 10], ['raw', 0, 10], ['raw', 0, 1], ['packet', 1, 10]],
  );
  assert.equal(s.kernelPath, 31);
  assert.deepEqual(f.logs, [
    "gre to 10.252.1.2: through the kernel's IP output: netfilter has 2 IPv4 base chains (nft list chains) (--tx auto)",
    "gre to 10.252.1.2: through the kernel's IP output: 1 outbound IPsec policy (ip xfrm policy); 1 BPF program on this cgroup's sockets (bpftool cgroup tree) (--tx auto)",
    'gre to 10.252.1.2: whole frames out of veth0 through AF_PACKET (--tx auto)',
  ]);
});

test('--tx auto: hooks that cannot be read count as in use', () => {
  const f = new Fakes();
  f.hooks = null;
  sendAll(open(f, { ...OPTS, tx: 'auto' }));
  assert.deepEqual(f.calls.map((c) => c.path), ['raw']);
  assert.deepEqual(f.logs, ["gre to 10.252.1.2: through the kernel's IP output: what it would do cannot be read (EMFILE: too many open files) (--tx auto)"]);
});

test('no neighbour entry yet: through the kernel (which resolves it) until a look-up finds one; each change logged once', () => {
  const f = new Fakes();
  f.routes = [route({ neighbour: null }), route({ neighbour: null }), route()];
  const s = open(f);
  sendAll(s);
  f.clock = 1000;
  sendAll(s);
  f.clock = 2000;
  sendAll(s);
  assert.deepEqual(
    f.calls.map(({ path, start, end }) => [path, start, end]),
    [['raw', 0, 10], ['raw', 0, 10], ['raw', 0, 1], ['packet', 1, 10]],
  );
  assert.equal(s.kernelPath, 21);
  assert.deepEqual(f.logs, [
    "gre to 10.252.1.2: through the kernel's IP output: no neighbour entry for 10.252.1.2 on veth0 yet (--tx packet)",
    'gre to 10.252.1.2: whole frames out of veth0 through AF_PACKET (--tx packet)',
  ]);
});

test('routes a frame cannot be built for stay with the kernel, with the reason', () => {
  const cases: [PacketRoute, RegExp][] = [
    [route({ errno: ENETUNREACH, ifindex: 0, mac: null, neighbour: null }), /no route \(ENETUNREACH\)/],
    [route({ unicast: false, interface: 'lo' }), /not a unicast route/],
    [route({ mac: null, interface: 'gre0' }), /gre0 is not an Ethernet interface/],
  ];
  for (const [r, reason] of cases) {
    const f = new Fakes();
    f.routes = [r];
    sendAll(open(f));
    assert.deepEqual(f.calls.map((c) => c.path), ['raw']);
    assert.match(f.logs[0]!, reason);
  }
});

test('a datagram over the MTU goes through the kernel alone (it fragments it); -M dont clears DF', () => {
  const f = new Fakes();
  f.routes = [route({ mtu: 1400 })];
  f.packetResult = (start, count) => (start === 5 ? -EMSGSIZE : start < 5 ? 5 - start : count - start);
  const s = open(f, { ...OPTS, pmtudisc: 'dont' });
  sendAll(s);
  assert.deepEqual(
    f.calls.map(({ path, start, end }) => [path, start, end]),
    [['raw', 0, 1], ['packet', 1, 5], ['packet', 5, 5], ['raw', 5, 6], ['packet', 6, 10]],
  );
  assert.equal(f.calls[1]!.mtu, 1400);
  assert.equal(s.kernelPath, 2);
  assert.equal(f.calls[1]!.header!.readUInt16BE(14 + 6), 0, 'no DF');
});

test('an interface MTU above what IPv4 carries is capped at 65 535', () => {
  const f = new Fakes();
  f.routes = [route({ mtu: 65536 })];
  sendAll(open(f));
  assert.equal(f.calls[1]!.mtu, 65535);
});

test('an interface that went down: the error is returned, and the next call looks the route up again at once', () => {
  const f = new Fakes();
  const s = open(f);
  sendAll(s); // look-up 1
  f.packetResult = () => -ENOBUFS;
  assert.equal(s.send(DATA, LENGTHS, 0, 10, REMOTE), -ENOBUFS);
  s.send(DATA, LENGTHS, 0, 10, REMOTE);
  assert.equal(f.routeCalls.length, 1, 'a full queue is no reason to look again');
  f.packetResult = () => -ENETDOWN;
  assert.equal(s.send(DATA, LENGTHS, 0, 10, REMOTE), -ENETDOWN);
  s.send(DATA, LENGTHS, 0, 10, REMOTE);
  assert.equal(f.routeCalls.length, 2);
});

test('-B: the route is looked up out of that interface; an unknown one is refused and nothing stays open', () => {
  const f = new Fakes();
  sendAll(open(f, { ...OPTS, bindDevice: 'eth1' }));
  assert.deepEqual(f.routeCalls[0], [REMOTE, 3]);
  const g = new Fakes();
  assert.throws(() => open(g, { ...OPTS, bindDevice: 'eth9' }), /^UserError: -B eth9: no such interface$/);
  assert.ok(g.rawClosed);
});

test('close closes both sockets, once', () => {
  const f = new Fakes();
  const s = open(f);
  s.close();
  s.close();
  assert.deepEqual(f.closed, [42]);
  assert.ok(f.rawClosed);
});

import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, test, type TestContext } from 'node:test';
import { UserError } from '../../lib/errors.js';
import { DIR_IN, DIR_OUT, DIR_UNKNOWN, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, PacketBatch } from '../../lib/packet.js';
import { checkGredumpArgs, GreDecapsulator, keyFilter } from '../../lib/tools/gredump.js';
import type { ToolArgs } from '../../lib/tools/receiver.js';
import { buildPcap, buildPcapng, readPcapFile, seededRandom, type PcapRecordSpec } from '../helpers/capture-files.js';
import { collect, ROOT, runCli, startCli, waitForStderr } from '../helpers/cli.js';
import { createPair, netnsAvailable } from '../helpers/netns.js';
import { assertPrerequisites } from '../helpers/prerequisites.js';
import { tmp } from '../helpers/tmp.js';


const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';

function ip4(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An IPv4 packet; `offset` in bytes (a multiple of 8). */
function ipv4(o: { src?: string; dst?: string; protocol?: number; id?: number; more?: boolean; offset?: number; payload: Buffer }): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + o.payload.length, 2);
  h.writeUInt16BE(o.id ?? 1, 4);
  h.writeUInt16BE((o.more ? 0x2000 : 0) | ((o.offset ?? 0) / 8), 6);
  h[8] = 64;
  h[9] = o.protocol ?? 47;
  ip4(o.src ?? A).copy(h, 12);
  ip4(o.dst ?? B).copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([h, o.payload]);
}

/** The IPv4 packets of one datagram cut at byte offsets `cuts` (multiples of 8). */
function fragmented(payload: Buffer, cuts: number[], o: { src?: string; dst?: string; id: number }): Buffer[] {
  const bounds = [0, ...cuts, payload.length];
  return bounds.slice(0, -1).map((start, i) =>
    ipv4({ ...o, offset: start, more: i + 2 < bounds.length, payload: payload.subarray(start, bounds[i + 1]) }),
  );
}

/** Destination 02:00:00:00:00:02, source 02:00:00:00:00:01. */
const OUTER_MACS = Buffer.from('020000000002020000000001', 'hex');

function ethernet(payload: Buffer, etherType = 0x0800, vlan?: number): Buffer {
  const tag = vlan === undefined ? Buffer.alloc(0) : Buffer.from([0x81, 0x00, vlan >> 8, vlan & 0xff]);
  const type = Buffer.from([etherType >> 8, etherType & 0xff]);
  return Buffer.concat([OUTER_MACS, tag, type, payload]);
}

/** Linux cooked capture v1 header, incoming, then the IPv4 packet. */
function sll(payload: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0, 0); // to us
  h.writeUInt16BE(1, 2); // ARPHRD_ETHER
  h.writeUInt16BE(6, 4);
  OUTER_MACS.copy(h, 6, 6, 12);
  h.writeUInt16BE(0x0800, 14);
  return Buffer.concat([h, payload]);
}

/** GRE with K only (what pktminerg sends), or with any flags: C and S add their 4-byte fields. */
function gre(key: number | null, inner: Buffer, o: { flags?: number; protocol?: number } = {}): Buffer {
  const flags = o.flags ?? (key === null ? 0 : 0x2000);
  const parts = [Buffer.from([flags >> 8, flags & 0xff, (o.protocol ?? 0x6558) >> 8, (o.protocol ?? 0x6558) & 0xff])];
  if (flags & 0x8000) parts.push(Buffer.from([0, 0, 0, 0]));
  if (key !== null) parts.push(Buffer.from([key >>> 24, (key >>> 16) & 0xff, (key >>> 8) & 0xff, key & 0xff]));
  if (flags & 0x1000) parts.push(Buffer.from([0, 0, 0, 42]));
  return Buffer.concat([...parts, inner]);
}

/** An inner Ethernet frame of `len` bytes, content from `seed`. */
function innerFrame(len: number, seed: number): Buffer {
  const rnd = seededRandom(seed);
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = Math.floor(rnd() * 256);
  b.writeUInt16BE(0x0800, 12);
  return b;
}

const T0 = 1_700_000_000;
let clock = 0;
/** A record of the next capture time (µs steps of 1000). */
function rec(data: Buffer): PcapRecordSpec {
  clock++;
  return { tsSec: T0 + Math.floor(clock / 1000), tsFrac: (clock % 1000) * 1000, data };
}

interface Expected {
  data: Buffer;
  tsSec: number;
  tsUsec: number;
}

/**
 * The main capture: GRE with keys 5 (every direction nibble), 7, fragments
 * in order, reversed and interleaved, VLAN tags, padding, GRE options, and
 * noise. `expected` is what `-k 5` writes, in order.
 */
function mainCapture(): { records: PcapRecordSpec[]; expected: Expected[]; key7: Buffer } {
  clock = 0;
  const records: PcapRecordSpec[] = [];
  const expected: Expected[] = [];
  const add = (frame: Buffer, inner?: Buffer): void => {
    const r = rec(frame);
    records.push(r);
    if (inner) expected.push({ data: inner, tsSec: r.tsSec, tsUsec: r.tsFrac });
  };

  const a = innerFrame(60, 1);
  add(ethernet(ipv4({ id: 10, payload: gre(5, a) })), a);
  add(ethernet(ipv4({ protocol: 17, id: 11, payload: Buffer.alloc(30, 0x11) }))); // UDP: not GRE
  add(ethernet(Buffer.alloc(28, 0x22), 0x0806)); // ARP: not GRE

  // D: 3000 bytes, direction in, three fragments; F: 2000 bytes, direction out, two fragments reversed; interleaved.
  const d = innerFrame(3000, 2);
  const f = innerFrame(2000, 3);
  const dFrags = fragmented(gre(0x10000005, d), [1480, 2960], { id: 20 });
  const fFrags = fragmented(gre(0x20000005, f), [1480], { id: 21 });
  add(ethernet(dFrags[0]!));
  add(ethernet(fFrags[1]!));
  add(ethernet(dFrags[1]!));
  add(ethernet(fFrags[0]!), f);
  add(ethernet(dFrags[2]!), d);

  const key7 = innerFrame(70, 4);
  add(ethernet(ipv4({ id: 30, payload: gre(7, key7) }))); // filtered by -k 5

  const g = innerFrame(80, 5);
  add(ethernet(ipv4({ id: 31, payload: gre(5, g) }), 0x0800, 100), g); // VLAN 100
  const h = innerFrame(90, 6);
  add(ethernet(ipv4({ id: 32, payload: gre(5, h, { flags: 0xb000 }) })), h); // C, K and S
  add(ethernet(ipv4({ id: 33, payload: gre(5, innerFrame(64, 7), { protocol: 0x0800 }) }))); // GRE carrying IP: filtered

  // The smallest inner frame: the outer packet is 42 bytes, padded to 46 on the wire.
  const j = innerFrame(14, 8);
  add(Buffer.concat([ethernet(ipv4({ id: 34, payload: gre(5, j) })), Buffer.alloc(4)]), j);

  const k = innerFrame(100, 9);
  add(ethernet(ipv4({ id: 35, payload: gre(0xf0000005, k) })), k); // direction nibble 15
  add(ethernet(ipv4({ id: 36, payload: Buffer.from([0x20, 0x00]) }))); // GRE header cut short: malformed
  return { records, expected, key7 };
}

async function gredump(t: TestContext, args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return runCli(t, 'gredump', args);
}

function assertFrames(got: { data: Buffer; tsSec: number; tsFrac: number }[], want: Expected[], nanos = true): void {
  assert.equal(got.length, want.length, 'frame count');
  got.forEach((g, i) => {
    assert.ok(g.data.equals(want[i]!.data), `frame ${i}: ${g.data.length} bytes, want ${want[i]!.data.length}`);
    assert.equal(g.tsSec, want[i]!.tsSec, `frame ${i} seconds`);
    assert.equal(g.tsFrac, nanos ? want[i]!.tsUsec * 1000 : want[i]!.tsUsec, `frame ${i} fraction`);
  });
}

describe('gredump -f (offline)', () => {
  it('-k 5: inner frames byte-exact, in order, with the time of their last fragment; counters', async (t) => {
    const { records, expected } = mainCapture();
    const dir = tmp();
    const input = join(dir, 'in.pcap');
    writeFileSync(input, buildPcap({}, records));
    const out = join(dir, 'out.pcap');
    const r = await gredump(t, ['-f', input, '-o', out, '-k', '5']);
    assert.equal(r.code, 0, r.stderr);
    const { header, records: got } = await readPcapFile(out);
    assert.deepEqual({ linktype: header.linktype, nanos: header.nanos }, { linktype: 1, nanos: true });
    assertFrames(got, expected);
    assert.match(r.stderr, /gredump: 15 captured, 2 not GRE, 2 filtered, 1 malformed\n/);
    assert.match(r.stderr, /gredump: 5 fragments \(0 duplicate\), 2 reassembled, 0 reassembly drops \(0 timeout, 0 overlap, 0 too many, 0 too big, 0 incomplete at exit\)\n/);
    assert.match(r.stderr, /gredump: 7 written: 4 no direction, 1 in, 1 out, 1 other key or none\n/);
    assert.match(r.stderr, /gredump: stopped at end of file\n/);
  });

  it('without -k every key is kept', async (t) => {
    const { records, expected, key7 } = mainCapture();
    const dir = tmp();
    writeFileSync(join(dir, 'in.pcap'), buildPcap({}, records));
    const r = await gredump(t, ['-f', join(dir, 'in.pcap'), '-o', join(dir, 'out.pcap')]);
    assert.equal(r.code, 0, r.stderr);
    const { records: got } = await readPcapFile(join(dir, 'out.pcap'));
    assert.equal(got.length, expected.length + 1);
    assert.ok(got.some((g) => g.data.equals(key7)));
    assert.match(r.stderr, / 1 filtered, /);
  });

  it('--key-with-direction compares all 32 bits', async (t) => {
    const { records, expected } = mainCapture();
    const dir = tmp();
    writeFileSync(join(dir, 'in.pcap'), buildPcap({}, records));
    const r = await gredump(t, ['-f', join(dir, 'in.pcap'), '-o', join(dir, 'out.pcap'), '-k', '0x10000005', '--key-with-direction']);
    assert.equal(r.code, 0, r.stderr);
    const { records: got } = await readPcapFile(join(dir, 'out.pcap'));
    assertFrames(got, [expected.find((e) => e.data.length === 3000)!]);
    assert.match(r.stderr, /1 written: 0 no direction, 1 in, 0 out, 0 other key or none/);
  });

  it('-c 2 stops after two written frames, and the counters stop there too', async (t) => {
    const { records, expected } = mainCapture();
    const dir = tmp();
    writeFileSync(join(dir, 'in.pcap'), buildPcap({}, records));
    const r = await gredump(t, ['-f', join(dir, 'in.pcap'), '-o', join(dir, 'out.pcap'), '-k', '5', '-c', '2']);
    assert.equal(r.code, 0, r.stderr);
    const { records: got } = await readPcapFile(join(dir, 'out.pcap'));
    assertFrames(got, expected.slice(0, 2));
    assert.match(r.stderr, /gredump: 7 captured, /);
    assert.match(r.stderr, /gredump: stopped after 2 packets \(-c\)/);
  });

  it('-s and -r keep GRE by outer source and destination', async (t) => {
    clock = 0;
    const frames = [
      [A, B],
      [C, B],
      [A, C],
      [C, A],
    ].map(([src, dst], i) => ({ inner: innerFrame(60 + i, 20 + i), src: src!, dst: dst! }));
    const dir = tmp();
    const input = join(dir, 'in.pcap');
    writeFileSync(input, buildPcap({}, frames.map((f, i) => rec(ethernet(ipv4({ src: f.src, dst: f.dst, id: i, payload: gre(5, f.inner) }))))));
    const run = async (args: string[]): Promise<number[]> => {
      const out = join(tmp(), 'out.pcap');
      const r = await gredump(t, ['-f', input, '-o', out, ...args]);
      assert.equal(r.code, 0, r.stderr);
      const { records } = await readPcapFile(out);
      return records.map((g) => frames.findIndex((f) => f.inner.equals(g.data)));
    };
    assert.deepEqual(await run(['-s', A]), [0, 2]);
    assert.deepEqual(await run(['-r', B]), [0, 1]);
    assert.deepEqual(await run(['--sourceip', C, '--remoteip', A]), [3]);
  });

  it('fragments filtered by address take no reassembly memory and are not counted as fragments', async (t) => {
    clock = 0;
    const inner = innerFrame(2000, 30);
    const frags = fragmented(gre(5, inner), [1480], { src: C, id: 7 });
    const dir = tmp();
    writeFileSync(join(dir, 'in.pcap'), buildPcap({}, frags.map((f) => rec(ethernet(f)))));
    const r = await gredump(t, ['-f', join(dir, 'in.pcap'), '-o', join(dir, 'out.pcap'), '-s', A]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /2 captured, 0 not GRE, 2 filtered, 0 malformed\n.*0 fragments/);
  });

  it('Linux cooked capture (as from -i any) and pcapng input', async (t) => {
    clock = 0;
    const inner = [innerFrame(60, 40), innerFrame(2500, 41)];
    const packets = [ipv4({ id: 1, payload: gre(5, inner[0]!) }), ...fragmented(gre(5, inner[1]!), [1480], { id: 2 }).reverse()];
    const dir = tmp();
    writeFileSync(join(dir, 'sll.pcap'), buildPcap({ linktype: LINKTYPE_LINUX_SLL }, packets.map((p) => rec(sll(p)))));
    let r = await gredump(t, ['-f', join(dir, 'sll.pcap'), '-o', join(dir, 'sll-out.pcap')]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await readPcapFile(join(dir, 'sll-out.pcap'))).records.map((g) => g.data), inner);

    writeFileSync(
      join(dir, 'in.pcapng'),
      buildPcapng([{ type: 'shb' }, { type: 'idb', tsresol: 9 }, ...packets.map((p, i) => ({ type: 'epb' as const, ts: 1_700_000_000_123_456_789n + BigInt(i), data: ethernet(p) }))]),
    );
    r = await gredump(t, ['-f', join(dir, 'in.pcapng'), '-o', join(dir, 'ng-out.pcap')]);
    assert.equal(r.code, 0, r.stderr);
    const { records } = await readPcapFile(join(dir, 'ng-out.pcap'));
    assert.deepEqual(records.map((g) => g.data), inner);
    assert.deepEqual(records.map((g) => [g.tsSec, g.tsFrac]), [
      [1_700_000_000, 123_456_789],
      [1_700_000_000, 123_456_791],
    ]);
  });

  it('a capture file cut short: frames before the damage are written, one error line naming the file, exit 1', async (t) => {
    const { records, expected } = mainCapture();
    const dir = tmp();
    const input = join(dir, 'cut.pcap');
    const whole = buildPcap({}, records);
    writeFileSync(input, whole.subarray(0, whole.length - 3));
    const out = join(dir, 'out.pcap');
    const r = await gredump(t, ['-f', input, '-o', out, '-k', '5']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`gredump: ${input}: truncated pcap record at byte offset \\d+`));
    const { records: got } = await readPcapFile(out);
    assertFrames(got, expected);
  });

  it('an existing output file: one line, exit 1, the file untouched', async (t) => {
    const dir = tmp();
    writeFileSync(join(dir, 'in.pcap'), buildPcap({}, []));
    writeFileSync(join(dir, 'out.pcap'), 'precious');
    const r = await gredump(t, ['-f', join(dir, 'in.pcap'), '-o', join(dir, 'out.pcap')]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `gredump: ${join(dir, 'out.pcap')} exists; not overwriting it\n`);
    assert.equal(readFileSync(join(dir, 'out.pcap'), 'utf8'), 'precious');
  });

  it('an invalid address: one line naming the flag, exit 1, no output file', async (t) => {
    const dir = tmp();
    writeFileSync(join(dir, 'in.pcap'), buildPcap({}, []));
    for (const args of [['-s', '10.0.0'], ['-r', '300.1.1.1']]) {
      const r = await gredump(t, ['-f', join(dir, 'in.pcap'), '-o', join(dir, 'out.pcap'), ...args]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^gredump: --(sourceip|remoteip) must be an IPv4 address, got '[^']+'\n$/);
      assert.equal(existsSync(join(dir, 'out.pcap')), false);
    }
  });

  it('an option given twice: one line naming it, exit 1, no output file (the guard every command shares)', async (t) => {
    const dir = tmp();
    writeFileSync(join(dir, 'in.pcap'), buildPcap({}, []));
    const r = await gredump(t, ['-f', join(dir, 'in.pcap'), '-o', join(dir, 'out.pcap'), '-s', '10.0.0.1', '--sourceip', '10.0.0.2']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'gredump: --sourceip given more than once\n');
    assert.equal(existsSync(join(dir, 'out.pcap')), false);
  });

  it('a missing input file: one line, exit 1, no output file', async (t) => {
    const dir = tmp();
    const r = await gredump(t, ['-f', join(dir, 'nope.pcap'), '-o', join(dir, 'out.pcap')]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `gredump: cannot read capture file ${join(dir, 'nope.pcap')}: no such file or directory\n`);
    assert.equal(existsSync(join(dir, 'out.pcap')), false);
  });
});

describe('gredump command line', () => {
  const base = { _: [], pcapfile: 'in.pcap', output: 'out.pcap' };
  const cases: [string, Record<string, unknown>, RegExp | Record<string, unknown>][] = [
    ['file', {}, { pcapfile: 'in.pcap', interface: null, key: null, keyWithDirection: false, sourceIp: null, remoteIp: null, count: 0 }],
    ['interface', { pcapfile: undefined, interface: 'eth0' }, { interface: 'eth0', pcapfile: null }],
    ['both sources', { interface: 'eth0' }, /exactly one of --interface \(-i\) and --pcapfile \(-f\)/],
    ['no source', { pcapfile: undefined }, /exactly one of/],
    ['no output', { output: undefined }, /--output is required/],
    ['decimal key', { keybit: '12' }, { key: 12 }],
    ['hex key', { keybit: '0x2000000C' }, { key: 0x2000000c }],
    ['largest key', { keybit: '4294967295' }, { key: 0xffffffff }],
    ['key 0 = no filter', { keybit: '0' }, { key: null }],
    ['key too large', { keybit: '4294967296' }, /--keybit: '4294967296' is not an integer in 0\.\.4294967295/],
    ['negative key', { keybit: '-1' }, /--keybit: '-1' is not an integer in 0\.\.4294967295/],
    ['key with direction', { keybit: '5', 'key-with-direction': true }, { key: 5, keyWithDirection: true }],
    ['--key-with-direction alone', { 'key-with-direction': true }, /--key-with-direction needs a non-zero --keybit/],
    ['addresses', { sourceip: '10.0.0.1', remoteip: '192.168.1.255' }, { sourceIp: 0x0a000001, remoteIp: 0xc0a801ff }],
    ['leading zero address', { sourceip: '10.0.0.01' }, /--sourceip must be an IPv4 address, got '10.0.0.01'/],
    ['count', { count: '10' }, { count: 10 }],
    ['negative count', { count: '-1' }, /--count: '-1' is not an integer in 0\.\./],
    ['positional', { _: ['extra'] }, /unexpected argument 'extra'/],
  ];
  for (const [name, args, want] of cases) {
    it(name, () => {
      const run = (): unknown => checkGredumpArgs({ ...base, ...args } as ToolArgs);
      if (want instanceof RegExp) {
        assert.throws(run, (e: unknown) => e instanceof UserError && want.test(e.message));
      } else {
        const got = run() as Record<string, unknown>;
        for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k], v, k);
      }
    });
  }

  it('keyFilter: direction nibble ignored unless asked; keyless GRE never matches a key', () => {
    const masked = keyFilter(5, false);
    assert.deepEqual([5, 0x10000005, 0x20000005, 0xf0000005, 6, 0x10000006].map(masked), [true, true, true, true, false, false]);
    assert.equal(masked(null), false);
    const exact = keyFilter(0x10000005, true);
    assert.deepEqual([0x10000005, 5, 0x20000005].map(exact), [true, false, false]);
    assert.equal(keyFilter(null, false)(null), true);
  });
});

/** Run in namespace A: sends GRE (K, TEB) + each frame (hex args after the address and key) over a raw socket. */
const SENDER = `
const [, , addonModule, dst, ...frames] = process.argv;
const { loadAddon } = await import(addonModule);
const addon = loadAddon();
// IP_MTU_DISCOVER = IP_PMTUDISC_DONT: let the kernel fragment whatever exceeds the MTU.
const fd = addon.rawOpen(47, null, 0);
const datagrams = frames.map((f) => {
  const [key, data] = f.split(':');
  return Buffer.concat([Buffer.from([0x20, 0x00, 0x65, 0x58]), Buffer.from(key, 'hex'), Buffer.from(data, 'hex')]);
});
const lengths = Uint32Array.from(datagrams.map((d) => d.length));
// Each datagram after its headroom, as rawSend takes them.
const packed = Buffer.concat(datagrams.flatMap((d) => [Buffer.alloc(addon.datagramHeadroom), d]));
const address = dst.split('.').reduce((n, part) => n * 256 + Number(part), 0);
for (let start = 0; start < datagrams.length; ) {
  const sent = addon.rawSend(fd, packed, lengths, start, datagrams.length, address);
  if (sent <= 0) { console.error('send failed, errno ' + -sent); process.exit(1); }
  start += sent;
}
addon.rawClose(fd);
`;

test('GreDecapsulator: frames at offsets in one shared capture buffer, a fragmented datagram among them', () => {
  const inner = [innerFrame(60, 1), innerFrame(300, 2), innerFrame(90, 3)];
  const parts = fragmented(gre(0x2000000c, inner[1]!), [104, 208], { id: 77 });
  const frames = [
    ethernet(ipv4({ payload: gre(0x1000000c, inner[0]!) })),
    ethernet(parts[0]!),
    ethernet(ipv4({ protocol: 17, payload: Buffer.alloc(30) })), // UDP: not GRE
    ethernet(parts[2]!),
    ethernet(parts[1]!),
    ethernet(ipv4({ payload: gre(null, inner[2]!) }), 0x0800, 5),
  ];
  // Misleading bytes before each frame: another Ethernet/IPv4 header start.
  const filler = ethernet(Buffer.alloc(9, 0x45)).subarray(0, 19);
  const shared = Buffer.concat(frames.flatMap((f) => [filler, f]));
  const b = new PacketBatch(1);
  let at = 0;
  frames.forEach((f, k) => {
    at += filler.length;
    b.add(shared, at, f.length, f.length, T0, 1000 * k, LINKTYPE_ETHERNET);
    at += f.length;
  });
  const decap = new GreDecapsulator({ key: null, keyWithDirection: false, sourceIp: null, remoteIp: null });
  const out = new PacketBatch(1);
  const added = Array.from({ length: b.length }, (_, i) => decap.decapsulate(b, i, out));
  assert.deepEqual(added, [true, false, false, false, true, true]);
  assert.equal(out.length, 3);
  assert.deepEqual([decap.captured, decap.notGre, decap.malformed, decap.filtered], [6, 1, 0, 0]);
  inner.forEach((f, k) => {
    assert.ok(out.frame(k).equals(f), `inner frame ${k}`);
    assert.deepEqual([out.caplen[k], out.wirelen[k], out.linktype[k]], [f.length, f.length, LINKTYPE_ETHERNET]);
  });
  assert.deepEqual(Array.from(out.direction.subarray(0, 3)), [DIR_IN, DIR_OUT, DIR_UNKNOWN]);
  // Capture times: the frame's own, or for the datagram that of the fragment that completed it.
  assert.deepEqual(Array.from(out.tsNsec.subarray(0, 3)), [0, 4000, 5000]);
  // An unfragmented payload is not copied: it stays in the capture buffer's memory (a view of it).
  assert.equal(out.data[0]!.buffer, shared.buffer);
  assert.equal(out.data[0]!.byteOffset + out.offset[0]!, shared.byteOffset + shared.indexOf(inner[0]!));
});

test('live: -i on a veth in a namespace of our own, and -i any, with a 3000-byte frame the kernel fragments', { skip: !netnsAvailable() && 'needs root', timeout: 60_000 }, async (t) => {
  assertPrerequisites();
  const net = createPair();
  t.after(() => net.destroy());
  const frames = [
    { key: 0x00000005, data: innerFrame(60, 50) },
    { key: 0x10000005, data: innerFrame(3000, 51) },
    { key: 0x00000007, data: innerFrame(70, 52) },
    { key: 0x20000005, data: innerFrame(1000, 53) },
  ];
  const kept = frames.filter((f) => (f.key & 0x0fffffff) === 5);
  const dir = tmp();
  const start = (iface: string, out: string): ChildProcess => startCli(t, 'gredump', ['-i', iface, '-o', out, '-k', '5', '-c', String(kept.length)], { netns: net.b });
  const onVeth = start(net.ifB, join(dir, 'veth.pcap'));
  const onAny = start('any', join(dir, 'any.pcap'));
  const results = [collect(onVeth), collect(onAny)];
  await Promise.all([waitForStderr(onVeth, /listening on/, 10_000), waitForStderr(onAny, /listening on/, 10_000)]);

  const before = Math.floor(Date.now() / 1000);
  writeFileSync(join(dir, 'send.mjs'), SENDER);
  execFileSync(
    'ip',
    ['netns', 'exec', net.a, process.execPath, join(dir, 'send.mjs'), join(ROOT, 'dist', 'lib', 'native', 'addon.js'), net.addrB, ...frames.map((f) => `${f.key.toString(16).padStart(8, '0')}:${f.data.toString('hex')}`)],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // Receivers short of their -c count are stopped, so the assertions can say what is missing.
  const timer = setTimeout(() => [onVeth, onAny].forEach((c) => c.kill('SIGTERM')), 15_000);
  const [veth, any] = await Promise.all(results);
  clearTimeout(timer);
  const after = Math.ceil(Date.now() / 1000);

  for (const [name, r] of [
    ['veth', veth!],
    ['any', any!],
  ] as const) {
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.match(r.stderr, /kernel: [1-9]\d* received by filter, 0 dropped \(ring full\), 0 dropped by interface/, name);
    assert.match(r.stderr, /stopped after 3 packets \(-c\)/, name);
    assert.match(r.stderr, /1 filtered, 0 malformed/, name);
    assert.match(r.stderr, /3 fragments \(0 duplicate\), 1 reassembled/, name);
    assert.match(r.stderr, /3 written: 1 no direction, 1 in, 1 out, 0 other key or none/, name);
    const { header, records } = await readPcapFile(join(dir, `${name}.pcap`));
    assert.equal(header.nanos, true);
    assert.deepEqual(records.map((g) => g.data), kept.map((f) => f.data), name);
    for (const g of records) assert.ok(g.tsSec >= before && g.tsSec <= after, `${name}: time ${g.tsSec} not in [${before}, ${after}]`);
  }
});

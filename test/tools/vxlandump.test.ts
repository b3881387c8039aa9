import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, runCli, startReceiver, waitForSize } from '../helpers/cli.js';
import { readPcapFile } from '../helpers/capture-files.js';
import { CAPTIME_TRAILER_LEN, VXLAN_HEADER_LEN } from '../../lib/proto/vxlan.js';
import { vxlanPayload } from '../helpers/encap.js';
import { checkVxlandumpArgs, VxlanDecapsulator } from '../../lib/tools/vxlandump.js';
import { LINKTYPE_ETHERNET, PacketBatch } from '../../lib/packet.js';

const dir = mkdtempSync(join(tmpdir(), 'vxlandump-'));
let outputs = 0;
const output = (): string => join(dir, `out-${++outputs}.pcap`);
const { records: SAMPLE } = await readPcapFile(join(FIXTURES, 'sample.pcap'));
const FRAMES = SAMPLE.map((r) => r.data);

/** A UDP sender closed when the test ends. */
function sender(t: TestContext, port: number): (datagram: Buffer) => Promise<void> {
  const socket: Socket = createSocket('udp4');
  t.after(() => socket.close());
  return (datagram) =>
    new Promise((resolve, reject) => socket.send(datagram, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
}

const pcapSize = (frames: Buffer[]): number => 24 + frames.reduce((n, f) => n + 16 + f.length, 0);

/** VXLAN payloads as the sink writes them (the addon's encapAppend). */
const v1 = (vni: number, direction: number, frame: Buffer): Buffer => vxlanPayload(1, vni, direction, frame);
const v2 = (value: number, direction: number, frame: Buffer): Buffer => vxlanPayload(2, value, direction, frame);

/** `datagram` with a trailer: the exporter's (µs × 1000), or raw nanoseconds when `rawNsec` is set. */
function withCapTime(datagram: Buffer, tsSec: number, tsNsec: number, rawNsec = false): Buffer {
  const d = Buffer.alloc(datagram.length + CAPTIME_TRAILER_LEN);
  datagram.copy(d);
  d.writeUInt32BE(tsSec, datagram.length);
  d.writeUInt32BE(rawNsec ? tsNsec : Math.floor(tsNsec / 1000) * 1000, datagram.length + 4);
  return d;
}

test('VxlanDecapsulator: the inner frame stays in the datagram; a refused datagram adds nothing', () => {
  const plain = new VxlanDecapsulator({ vni: 12, capTime: false });
  const timed = new VxlanDecapsulator({ vni: null, capTime: true });
  const out = new PacketBatch(1);
  const d0 = v1(12, 1, FRAMES[0]!);
  assert.equal(plain.decapsulate(d0, 1_700_000_000_250, out), true);
  assert.equal(plain.decapsulate(v1(13, 1, FRAMES[1]!), 0, out), false, 'another VNI');
  assert.equal(plain.decapsulate(d0.subarray(0, VXLAN_HEADER_LEN + 13), 0, out), false, 'shorter than an Ethernet header');
  const d1 = withCapTime(v2(12, 2, FRAMES[1]!), 1_600_000_000, 123_456_000);
  assert.equal(timed.decapsulate(d1, 0, out), true);
  assert.equal(timed.decapsulate(withCapTime(v2(12, 2, FRAMES[2]!), 1, 1e9, true), 0, out), false, 'a trailer with 10^9 ns');
  assert.equal(out.length, 2, 'refused datagrams left nothing behind');
  assert.deepEqual([plain.received, plain.vniMismatch, plain.malformed, timed.received, timed.malformed], [3, 1, 1, 2, 1]);

  assert.equal(out.data[0], d0);
  assert.equal(out.offset[0], VXLAN_HEADER_LEN);
  assert.ok(out.frame(0).equals(FRAMES[0]!));
  assert.deepEqual([out.caplen[0], out.wirelen[0], out.linktype[0], out.tsSec[0], out.tsNsec[0]], [FRAMES[0]!.length, FRAMES[0]!.length, LINKTYPE_ETHERNET, 1_700_000_000, 250_000_000]);
  assert.equal(out.data[1], d1);
  assert.ok(out.frame(1).equals(FRAMES[1]!), 'the trailer is not part of the frame');
  assert.deepEqual([out.caplen[1], out.tsSec[1], out.tsNsec[1]], [FRAMES[1]!.length, 1_600_000_000, 123_456_000]);
});

test('--vni 12: v1 with directions 0/1/2 and v2 with VNI 12 kept, frames byte-exact with receive times; SIGTERM', { timeout: 30_000 }, async (t) => {
  const out = output();
  const { child, port, done } = await startReceiver(t, 'vxlandump', ['--vni', '12', '-o', out]);
  const send = sender(t, port);
  const before = Date.now();
  const notVxlan = Buffer.from(v1(12, 0, FRAMES[0]!));
  notVxlan[0] = 0; // I flag clear
  await send(Buffer.alloc(5)); // too short for a header
  await send(notVxlan);
  await send(v1(13, 0, FRAMES[0]!)); // wrong VNI
  await send(v2(260, 1, FRAMES[0]!)); // v2, VNI field 1
  await send(v1(12, 0, FRAMES[0]!));
  await send(v1(12, 1, FRAMES[1]!));
  await send(v1(12, 2, FRAMES[2]!));
  await send(v2(12 << 8, 2, FRAMES[3]!)); // v2 of observation domain 12
  const kept = FRAMES.slice(0, 4);
  await waitForSize(out, pcapSize(kept));
  const after = Date.now();
  child.kill('SIGTERM');
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /vxlandump: stopped by SIGTERM\n/);
  assert.match(r.stderr, /vxlandump: 8 datagrams received, 2 not VXLAN or too short, 2 VNI mismatch, 4 written\n$/);

  const { header, records } = await readPcapFile(out);
  assert.equal(header.nanos, false);
  assert.equal(header.linktype, 1);
  assert.equal(header.snaplen, 65535);
  assert.deepEqual(records.map((rec) => rec.data), kept);
  for (const rec of records) {
    assert.equal(rec.caplen, rec.wirelen);
    const ms = rec.tsSec * 1000 + rec.tsFrac / 1000;
    assert.ok(ms >= before - 1 && ms <= after + 1, `receive time ${ms} outside [${before}, ${after}]`);
  }
});

test('--capTime -c 3: trailer stripped, its time kept to the nanosecond, exactly 3 packets, exits by itself', { timeout: 30_000 }, async (t) => {
  const out = output();
  const { port, done } = await startReceiver(t, 'vxlandump', ['--capTime', '-c', '3', '-o', out]);
  const send = sender(t, port);
  await send(withCapTime(v1(12, 1, FRAMES[0]!), 1529488755, 2e9, true)); // nanoseconds out of range
  await send(withCapTime(v1(7, 0, FRAMES[4]!), 1529488755, 58_000));
  await send(withCapTime(v2(260, 2, FRAMES[5]!), 1529488756, 999_999_000));
  await send(withCapTime(v1(0xabcdef, 0, FRAMES[6]!), 1700000000, 123_456_789, true)); // a sender finer than the reference
  await send(withCapTime(v1(7, 0, FRAMES[7]!), 1700000001, 0)); // beyond -c
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /vxlandump: stopped after 3 packets \(-c\)\n/);
  assert.match(r.stderr, /vxlandump: 4 datagrams received, 1 not VXLAN or too short, 0 VNI mismatch, 3 written\n$/);

  const { header, records } = await readPcapFile(out);
  assert.equal(header.nanos, true);
  assert.deepEqual(
    records.map((rec) => [rec.tsSec, rec.tsFrac, rec.caplen, rec.wirelen]),
    [
      [1529488755, 58_000, FRAMES[4]!.length, FRAMES[4]!.length],
      [1529488756, 999_999_000, FRAMES[5]!.length, FRAMES[5]!.length],
      [1700000000, 123_456_789, FRAMES[6]!.length, FRAMES[6]!.length],
    ],
  );
  assert.deepEqual(records.map((rec) => rec.data), FRAMES.slice(4, 7));
});

test('SIGINT with nothing received leaves a valid empty pcap', { timeout: 30_000 }, async (t) => {
  const out = output();
  const { child, done } = await startReceiver(t, 'vxlandump', ['-o', out]);
  child.kill('SIGINT');
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /stopped by SIGINT\n.*0 datagrams received, 0 not VXLAN or too short, 0 VNI mismatch, 0 written\n$/);
  const { header, records } = await readPcapFile(out);
  assert.equal(records.length, 0);
  assert.equal(header.linktype, 1);
});

test('port in use: one line, exit 1, no output file left', { timeout: 30_000 }, async (t) => {
  const busy = createSocket('udp4');
  t.after(() => busy.close());
  await new Promise<void>((resolve) => busy.bind(0, '127.0.0.1', resolve));
  const port = busy.address().port;
  const out = output();
  const r = await runCli(t, 'vxlandump', ['--port', String(port), '--bind', '127.0.0.1', '-o', out]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `vxlandump: cannot listen on udp 127.0.0.1:${port}: address already in use\n`);
  assert.equal(existsSync(out), false);
});

test('bad options and an existing output file: one line naming the problem, exit 1', { timeout: 30_000 }, async (t) => {
  const existing = join(dir, 'exists.pcap');
  writeFileSync(existing, 'x');
  const cases: [string[], string][] = [
    [['--port', '0'], 'vxlandump: --output is required\n'],
    [['-o', output(), '--port', '70000'], "vxlandump: --port: '70000' is not an integer in 0..65535\n"],
    [['-o', output(), '--vni', '16777216'], "vxlandump: --vni: '16777216' is not an integer in 0..16777215\n"],
    [['-o', output(), '--bind', 'localhost'], "vxlandump: --bind must be an IPv4 address, got 'localhost'\n"],
    [['-o', output(), '-c', '-1'], "vxlandump: --count: '-1' is not an integer in 0..9007199254740991\n"],
    [['-o', output(), '--vni', '1', '--vni', '2'], 'vxlandump: --vni given more than once\n'],
    [['-o', output(), 'extra'], "vxlandump: unexpected argument 'extra'\n"],
    [['-o', output(), '--nope'], 'vxlandump: Unknown argument: nope\n'],
    [['--port', '0', '-o', existing], `vxlandump: ${existing} exists; not overwriting it\n`],
  ];
  for (const [args, expected] of cases) {
    const r = await runCli(t, 'vxlandump', args);
    assert.equal(r.code, 1, args.join(' '));
    assert.equal(r.stderr, expected);
  }
});

test('numbers are read as pktminerg reads them: 0x hex too (one parser for every command)', () => {
  const opts = checkVxlandumpArgs({ _: [], output: 'x.pcap', vni: '0x0c', port: '0x12b5' } as never);
  assert.deepEqual([opts.vni, opts.port], [12, 4789]);
});

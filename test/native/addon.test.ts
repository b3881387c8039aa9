/**
 * The native addon's own contract (lib/native): errors with their codes,
 * sendmmsg's partial results, and — the point of the ring — every frame the
 * kernel saw is either delivered or counted as dropped. Live parts run in
 * namespaces of our own (root); scripts run inside them with `ip netns exec`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { loadAddon } from '../../lib/native/addon.js';
import { createPair, netnsAvailable } from '../helpers/netns.js';
import { PacketBatch } from '../../lib/packet.js';
import { readCaptureBatch } from '../../lib/proto/capture-batch.js';
import { PcapRecordEncoder } from '../../lib/proto/pcap.js';
import { ADDON_MODULE, CAPTURE_BATCH_MODULE, PACKET_MODULE, runJson } from './scripts.js';

const ROOT_ONLY = netnsAvailable() ? false : 'needs root and iproute2';
const noop = (): void => {};

/** Runs an ES module (text) inside namespace `ns`; resolves with its stdout parsed as JSON. */
function runIn(ns: string, script: string, args: string[]): Promise<unknown> {
  return runJson(script, args, { prefix: ['ip', 'netns', 'exec', ns] });
}

type CodedError = Error & { code?: string; errno?: number };

/** A RangeError with code 'RANGE' whose message names the argument. */
function rangeError(argument: string): (e: CodedError) => boolean {
  return (e) => e instanceof RangeError && e.code === 'RANGE' && e.message.startsWith(`${argument} `);
}

// Just past int32, negative, not a number, not whole: what napi_get_value_int32 would wrap, truncate or take as 0.
const NOT_INT32 = [2 ** 31, -1, NaN, 1.5];

test('open: numbers out of range are RangeErrors naming the argument, thrown before any device is opened', () => {
  const addon = loadAddon();
  const open = (snaplen: number, bufferBytes: number, timeoutMs: number): unknown => addon.open('lo', '', snaplen, bufferBytes, timeoutMs, false, noop, noop);
  for (const v of [...NOT_INT32, 262145]) assert.throws(() => open(v, 1 << 20, 10), rangeError('snaplen'), String(v));
  // -b 4096 (MiB) is 2^32 bytes: as an int32 it was 0, and libpcap quietly used its 2 MiB default.
  for (const v of [...NOT_INT32, 4096 * 2 ** 20, 0]) assert.throws(() => open(0, v, 10), rangeError('bufferBytes'), String(v));
  for (const v of NOT_INT32) assert.throws(() => open(0, 1 << 20, v), rangeError('timeoutMs'), String(v));
  // A cut-down name would be another device's.
  assert.throws(() => addon.open('x'.repeat(256), '', 0, 1 << 20, 10, false, noop, noop), rangeError('device'));
  assert.throws(() => addon.open('lo\0x', '', 0, 1 << 20, 10, false, noop, noop), TypeError);
  assert.throws(() => addon.open('lo', '', 0, 1 << 20, 10, false, 42 as unknown as typeof noop, noop), /onBatch must be a function/);
});

test('open takes the largest values in range: snaplen 262144, timeoutMs 2^31-1', { skip: ROOT_ONLY }, () => {
  const addon = loadAddon();
  const { handle } = addon.open('lo', '', 262144, 1 << 20, 2 ** 31 - 1, false, noop, noop);
  addon.close(handle);
});

test('rawOpen, rawSend, rawClose: numbers out of range are RangeErrors naming the argument', () => {
  const addon = loadAddon();
  for (const v of [...NOT_INT32, 0, 256]) assert.throws(() => addon.rawOpen(v, null, -1), rangeError('protocol'), String(v));
  for (const v of [2 ** 31, -2, NaN, 1.5, 6]) assert.throws(() => addon.rawOpen(47, null, v), rangeError('pmtudisc'), String(v));
  // The kernel would cut a 16-byte SO_BINDTODEVICE name to 15 bytes.
  assert.throws(() => addon.rawOpen(47, 'x'.repeat(16), -1), rangeError('device'));

  const lengths = Uint32Array.from([10, 20]);
  // Each datagram after its headroom.
  const H = addon.datagramHeadroom;
  const data = Buffer.alloc(30 + 2 * H);
  // The largest fd and address are taken (and the fd is not open); nothing checked in JavaScript reaches C unchecked.
  const NOT_OPEN = 2 ** 31 - 1;
  assert.equal(addon.rawSend(NOT_OPEN, data, lengths, 0, 2, 2 ** 32 - 1), -constants.errno.EBADF);
  for (const v of NOT_INT32) assert.throws(() => addon.rawSend(v, data, lengths, 0, 2, 1), rangeError('fd'), String(v));
  for (const v of [3, -1, NaN, 1.5]) assert.throws(() => addon.rawSend(NOT_OPEN, data, lengths, 0, v, 1), rangeError('count'), String(v));
  for (const v of [2, -1, NaN, 0.5]) assert.throws(() => addon.rawSend(NOT_OPEN, data, lengths, v, 1, 1), rangeError('start'), String(v));
  for (const v of [2 ** 32, -1, NaN, 1.5]) assert.throws(() => addon.rawSend(NOT_OPEN, data, lengths, 0, 2, v), rangeError('address'), String(v));
  assert.throws(() => addon.rawSend(NOT_OPEN, data.subarray(0, 29 + 2 * H), lengths, 0, 2, 1), rangeError('lengths'));
  // Not 1.5: the old int32 reading would have closed stdout (fd 1) of this test.
  for (const v of [2 ** 31, -1, NaN, 2 ** 31 - 0.5]) assert.throws(() => addon.rawClose(v), rangeError('fd'), String(v));
});

test('open errors carry a code: FILTER for an expression libpcap cannot compile, NODEV for a missing device', { skip: ROOT_ONLY }, () => {
  const addon = loadAddon();
  assert.throws(() => addon.open('lo', 'tcp port', 0, 1 << 20, 10, false, noop, noop), (e: CodedError) => e.code === 'FILTER' && /syntax error/.test(e.message));
  assert.throws(() => addon.open('nosuchdev0', '', 0, 1 << 20, 10, false, noop, noop), (e: CodedError) => e.code === 'NODEV' && /no such device/i.test(e.message));
  assert.throws(() => addon.rawOpen(47, 'nosuchdev0', -1), (e: CodedError) => e.code === 'OPEN' && e.errno === constants.errno.ENODEV && /^SO_BINDTODEVICE: /.test(e.message));
});

const PERM_SCRIPT = `
const [, , addonModule] = process.argv;
const { loadAddon } = await import(addonModule);
const addon = loadAddon();
const out = {};
try {
  addon.open('lo', '', 0, 1 << 20, 10, false, () => {}, () => {});
} catch (e) {
  out.open = { code: e.code, message: e.message };
}
try {
  addon.rawOpen(47, null, -1);
} catch (e) {
  out.rawOpen = { code: e.code, errno: e.errno };
}
process.stdout.write(JSON.stringify(out));
`;

test('without CAP_NET_RAW (user nobody) open and rawOpen fail with code PERM, and open says what is missing', { skip: ROOT_ONLY }, async () => {
  const out = (await runJson(PERM_SCRIPT, [], { prefix: ['runuser', '-u', 'nobody', '--'] })) as Record<string, { code?: string; message?: string; errno?: number }>;
  assert.equal(out['open']?.code, 'PERM', JSON.stringify(out));
  assert.match(out['open']?.message ?? '', /permission to capture on that device.*CAP_NET_RAW/);
  assert.deepEqual(out['rawOpen'], { code: 'PERM', errno: constants.errno.EPERM });
});

const SEND_SCRIPT = `
const [, , addonModule, dst] = process.argv;
const { loadAddon } = await import(addonModule);
const addon = loadAddon();
const fd = addon.rawOpen(47, null, 2); // IP_PMTUDISC_DO: the 3000-byte datagram cannot go over a 1500 MTU
const sizes = [100, 3000, 100, 200];
const lengths = Uint32Array.from(sizes);
const datagrams = Buffer.alloc(sizes.reduce((a, b) => a + addon.datagramHeadroom + b, 0));
const address = dst.split('.').reduce((n, part) => n * 256 + Number(part), 0);
const results = [0, 1, 2].map((start) => addon.rawSend(fd, datagrams, lengths, start, sizes.length, address));
addon.rawClose(fd);
process.stdout.write(JSON.stringify(results));
`;

test('rawSend: stops before a datagram that fails, which then reports -errno; the rest goes out from there', { skip: ROOT_ONLY }, async () => {
  const net = createPair();
  try {
    const results = await runIn(net.a, SEND_SCRIPT, [net.addrB]);
    // From 0: the first went out, the second (EMSGSIZE) stopped the call; from 1: its errno; from 2: both remaining.
    assert.deepEqual(results, [1, -constants.errno.EMSGSIZE, 2]);
  } finally {
    net.destroy();
  }
});

const CAPTURE_SCRIPT = `
const [, , addonModule, device] = process.argv;
const { loadAddon } = await import(addonModule);
const { readCaptureBatch } = await import(${JSON.stringify(CAPTURE_BATCH_MODULE)});
const { PacketBatch } = await import(${JSON.stringify(PACKET_MODULE)});
const addon = loadAddon();
const batches = [];
// 1 MiB: four 256 KiB blocks, far less than the burst; never resumed, so nothing is read until the drain.
const { handle, nanos } = addon.open(device, 'udp dst port 9', 0, 1 << 20, 10, false, (b) => batches.push(b), () => {});
process.stderr.write('ready\\n');
process.stdin.resume();
process.stdin.on('end', () => {
  setTimeout(() => {
    for (let b = addon.drain(handle); b; b = addon.drain(handle)) batches.push(b);
    const all = new PacketBatch();
    for (const b of batches) readCaptureBatch(b, addon.captureBatch, all, 1);
    // Every frame as sent: Ethernet, IPv4, UDP to port 9 with 18 bytes of payload.
    let asSent = 0;
    for (let i = 0; i < all.length; i++) {
      if (all.caplen[i] === 60 && all.wirelen[i] === 60 && all.data[i].readUInt16BE(all.offset[i] + 36) === 9) asSent++;
    }
    const [received, dropped] = addon.stats(handle);
    addon.close(handle);
    process.stdout.write(JSON.stringify({ nanos, delivered: all.length, asSent, batches: batches.length, received, dropped, firstSec: all.tsSec[0], firstFrac: all.tsNsec[0] }));
  }, 100);
});
`;

const BURST_SCRIPT = `
const [, , addonModule, dst, countText] = process.argv;
const { loadAddon } = await import(addonModule);
const addon = loadAddon();
const count = Number(countText);
const fd = addon.rawOpen(17, null, -1);
const lengths = new Uint32Array(count).fill(26);
// Each datagram after its headroom.
const stride = addon.datagramHeadroom + 26;
const datagrams = Buffer.alloc(stride * count);
for (let i = 0; i < count; i++) {
  const at = i * stride + addon.datagramHeadroom;
  datagrams.writeUInt16BE(40000, at);
  datagrams.writeUInt16BE(9, at + 2);
  datagrams.writeUInt16BE(26, at + 4);
}
const address = dst.split('.').reduce((n, part) => n * 256 + Number(part), 0);
let sent = 0;
while (sent < count) {
  const r = addon.rawSend(fd, datagrams, lengths, sent, count, address);
  if (r > 0) sent += r;
  else if (-r === ${constants.errno.ENOBUFS} || -r === ${constants.errno.EAGAIN}) await new Promise((ok) => setTimeout(ok, 1));
  else { process.stderr.write('errno ' + -r + '\\n'); process.exit(1); }
}
addon.rawClose(fd);
process.stdout.write(JSON.stringify({ sent }));
`;

test('a ring that overflows counts what it drops: delivered + dropped = every frame sent, with kernel timestamps', { skip: ROOT_ONLY, timeout: 60_000 }, async (t) => {
  const net = createPair();
  try {
    const count = 30_000;
    const before = Math.floor(Date.now() / 1000);
    const dir = mkdtempSync(join(tmpdir(), 'pa-addon-'));
    const file = join(dir, 'capture.mjs');
    writeFileSync(file, CAPTURE_SCRIPT);
    const capture = spawn('ip', ['netns', 'exec', net.b, process.execPath, file, ADDON_MODULE, net.ifB], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    capture.stdout.on('data', (d: Buffer) => (out += d));
    await new Promise<void>((resolve, reject) => {
      capture.stderr.on('data', (d: Buffer) => (d.toString().includes('ready') ? resolve() : reject(new Error(d.toString()))));
      capture.on('close', (code) => reject(new Error(`capture exited ${code}`)));
    });
    const burst = (await runIn(net.a, BURST_SCRIPT, [net.addrB, String(count)])) as { sent: number };
    assert.equal(burst.sent, count);
    const closed = new Promise((resolve) => capture.on('close', resolve));
    capture.stdin.end();
    assert.equal(await closed, 0);
    rmSync(dir, { recursive: true, force: true });
    const r = JSON.parse(out) as { nanos: boolean; delivered: number; asSent: number; batches: number; received: number; dropped: number; firstSec: number; firstFrac: number };
    t.diagnostic(JSON.stringify(r));
    assert.equal(r.nanos, true);
    assert.ok(r.dropped > 0, `the 1 MiB ring should overflow: ${JSON.stringify(r)}`);
    assert.ok(r.delivered > 1000, `the ring should hold its blocks' worth: ${JSON.stringify(r)}`);
    assert.equal(r.asSent, r.delivered, 'every frame read back with its lengths and bytes');
    assert.ok(r.batches >= Math.ceil(r.delivered / loadAddon().captureBatch.packetsMax), 'no batch holds more than packetsMax');
    assert.equal(r.delivered + r.dropped, count, JSON.stringify(r));
    assert.equal(r.received, count, 'pcap_stats counts every frame the filter accepted');
    assert.ok(r.firstSec >= before && r.firstSec <= Math.ceil(Date.now() / 1000), `kernel time ${r.firstSec}`);
    assert.ok(r.firstFrac < 1e9);
  } finally {
    net.destroy();
  }
});

test('npm ci built the addon where the loader looks for it, with every function', () => {
  const addon = loadAddon();
  for (const f of ['open', 'resume', 'pause', 'drain', 'provide', 'stats', 'close', 'rawOpen', 'rawSend', 'rawClose'] as const) assert.equal(typeof addon[f], 'function', f);
});

test('captureBatch: the batch buffer layout, every column 8-byte aligned, none overlapping', () => {
  const L = loadAddon().captureBatch;
  const parts = [
    [L.countAt, 4],
    [L.tsSecAt, 8 * L.packetsMax],
    [L.offsetAt, 4 * L.packetsMax],
    [L.caplenAt, 4 * L.packetsMax],
    [L.wirelenAt, 4 * L.packetsMax],
    [L.tsNsecAt, 4 * L.packetsMax],
  ].sort((a, b) => a[0]! - b[0]!);
  // The frames come first, at least 256 KiB and one largest frame (262144 bytes).
  assert.ok(parts[0]![0]! >= (1 << 18) + 262144, JSON.stringify(L));
  for (const [k, [at, length]] of parts.entries()) {
    assert.equal(at! % 8, 0, `aligned: ${JSON.stringify(L)}`);
    assert.ok(at! + length! <= (parts[k + 1]?.[0] ?? L.bytes), `no overlap: ${JSON.stringify(L)}`);
  }
  assert.ok(Object.isFrozen(L));
});

test('provide: a batch buffer given back is read into again; one of another length or misaligned is not taken', { skip: ROOT_ONLY, timeout: 30_000 }, async () => {
  const addon = loadAddon();
  const L = addon.captureBatch;
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const batches: Buffer[] = [];
  const { handle } = addon.open('lo', `udp dst port ${port}`, 0, 1 << 20, 10, false, (b) => batches.push(b), noop);
  addon.resume(handle);
  try {
    /** Sends a datagram of 100 bytes `tag`; the batch buffer it came in, checked to hold that one frame. */
    const sendAndWait = async (tag: number): Promise<Buffer> => {
      const before = batches.length;
      socket.send(Buffer.alloc(100, tag), port, '127.0.0.1');
      for (let i = 0; i < 200 && batches.length === before; i++) await sleep(10);
      assert.equal(batches.length, before + 1, `a batch for datagram ${tag}`);
      const buffer = batches[before]!;
      assert.equal(buffer.length, L.bytes);
      const batch = new PacketBatch();
      readCaptureBatch(buffer, L, batch, 1);
      // Ethernet on lo, IPv4, UDP, the payload.
      assert.deepEqual([batch.length, batch.caplen[0], batch.wirelen[0], batch.frame(0)[14 + 20 + 8]], [1, 142, 142, tag]);
      // The frame lies after the very record a nanosecond dump writes: the dump takes it as it lies, uncopied.
      const records = new PcapRecordEncoder(true).encode(batch);
      assert.equal(records.buffer, buffer.buffer);
      assert.deepEqual([records.readUInt32LE(0), records.readUInt32LE(4), records.readUInt32LE(8), records.readUInt32LE(12)], [batch.tsSec[0], batch.tsNsec[0], 142, 142]);
      return buffer;
    };
    // The cycle LiveSource runs: every buffer the addon made is given back once its consumers are done.
    const first = await sendAndWait(1);
    addon.provide(handle, first);
    assert.equal(await sendAndWait(2), first, 'read into the buffer given back');
    assert.notEqual(await sendAndWait(3), first, 'a buffer is used once per provide');
    // A buffer made elsewhere is taken too, if it has the layout's length and alignment.
    const made = Buffer.alloc(L.bytes);
    addon.provide(handle, made);
    assert.equal(await sendAndWait(4), made);
    const short = Buffer.alloc(L.bytes - 8);
    const misaligned = Buffer.alloc(L.bytes + 4).subarray(4);
    addon.provide(handle, short);
    addon.provide(handle, misaligned);
    const fifth = await sendAndWait(5);
    assert.ok(fifth !== short && fifth !== misaligned);
    assert.throws(() => addon.provide(handle, 'x' as unknown as Buffer), /buffer must be a Buffer/);
  } finally {
    addon.close(handle);
    socket.close();
  }
  addon.provide(handle, Buffer.alloc(L.bytes)); // after close: ignored, no crash
});

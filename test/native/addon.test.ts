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
import { join } from 'node:path';
import { test } from 'node:test';
import { loadAddon } from '../../lib/native/addon.js';
import { ROOT } from '../helpers/cli.js';
import { createPair, netnsAvailable } from '../helpers/netns.js';

const ADDON_MODULE = join(ROOT, 'dist', 'lib', 'native', 'addon.js');
const ROOT_ONLY = netnsAvailable() ? false : 'needs root and iproute2';

/** Runs an ES module (text) inside namespace `ns`; resolves with its stdout parsed as JSON. */
function runIn(ns: string, script: string, args: string[], stdin?: string): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'pa-addon-'));
  const file = join(dir, 'script.mjs');
  writeFileSync(file, script);
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, file, ADDON_MODULE, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.stdin.end(stdin ?? '');
    child.on('close', (code) => {
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) reject(new Error(`script exited ${code}: ${err}`));
      else resolve(JSON.parse(out));
    });
  });
}

test('open errors carry a code: FILTER for an expression libpcap cannot compile, OPEN for a missing device', { skip: ROOT_ONLY }, () => {
  const addon = loadAddon();
  const noop = (): void => {};
  assert.throws(() => addon.open('lo', 'tcp port', 0, 1 << 20, 10, false, noop, noop), (e: Error & { code?: string }) => e.code === 'FILTER' && /syntax error/.test(e.message));
  assert.throws(() => addon.open('nosuchdev0', '', 0, 1 << 20, 10, false, noop, noop), (e: Error & { code?: string }) => e.code === 'OPEN' && /no such device/i.test(e.message));
  assert.throws(() => addon.rawOpen(47, 'nosuchdev0', -1), (e: Error & { errno?: number }) => e.errno === constants.errno.ENODEV && /^SO_BINDTODEVICE: /.test(e.message));
});

const SEND_SCRIPT = `
const [, , addonModule, dst] = process.argv;
const { loadAddon } = await import(addonModule);
const addon = loadAddon();
const fd = addon.rawOpen(47, null, 2); // IP_PMTUDISC_DO: the 3000-byte datagram cannot go over a 1500 MTU
const sizes = [100, 3000, 100, 200];
const lengths = Uint32Array.from(sizes);
const datagrams = Buffer.alloc(sizes.reduce((a, b) => a + b));
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
const addon = loadAddon();
const batches = [];
// 1 MiB: four 256 KiB blocks, far less than the burst; never resumed, so nothing is read until the drain.
const { handle, nanos } = addon.open(device, 'udp dst port 9', 0, 1 << 20, 10, false, (b) => batches.push(b), () => {});
process.stderr.write('ready\\n');
process.stdin.resume();
process.stdin.on('end', () => {
  setTimeout(() => {
    for (let b = addon.drain(handle); b; b = addon.drain(handle)) batches.push(b);
    let delivered = 0;
    let firstSec = 0;
    let firstFrac = 0;
    for (const b of batches) {
      for (let o = 0; o < b.length; o += 16 + b.readUInt32LE(o + 8)) {
        if (delivered++ === 0) { firstSec = b.readUInt32LE(o); firstFrac = b.readUInt32LE(o + 4); }
      }
    }
    const [received, dropped] = addon.stats(handle);
    addon.close(handle);
    process.stdout.write(JSON.stringify({ nanos, delivered, received, dropped, firstSec, firstFrac }));
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
const datagrams = Buffer.alloc(26 * count);
for (let i = 0; i < count; i++) {
  datagrams.writeUInt16BE(40000, i * 26);
  datagrams.writeUInt16BE(9, i * 26 + 2);
  datagrams.writeUInt16BE(26, i * 26 + 4);
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
    const r = JSON.parse(out) as { nanos: boolean; delivered: number; received: number; dropped: number; firstSec: number; firstFrac: number };
    t.diagnostic(JSON.stringify(r));
    assert.equal(r.nanos, true);
    assert.ok(r.dropped > 0, `the 1 MiB ring should overflow: ${JSON.stringify(r)}`);
    assert.ok(r.delivered > 1000, `the ring should hold its blocks' worth: ${JSON.stringify(r)}`);
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
  for (const f of ['open', 'resume', 'pause', 'drain', 'stats', 'close', 'rawOpen', 'rawSend', 'rawClose'] as const) assert.equal(typeof addon[f], 'function', f);
});

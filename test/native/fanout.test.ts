/**
 * open()'s `fanout` argument (lib/native/pcap_capture.c): handles of one PACKET_FANOUT group on a
 * device share its frames by flow hash (what `--workers N` builds on). UDP from many source ports,
 * two of the datagrams fragmented, is sent across a veth pair of our own namespaces; two handles
 * of one group must together see every frame once, each flow (and each fragmented datagram) on one
 * handle only, while a handle outside the group still sees everything.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadAddon } from '../../lib/native/addon.js';
import { createPair, netnsAvailable } from '../helpers/netns.js';
import { ADDON_MODULE, CAPTURE_BATCH_MODULE, PACKET_MODULE, runJson, runScript } from './scripts.js';

const ROOT_ONLY = netnsAvailable() ? false : 'needs root and iproute2';
const noop = (): void => {};

/** Opens two handles of group argv[4] and one outside it on argv[3]; on stdin's end prints what each got. */
const CAPTURE_SCRIPT = `
const [, , addonModule, device, group] = process.argv;
const { loadAddon } = await import(addonModule);
const { readCaptureBatch } = await import(${JSON.stringify(CAPTURE_BATCH_MODULE)});
const { PacketBatch } = await import(${JSON.stringify(PACKET_MODULE)});
const addon = loadAddon();
// Nothing is read until the end: each 10 ms with traffic retires one 256 KiB block, so the ring holds 128 of them.
const open = (fanout) => addon.open(device, 'udp', 0, 32 << 20, 10, false, () => {}, () => {}, null, fanout).handle;
const handles = [open(Number(group)), open(Number(group)), open(0)];
process.stderr.write('ready\\n');
process.stdin.resume();
process.stdin.on('end', () => setTimeout(() => {
  const out = handles.map((h) => {
    const frames = [];
    const batch = new PacketBatch();
    for (let b = addon.drain(h); b; b = addon.drain(h)) readCaptureBatch(b, addon.captureBatch, batch, 1);
    for (let i = 0; i < batch.length; i++) {
      const b = batch.data[i];
      const ip = batch.offset[i] + 14;
      const fragment = (b.readUInt16BE(ip + 6) & 0x3fff) !== 0;
      // A flow is its source port; a fragment belongs to its datagram (IP id), later ones carry no port.
      frames.push(fragment ? 'id' + b.readUInt16BE(ip + 4) : 'port' + b.readUInt16BE(ip + 20));
    }
    const [received, dropped] = addon.stats(h);
    addon.close(h);
    return { frames, received, dropped };
  });
  process.stdout.write(JSON.stringify(out));
}, 200));
`;

/** argv[3]: destination. 64 flows of 5 datagrams each; the first two of flow 0 are 3000 bytes (3 fragments each on a 1500 MTU). */
const SEND_SCRIPT = `
import dgram from 'node:dgram';
const dst = process.argv[3];
for (let p = 0; p < 64; p++) {
  const s = dgram.createSocket('udp4');
  await new Promise((ok) => s.bind(41000 + p, ok));
  for (let i = 0; i < 5; i++) {
    await new Promise((ok, ko) => s.send(Buffer.alloc(p === 0 && i < 2 ? 3000 : 20), 9, dst, (e) => (e ? ko(e) : ok())));
    // A veth's backlog takes 1000 frames a burst; pace a little so that nothing is lost before capture.
    if (i === 4) await new Promise((ok) => setTimeout(ok, 2));
  }
  s.close();
}
process.stdout.write('{}');
`;
/** 64 × 5 datagrams, two of which leave as 3 fragments each. */
const FRAMES = 64 * 5 - 2 + 2 * 3;

test('open: fanout out of range is a RangeError naming it, thrown before any device is opened', () => {
  const addon = loadAddon();
  for (const v of [65536, -1, 1.5, NaN]) {
    assert.throws(() => addon.open('lo', '', 0, 1 << 20, 10, false, noop, noop, null, v), (e: Error & { code?: string }) => e instanceof RangeError && e.code === 'RANGE' && e.message.startsWith('fanout '), String(v));
  }
});

test('two handles of one fanout group split the frames by flow: every frame once, each flow on one handle', { skip: ROOT_ONLY, timeout: 60_000 }, async (t) => {
  const net = createPair();
  try {
    const group = 0x8000 | (process.pid & 0x7fff);
    const dir = mkdtempSync(join(tmpdir(), 'pa-fanout-'));
    const file = join(dir, 'capture.mjs');
    writeFileSync(file, CAPTURE_SCRIPT);
    const capture = spawn('ip', ['netns', 'exec', net.b, process.execPath, file, ADDON_MODULE, net.ifB, String(group)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    capture.stdout.on('data', (d: Buffer) => (out += d));
    await new Promise<void>((resolve, reject) => {
      capture.stderr.on('data', (d: Buffer) => {
        err += d;
        if (err.includes('ready')) resolve();
      });
      capture.on('close', (code) => reject(new Error(`capture exited ${code}: ${err}`)));
    });
    await runJson(SEND_SCRIPT, [net.addrB], { prefix: ['ip', 'netns', 'exec', net.a] });
    const closed = new Promise((resolve) => capture.on('close', resolve));
    capture.stdin.end();
    assert.equal(await closed, 0, err);
    rmSync(dir, { recursive: true, force: true });
    const [h1, h2, all] = JSON.parse(out) as { frames: string[]; received: number; dropped: number }[];
    t.diagnostic(`handle 1: ${h1!.frames.length} frames, handle 2: ${h2!.frames.length}, outside the group: ${all!.frames.length}`);
    for (const h of [h1!, h2!, all!]) assert.equal(h.dropped, 0, JSON.stringify([h1, h2, all].map((x) => [x!.frames.length, x!.received, x!.dropped])));
    assert.equal(all!.frames.length, FRAMES, 'the handle outside the group sees every frame');
    assert.equal(h1!.frames.length + h2!.frames.length, FRAMES, 'the group sees every frame once');
    assert.ok(h1!.frames.length > 0 && h2!.frames.length > 0, 'both members get a share');
    const on1 = new Set(h1!.frames);
    const shared = h2!.frames.filter((f) => on1.has(f));
    assert.deepEqual([...new Set(shared)], [], 'no flow and no fragmented datagram is on both handles');
    assert.equal(new Set([...h1!.frames, ...h2!.frames]).size, new Set(all!.frames).size);
  } finally {
    net.destroy();
  }
});

const MISMATCH_SCRIPT = `
const [, , addonModule, device, group] = process.argv;
const { loadAddon } = await import(addonModule);
const addon = loadAddon();
const first = addon.open(device, '', 0, 1 << 20, 10, false, () => {}, () => {}, null, Number(group));
let error = null;
try {
  addon.close(addon.open('lo', '', 0, 1 << 20, 10, false, () => {}, () => {}, null, Number(group)).handle);
} catch (e) {
  error = { code: e.code, message: e.message };
}
addon.close(first.handle);
process.stdout.write(JSON.stringify(error));
`;

test('a group bound to another device cannot be joined: an OPEN error naming the group', { skip: ROOT_ONLY, timeout: 30_000 }, async () => {
  const net = createPair();
  try {
    const group = 0x8000 | ((process.pid + 1) & 0x7fff);
    const r = await runScript(MISMATCH_SCRIPT, [net.ifB, String(group)], { prefix: ['ip', 'netns', 'exec', net.b] });
    assert.equal(r.code, 0, r.stderr);
    const error = JSON.parse(r.stdout) as { code: string; message: string } | null;
    assert.equal(error?.code, 'OPEN', r.stdout);
    assert.match(error!.message, new RegExp(`^cannot join fanout group ${group}: `));
  } finally {
    net.destroy();
  }
});

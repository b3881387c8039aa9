/**
 * What the addon holds and for how long (lib/native): every error path and
 * every forgotten handle gives its descriptors back, children inherit none,
 * worker threads neither share state nor leave handles behind, raw send
 * sockets queue nothing, and a callback's exception does not end the process.
 * Live capture needs root: these tests use the host's loopback with filters
 * on ports nothing else uses, or scripts of their own.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadAddon } from '../../lib/native/addon.js';
import { netnsAvailable } from '../helpers/netns.js';
import { runJson, runScript, SOCKETS_FN } from './scripts.js';

const ROOT_ONLY = netnsAvailable() ? false : 'needs root and iproute2';
const noop = (): void => {};
const LOOPBACK = 0x7f000001;

function descriptorCount(): number {
  return readdirSync('/proc/self/fd').length;
}

test('an open that fails after its arguments were read leaves no descriptor behind', { skip: ROOT_ONLY }, () => {
  const addon = loadAddon();
  const before = descriptorCount();
  for (let i = 0; i < 5; i++) {
    assert.throws(() => addon.open('lo', '', 0, 1 << 20, 10, false, noop, 42 as unknown as typeof noop), /onError must be a function/);
    assert.throws(() => addon.open('lo', 'tcp port', 0, 1 << 20, 10, false, noop, noop), (e: Error & { code?: string }) => e.code === 'FILTER');
  }
  assert.equal(descriptorCount(), before);
});

test('capture and raw sockets are close-on-exec: a child process inherits neither', { skip: ROOT_ONLY }, () => {
  const addon = loadAddon();
  const links = (): Set<string> => new Set(readdirSync('/proc/self/fd').map((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } }));
  const before = links();
  const { handle } = addon.open('lo', 'udp dst port 9', 0, 1 << 20, 10, false, noop, noop);
  const fd = addon.rawOpen(47, null, -1);
  try {
    const opened = [...links()].filter((l) => l.startsWith('socket:') && !before.has(l));
    assert.equal(opened.length, 2, `the capture socket and the raw socket: ${opened.join(' ')}`);
    const child = spawnSync('ls', ['-l', '/proc/self/fd'], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    for (const socket of opened) assert.ok(!child.stdout.includes(socket), `the child holds ${socket}:\n${child.stdout}`);
  } finally {
    addon.close(handle);
    addon.rawClose(fd);
  }
});

/** The tx_queue:rx_queue column (bytes, hex) of /proc/net/raw for the socket with this inode. */
function rawReceiveQueue(inode: string): number {
  const line = readFileSync('/proc/net/raw', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((fields) => fields[9] === inode);
  assert.ok(line, `socket ${inode} in /proc/net/raw`);
  return parseInt(line[4]!.split(':')[1]!, 16);
}

test('a raw send socket queues none of the host\'s inbound packets of its protocol', { skip: ROOT_ONLY }, async () => {
  const addon = loadAddon();
  const quiet = addon.rawOpen(47, null, -1);
  const sender = addon.rawOpen(47, null, -1);
  try {
    const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${quiet}`))![1]!;
    // GRE to ourselves: without the drop-all filter every raw GRE socket of the host gets a copy.
    const lengths = new Uint32Array(20).fill(64);
    assert.equal(addon.rawSend(sender, Buffer.alloc((addon.datagramHeadroom + 64) * 20), lengths, 0, 20, LOOPBACK), 20);
    await sleep(50);
    assert.equal(rawReceiveQueue(inode), 0);
  } finally {
    addon.rawClose(quiet);
    addon.rawClose(sender);
  }
});

const FORGOTTEN_SCRIPT = `${SOCKETS_FN}
const [, , addonModule] = process.argv;
const { loadAddon } = await import(addonModule);
const addon = loadAddon();
const before = sockets();
(() => {
  const { handle } = addon.open('lo', 'udp dst port 9', 0, 1 << 20, 10, false, () => {}, () => {});
  addon.resume(handle);
})();
const opened = [...sockets()].filter((s) => !before.has(s));
// The finalizer runs after a collection, the poll handle closes on a later loop turn.
for (let i = 0; i < 50 && opened.some((s) => sockets().has(s)); i++) {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 10));
}
// A capture left open would keep the loop alive.
process.stdout.write(JSON.stringify({ opened: opened.length, stillOpen: opened.filter((s) => sockets().has(s)).length }), () => process.exit(0));
`;

test('a capture handle garbage-collected without close() closes its socket', { skip: ROOT_ONLY, timeout: 30_000 }, async () => {
  assert.deepEqual(await runJson(FORGOTTEN_SCRIPT, [], { nodeFlags: ['--expose-gc'] }), { opened: 1, stillOpen: 0 });
});

const WORKER_EXIT_SCRIPT = `${SOCKETS_FN}
import { Worker } from 'node:worker_threads';
const [, , addonModule] = process.argv;
const before = sockets();
const worker = new Worker(\`
  const { parentPort, workerData } = require('node:worker_threads');
  import(workerData).then(({ loadAddon }) => {
    const addon = loadAddon();
    const { handle } = addon.open('lo', 'udp dst port 9', 0, 1 << 20, 10, false, () => {}, () => {});
    addon.resume(handle);
    parentPort.postMessage('capturing');
  });
\`, { eval: true, workerData: addonModule });
await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
const opened = [...sockets()].filter((s) => !before.has(s));
// The worker's loop still polls the capture socket: terminating it tears its environment down around the handle.
await worker.terminate();
process.stdout.write(JSON.stringify({ opened: opened.length, stillOpen: opened.filter((s) => sockets().has(s)).length }));
`;

test('a worker thread that ends with a capture open closes it, and the process lives on', { skip: ROOT_ONLY, timeout: 30_000 }, async () => {
  assert.deepEqual(await runJson(WORKER_EXIT_SCRIPT, []), { opened: 1, stillOpen: 0 });
});

const WORKERS_SENDING_SCRIPT = `
import { Worker } from 'node:worker_threads';
import dgram from 'node:dgram';
const [, , addonModule] = process.argv;
// Two receivers on one port of two loopback addresses. Each datagram carries its thread's tag, the
// sending call's round and its index: one that reaches the other receiver went out with the other
// thread's address, one that arrives twice was sent by both threads from one set of message headers.
let port = 0;
const receivers = [];
for (const [tag, address] of ['127.0.0.2', '127.0.0.3'].entries()) {
  const socket = dgram.createSocket('udp4');
  const seen = { received: 0, foreign: 0, twice: 0 };
  const ids = new Set();
  socket.on('message', (m) => {
    seen.received++;
    if (m[0] !== tag) seen.foreign++;
    const id = m.readUInt32LE(1) * 1024 + m.readUInt16LE(5);
    if (ids.has(id)) seen.twice++;
    ids.add(id);
  });
  await new Promise((resolve) => socket.bind(port, address, resolve));
  port = socket.address().port;
  receivers.push({ socket, seen });
}
const sender = \`
  const { workerData: { addonModule, tag, address, port } } = require('node:worker_threads');
  import(addonModule).then(({ loadAddon }) => {
    const addon = loadAddon();
    const fd = addon.rawOpen(17, null, -1);
    const size = 8 + 16 + tag * 8;
    const count = 1024;
    // Each datagram after its headroom.
    const stride = addon.datagramHeadroom + size;
    const at = (i) => i * stride + addon.datagramHeadroom;
    const datagrams = Buffer.alloc(stride * count);
    for (let i = 0; i < count; i++) {
      datagrams.writeUInt16BE(40000, at(i));
      datagrams.writeUInt16BE(port, at(i) + 2);
      datagrams.writeUInt16BE(size, at(i) + 4);
      datagrams.fill(tag, at(i) + 8, at(i) + size);
    }
    const lengths = new Uint32Array(count).fill(size);
    const until = Date.now() + 300;
    for (let round = 0; Date.now() < until; round++) {
      for (let i = 0; i < count; i++) {
        datagrams.writeUInt32LE(round, at(i) + 9);
        datagrams.writeUInt16LE(i, at(i) + 13);
      }
      addon.rawSend(fd, datagrams, lengths, 0, count, address);
    }
    addon.rawClose(fd);
  });
\`;
await Promise.all([0x7f000002, 0x7f000003].map((address, tag) => new Promise((resolve, reject) => {
  const w = new Worker(sender, { eval: true, workerData: { addonModule, tag, address, port } });
  w.on('exit', resolve);
  w.on('error', reject);
})));
await new Promise((resolve) => setTimeout(resolve, 100));
for (const r of receivers) r.socket.close();
process.stdout.write(JSON.stringify(receivers.map((r) => r.seen)));
`;

test('worker threads sending at the same time each send their own datagrams to their own address', { skip: ROOT_ONLY, timeout: 30_000 }, async (t) => {
  const seen = (await runJson(WORKERS_SENDING_SCRIPT, [])) as { received: number; foreign: number; twice: number }[];
  t.diagnostic(JSON.stringify(seen));
  for (const s of seen) {
    assert.ok(s.received > 0, JSON.stringify(seen));
    assert.equal(s.foreign, 0, JSON.stringify(seen));
    assert.equal(s.twice, 0, JSON.stringify(seen));
  }
});

const THROWING_SCRIPT = `
import dgram from 'node:dgram';
const [, , addonModule, port, errorThrows] = process.argv;
const { loadAddon } = await import(addonModule);
const addon = loadAddon();
const socket = dgram.createSocket('udp4');
const ticker = setInterval(() => socket.send('x', Number(port), '127.0.0.1'), 20);
const { handle } = addon.open('lo', 'udp dst port ' + port, 0, 1 << 20, 10, false, () => { throw new Error('boom'); }, (message, exception) => {
  clearInterval(ticker);
  socket.close();
  addon.close(handle);
  if (errorThrows === 'yes') throw new Error('boom again');
  process.stdout.write(JSON.stringify({ message, exception: exception instanceof Error ? exception.message : String(exception) }));
});
addon.resume(handle);
`;

// A port on loopback that nothing else listens on or sends to during the test.
const QUIET_PORT = String(39000 + (process.pid % 1000));

test('an exception thrown by onBatch ends the capture and reaches onError; the process lives on', { skip: ROOT_ONLY, timeout: 30_000 }, async () => {
  assert.deepEqual(await runJson(THROWING_SCRIPT, [QUIET_PORT, 'no']), { message: 'onBatch threw Error: boom', exception: 'boom' });
});

test('an exception thrown by onError itself is an uncaught exception of the process', { skip: ROOT_ONLY, timeout: 30_000 }, async () => {
  const r = await runScript(THROWING_SCRIPT, [QUIET_PORT, 'yes']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /Error: boom again/);
});

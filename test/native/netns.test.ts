/**
 * The addon in other network namespaces (lib/native/netns.c): capture opened
 * inside one keeps working after the thread returns, the thread always comes
 * back (also when opening fails inside), and links() describes the
 * namespace's interfaces. The namespace is a process's, as a container's is.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { loadAddon, type PcapHandle } from '../../lib/native/addon.js';
import { PacketBatch } from '../../lib/packet.js';
import { readCaptureBatch } from '../../lib/proto/capture-batch.js';
import { join } from 'node:path';
import { FIXTURES, startProcess, waitForStderr } from '../helpers/cli.js';
import { deleteNetns, ip, macOf, netnsAvailable } from '../helpers/netns.js';

const ROOT_ONLY = netnsAvailable() ? false : 'needs root';
const noop = (): void => {};
const ownNetns = (): number => statSync('/proc/thread-self/ns/net').ino;

/** A namespace with veth v0 (10.99.7.1/24) and v1, both up, a veth d0 left down, and a process living in it, as a container would. */
async function container(t: TestContext): Promise<{ ns: string; path: string }> {
  const ns = `pan${process.pid}`;
  ip('netns', 'add', ns);
  t.after(() => deleteNetns(ns));
  ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  ip('-n', ns, 'addr', 'add', '10.99.7.1/24', 'dev', 'v0');
  for (const dev of ['v0', 'v1']) ip('-n', ns, 'link', 'set', dev, 'up');
  ip('-n', ns, 'link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1');
  const init = startProcess(t, 'sh', ['-c', 'echo ready >&2; exec sleep 300'], { netns: ns });
  await waitForStderr(init, /ready/);
  return { ns, path: `/proc/${init.pid}/ns/net` };
}

test('links(): the interfaces of another namespace, with index, state, MAC and addresses', { skip: ROOT_ONLY }, async (t) => {
  const { ns, path } = await container(t);
  const before = ownNetns();
  const links = loadAddon().links(path);
  assert.equal(ownNetns(), before);
  const v0 = links.find((l) => l.name === 'v0')!;
  const v1 = links.find((l) => l.name === 'v1')!;
  const d0 = links.find((l) => l.name === 'd0')!;
  assert.deepEqual([v0.up, v1.up, d0.up], [true, true, false]);
  // Its IPv4 address, and the IPv6 link-local one the kernel adds.
  assert.equal(v0.addresses[0], '10.99.7.1');
  assert.ok(v0.addresses.slice(1).every((a) => a.startsWith('fe80::')), v0.addresses.join());
  assert.equal(v0.mac!.toString('hex').replace(/(..)(?!$)/g, '$1:'), macOf(ns, 'v0'));
  assert.ok(v0.ifindex > 0 && v0.ifindex !== v1.ifindex);
  assert.equal(links.some((l) => l.name === 'eth0' && l.addresses.length > 0 && !l.addresses.includes('10.99.7.1')), false, 'none of our own interfaces');
});

test('open() inside a namespace captures there after the thread is back in its own', { skip: ROOT_ONLY }, async (t) => {
  const { ns, path } = await container(t);
  const addon = loadAddon();
  const before = ownNetns();
  const captured = new PacketBatch();
  // IPv4 only: the kernel's own IPv6 neighbour discovery on v0 is not part of the replay.
  const opened = addon.open('v0', 'ip', 0, 1 << 20, 10, false, (batch) => readCaptureBatch(batch, addon.captureBatch, captured, 1), noop, path);
  t.after(() => addon.close(opened.handle as PcapHandle));
  assert.equal(ownNetns(), before);
  // The device is not ours: in our namespace it does not exist.
  assert.throws(() => addon.open('v0', '', 0, 1 << 20, 10, false, noop, noop), { code: 'NODEV' });
  addon.resume(opened.handle);
  execFileSync('ip', ['netns', 'exec', ns, 'tcpreplay', '-q', '-i', 'v1', join(FIXTURES, 'sample.pcap')], { stdio: 'ignore' });
  // sample.pcap: 8 frames of 5 496 bytes in all.
  for (let i = 0; i < 100 && captured.length < 8; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual([captured.length, captured.bytes()], [8, 5496], 'every frame replayed inside the namespace was captured');
});

test('errors inside the namespace, and a namespace that is gone: a code, and the thread is back', { skip: ROOT_ONLY }, async (t) => {
  const { path } = await container(t);
  const addon = loadAddon();
  const before = ownNetns();
  assert.throws(() => addon.open('nosuch0', '', 0, 1 << 20, 10, false, noop, noop, path), { code: 'NODEV' });
  assert.equal(ownNetns(), before);
  assert.throws(() => addon.open('v0', 'not a filter (', 0, 1 << 20, 10, false, noop, noop, path), { code: 'FILTER' });
  assert.equal(ownNetns(), before);
  assert.throws(() => addon.open('v0', '', 0, 1 << 20, 10, false, noop, noop, '/proc/999999999/ns/net'), { code: 'NETNS', message: /cannot open network namespace \/proc\/999999999\/ns\/net/ });
  assert.throws(() => addon.links('/proc/999999999/ns/net'), { code: 'NETNS' });
  assert.equal(ownNetns(), before);
});

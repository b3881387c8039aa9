/**
 * The addon's ipOutputHooks (lib/native/ip_output_hooks.c), what --tx auto looks for, set up for real:
 * nf_tables chains and IPsec policies in a network namespace the test makes, a BPF program on a
 * cgroup it makes. Also run under the sanitizers.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { loadAddon } from '../../lib/native/addon.js';
import { makeCgroup, v2Root } from '../helpers/cgroups.js';
import { ROOT } from '../helpers/cli.js';
import { deleteNetns, ip, netnsAvailable } from '../helpers/netns.js';
import { runJson } from './scripts.js';

const ROOT_ONLY = netnsAvailable() ? false : 'needs root';
type Hooks = { nftChains: number; xfrmPolicies: number; cgroupPrograms: number };

const HOOKS_SCRIPT = `
  const { loadAddon } = await import(process.argv[2]);
  console.log(JSON.stringify(loadAddon().ipOutputHooks(null)));
`;

test('ipOutputHooks: argument checks', () => {
  const addon = loadAddon();
  assert.throws(() => (addon.ipOutputHooks as (...a: unknown[]) => unknown)(), TypeError);
  assert.throws(() => addon.ipOutputHooks(7 as unknown as string), TypeError);
  assert.deepEqual(addon.ipOutputHooks('/nonexistent/cgroup').cgroupPrograms, -constants.errno.ENOENT);
});

test('ipOutputHooks in a namespace: nothing, then the ip and inet base chains and the outbound IPsec policies it counts', { skip: ROOT_ONLY, timeout: 30_000 }, async (t) => {
  const ns = `pa${process.pid}hooks`;
  ip('netns', 'add', ns);
  t.after(() => deleteNetns(ns));
  const hooks = async (): Promise<Hooks> => (await runJson(HOOKS_SCRIPT, [], { prefix: ['ip', 'netns', 'exec', ns] })) as Hooks;
  assert.deepEqual(await hooks(), { nftChains: 0, xfrmPolicies: 0, cgroupPrograms: 0 });

  const nft = (...args: string[]): void => void execFileSync('ip', ['netns', 'exec', ns, 'nft', ...args]);
  nft('add table inet fw');
  nft('add chain inet fw in { type filter hook input priority 0 ; }');
  nft('add chain inet fw regular'); // no hook: not a base chain
  nft('add table ip nat');
  nft('add chain ip nat post { type nat hook postrouting priority 100 ; }');
  nft('add table ip6 fw6');
  nft('add chain ip6 fw6 out { type filter hook output priority 0 ; }'); // IPv6 only
  nft('add table netdev dev');
  ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  nft('add chain netdev dev ingress { type filter hook ingress device v0 priority 0 ; }'); // before the IP layer
  const xfrm = (dir: string, src: string, dst: string): void =>
    ip('-n', ns, 'xfrm', 'policy', 'add', 'src', `${src}/32`, 'dst', `${dst}/32`, 'dir', dir, 'tmpl', 'src', src, 'dst', dst, 'proto', 'esp', 'mode', 'tunnel');
  xfrm('out', '192.0.2.1', '192.0.2.2');
  xfrm('out', '192.0.2.1', '192.0.2.3');
  xfrm('in', '192.0.2.2', '192.0.2.1');
  assert.deepEqual(await hooks(), { nftChains: 2, xfrmPolicies: 2, cgroupPrograms: 0 });
});

test("ipOutputHooks on a cgroup: the programs of the cgroup's ancestors are in effect for its sockets", { skip: ROOT_ONLY, timeout: 30_000 }, (t) => {
  const child = makeCgroup(t, v2Root(), `pa-hooks-${process.pid}/child`);
  const parent = dirname(child);
  const sibling = makeCgroup(t, v2Root(), `pa-hooks-${process.pid}-other`);
  const addon = loadAddon();
  assert.equal(addon.ipOutputHooks(child).cgroupPrograms, 0);
  execFileSync('python3', [join(ROOT, 'test', 'helpers', 'cgroup-bpf.py'), parent]);
  assert.equal(addon.ipOutputHooks(parent).cgroupPrograms, 1);
  assert.equal(addon.ipOutputHooks(child).cgroupPrograms, 1);
  assert.equal(addon.ipOutputHooks(sibling).cgroupPrograms, 0);
});

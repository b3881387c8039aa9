/**
 * Containers played by a test: a network namespace with veths whose other
 * ends are in a peer namespace (the host side, where tcpreplay sends), a
 * long-running process inside, moved into a cgroup named the way a runtime
 * names its own. Everything is removed when the test ends, however it ends.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { FIXTURES, runCli, startProcess, waitForStderr } from './cli.js';
import { makeCgroup, moveInto, v2Root } from './cgroups.js';
import { deleteNetns, ip } from './netns.js';

export const SAMPLE = join(FIXTURES, 'sample.pcap');

let made = 0;

export interface FakeContainer {
  id: string;
  ns: string;
  /** The host side: a namespace holding the peer ends, where tcpreplay sends from. */
  host: string;
  init: ChildProcess;
}

export function noIpv6(ns: string, dev: string): void {
  // Router solicitations would be captured along with the replay.
  execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`]);
}

/** Namespace `ns` with interfaces `ifaces` (10.254.<n>.<k+1>/24), each a veth to `h<k>` in `host`. */
export function network(t: TestContext, ns: string, host: string, ifaces: string[], n: number): void {
  ip('netns', 'add', ns);
  t.after(() => deleteNetns(ns));
  ifaces.forEach((dev, k) => {
    ip('-n', ns, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', `h${k}`, 'netns', host);
    noIpv6(ns, dev);
    noIpv6(host, `h${k}`);
    ip('-n', ns, 'addr', 'add', `10.254.${n}.${k + 1}/24`, 'dev', dev);
    ip('-n', ns, 'link', 'set', dev, 'up');
    ip('-n', host, 'link', 'set', `h${k}`, 'up');
  });
}

/** Starts the container's init process in `ns`, in the cgroup `dir`. */
export async function startInit(t: TestContext, ns: string, dir: string): Promise<ChildProcess> {
  const init = startProcess(t, 'sh', ['-c', 'echo ready >&2; exec sleep 300'], { netns: ns });
  await waitForStderr(init, /ready/);
  moveInto(dir, init);
  return init;
}

/** The cgroup a runtime makes for container `id`: docker's by default. */
export type CgroupShape = (id: string) => string;
export const DOCKER: CgroupShape = (id) => `docker-${id}.scope`;

export async function fakeContainer(t: TestContext, ifaces = ['eth0'], shape = DOCKER): Promise<FakeContainer & { cgroup: string; n: number }> {
  const n = (process.pid + made++) % 250;
  const id = randomBytes(32).toString('hex');
  const ns = `pac${process.pid}x${made}`;
  const host = `${ns}h`;
  ip('netns', 'add', host);
  t.after(() => deleteNetns(host));
  network(t, ns, host, ifaces, n);
  const cgroup = makeCgroup(t, v2Root(), shape(id));
  return { id, ns, host, cgroup, n, init: await startInit(t, ns, cgroup) };
}

export async function sameFrames(t: TestContext, expected: string, got: string): Promise<void> {
  const r = await runCli(t, 'pcapcompare', [expected, got]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
}

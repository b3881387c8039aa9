/**
 * Throw-away network namespaces for live tests: two namespaces joined by a
 * veth pair, addresses only inside them (10.252.<n>.0/29), deleted afterwards
 * even when a test fails. Programs run in them with startCli/startProcess
 * (`netns` option).
 */
import { execFileSync } from 'node:child_process';
import { isRoot } from './prerequisites.js';

/**
 * Whether namespace tests run here: as root. A root run without iproute2 or
 * tcpreplay fails and names what is missing (prerequisites.ts); it never skips.
 */
export const netnsAvailable = isRoot;

export function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Deletes namespace `ns`, SIGKILLing what still runs in it first. Tests kill
 * their own children when they end, but a suite that times out runs its
 * `after` hooks before its tests' (node:test), and a program left in a
 * deleted namespace would run on, unreachable by name.
 */
export function deleteNetns(ns: string): void {
  let pids: string;
  try {
    pids = execFileSync('ip', ['netns', 'pids', ns], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return; // never created, or already gone
  }
  for (const pid of pids.split(/\s+/).filter((p) => p !== '')) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  ip('netns', 'del', ns);
}

/** tcpreplay of `file` out of `dev` in namespace `ns`, as fast as it goes; returns when all is sent. */
export function replay(ns: string, dev: string, file: string): void {
  execFileSync('ip', ['netns', 'exec', ns, 'tcpreplay', '-q', '--topspeed', '-i', dev, file], { stdio: 'ignore' });
}

export function macOf(ns: string, dev: string): string {
  const [link] = JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'link', 'show', 'dev', dev]).toString()) as { address: string }[];
  return link!.address;
}

let created = 0;

export interface Pair {
  /** Namespace names. */
  a: string;
  b: string;
  /** Interface names inside a and b. */
  ifA: string;
  ifB: string;
  /** Addresses of a and b; `absent` is in the subnet but owned by no one. */
  addrA: string;
  addrB: string;
  absent: string;
  destroy(): void;
}

export function createPair(): Pair {
  const n = (process.pid % 200) + created++;
  const tag = `pa${process.pid}x${created}`;
  const a = `${tag}a`;
  const b = `${tag}b`;
  const subnet = `10.252.${n % 250}`;
  const pair: Pair = {
    a,
    b,
    ifA: 'veth0',
    ifB: 'veth1',
    addrA: `${subnet}.1`,
    addrB: `${subnet}.2`,
    absent: `${subnet}.3`,
    destroy() {
      for (const ns of [a, b]) deleteNetns(ns);
    },
  };
  try {
    ip('netns', 'add', a);
    ip('netns', 'add', b);
    ip('link', 'add', `${tag}0`, 'netns', a, 'type', 'veth', 'peer', 'name', `${tag}1`, 'netns', b);
    ip('-n', a, 'link', 'set', `${tag}0`, 'name', 'veth0');
    ip('-n', b, 'link', 'set', `${tag}1`, 'name', 'veth1');
    ip('-n', a, 'addr', 'add', `${pair.addrA}/29`, 'dev', 'veth0');
    ip('-n', b, 'addr', 'add', `${pair.addrB}/29`, 'dev', 'veth1');
    for (const ns of [a, b]) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', ns === a ? 'veth0' : 'veth1', 'up');
    }
    // Static neighbours: while ARP resolves, the kernel queues only a few packets of a burst and drops the rest unseen.
    ip('-n', a, 'neigh', 'replace', pair.addrB, 'lladdr', macOf(b, 'veth1'), 'dev', 'veth0', 'nud', 'permanent');
    ip('-n', b, 'neigh', 'replace', pair.addrA, 'lladdr', macOf(a, 'veth0'), 'dev', 'veth1', 'nud', 'permanent');
  } catch (e) {
    pair.destroy();
    throw new Error(`cannot build the test namespaces: ${(e as { stderr?: Buffer }).stderr?.toString().trim() ?? (e as Error).message}`);
  }
  return pair;
}

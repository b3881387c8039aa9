/**
 * Throw-away network namespaces for live tests: two namespaces joined by a
 * veth pair, addresses only inside them (10.252.<n>.0/29), deleted afterwards
 * even when a test fails. Needs root and iproute2; `netnsAvailable()` says
 * whether this machine can run such tests.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, STDERR_LOG_CONFIG } from './cli.js';

export function netnsAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function macOf(ns: string, dev: string): string {
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
  /** Runs a built CLI inside namespace `ns`. */
  start(ns: string, command: string, args: string[], stdin?: 'pipe' | 'ignore'): ChildProcess;
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
    start(ns, command, args, stdin = 'ignore') {
      return spawn('ip', ['netns', 'exec', ns, process.execPath, join(ROOT, 'dist', 'cli', `${command}.js`), ...args], {
        stdio: [stdin, 'pipe', 'pipe'],
        env: { ...process.env, TZ: 'UTC', PKTMINERG_LOG_CONFIG: STDERR_LOG_CONFIG },
      });
    },
    destroy() {
      for (const ns of [a, b]) {
        try {
          ip('netns', 'del', ns);
        } catch {
          // already gone
        }
      }
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

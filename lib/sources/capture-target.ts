/**
 * Where a live source captures, looked at again at every watch tick and
 * every (re)open, so that what moves is followed: an interface that goes
 * down or is re-created, a container restarted with a new process and
 * network namespace, a guest restarted onto another tap.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

export interface TargetLink {
  state: 'up' | 'down' | 'absent';
  /** Words for the waiting line when not up: "no such interface", "container not running". */
  why: string;
  /** Changes whenever the link is re-created (new ifindex, new namespace, new tap). */
  instance: string;
  /** Device to open, in `netns`. */
  device: string;
  /** Network namespace to open it in (/proc/PID/ns/net); null: the agent's own. */
  netns: string | null;
  /** The MAC that is "ours" for --dir auto: the interface's, or the guest's behind a tap. */
  mac: Buffer | null;
  /** The IPv4 and IPv6 addresses of an interface in that namespace (for `host nic.<if>`). */
  addresses(name: string): string[] | undefined;
}

export interface CaptureTarget {
  /** Names the dump sub-directory: the interface, the container, the guest. */
  readonly name: string;
  /** For log lines: `eth0`, `container 3f2a1b2c3d4e eth0`, `guest web1`. */
  readonly label: string;
  look(): TargetLink;
}

const IFF_UP = 0x1;

/** Addresses of one of the agent's own interfaces. */
export function hostAddresses(name: string): string[] | undefined {
  return networkInterfaces()[name]?.map((a) => a.address);
}

/** An interface of the agent's own network namespace, read from sysfs (which `ip netns exec` mounts per namespace). */
export function hostLink(device: string): TargetLink {
  const base = { device, netns: null, addresses: hostAddresses };
  if (device === 'any') return { ...base, state: 'up', why: '', instance: 'any', mac: null };
  try {
    const dir = `/sys/class/net/${device}`;
    const up = parseInt(readFileSync(`${dir}/flags`, 'utf8'), 16) & IFF_UP;
    const ifindex = readFileSync(`${dir}/ifindex`, 'utf8').trim();
    return { ...base, state: up ? 'up' : 'down', why: up ? '' : 'interface is down', instance: ifindex, mac: parseMac(readFileSync(`${dir}/address`, 'utf8')) };
  } catch {
    return { ...base, state: 'absent', why: 'no such interface', instance: '', mac: null };
  }
}

/** `aa:bb:cc:dd:ee:ff` → 6 bytes; null for anything else. */
export function parseMac(text: string): Buffer | null {
  const t = text.trim();
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(t)) return null;
  return Buffer.from(t.replace(/:/g, ''), 'hex');
}

export class HostTarget implements CaptureTarget {
  readonly label: string;
  constructor(readonly name: string) {
    this.label = name;
  }
  look(): TargetLink {
    return hostLink(this.name);
  }
}

/**
 * The host's network interfaces for the registration body (spec §10.4
 * NetworkInterface): every interface the kernel has, with or without
 * addresses, read from sysfs; the addresses from os.networkInterfaces()
 * (getifaddrs, as the reference read everything). Both see the network
 * namespace the daemon runs in.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';

export interface NetworkInterface {
  /** The kernel's ifindex. */
  index: number;
  name: string;
  /** The 16-bit SIOCGIFFLAGS view: 4163 = UP|BROADCAST|RUNNING|MULTICAST. */
  flags: number;
  /** IPv4 and IPv6, IPv6 without `%scope`. */
  inetAddresses: string[];
  /** Lower-case `aa:bb:cc:dd:ee:ff` (00:00:00:00:00:00 for lo), as sysfs has it. */
  mac: string;
  mtu: number;
}

const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;

/**
 * sysfs `flags` is what the device stores, and the kernel never stores
 * IFF_RUNNING: SIOCGIFFLAGS and getifaddrs compute it on each call
 * (dev_get_flags) as "up, and operationally up or of unknown state" (lo
 * and dummy report no state). Above 16 bits lie flags the classic view
 * lacks (a CAN device stores IFF_ECHO, 1 << 18). One difference remains:
 * sysfs shows PROMISC and ALLMULTI however they were set (a capture too),
 * SIOCGIFFLAGS only when a user asked for them.
 */
function classicFlags(stored: number, operstate: string): number {
  const running = (stored & IFF_UP) !== 0 && (operstate === 'up' || operstate === 'unknown');
  return (stored | (running ? IFF_RUNNING : 0)) & 0xffff;
}

/**
 * Addresses by interface name. An IPv4 alias label ("eth0:1") is an
 * address of eth0, not an interface (':' is not allowed in interface
 * names). Node gives IPv6 addresses without `%scope` (scopeid apart).
 */
function addressesByName(): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const [label, addresses] of Object.entries(networkInterfaces())) {
    const name = label.split(':')[0]!;
    byName.set(name, [...(byName.get(name) ?? []), ...(addresses ?? []).map((a) => a.address)]);
  }
  return byName;
}

function readInt(dir: string, file: string): number {
  const text = readFileSync(join(dir, file), 'latin1').trim();
  // Number() reads the 0x of `flags` as hex.
  const n = Number(text);
  if (!Number.isInteger(n)) throw new Error(`${join(dir, file)}: ${JSON.stringify(text)} is not a number`);
  return n;
}

/** One interface, or null for what is not one: bonding_masters is a file beside them, and one may be removed while read. */
function readInterface(sysNet: string, name: string, inetAddresses: string[]): NetworkInterface | null {
  const dir = join(sysNet, name);
  try {
    if (!statSync(dir).isDirectory()) return null;
    const operstate = readFileSync(join(dir, 'operstate'), 'latin1').trim();
    return {
      index: readInt(dir, 'ifindex'),
      name,
      flags: classicFlags(readInt(dir, 'flags'), operstate),
      inetAddresses,
      mac: readFileSync(join(dir, 'address'), 'latin1').trim().toLowerCase(),
      mtu: readInt(dir, 'mtu'),
    };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * The interfaces of this host sorted by index; `include` (when not null)
 * keeps only those names, still in index order, and names no interface has
 * are left out.
 */
export function hostInterfaces(include: string[] | null, sysNet = '/sys/class/net'): NetworkInterface[] {
  const wanted = include === null ? null : new Set(include);
  const addresses = addressesByName();
  const found: NetworkInterface[] = [];
  for (const name of readdirSync(sysNet)) {
    if (wanted !== null && !wanted.has(name)) continue;
    const nic = readInterface(sysNet, name, addresses.get(name) ?? []);
    if (nic !== null) found.push(nic);
  }
  return found.sort((a, b) => a.index - b.index);
}

/**
 * The interfaces of the agent's own network namespace as the kernel shows
 * them: each one's attributes in sysfs (/sys/class/net/<name>/; `ip netns
 * exec` mounts it per namespace) and the addresses from getifaddrs
 * (os.networkInterfaces()). One reader for capture (lib/sources/capture-target.ts:
 * is the interface up, was it re-created, its MAC, `host nic.<if>`) and for
 * probedaemon's registration (lib/daemon/host-interfaces.ts). Other
 * namespaces are read through the addon (links(), getifaddrs inside them),
 * since this sysfs shows only the agent's own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { parseIPv4 } from './proto/ipv4.js';

export const SYS_CLASS_NET = '/sys/class/net';

export const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;

/** What sysfs holds for one interface. */
export interface SysfsInterface {
  name: string;
  ifindex: number;
  /** As the device stores them: never IFF_RUNNING (classicFlags adds it); may use bits above 16. */
  flags: number;
  /** RFC 2863 state: 'up', 'down', 'dormant', 'unknown' (lo and dummy report none), … */
  operstate: string;
  /** As sysfs has it: lower-case `aa:bb:cc:dd:ee:ff` for Ethernet, '' or other lengths for other links. */
  address: string;
  mtu: number;
}

function readText(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'latin1').trim();
}

function readInt(dir: string, file: string): number {
  const text = readText(dir, file);
  // Number() reads the 0x of `flags` as hex.
  const n = Number(text);
  if (!Number.isInteger(n)) throw new Error(`${join(dir, file)}: ${JSON.stringify(text)} is not a number`);
  return n;
}

/**
 * One interface, or null when there is none of that name: also what is not
 * one (bonding_masters is a file beside them) and one removed while read.
 * Throws on a value that cannot be read or is not a number.
 */
export function readSysfsInterface(name: string, sysNet = SYS_CLASS_NET): SysfsInterface | null {
  const dir = join(sysNet, name);
  try {
    return { name, ifindex: readInt(dir, 'ifindex'), flags: readInt(dir, 'flags'), operstate: readText(dir, 'operstate'), address: readText(dir, 'address').toLowerCase(), mtu: readInt(dir, 'mtu') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

/** The interfaces in sysfs whose names `include` accepts (the others are not read), in directory order. */
export function sysfsInterfaces(include: (name: string) => boolean, sysNet = SYS_CLASS_NET): SysfsInterface[] {
  return readdirSync(sysNet).flatMap((name) => (include(name) ? (readSysfsInterface(name, sysNet) ?? []) : []));
}

/**
 * The 16-bit SIOCGIFFLAGS view of sysfs `flags`. The kernel never stores
 * IFF_RUNNING: SIOCGIFFLAGS and getifaddrs compute it on each call
 * (dev_get_flags) as "up, and operationally up or of unknown state" (lo
 * and dummy report no state). Above 16 bits lie flags the classic view
 * lacks (a CAN device stores IFF_ECHO, 1 << 18). One difference remains:
 * sysfs shows PROMISC and ALLMULTI however they were set (a capture too),
 * SIOCGIFFLAGS only when a user asked for them.
 */
export function classicFlags(nic: SysfsInterface): number {
  const running = (nic.flags & IFF_UP) !== 0 && (nic.operstate === 'up' || nic.operstate === 'unknown');
  return (nic.flags | (running ? IFF_RUNNING : 0)) & 0xffff;
}

/**
 * Addresses by interface name, from what os.networkInterfaces() gives. An
 * IPv4 alias label ("eth0:1") is an address of eth0, not an interface (':'
 * is not allowed in interface names). Node gives IPv6 addresses without
 * `%scope` (scopeid apart).
 */
export function addressesByName(labels: NodeJS.Dict<{ address: string }[]> = networkInterfaces()): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const [label, addresses] of Object.entries(labels)) {
    const name = label.split(':')[0]!;
    byName.set(name, [...(byName.get(name) ?? []), ...(addresses ?? []).map((a) => a.address)]);
  }
  return byName;
}

/** Addresses of one of the agent's own interfaces (IPv4 and IPv6, those of its alias labels too); undefined when it has none or there is no such interface. */
export function hostAddresses(name: string): string[] | undefined {
  return addressesByName().get(name);
}

/** Its IPv4 addresses only: what `--dir nic.<if>` compares. */
export function hostIPv4Addresses(name: string): string[] | undefined {
  return hostAddresses(name)?.filter((a) => parseIPv4(a) !== null);
}

/**
 * The host's network interfaces for the registration body (spec §10.4
 * NetworkInterface): every interface the kernel has, with or without
 * addresses, read from sysfs; the addresses from os.networkInterfaces()
 * (getifaddrs, as the reference read everything), both by
 * lib/net-interfaces.ts. Both see the network namespace the daemon runs in.
 */
import { addressesByName, classicFlags, SYS_CLASS_NET, sysfsInterfaces } from '../net-interfaces.js';

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

/**
 * The interfaces of this host sorted by index; `include` (when not null)
 * keeps only those names, still in index order, and names no interface has
 * are left out.
 */
export function hostInterfaces(include: string[] | null, sysNet = SYS_CLASS_NET): NetworkInterface[] {
  const wanted = include === null ? null : new Set(include);
  const addresses = addressesByName();
  return sysfsInterfaces((name) => wanted === null || wanted.has(name), sysNet)
    // The registration body's field order (spec §10.4).
    .map((nic) => ({ index: nic.ifindex, name: nic.name, flags: classicFlags(nic), inetAddresses: addresses.get(nic.name) ?? [], mac: nic.address, mtu: nic.mtu }))
    .sort((a, b) => a.index - b.index);
}

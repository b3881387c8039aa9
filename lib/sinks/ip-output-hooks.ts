/**
 * `--tx auto`: GRE and VXLAN go out as whole frames through AF_PACKET (PacketSender) only while
 * nothing on this host would treat their datagrams differently in the kernel's IP output, which
 * those frames skip:
 * - netfilter: an nf_tables base chain of the ip or inet family (iptables-nft's included; a chain
 *   at any hook, as a stateful firewall's INPUT rules also depend on connection tracking of what
 *   goes out), or a loaded iptables-legacy table;
 * - IPsec: an outbound policy (`ip xfrm policy`);
 * - cgroup BPF: a program run on the egress, or at the creation, of the sockets of the agent's
 *   cgroup (systemd's IPAddressDeny= and IPAccounting=, some host firewalls).
 * What is left to both paths (routing, including policy rules, which the look-up asks the kernel;
 * the qdisc and tc) needs no check. A count that cannot be read counts as in use: the safe way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import { ownPath, v2Mount } from '../cgroup-path.js';
import type { PacketIoAddon } from '../native/addon.js';
import { errnoName } from './raw-ip-sender.js';

const { ENOSYS, EPROTONOSUPPORT } = constants.errno;

export interface IpOutputHooks {
  /** nf_tables base chains of the ip and inet families, or -errno. */
  nftChains: number;
  /** Outbound IPsec policies, or -errno. */
  xfrmPolicies: number;
  /** BPF programs on the agent's cgroup's socket egress and creation, or -errno. */
  cgroupPrograms: number;
  /** iptables-legacy tables of this namespace (/proc/net/ip_tables_names). */
  legacyTables: string[];
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** Why the kernel's IP output could treat the datagrams differently from the frames PacketSender builds, or null when nothing would. */
export function ipOutputInUse(h: IpOutputHooks): string | null {
  const reasons: string[] = [];
  // No netfilter netlink (EPROTONOSUPPORT) or no bpf(2) (ENOSYS): nothing of that kind can be set up.
  if (h.nftChains > 0) reasons.push(`netfilter has ${plural(h.nftChains, 'IPv4 base chain', 'IPv4 base chains')} (nft list chains)`);
  else if (h.nftChains < 0 && h.nftChains !== -EPROTONOSUPPORT) reasons.push(`netfilter's chains cannot be listed (${errnoName(-h.nftChains)})`);
  if (h.legacyTables.length > 0) reasons.push(`iptables-legacy has the table${h.legacyTables.length === 1 ? '' : 's'} ${h.legacyTables.join(', ')}`);
  if (h.xfrmPolicies > 0) reasons.push(`${plural(h.xfrmPolicies, 'outbound IPsec policy', 'outbound IPsec policies')} (ip xfrm policy)`);
  else if (h.xfrmPolicies < 0 && h.xfrmPolicies !== -EPROTONOSUPPORT) reasons.push(`IPsec policies cannot be counted (${errnoName(-h.xfrmPolicies)})`);
  if (h.cgroupPrograms > 0) reasons.push(`${plural(h.cgroupPrograms, 'BPF program', 'BPF programs')} on this cgroup's sockets (bpftool cgroup tree)`);
  else if (h.cgroupPrograms < 0 && h.cgroupPrograms !== -ENOSYS) reasons.push(`this cgroup's BPF programs cannot be listed (${errnoName(-h.cgroupPrograms)})`);
  return reasons.length === 0 ? null : reasons.join('; ');
}

/** This process's cgroup v2 directory, or null when there is no v2 hierarchy (no cgroup BPF program can be attached then). */
export function ownCgroupDir(selfCgroup: string, mount: string | null): string | null {
  if (mount === null) return null;
  try {
    return join(mount, ownPath(selfCgroup, null));
  } catch {
    return mount; // no `0::` line: the root's programs are the ones in effect
  }
}

/** Reads the hooks of this thread's namespace (the netns a capture worker may have entered) and of cgroup `cgroupDir`. */
export function readIpOutputHooks(addon: Pick<PacketIoAddon, 'ipOutputHooks'>, cgroupDir: string | null): IpOutputHooks {
  let legacyTables: string[] = [];
  try {
    // thread-self: /proc/net is the main thread's namespace.
    legacyTables = readFileSync('/proc/thread-self/net/ip_tables_names', 'latin1').split('\n').filter((t) => t !== '');
  } catch (e) {
    // No file: the ip_tables module is not loaded. Anything else cannot be read: count it as in use.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') legacyTables = ['(unreadable)'];
  }
  return { ...addon.ipOutputHooks(cgroupDir), legacyTables };
}

/** The agent's cgroup v2 directory, read once: sockets keep the cgroup they were created in. */
export function agentCgroupDir(): string | null {
  return ownCgroupDir(readFileSync('/proc/self/cgroup', 'latin1'), v2Mount());
}

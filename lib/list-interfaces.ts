/**
 * `-D, --list-interfaces`: what this agent can capture on, as `tcpdump -D`
 * lists it, plus the containers and KVM guests it can see: interfaces through
 * the addon's getifaddrs (in the agent's namespace as inside a container's, so
 * both listings have one shape; capture checks a host interface's state in
 * sysfs, net-interfaces.ts, which shows the same kernel state), containers
 * from /proc/<pid>/cgroup and guests from libvirt's live XML as -c and -m find them.
 */
import { statSync } from 'node:fs';
import { loadAddon, type LinkEntry } from './native/addon.js';
import { listContainers, type ContainerProcess } from './sources/container.js';
import { listKvmGuests, type KvmGuest } from './sources/kvm.js';
import { joinAdapters, type WindowsAdapter } from './windows-adapters.js';

export interface ListedInterface {
  /** The kernel's ifindex; null for `any`, which is no kernel interface. */
  index: number | null;
  name: string;
  up: boolean;
  /** aa:bb:cc:dd:ee:ff, or null (no Ethernet-like address). */
  mac: string | null;
  /** IPv4 and IPv6, as text. */
  addresses: string[];
  /** Windows only: the name Windows shows (-i takes it too); null when Windows does not list the adapter. */
  friendlyName?: string | null;
  /** Windows only: the adapter's description ("Intel(R) Ethernet Connection I219-V"). */
  description?: string | null;
  /** Windows only: 'up', or why not ('disabled', 'disconnected (no cable or no link)'). */
  state?: string;
}

export interface ListedContainer {
  /** The full 64 hex digits (-c takes 12 or more). */
  id: string;
  /** Its init process, whose network namespace capture enters. */
  pid: number;
  /** The interfaces in its network namespace; null (with `problem`) when they could not be read. */
  interfaces: ListedInterface[] | null;
  problem?: string;
}

export interface ListedGuest {
  name: string;
  /** The host tap of its first NIC with one, which -m captures on; null (with `problem` when refused) if none. */
  tap: string | null;
  /** The guest's MAC on that NIC (`--dir auto`: out). */
  mac: string | null;
  problem?: string;
}

/** The `--json` document. */
export interface Listing {
  interfaces: ListedInterface[];
  containers: ListedContainer[];
  guests: ListedGuest[];
}

/** How the listing looks at the system (tests give fakes). */
export interface ListingDeps {
  links(netns: string | null): LinkEntry[];
  containers(): ContainerProcess[];
  guests(): KvmGuest[];
  /** Whether process `pid` still exists (a container that stopped during the listing is left out). */
  running(pid: number): boolean;
  /** Windows: the adapters (windows-adapters.ts). */
  windowsAdapters(): WindowsAdapter[];
}

const realDeps: ListingDeps = {
  links: (netns) => loadAddon().links(netns),
  containers: () => listContainers(),
  guests: () => listKvmGuests(),
  running: (pid) => statSync(`/proc/${pid}`, { throwIfNoEntry: false }) !== undefined,
  windowsAdapters: () => joinAdapters(loadAddon().adapters!()),
};

/** As libpcap lists it on Linux: every interface at once, frames in Linux cooked form. */
const ANY: ListedInterface = { index: null, name: 'any', up: true, mac: null, addresses: [] };

const macText = (mac: Buffer | null): string | null => (mac === null ? null : [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':'));

function interfaces(links: LinkEntry[]): ListedInterface[] {
  return links
    .map((l) => ({ index: l.ifindex, name: l.name, up: l.up, mac: macText(l.mac), addresses: l.addresses }))
    .sort((a, b) => a.index - b.index || (a.name < b.name ? -1 : 1));
}

/** As tcpdump -D lists them on Windows: in Npcap's order, numbered from 1; only what Npcap can open. */
function windowsInterfaces(adapters: WindowsAdapter[]): ListedInterface[] {
  return adapters
    .filter((a): a is WindowsAdapter & { name: string } => a.name !== null)
    .map((a, i) => ({ index: i + 1, name: a.name, up: a.up, mac: macText(a.mac), addresses: a.addresses, friendlyName: a.friendlyName, description: a.description, state: a.state }));
}

/** `platform` (tests give 'win32'): Windows has adapters and neither containers nor KVM guests. */
export function gatherListing(deps: ListingDeps = realDeps, platform: NodeJS.Platform = process.platform): Listing {
  if (platform === 'win32') return { interfaces: windowsInterfaces(deps.windowsAdapters()), containers: [], guests: [] };
  const containers: ListedContainer[] = [];
  for (const { id, pid } of deps.containers()) {
    try {
      containers.push({ id, pid, interfaces: interfaces(deps.links(`/proc/${pid}/ns/net`)) });
    } catch (e) {
      // Entering another namespace needs CAP_SYS_ADMIN; a stopped container is simply no longer there.
      if (deps.running(pid)) containers.push({ id, pid, interfaces: null, problem: (e as Error).message });
    }
  }
  return {
    interfaces: [...interfaces(deps.links(null)), ANY],
    containers,
    guests: deps.guests().map((g) => ({ name: g.name, tap: g.nic?.tap ?? null, mac: macText(g.nic?.mac ?? null), ...(g.problem === undefined ? {} : { problem: g.problem }) })),
  };
}

/**
 * `2.eth0 [Up] 192.0.2.2, fe80::1`: tcpdump -D's `INDEX.NAME [flags]`, with the kernel's ifindex and the addresses.
 * On Windows the friendly name (quoted: it may hold spaces) and the description follow the NPF name, and a
 * adapter that is not up says why: `3.\Device\NPF_{...} "本地连接 2" (Realtek PCIe GbE) [Down: disabled]`.
 */
function interfaceLine(i: ListedInterface): string {
  const head = i.index === null ? `${i.name} (all interfaces, Linux cooked frames)` : `${i.index}.${i.name}`;
  const windows = i.state === undefined ? '' : `${i.friendlyName ? ` ${JSON.stringify(i.friendlyName)}` : ''}${i.description ? ` (${i.description})` : ''}`;
  const flags = i.up ? 'Up' : i.state === undefined ? 'Down' : `Down: ${i.state}`;
  return `${head}${windows} [${flags}]${i.addresses.length ? ` ${i.addresses.join(', ')}` : ''}`;
}

/**
 * The text form, one line per interface, then one per container (its
 * interfaces joined by `; `), then one per guest:
 * ```
 * 1.lo [Up] 127.0.0.1, ::1
 * 2.eth0 [Up] 192.0.2.2, fe80::1
 * any (all interfaces, Linux cooked frames) [Up]
 * container 3f2a1b2c3d4e pid 1234: 1.lo [Up] 127.0.0.1; 2.eth0 [Up] 10.0.0.2
 * guest web1: tap vnet3, guest MAC 52:54:00:aa:bb:cc
 * ```
 */
export function formatListing(l: Listing): string[] {
  return [
    ...l.interfaces.map(interfaceLine),
    ...l.containers.map((c) => `container ${c.id.slice(0, 12)} pid ${c.pid}: ${c.interfaces === null ? `interfaces not readable (${c.problem})` : c.interfaces.map(interfaceLine).join('; ')}`),
    ...l.guests.map((g) => `guest ${g.name}: ${g.tap === null ? (g.problem ?? 'no NIC with a tap') : `tap ${g.tap}, guest MAC ${g.mac}`}`),
  ];
}

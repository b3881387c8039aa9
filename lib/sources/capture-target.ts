/**
 * Where a live source captures, looked at again at every watch tick and
 * every (re)open, so that what moves is followed: an interface that goes
 * down or is re-created, a container restarted with a new process and
 * network namespace, a guest restarted onto another tap.
 */
import { statSync } from 'node:fs';
import { loadAddon, type LinkEntry } from '../native/addon.js';
import { hostAddresses, IFF_UP, readSysfsInterface, SYS_CLASS_NET, type SysfsInterface } from '../net-interfaces.js';
import { findContainerProcess, type ContainerProcess } from './container.js';
import { resolveKvmGuest, type KvmNic } from './kvm.js';
import { adapterDirName, joinAdapters, resolveAdapter, unavailable, type WindowsAdapter } from '../windows-adapters.js';

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
  /** For log lines, as of the last look: `eth0`, `container 3f2a1b2c3d4e (pid 1234) eth0`, `guest web1 (vnet3)`. */
  readonly label: string;
  look(): TargetLink;
}

/** An interface of the agent's own network namespace, read from sysfs (net-interfaces.ts). */
export function hostLink(device: string, sysNet = SYS_CLASS_NET): TargetLink {
  const base = { device, netns: null, addresses: hostAddresses };
  if (device === 'any') return { ...base, state: 'up', why: '', instance: 'any', mac: null };
  let nic: SysfsInterface | null;
  try {
    nic = readSysfsInterface(device, sysNet);
  } catch {
    // A value that cannot be read: an interface going away while we look.
    nic = null;
  }
  if (nic === null) return { ...base, state: 'absent', why: 'no such interface', instance: '', mac: null };
  const up = (nic.flags & IFF_UP) !== 0;
  return { ...base, state: up ? 'up' : 'down', why: up ? '' : 'interface is down', instance: String(nic.ifindex), mac: parseMac(nic.address) };
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

/** How a Windows adapter target looks at the system (tests give fakes). */
export interface WindowsAdapterDeps {
  adapters(): WindowsAdapter[];
  now(): number;
}

/** pcap_findalldevs and GetAdaptersAddresses together take tens of milliseconds: the list is read again at most this often. */
const ADAPTERS_REFRESH_MS = 5000;

function realWindowsAdapters(): WindowsAdapter[] {
  const addon = loadAddon();
  if (!addon.adapters) throw new Error('this build of the addon has no adapters() (not a Windows build)');
  return joinAdapters(addon.adapters());
}

/**
 * A Windows adapter (-i on Windows), named by its friendly name, its
 * `\Device\NPF_{GUID}` name or its GUID (windows-adapters.ts). The name is
 * resolved again whenever the adapter list is re-read, so an adapter renamed,
 * disabled, re-enabled or plugged in later is followed; one the name matches
 * more than once ends the capture with the candidates (UserError).
 */
export class WindowsAdapterTarget implements CaptureTarget {
  readonly name: string;
  private list: WindowsAdapter[] = [];
  private readAt = -Infinity;
  private current: WindowsAdapter | null = null;

  constructor(
    private readonly given: string,
    private readonly deps: WindowsAdapterDeps = { adapters: realWindowsAdapters, now: () => Date.now() },
  ) {
    this.name = adapterDirName(given);
  }

  get label(): string {
    const a = this.current;
    return a === null || a.name === this.given ? this.given : `${this.given} (${a.name})`;
  }

  look(): TargetLink {
    const now = this.deps.now();
    if (now - this.readAt >= ADAPTERS_REFRESH_MS) {
      this.list = this.deps.adapters();
      this.readAt = now;
    }
    const a = (this.current = resolveAdapter('-i', this.given, this.list));
    // host nic.<name>: Windows's friendly names, as os.networkInterfaces() has them too.
    const addresses = (name: string): string[] | undefined => this.list.find((x) => x.friendlyName === name || x.name === name)?.addresses;
    if (a === null) return { state: 'absent', why: 'no such adapter', instance: '', device: '', netns: null, mac: null, addresses };
    const why = unavailable(a);
    const device = a.name ?? '';
    return { state: why === null ? 'up' : a.name === null ? 'absent' : 'down', why: why ?? '', instance: device, device, netns: null, mac: a.mac, addresses };
  }
}

/** -i: a Linux interface, or on Windows an adapter by its friendly or NPF name. */
export function interfaceTarget(name: string, platform: NodeJS.Platform = process.platform): CaptureTarget {
  return platform === 'win32' ? new WindowsAdapterTarget(name) : new HostTarget(name);
}

/** How a container target looks at the system (tests give fakes). */
export interface ContainerDeps {
  find(id: string): ContainerProcess | null;
  /** The inode of /proc/PID/ns/net, or null when the process is gone: it names the namespace. */
  netnsInode(pid: number): number | null;
  links(netns: string): LinkEntry[];
  now(): number;
}

/** A container that is not running is looked for again at most this often: a /proc scan reads every process. */
const CONTAINER_SCAN_MS = 1000;

const realContainerDeps: ContainerDeps = {
  find: (id) => findContainerProcess(id),
  netnsInode: (pid) => statSync(`/proc/${pid}/ns/net`, { throwIfNoEntry: false })?.ino ?? null,
  links: (netns) => loadAddon().links(netns),
  now: () => Date.now(),
};

/**
 * An interface inside a container (-c): the container's init process is
 * found by its cgroup (container.ts); capture opens in that process's
 * network namespace. While capturing, each look only checks that the
 * process and its namespace are still there and reads the interface in it;
 * a container that stopped, or restarted with a new process and namespace,
 * is looked for again (at most once a second) and the source reopens in
 * the new one.
 */
export class ContainerTarget implements CaptureTarget {
  readonly name: string;
  private pid: number | null = null;
  private nsInode = 0;
  private nextScan = 0;

  constructor(
    private readonly id: string,
    private readonly iface: string,
    private readonly deps: ContainerDeps = realContainerDeps,
  ) {
    this.name = `${id.slice(0, 12)}_${iface}`;
  }

  get label(): string {
    return `container ${this.id.slice(0, 12)}${this.pid === null ? '' : ` (pid ${this.pid})`} ${this.iface}`;
  }

  look(): TargetLink {
    const { deps } = this;
    if (this.pid !== null && deps.netnsInode(this.pid) !== this.nsInode) {
      // Gone or replaced: look for the container's new process at once (a restart may be done already).
      this.pid = null;
      this.nextScan = 0;
    }
    if (this.pid === null) {
      const now = deps.now();
      if (now < this.nextScan) return this.absent('container not running');
      this.nextScan = now + CONTAINER_SCAN_MS;
      // Throws UserError when the id prefix has become ambiguous.
      const found = deps.find(this.id);
      const inode = found === null ? null : deps.netnsInode(found.pid);
      if (found === null || inode === null) return this.absent('container not running');
      this.pid = found.pid;
      this.nsInode = inode;
    }
    const netns = `/proc/${this.pid}/ns/net`;
    let links: LinkEntry[];
    try {
      links = deps.links(netns);
    } catch {
      // The process exited between the two looks.
      this.pid = null;
      return this.absent('container not running');
    }
    const link = links.find((l) => l.name === this.iface);
    if (!link) return this.absent(`no interface ${this.iface} in the container`);
    return {
      state: link.up ? 'up' : 'down',
      why: link.up ? '' : 'interface is down',
      instance: `${this.nsInode}:${link.ifindex}`,
      device: this.iface,
      netns,
      mac: link.mac,
      addresses: (name) => links.find((l) => l.name === name)?.addresses,
    };
  }

  private absent(why: string): TargetLink {
    return { state: 'absent', why, instance: '', device: this.iface, netns: null, mac: null, addresses: () => undefined };
  }
}

/** How a guest target looks at the system (tests give fakes). */
export interface KvmDeps {
  resolve(guest: string): KvmNic | null;
  now(): number;
}

/** A guest that is not running is looked for again at most this often: the fallback runs virsh. */
const GUEST_RESOLVE_MS = 1000;

/**
 * The host-side tap of a libvirt guest's first NIC (-m). The guest's live
 * XML is read at every look (one small file), so a guest restarted onto
 * another tap is followed; `--dir auto` compares with the guest's MAC, not
 * the tap's.
 */
export class KvmTarget implements CaptureTarget {
  private nextResolve = 0;
  private tap = '';

  constructor(
    readonly name: string,
    private readonly deps: KvmDeps = { resolve: (guest) => resolveKvmGuest(guest), now: () => Date.now() },
  ) {}

  get label(): string {
    return `guest ${this.name}${this.tap && ` (${this.tap})`}`;
  }

  look(): TargetLink {
    const now = this.deps.now();
    const nic = now < this.nextResolve ? null : this.deps.resolve(this.name);
    this.tap = nic?.tap ?? '';
    if (nic === null) {
      if (now >= this.nextResolve) this.nextResolve = now + GUEST_RESOLVE_MS;
      return { state: 'absent', why: 'guest not running (or without a tap)', instance: '', device: '', netns: null, mac: null, addresses: () => undefined };
    }
    const tap = hostLink(nic.tap);
    return { ...tap, why: tap.state === 'absent' ? `no tap ${nic.tap}` : tap.why, instance: `${nic.tap}:${tap.instance}`, mac: nic.mac };
  }
}

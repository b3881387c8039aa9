/**
 * Windows adapters, as `-i` names them and `-D` lists them. Npcap opens
 * `\Device\NPF_{GUID}`; people know the adapter by the friendly name Windows
 * shows ("以太网", "本地连接 2", "Wi-Fi"). The addon's adapters() (lib/native/
 * adapters_win.c) gives both lists: what pcap_findalldevs can open, and what
 * GetAdaptersAddresses shows; they are joined here by GUID. Pure: the tests
 * feed recorded lists (test/fixtures-windows/).
 *
 * Friendly names arrive as UTF-16 from Windows and are UTF-8 in the addon;
 * Node receives its own argv as UTF-16 too (GetCommandLineW), so `-i 以太网`
 * compares equal whatever the ANSI code page: -S/--interface_csets has
 * nothing to convert and no effect.
 */
import { UserError } from './errors.js';

/** One entry of pcap_findalldevs. */
export interface PcapDevice {
  name: string;
  description: string | null;
  /** PCAP_IF_* flags. */
  flags: number;
}

/** One entry of GetAdaptersAddresses. */
export interface SystemAdapter {
  /** `{GUID}`, upper case. */
  adapterName: string;
  friendlyName: string;
  description: string;
  /** IF_OPER_STATUS: 1 up, 2 down, 3 testing, 4 unknown, 5 dormant, 6 notPresent, 7 lowerLayerDown. */
  operStatus: number;
  mac: Buffer | null;
  addresses: string[];
}

/** What the addon's adapters() returns. */
export interface AdapterLists {
  pcap: PcapDevice[];
  system: SystemAdapter[];
}

export interface WindowsAdapter {
  /** What Npcap opens (`\Device\NPF_{GUID}`); null when Npcap cannot capture on it (not bound, a VPN or Wi-Fi Direct adapter). */
  name: string | null;
  /** Upper case, with braces; null for a device without one (`\Device\NPF_Loopback`). */
  guid: string | null;
  /** As Windows shows it; null when Windows does not list the adapter (disabled, or Npcap's own loopback). */
  friendlyName: string | null;
  description: string | null;
  up: boolean;
  /** 'up', or why not: 'down', 'disconnected (no cable or no link)', 'disabled', ... */
  state: string;
  mac: Buffer | null;
  addresses: string[];
}

/** pcap/pcap.h */
const PCAP_IF_UP = 0x2;
const PCAP_IF_CONNECTION_STATUS = 0x30;
const PCAP_IF_CONNECTION_STATUS_DISCONNECTED = 0x20;

const OPER_STATUS: Record<number, string> = {
  1: 'up',
  2: 'down',
  3: 'in test mode',
  4: 'in an unknown state',
  5: 'dormant',
  6: 'not present',
  7: 'disconnected (no cable or no link)',
};

const GUID = /\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}/i;

/** `{6A1B...}` of `\Device\NPF_{6a1b...}`, upper case; null without one. */
export function guidOf(text: string): string | null {
  return GUID.exec(text)?.[0].toUpperCase() ?? null;
}

/** Windows's state of a pcap device it does not list: Npcap still has it bound, Windows has it switched off. */
function pcapOnlyState(flags: number): string {
  if (!(flags & PCAP_IF_UP)) return 'disabled';
  if ((flags & PCAP_IF_CONNECTION_STATUS) === PCAP_IF_CONNECTION_STATUS_DISCONNECTED) return OPER_STATUS[7]!;
  return 'up';
}

/** Every pcap device, with Windows's view of it when Windows has one; then the adapters Npcap cannot open. */
export function joinAdapters(lists: AdapterLists): WindowsAdapter[] {
  const byGuid = new Map(lists.system.map((s) => [s.adapterName.toUpperCase(), s]));
  const joined = new Set<SystemAdapter>();
  const adapters: WindowsAdapter[] = lists.pcap.map((d) => {
    const guid = guidOf(d.name);
    const s = guid === null ? undefined : byGuid.get(guid);
    if (s === undefined) {
      const state = pcapOnlyState(d.flags);
      return { name: d.name, guid, friendlyName: null, description: d.description, up: state === 'up', state, mac: null, addresses: [] };
    }
    joined.add(s);
    const state = OPER_STATUS[s.operStatus] ?? `in state ${s.operStatus}`;
    return { name: d.name, guid, friendlyName: s.friendlyName, description: s.description || d.description, up: s.operStatus === 1, state, mac: s.mac, addresses: s.addresses };
  });
  for (const s of lists.system) {
    if (joined.has(s)) continue;
    const state = OPER_STATUS[s.operStatus] ?? `in state ${s.operStatus}`;
    adapters.push({ name: null, guid: guidOf(s.adapterName), friendlyName: s.friendlyName, description: s.description, up: s.operStatus === 1, state, mac: s.mac, addresses: s.addresses });
  }
  return adapters;
}

/** `"以太网" (\Device\NPF_{...})` for messages. */
export function describeAdapter(a: WindowsAdapter): string {
  const name = a.name ?? a.guid ?? '';
  return a.friendlyName === null ? name : `${JSON.stringify(a.friendlyName)} (${name})`;
}

/** Most a friendly name (256 UTF-16 units in Windows) or an NPF name can be. */
const MAX_NAME = 256;

/** The -i check on Windows: anything Windows could call an adapter (spaces and any script included), nothing that cannot reach the API whole. */
export function checkAdapterName(flag: string, name: string): string {
  if (name.length === 0 || name.length > MAX_NAME || /[\u0000-\u001f]/.test(name)) {
    throw new UserError(`${flag}: ${JSON.stringify(name)} cannot be a Windows adapter name (1..${MAX_NAME} characters, no control characters)`);
  }
  return name;
}

/**
 * The adapter `-i value` names, or null when none does (now: the capture waits for it, as for an
 * absent Linux interface). In order: the exact NPF name; the exact friendly name; the friendly name
 * ignoring case, when only one matches (Windows itself compares them ignoring case); the GUID, with or
 * without braces (or an NPF name in other case). Throws a one-line UserError when the value names more
 * than one adapter, listing them.
 */
export function resolveAdapter(flag: string, value: string, adapters: WindowsAdapter[]): WindowsAdapter | null {
  const pick = (found: WindowsAdapter[]): WindowsAdapter | null => {
    if (found.length > 1) {
      throw new UserError(`${flag} ${JSON.stringify(value)} names ${found.length} adapters: ${found.map(describeAdapter).join(', ')}; give the \\Device\\NPF_{GUID} name`);
    }
    return found[0] ?? null;
  };
  const exact = adapters.filter((a) => a.name === value);
  if (exact.length > 0) return pick(exact);
  const friendly = adapters.filter((a) => a.friendlyName === value);
  if (friendly.length > 0) return pick(friendly);
  const lower = value.toLowerCase();
  const folded = adapters.filter((a) => a.friendlyName !== null && a.friendlyName.toLowerCase() === lower);
  if (folded.length > 0) return pick(folded);
  const guid = guidOf(value.startsWith('{') || value.startsWith('\\') ? value : `{${value}}`);
  const whole = guid !== null && (value.toUpperCase() === guid || value.toUpperCase() === guid.slice(1, -1) || value.toUpperCase() === `\\DEVICE\\NPF_${guid}`);
  return whole ? pick(adapters.filter((a) => a.guid === guid)) : null;
}

/** Why an adapter that was found cannot be captured on now, or null when it can. */
export function unavailable(a: WindowsAdapter): string | null {
  if (a.name === null) return `adapter ${describeAdapter(a)} is not one Npcap captures on (is the Npcap driver bound to it?)`;
  if (!a.up) return `adapter ${describeAdapter(a)} is ${a.state}`;
  return null;
}

/** `本地连接 2` as a directory name (--dump DIR/<source>/): the characters Windows refuses in file names become `_`. */
export function adapterDirName(value: string): string {
  const guid = guidOf(value);
  const base = value.startsWith('\\Device\\') && guid !== null ? `NPF_${guid}` : value;
  return base.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').replace(/[. ]+$/, '_');
}

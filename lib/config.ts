/**
 * The typed options of one channel (one command-line group), shared by the
 * CLI, the daemon and library users, and the pure `checkGroup` that turns
 * parsed arguments into them. Nothing here touches the file system or the
 * network: checks that need I/O happen when a channel is built.
 */
import { refuseRepeated } from './cli-parser.js';
import { UserError } from './errors.js';
import { parseIPv4 } from './proto/ipv4.js';
import { checkInterfaceName } from './interface-name.js';
import { checkAdapterName } from './windows-adapters.js';
import { parseContainerRef } from './container-ref.js';
import { checkKvmName } from './sources/kvm.js';
import { checkDumpName } from './sinks/dump-name.js';

export { checkInterfaceName } from './interface-name.js';
import { ETHERNET_HEADER_LEN } from './proto/ethernet.js';

export type SourceOptions =
  | { kind: 'file'; path: string }
  | { kind: 'interface'; name: string }
  /** `id`: 12..64 lower-case hex digits (parseContainerRef); `iface`: inside the container. */
  | { kind: 'container'; id: string; iface: string }
  | { kind: 'kvm'; domain: string };

export interface DumpOptions {
  /** Base directory; files go to `<dir>/<source name>/...`. */
  dir: string;
  /** Seconds of capture time per file; 0 = one file. */
  intervalSec: number;
  /** Keep at most this many files (including the one being written); 0 = no limit. */
  maxFiles: number;
  /** Keep at most this many bytes of finished files; 0 = no limit. */
  maxBytes: number;
  /** -C: start a new file before a record would make the current one larger; absent = no limit. */
  maxFileBytes?: number;
  /** --dump-name: file name template (sinks/dump-name.ts); absent = the spec §6 layout. */
  nameTemplate?: string;
}

export type ForwardOptions =
  | { transport: 'gre'; remotes: string[]; key: number }
  | { transport: 'vxlan'; remotes: string[]; vni: number; version: 1 | 2; port: number; capTime: boolean }
  | { transport: 'zmq'; remotes: string[]; key: number; port: number; hwm: number; uuidFile: string };

/**
 * --tx: GRE/VXLAN through the kernel's IP output (a raw socket), as whole frames through AF_PACKET,
 * or (auto, the default on Linux) as frames while nothing in the IP output would act on them.
 */
export type TransmitPath = 'auto' | 'ip' | 'packet';

export interface ChannelOptions {
  /** 1-based group number; log lines carry it as `[-01-]`. */
  index: number;
  source: SourceOptions;
  /** Bytes kept of each frame at capture; 0 = whole frames. */
  snaplen: number;
  /** Stop after this many packets; 0 = no limit. */
  count: number;
  /** Live capture: read timeout (ms) and kernel buffer (MiB). */
  timeoutMs: number;
  bufferMiB: number;
  /** BPF filter words joined with spaces ('' = none). */
  expression: string;
  nofilter: boolean;
  /** Raw `--dir` value (`auto` or the `_`-joined expression), null without `--dir`. */
  dir: string | null;
  /** Cut frames to this many bytes before dump and export; 0 = whole. */
  slice: number;
  /** Forwarding rate limit in Mbit/s; 0 = unlimited. */
  mbps: number;
  dump: DumpOptions | null;
  /** `-w`: one plain pcap file, or '-' for standard output; null without -w. */
  write: string | null;
  forward: ForwardOptions | null;
  bindDevice: string | null;
  pmtudisc: 'do' | 'dont' | 'want' | null;
  tx: TransmitPath;
  /** Local status port (spec §9); 0 = off. */
  control: number;
  priority: boolean;
  cpu: number | null;
  /**
   * `--workers`: threads capturing the one interface, 1..MAX_WORKERS. Above 1 a PACKET_FANOUT group
   * splits its frames by flow among them, each with its own ring and its own forwarding sinks
   * (lib/worker-channel.ts).
   */
  workers: number;
}

/** The raw values yargs hands over for one group (all strings, see cli/args.ts). */
export interface GroupArgs {
  pcapfile?: string;
  interface?: string;
  container?: string;
  kvm?: string;
  interface_csets?: string;
  bind_device?: string;
  pmtudisc_option?: string;
  tx?: string;
  remoteip?: string;
  zmq_port?: string;
  zmq_hwm?: string;
  'uuid-file'?: string;
  keybit?: string;
  vni1?: string;
  vni2?: string;
  vxlan_port?: string;
  snaplen?: string;
  timeout?: string;
  buffsize?: string;
  priority?: boolean;
  cpu?: string;
  expression?: string[];
  dump?: string;
  write?: string;
  interval?: string;
  'dump-max-files'?: string;
  'dump-max-size'?: string;
  'dump-file-size'?: string;
  'dump-name'?: string;
  control?: string;
  slice?: string;
  nofilter?: boolean;
  mbps?: string;
  dir?: string;
  capTime?: string;
  macRefreshInterval?: string;
  count?: string;
  workers?: string;
  /** Positional words: more BPF filter words. */
  _: (string | number)[];
}

export const DEFAULT_KEY = 0xffffffff;
export const DEFAULT_VXLAN_PORT = 4789;
export const DEFAULT_ZMQ_HWM = 100;
/** Longest a frame waits in the kernel ring on a quiet link (the reference's 3000 delayed forwarding by as much). */
export const DEFAULT_TIMEOUT_MS = 100;
/** tcpdump's is 2 MiB, the reference's 256 MiB (resident memory): 32 MiB holds ~0.6 s of 64-byte frames at 360 k/s. */
export const DEFAULT_BUFFER_MIB = 32;
/** Written by the management daemon (spec §5.4). */
export const DEFAULT_UUID_FILE = '/usr/local/bin/uuid';

/** `why`, when given, is appended to the message: the reason for a limit that is not obvious. */
export function int(flag: string, text: string | undefined, min: number, max: number, fallback: number, why = ''): number {
  if (text === undefined) return fallback;
  const t = text.trim();
  const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UserError(`${flag}: '${text}' is not an integer in ${min}..${max}${why && ` (${why})`}`);
  }
  return n;
}

/** `--workers`: more threads than this would not find cores to run on; each costs a ring and a V8 isolate. */
export const MAX_WORKERS = 64;

/** The ring size crosses into C (napi int32, then libpcap's and the kernel's int) as bytes: 2047 MiB is the most that fits. */
const MAX_BUFFER_MIB = 2047;


/** Why `ip` (a valid dotted quad) cannot be a forwarding destination, or null. Loopback can: tests forward to it. */
function notUnicast(ip: string): string | null {
  const first = Number(ip.slice(0, ip.indexOf('.')));
  if (first === 0) return 'in 0.0.0.0/8 ("this host on this network", a source only)';
  if (ip === '255.255.255.255') return 'the limited broadcast address';
  if (first >= 224 && first < 240) return 'multicast (224.0.0.0/4)';
  if (first >= 240) return 'reserved (240.0.0.0/4, class E)';
  return null;
}

function remotes(text: string): string[] {
  const seen = new Set<string>();
  return text.split(',').map((r) => {
    const ip = r.trim();
    if (parseIPv4(ip) === null) throw new UserError(`-r/--remoteip: '${r}' is not an IPv4 address`);
    const why = notUnicast(ip);
    if (why !== null) throw new UserError(`-r/--remoteip: ${ip} is ${why}, not a unicast address to forward to`);
    // The dotted quad is canonical (no leading zeros), so equal text is an equal address.
    if (seen.has(ip)) throw new UserError(`-r/--remoteip: ${ip} given twice (every frame would be sent to it twice)`);
    seen.add(ip);
    return ip;
  });
}

const SIZE_UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, KB: 1024, M: 1 << 20, MB: 1 << 20, G: 1 << 30, GB: 1 << 30 };

/** `500M`, `2G`, `1048576`: bytes. */
export function parseSize(flag: string, text: string): number {
  const m = /^(\d+)\s*([A-Za-z]*)$/.exec(text.trim());
  const unit = m ? SIZE_UNITS[m[2]!.toUpperCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) <= 0) {
    throw new UserError(`${flag}: '${text}' is not a size (examples: 1048576, 500K, 100M, 2G)`);
  }
  return Number(m[1]) * unit;
}

/**
 * The options that need Linux (network namespaces, libvirt, SO_BINDTODEVICE, IP_MTU_DISCOVER,
 * setpriority, sched_setaffinity), refused on Windows with one line rather than ignored as the
 * reference does (spec §12). -Z is a global option: see args.ts.
 */
const LINUX_ONLY: [key: keyof GroupArgs, flag: string, what: string][] = [
  ['container', '-c/--container', 'containers are Linux network namespaces'],
  ['kvm', '-m/--kvm', 'KVM guests are Linux libvirt domains'],
  ['bind_device', '-B/--bind_device', 'Winsock cannot bind a raw socket to a device'],
  ['pmtudisc_option', '-M/--pmtudisc_option', 'IP_MTU_DISCOVER is Linux'],
  ['tx', '--tx', 'AF_PACKET is Linux'],
  ['priority', '-p/--priority', 'the priority change is Linux setpriority'],
  ['cpu', '--cpu', 'pinning every thread is Linux sched_setaffinity'],
];

export function refuseLinuxOnly(a: GroupArgs): void {
  for (const [key, flag, what] of LINUX_ONLY) {
    if (a[key] !== undefined && a[key] !== false) throw new UserError(`${flag} is not supported on Windows (${what})`);
  }
}

/**
 * Validates one group's raw arguments (spec §1.2/§1.3, with the deliberate
 * differences listed in the README) and returns the typed options of its
 * channels: one, or one per interface of the manager's `-c ID_if1_if2`,
 * numbered from `index`. Every error is a UserError whose message names the flag.
 * `platform` (tests give 'win32'): on Windows the Linux-only options are refused
 * and -i names a Windows adapter (windows-adapters.ts).
 */
export function checkGroup(a: GroupArgs, index: number, platform: NodeJS.Platform = process.platform): ChannelOptions[] {
  refuseRepeated(a, ['expression']);
  if (platform === 'win32') refuseLinuxOnly(a);

  const sources = checkSources(a, platform);
  const dump = checkDump(a);
  const forward = checkForward(a);
  if (a.write === '') throw new UserError("-w/--write: empty file name ('-' is standard output)");
  const write = a.write ?? null;
  if (!dump && write === null && !forward) throw new UserError('nothing to do: give --dump DIR or -w FILE to record, or -r IP to forward');
  const mbps = checkMbps(a.mbps);
  // 0 (unlimited) is accepted without -r: it asks for nothing, and generated command lines may always carry it.
  if (mbps > 0 && !forward) throw new UserError('--mbps limits forwarding; this group has no -r');

  const pmtu = a.pmtudisc_option;
  if (pmtu !== undefined && pmtu !== 'do' && pmtu !== 'dont' && pmtu !== 'want') {
    throw new UserError(`-M/--pmtudisc_option: '${pmtu}' must be do, dont or want`);
  }
  if (a.interface_csets !== undefined && a.interface_csets !== 'gb2312' && a.interface_csets !== 'utf8') {
    throw new UserError(`-S/--interface_csets: '${a.interface_csets}' must be gb2312 or utf8`);
  }
  if (a.capTime !== undefined && forward?.transport !== 'vxlan') {
    throw new UserError('--capTime applies to VXLAN forwarding only (-n/--vni1 or --vni2)');
  }
  const rawSocketTransport = forward?.transport === 'gre' || forward?.transport === 'vxlan';
  if ((a.bind_device !== undefined || pmtu !== undefined) && !rawSocketTransport) {
    throw new UserError('-B/--bind_device and -M/--pmtudisc_option apply to GRE and VXLAN forwarding only');
  }
  const tx = a.tx ?? 'auto';
  if (tx !== 'auto' && tx !== 'ip' && tx !== 'packet') throw new UserError(`--tx: '${tx}' must be auto, ip or packet`);
  if (tx === 'packet' && !rawSocketTransport) throw new UserError('--tx packet applies to GRE and VXLAN forwarding only');
  if (a.bind_device !== undefined) checkInterfaceName('-B/--bind_device', a.bind_device);
  // Only a host interface can be where forwarded packets leave: a container's or a guest's cannot.
  const source = sources[0]!;
  if (a.nofilter && source.kind === 'interface' && rawSocketTransport) {
    // Without the automatic `not host <remote>` filter, forwarded packets leaving through the
    // captured interface would be captured again (spec §1.3 step 10).
    if (!a.bind_device) throw new UserError('--nofilter needs -B/--bind_device so forwarded packets cannot leave through the captured interface');
    if (a.bind_device === source.name) throw new UserError('--nofilter: -B/--bind_device must differ from the captured interface');
  }
  if (a.dir !== undefined && a.dir.trim() === '') throw new UserError('--dir: empty expression');
  int('--macRefreshInterval', a.macRefreshInterval, 0, 2 ** 31 - 1, 0);

  const count = int('--count', a.count, 0, Number.MAX_SAFE_INTEGER, 0);
  const cpu = a.cpu === undefined ? null : int('--cpu', a.cpu, 0, 4095, 0);
  const workers = checkWorkers(a, { platform, source, dump, write, count, mbps, cpu });

  const words = [...(a.expression ?? []), ...a._.map(String)];
  return sources.map((source, k) => ({
    index: index + k,
    source,
    snaplen: int('-s/--snaplen', a.snaplen, 0, 262144, 0),
    count,
    timeoutMs: int('-t/--timeout', a.timeout, 0, 2 ** 31 - 1, DEFAULT_TIMEOUT_MS),
    bufferMiB: int('-b/--buffsize', a.buffsize, 1, MAX_BUFFER_MIB, DEFAULT_BUFFER_MIB, 'MiB; the kernel ring size is a C int of bytes'),
    expression: words.join(' ').trim(),
    nofilter: a.nofilter ?? false,
    dir: a.dir?.trim() ?? null,
    slice: checkSlice(a.slice),
    mbps,
    dump,
    write,
    forward,
    bindDevice: a.bind_device ?? null,
    pmtudisc: pmtu ?? null,
    tx,
    control: int('--control', a.control, 0, 65535, 0),
    priority: a.priority ?? false,
    cpu,
    workers,
  }));
}

/**
 * `--workers N`: 1 unless given. Above 1 only where the traffic can be split by flow among threads
 * that each forward their share: live capture, forwarding only. Refused with one line where N
 * threads cannot do what one does: a file is one ordered stream, a dump or -w one ordered file set,
 * --count and --mbps one budget for the whole channel, --cpu one CPU for the whole process.
 */
function checkWorkers(
  a: GroupArgs,
  g: { platform: NodeJS.Platform; source: SourceOptions; dump: DumpOptions | null; write: string | null; count: number; mbps: number; cpu: number | null },
): number {
  const n = int('--workers', a.workers, 1, MAX_WORKERS, 1);
  if (n === 1) return n;
  const refuse = (why: string): never => {
    throw new UserError(`--workers ${n}: ${why}`);
  };
  if (g.platform === 'win32') refuse('several capture threads need Linux PACKET_FANOUT; on Windows give --workers 1');
  if (g.source.kind === 'file') refuse('a file (-f) is read in order by one reader; several workers need live capture (-i, -c or -m)');
  if (g.dump) refuse('--dump writes one ordered set of files, which one worker can write and several cannot; record with --workers 1 (or a separate group)');
  if (g.write !== null) refuse('-w writes one ordered file, which one worker can write and several cannot; record with --workers 1 (or a separate group)');
  if (g.count > 0) refuse('--count stops the channel at an exact number of packets, which workers that each see a share cannot do; give --workers 1');
  if (g.mbps > 0) refuse('--mbps is one rate limit for the channel, and each worker would limit only its own share; give --workers 1');
  if (g.cpu !== null) refuse('--cpu pins the whole process to one CPU, where several workers cannot run at once');
  return n;
}

function checkSources(a: GroupArgs, platform: NodeJS.Platform): SourceOptions[] {
  const given = [a.pcapfile !== undefined && '-f', a.interface !== undefined && '-i', a.container !== undefined && '-c/--container', a.kvm !== undefined && '-m/--kvm'].filter(Boolean);
  const containerWithInterface = given.length === 2 && a.container !== undefined && a.interface !== undefined;
  if (given.length === 0) throw new UserError('no capture source: give -f FILE, -i INTERFACE, -c CONTAINER or -m GUEST');
  if (given.length > 1 && !containerWithInterface) throw new UserError(`choose one capture source, not ${given.join(' and ')}`);
  if (a.pcapfile !== undefined) {
    if (a.pcapfile === '') throw new UserError('-f/--pcapfile: empty file name');
    return [{ kind: 'file', path: a.pcapfile }];
  }
  const checkName = platform === 'win32' ? checkAdapterName : checkInterfaceName;
  const iface = a.interface === undefined ? undefined : checkName('-i/--interface', a.interface);
  if (a.container !== undefined) {
    const ref = parseContainerRef(a.container);
    if (ref.ifaces.length > 0 && iface !== undefined) throw new UserError('-c/--container: name the interfaces either in the id (ID_eth0_eth1) or with -i, not both');
    const ifaces = ref.ifaces.length > 0 ? ref.ifaces : [iface ?? 'eth0'];
    return ifaces.map((name) => ({ kind: 'container', id: ref.id, iface: name }));
  }
  if (a.kvm !== undefined) return [{ kind: 'kvm', domain: checkKvmName(a.kvm) }];
  return [{ kind: 'interface', name: iface! }];
}

/** Below this a file holds a record or two: most likely a unit left out (`-C 100B`). */
const MIN_FILE_BYTES = 1024;

/**
 * -C: a bare number counts millions of bytes, as tcpdump's -C does (people
 * type `-C 100` for 100 MB, and must not get a file per packet); with a unit
 * it is a SIZE like --dump-max-size's (`500K`, `100M`, `65536B`).
 */
function fileSize(text: string): number {
  const flag = '-C/--dump-file-size';
  const bytes = /^\s*\d+\s*$/.test(text) ? Number(text) * 1_000_000 : parseSize(flag, text);
  if (!Number.isSafeInteger(bytes) || bytes < MIN_FILE_BYTES) {
    throw new UserError(`${flag}: '${text}' is not a file size of at least 1K (a bare number is millions of bytes, as tcpdump's -C)`);
  }
  return bytes;
}

function checkDump(a: GroupArgs): DumpOptions | null {
  if (a.dump === undefined) {
    for (const flag of ['interval', 'dump-max-files', 'dump-max-size', 'dump-file-size', 'dump-name'] as const) {
      if (a[flag] !== undefined) throw new UserError(`--${flag} needs --dump DIR${a.write === undefined ? '' : ' (-w writes one file, without rotation or retention)'}`);
    }
    return null;
  }
  if (a.dump === '') throw new UserError('--dump: empty directory name');
  const intervalSec = int('--interval', a.interval, 0, 2 ** 31 - 1, 0);
  const maxFiles = int('--dump-max-files', a['dump-max-files'], 2, 2 ** 31 - 1, 0);
  const maxBytes = a['dump-max-size'] === undefined ? 0 : parseSize('--dump-max-size', a['dump-max-size']);
  const dump: DumpOptions = { dir: a.dump, intervalSec, maxFiles, maxBytes };
  // Absent unless given, so that DumpOptions written before -C and --dump-name existed still mean the same.
  if (a['dump-file-size'] !== undefined) dump.maxFileBytes = fileSize(a['dump-file-size']);
  if (a['dump-name'] !== undefined) dump.nameTemplate = checkDumpName('--dump-name', a['dump-name']);
  if ((maxFiles || maxBytes) && intervalSec === 0 && dump.maxFileBytes === undefined) {
    throw new UserError('-W/--dump-max-files and --dump-max-size need --interval N > 0 or -C SIZE (with one file there is nothing to remove)');
  }
  return dump;
}

function checkForward(a: GroupArgs): ForwardOptions | null {
  const zmqPort = int('-z/--zmq_port', a.zmq_port, 0, 65535, 0);
  const chosen = [zmqPort > 0 && '-z', a.vni1 !== undefined && '--vni1', a.vni2 !== undefined && '--vni2'].filter(Boolean);
  if (chosen.length > 1) throw new UserError(`choose one transport, not ${chosen.join(' and ')}`);
  if (a.remoteip === undefined) {
    if (chosen.length) throw new UserError(`${chosen[0]} needs -r/--remoteip`);
    return null;
  }
  const to = remotes(a.remoteip);
  const key = int('-k/--keybit', a.keybit, 0, 0xffffffff, DEFAULT_KEY);
  if (zmqPort > 0) {
    return {
      transport: 'zmq',
      remotes: to,
      key,
      port: zmqPort,
      hwm: int('--zmq_hwm', a.zmq_hwm, 1, 2 ** 31 - 1, DEFAULT_ZMQ_HWM),
      uuidFile: a['uuid-file'] ?? DEFAULT_UUID_FILE,
    };
  }
  if (a.vni1 !== undefined || a.vni2 !== undefined) {
    return {
      transport: 'vxlan',
      remotes: to,
      // v1 carries 24 bits (the reference silently lost the rest); v2 carries 32.
      vni: a.vni1 !== undefined ? int('-n/--vni1', a.vni1, 0, 0xffffff, 0) : int('--vni2', a.vni2, 0, 0xffffffff, 0),
      version: a.vni1 !== undefined ? 1 : 2,
      port: int('-x/--vxlan_port', a.vxlan_port, 1, 65535, DEFAULT_VXLAN_PORT),
      capTime: int('--capTime', a.capTime, 0, 2 ** 31 - 1, 0) === 1,
    };
  }
  return { transport: 'gre', remotes: to, key };
}

/**
 * 0 keeps whole frames. Below 14 the cut falls inside the Ethernet header and
 * no receiver could decode what is sent or dumped. tcpdump's -s takes any
 * length; --slice refuses these on purpose.
 */
function checkSlice(text: string | undefined): number {
  const n = int('--slice', text, 0, 262144, 0);
  if (n > 0 && n < ETHERNET_HEADER_LEN) {
    throw new UserError(`--slice: ${n} would cut into the ${ETHERNET_HEADER_LEN}-byte Ethernet header and receivers could not decode the frames; give 0 (whole frames) or ${ETHERNET_HEADER_LEN} or more`);
  }
  return n;
}

function checkMbps(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new UserError(`--mbps: '${text}' is not a non-negative number`);
  return n;
}

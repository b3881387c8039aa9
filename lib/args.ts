/**
 * pktminerg's command line: global options, then one or more groups, each
 * group one channel (spec §1.1), or the same as JSON from `--config FILE`.
 * Declarative yargs options; the validation is `checkGroup` in config.ts.
 */
import { createRequire } from 'node:module';
import { isIPv6 } from 'node:net';
import type { Options } from 'yargs';
import type { z } from 'zod';
import { checkJson } from './checked-json.js';
import { strictParser } from './cli-parser.js';
import { UsageError, UserError } from './errors.js';
import { parseIPv4 } from './proto/ipv4.js';
import { readAtMost, readTrustedFile } from './trusted-path.js';
import { checkGroup, int, type ChannelOptions, type GroupArgs, DEFAULT_KEY, DEFAULT_VXLAN_PORT, DEFAULT_ZMQ_HWM, DEFAULT_TIMEOUT_MS, DEFAULT_BUFFER_MIB } from './config.js';

/** Every value is read as a string and converted by checkGroup, so errors can name the flag. */
export const GROUP_OPTIONS: Record<string, Options> = {
  pcapfile: { alias: 'f', type: 'string', group: 'Source:', describe: "read packets from a pcap or pcapng file ('-' = standard input) instead of an interface" },
  interface: { alias: 'i', type: 'string', group: 'Source:', describe: "live capture on this interface ('any' = all); waits while it is absent or down" },
  container: { alias: 'c', type: 'string', group: 'Source:', describe: "capture inside this container's network namespace: its id (12+ hex), docker://ID, containerd://ID, cri-o://ID, or the manager's ID_if1_if2; -i names the interface inside (default eth0)" },
  kvm: { alias: 'm', type: 'string', group: 'Source:', describe: "capture on the host tap of this libvirt guest's first NIC (--dir auto: the guest's MAC is out)" },
  count: { type: 'string', group: 'Source:', describe: 'stop after N packets (0 = no limit; long form only: -c is the container, as in pktminerg)' },
  snaplen: { alias: 's', type: 'string', group: 'Source:', describe: 'keep at most N bytes of each frame (default: whole frames)' },
  timeout: { alias: 't', type: 'string', group: 'Source:', describe: `live capture read timeout, ms (default ${DEFAULT_TIMEOUT_MS})` },
  buffsize: { alias: 'b', type: 'string', group: 'Source:', describe: `live capture kernel buffer, MiB (default ${DEFAULT_BUFFER_MIB})` },
  expression: { type: 'string', array: true, group: 'Source:', describe: 'BPF filter (tcpdump syntax); bare words after the options are added to it' },
  nofilter: { type: 'boolean', group: 'Source:', describe: "don't add 'not host <remote>' to the filter (needs -B)" },
  interface_csets: { alias: 'S', type: 'string', group: 'Source:', describe: 'Windows only, accepted for compatibility: gb2312 or utf8' },
  macRefreshInterval: { type: 'string', group: 'Source:', describe: 'Windows only, accepted for compatibility, no effect' },
  dir: { type: 'string', group: 'Stages:', describe: "direction: 'auto' or an expression like host_10.0.0.5_and_port_80; unclassified frames are dropped and counted" },
  slice: { type: 'string', group: 'Stages:', describe: 'cut frames to N bytes before dumping and forwarding (0 = whole)' },
  mbps: { type: 'string', group: 'Stages:', describe: 'forwarding rate limit, Mbit/s; excess frames are dropped and counted (0 = unlimited)' },
  dump: { type: 'string', group: 'Dump:', describe: 'record to pcap files under DIR/<source>/' },
  write: { alias: 'w', type: 'string', group: 'Dump:', describe: "write one plain pcap file, as tcpdump -w ('-' = standard output, for | tcpdump -r -); never overwrites a file" },
  interval: { type: 'string', group: 'Dump:', describe: 'start a new file every N seconds of capture time (0 = one file)' },
  'dump-max-files': { alias: 'W', type: 'string', group: 'Dump:', describe: 'keep at most N files, removing the oldest (needs --interval or -C)' },
  'dump-max-size': { type: 'string', group: 'Dump:', describe: 'keep at most SIZE (e.g. 500M, 2G) of finished files (needs --interval or -C)' },
  'dump-file-size': { alias: 'C', type: 'string', group: 'Dump:', describe: 'start a new file before one would exceed SIZE (500K, 100M, 1G; a bare number is millions of bytes, as tcpdump -C); with --interval, whichever comes first' },
  'dump-name': { type: 'string', group: 'Dump:', describe: 'file name template below DIR/<source>/: %Y %m %d %H %M %S (local), %s, %%, %{source}, / for directories, ending in .pcap (default: %Y%m%d%H/pktminerg_dump_%Y%m%d%H%M%S.pcap with --interval, else pktminerg_dump.pcap)' },
  remoteip: { alias: 'r', type: 'string', group: 'Forward:', describe: 'forward every frame to each of these IPv4 addresses (comma-separated): GRE unless -z, -n or --vni2' },
  keybit: { alias: 'k', type: 'string', group: 'Forward:', describe: `GRE key / ZMQ key and service tag (default ${DEFAULT_KEY})` },
  vni1: { alias: 'n', type: 'string', group: 'Forward:', describe: 'VXLAN, header version 1, with this VNI' },
  vni2: { type: 'string', group: 'Forward:', describe: 'VXLAN, header version 2, with this value' },
  vxlan_port: { alias: 'x', type: 'string', group: 'Forward:', describe: `VXLAN UDP port (default ${DEFAULT_VXLAN_PORT})` },
  capTime: { type: 'string', group: 'Forward:', describe: 'VXLAN: 1 appends an 8-byte capture-time trailer' },
  zmq_port: { alias: 'z', type: 'string', group: 'Forward:', describe: 'ZeroMQ PUSH to this port of every remote' },
  zmq_hwm: { type: 'string', group: 'Forward:', describe: `ZeroMQ high-water mark, messages (default ${DEFAULT_ZMQ_HWM})` },
  'uuid-file': { type: 'string', group: 'Forward:', describe: 'ZeroMQ: file holding the agent UUID (default /usr/local/bin/uuid)' },
  bind_device: { alias: 'B', type: 'string', group: 'Forward:', describe: 'send GRE/VXLAN through this device' },
  pmtudisc_option: { alias: 'M', type: 'string', group: 'Forward:', describe: 'path MTU discovery for GRE/VXLAN: do, dont or want' },
  tx: {
    type: 'string',
    group: 'Forward:',
    describe:
      "GRE/VXLAN transmit path: auto (default: whole frames through AF_PACKET, with headers built from the kernel's route and neighbour entries, while no " +
      "netfilter chain, IPsec policy or cgroup BPF program could act on them in the kernel's IP output; else that output), ip (always the kernel's IP " +
      'output, as the reference) or packet (always frames, past all of those); frames cost ~0.6x the CPU on the test host; see README',
  },
  control: { type: 'string', group: 'Process:', describe: 'answer status queries (ZeroMQ REP) on this port of 127.0.0.1 (default off)' },
  priority: { alias: 'p', type: 'boolean', group: 'Process:', describe: 'raise the process priority' },
  cpu: { type: 'string', group: 'Process:', describe: 'pin the process (every thread) to this CPU' },
  workers: {
    type: 'string',
    group: 'Process:',
    describe:
      'capture the interface on N threads (1..64, default 1): a PACKET_FANOUT group splits its frames by flow hash, each thread with its own ring ' +
      '(-b MiB each) and its own forwarding socket; counters and summary stay one per group. Live capture with -r only (not -f, --dump, -w, --count, --mbps, --cpu, -Z)',
  },
};

export interface CommandLine {
  help: boolean;
  version: boolean;
  logConfig: string | null;
  /** --metrics: where the Prometheus endpoint listens; null: off. */
  metrics: ListenAddress | null;
  /** --stats-interval: seconds between statistics lines (log4js category `stats`); 0: off. */
  statsInterval: number;
  /** -Z/--user: the user to become once everything is open (as tcpdump -Z); null: stay. */
  user: string | null;
  /** -D: list what can be captured and exit; `json`: as one JSON document. */
  listInterfaces: boolean;
  json: boolean;
  /** -q: no live packet counter on a terminal. */
  quiet: boolean;
  channels: ChannelOptions[];
}

function groupParser() {
  return strictParser().options(GROUP_OPTIONS);
}

/** Global options and groups, split but not yet parsed: from the command line (splitGroups) or a --config file (readConfig). */
export interface SplitArgs {
  /** Normalised: boolean flags as typed, valued ones as `--long`, value. */
  globals: string[];
  /** Each group's tokens, one argv element each. */
  groups: string[][];
}

/**
 * Takes the global options out of `tokens`, wherever they stand (`--log-config FILE`, `-Z USER` and
 * `--name=value` become `--long`, value); `rest` is everything else, in order.
 */
function takeGlobals(tokens: string[]): { globals: string[]; rest: string[] } {
  const globals: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const a = tokens[i]!;
    const eq = a.indexOf('=');
    if (GLOBAL_FLAGS.has(a)) globals.push(a);
    else if (GLOBAL_VALUES.has(a)) {
      if (i + 1 >= tokens.length) throw new UserError(`${a} needs a value`);
      globals.push(GLOBAL_VALUES.get(a)!, tokens[++i]!);
    } else if (eq > 0 && GLOBAL_VALUES.has(a.slice(0, eq))) globals.push(GLOBAL_VALUES.get(a.slice(0, eq))!, a.slice(eq + 1));
    else rest.push(a);
  }
  return { globals, rest };
}

/**
 * Splits argv into global options and groups. A quoted group is an element
 * that starts with '-' and contains whitespace (`pktminerg "-f a --dump d"
 * "-f b --dump e"`); without any such element the whole argv is one group,
 * so the plain `pktminerg -f a.pcap --dump d` works (the reference rejects it).
 */
export function splitGroups(argv: string[]): SplitArgs {
  const { globals, rest } = takeGlobals(argv);
  const quoted = rest.some((a) => a.startsWith('-') && /\s/.test(a));
  if (!quoted) return { globals, groups: rest.length ? [rest] : [] };
  return {
    globals,
    groups: rest.map((g) => {
      if (!g.startsWith('-')) throw new UserError(`'${g}' is not a group: with quoted groups, each argument is one group of options`);
      return g.split(/\s+/).filter((t) => t !== '');
    }),
  };
}

/**
 * yargs takes a lone '-' as the value of a short option (`-f -`, `-w -`) but
 * not of a long one (`--pcapfile -` gave ''); `--name=-` it does take.
 */
function joinDashValues(tokens: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (tokens[i + 1] === '-' && t.startsWith('--') && GROUP_OPTIONS[t.slice(2)]?.type === 'string') out.push(`${t}=${tokens[++i]}`);
    else out.push(t);
  }
  return out;
}

/**
 * pktminerg's arguments: the groups from the command line or, with `--config FILE`, from FILE
 * (README "Configuration file (--config)"). Mistakes in the options point to --help, as tcpdump's
 * usage errors do; a configuration file that cannot be read, trusted or understood does not.
 */
export function parseCommandLine(argv: string[], platform: NodeJS.Platform = process.platform): CommandLine {
  const line = asUsage(() => splitGroups(argv));
  const file = globalValue(line.globals, '--config');
  if (file === null) return asUsage(() => parseGroups(line, undefined, platform));
  if (line.groups.length > 0) throw new UsageError(`--config: the groups come from ${file}, not from the command line ('${line.groups[0]!.join(' ')}')`);
  const config = readConfig(file);
  // The first value of an option is the one taken: the command line's wins over the file's.
  const cmd = asUsage(() => parseGroups({ globals: [...line.globals, ...config.globals], groups: config.groups }, `config ${file}`, platform));
  if (file === '-' && cmd.channels.some((c) => c.source.kind === 'file' && c.source.path === '-')) {
    throw new UsageError('-f -: standard input holds the configuration (--config -), not packets');
  }
  return cmd;
}

/** Runs `parse`; a UserError it throws is a usage error, pointing to --help. */
function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof UserError && !(e instanceof UsageError)) throw new UsageError(e.message);
    throw e;
  }
}

/** Runs `f`, putting `context` (`group 2: `) before the message of a UserError it throws. */
function within<T>(context: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof UserError && context !== '') throw new UserError(`${context}${e.message}`);
    throw e;
  }
}

/** The value of a valued global option (normalised by takeGlobals), the first if it is given twice. */
function globalValue(globals: string[], flag: string): string | null {
  const i = globals.indexOf(flag);
  return i >= 0 ? globals[i + 1]! : null;
}

/**
 * The one parser of split arguments, for the command line and for --config alike. `origin` (`config
 * /x.json`) names where the groups came from: their errors then name it and the group, always.
 */
function parseGroups({ globals, groups }: SplitArgs, origin: string | undefined, platform: NodeJS.Platform): CommandLine {
  const help = globals.includes('-h') || globals.includes('--help');
  const version = globals.includes('-v') || globals.includes('--version');
  const value = (flag: string): string | null => globalValue(globals, flag);
  const logConfig = value('--log-config');
  const metricsArg = value('--metrics');
  const metrics = metricsArg === null ? null : parseListenAddress('--metrics', metricsArg, METRICS_DEFAULT_HOST);
  const statsInterval = int('--stats-interval', value('--stats-interval') ?? undefined, 0, 86400, DEFAULT_STATS_INTERVAL_SEC);
  const user = value('--user');
  if (user === '') throw new UserError('-Z/--user: empty user name');
  if (user !== null && platform === 'win32') throw new UserError('-Z/--user is not supported on Windows (run the agent as the account it should be)');
  const listInterfaces = globals.includes('-D') || globals.includes('--list-interfaces');
  const json = globals.includes('--json');
  const quiet = globals.includes('-q') || globals.includes('--quiet');
  if (json && !listInterfaces && !help && !version) throw new UserError('--json goes with -D/--list-interfaces');
  if (help || version || listInterfaces) return { help, version, logConfig, metrics, statsInterval, user, listInterfaces, json, quiet, channels: [] };
  if (groups.length === 0) throw new UserError('no capture group given');
  const where = (i: number): string => (origin !== undefined ? `${origin}: group ${i + 1}: ` : groups.length > 1 ? `group ${i + 1}: ` : '');
  const channels: ChannelOptions[] = [];
  groups.forEach((tokens, i) => {
    within(where(i), () => {
      const args = groupParser().parseSync(joinDashValues(tokens)) as unknown as GroupArgs;
      // Channels are numbered in order; a group may make several (-c ID_eth0_eth1).
      channels.push(...checkGroup(args, channels.length + 1, platform));
    });
  });
  // The capture threads keep no capability after -Z (privileges.c keeps them on the calling thread only): a reopen would fail.
  const threaded = channels.find((c) => c.workers > 1);
  if (user !== null && threaded) throw new UserError(`-Z/--user with --workers ${threaded.workers}: the capture threads could not reopen capture after an interface flap without root; run as root or give --workers 1`);
  return { help, version, logConfig, metrics, statsInterval, user, listInterfaces, json, quiet, channels };
}

/**
 * --config bounds: a daemon's configuration is a few KiB; a runaway writer must not make a root
 * process read or parse without end.
 */
const MAX_CONFIG_BYTES = 1 << 20;
const MAX_CONFIG_GROUPS = 256;
const MAX_GROUP_TOKENS = 1024;

/** The --config document: global option tokens and groups of tokens, exactly as typed on a command line. */
function makeConfigDocument(zod: typeof z) {
  // One argv element each; argv cannot hold NUL, and file names with one would reach fs as a TypeError.
  const tokens = zod
    .array(zod.string().refine((t) => !t.includes('\0'), 'a NUL character cannot be in an argument'))
    .max(MAX_GROUP_TOKENS, `at most ${MAX_GROUP_TOKENS} tokens`);
  return zod.strictObject({
    options: tokens.optional(),
    groups: zod.array(tokens).min(1, 'at least one group').max(MAX_CONFIG_GROUPS, `at most ${MAX_CONFIG_GROUPS} groups`),
  });
}

let configDocument: ReturnType<typeof makeConfigDocument> | null = null;

/**
 * The schema, made on first use: loading zod costs a run ~60 ms and ~7.5 MB of memory at start-up,
 * which only --config needs (test/bench/README.md). Its CommonJS build, so that parsing stays
 * synchronous; nothing else in pktminerg's process loads zod (the daemon's models are another process).
 */
function configDocumentSchema(): ReturnType<typeof makeConfigDocument> {
  configDocument ??= makeConfigDocument((createRequire(import.meta.url)('zod') as { z: typeof z }).z);
  return configDocument;
}

/** `--config FILE` (`-` standard input) as split arguments; every error names the file. */
function readConfig(file: string): SplitArgs {
  const name = `config ${file}`;
  const text = (file === '-' ? readAtMost(0, name, MAX_CONFIG_BYTES) : readTrustedFile(file, name, MAX_CONFIG_BYTES)).toString('utf8');
  const doc = checkJson(configDocumentSchema(), text);
  if (!doc.ok) throw new UserError(`${name}: ${doc.problem}`);
  const { globals, rest } = within(`${name}: options: `, () => takeGlobals(doc.value.options ?? []));
  if (rest.length > 0) throw new UserError(`${name}: options: '${rest[0]}' is not a global option (a group's options go in "groups")`);
  if (globals.includes('--config')) throw new UserError(`${name}: options: --config cannot name another configuration`);
  return { globals, groups: doc.value.groups };
}

/** A minute: often enough to see a trend in a service's log, rare enough not to drown it. */
const DEFAULT_STATS_INTERVAL_SEC = 60;

/** Loopback only unless asked: the endpoint has no authentication. */
const METRICS_DEFAULT_HOST = '127.0.0.1';

/** Options before the groups; --help, README and the man page list them with the group options. */
export const GLOBAL_OPTIONS: Record<string, Options> = {
  help: { alias: 'h', type: 'boolean', group: 'Global:', describe: 'show this help' },
  version: { alias: 'v', type: 'boolean', group: 'Global:', describe: 'show the version' },
  'list-interfaces': { alias: 'D', type: 'boolean', group: 'Global:', describe: 'list the interfaces, containers and KVM guests that can be captured, and exit' },
  json: { type: 'boolean', group: 'Global:', describe: 'with -D: one JSON document {interfaces, containers, guests}' },
  quiet: { alias: 'q', type: 'boolean', group: 'Global:', describe: 'no live packet counter on a terminal' },
  config: {
    type: 'string',
    group: 'Global:',
    describe:
      'take the groups (and global options) from this JSON file (\'-\' = standard input): {"options": [...], "groups": [[...], ...]}, one argument per string; ' +
      "global options on the command line win. FILE: a regular file of root or the agent's user that nobody else can write",
  },
  'log-config': { type: 'string', group: 'Global:', describe: 'log4js JSON configuration (default: PKTMINERG_LOG_CONFIG, else logconfig.json of the package)' },
  metrics: { type: 'string', group: 'Global:', describe: `[ADDR:]PORT: serve Prometheus metrics at http://ADDR:PORT/metrics (ADDR default ${METRICS_DEFAULT_HOST}; IPv6 in brackets, [::1]:9100; PORT 0: any free one, logged)` },
  'stats-interval': { type: 'string', group: 'Global:', describe: `log a statistics line per channel every N seconds, to the log4js category "stats" (default ${DEFAULT_STATS_INTERVAL_SEC}; 0 = off)` },
  user: { alias: 'Z', type: 'string', group: 'Global:', describe: 'once every capture, socket and file is open, run as USER keeping only the capabilities capture still needs (as tcpdump -Z); dump files belong to USER' },
};

/**
 * The global options that take a value (`--log-config FILE`, `-Z USER`, or `--name=value`), taken out
 * likewise; each spelling maps to the long name.
 */
const GLOBAL_VALUES = new Map<string, string>(
  Object.entries(GLOBAL_OPTIONS)
    .filter(([, o]) => o.type === 'string')
    .flatMap(([name, o]) => [[`--${name}`, `--${name}`] as const, ...(typeof o.alias === 'string' ? [[`-${o.alias}`, `--${name}`] as const] : [])]),
);

/** Where a TCP server listens. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * `[ADDR:]PORT` of a listening option: ADDR an IPv4 literal, `localhost` or
 * a bracketed IPv6 literal (`[::1]:9100`), else `defaultHost`; PORT 0..65535,
 * 0 letting the system pick (the server logs which).
 */
export function parseListenAddress(flag: string, value: string, defaultHost: string): ListenAddress {
  const m = /^(?:(?:\[([^\]]*)\]|(.*)):)?(\d{1,5})$/.exec(value);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new UserError(`${flag} ${value}: expected [ADDR:]PORT with PORT 0..65535 (e.g. 9100, 127.0.0.1:9100, [::1]:9100)`);
  const [, v6, other] = m;
  if (v6 !== undefined) {
    if (!isIPv6(v6)) throw new UserError(`${flag} ${value}: '${v6}' is not an IPv6 address`);
    return { host: v6, port };
  }
  if (other === undefined) return { host: defaultHost, port };
  if (other !== 'localhost' && parseIPv4(other) === null) throw new UserError(`${flag} ${value}: '${other}' is not an IPv4 address or localhost (IPv6 goes in brackets: [::1]:${port})`);
  return { host: other, port };
}

/** The boolean global options as they are typed (`-D`, `--list-interfaces`), taken out before groups are split. */
const GLOBAL_FLAGS = new Set(
  Object.entries(GLOBAL_OPTIONS)
    .filter(([, o]) => o.type === 'boolean')
    .flatMap(([name, o]) => [`--${name}`, ...(typeof o.alias === 'string' ? [`-${o.alias}`] : [])]),
);

/** One example per common task, in --help and the man page. */
export const EXAMPLES: [command: string, what: string][] = [
  ['pktminerg -D', 'list the interfaces, containers and KVM guests that can be captured'],
  ['pktminerg -i eth0 -w - | tcpdump -n -r -', 'watch live traffic with tcpdump (or | wireshark -k -i -)'],
  ['pktminerg -f capture.pcap --dump /root/tmp --interval 15', 'record a capture file into 15 s pcap files under /root/tmp/capture/'],
  ['pktminerg -i eth0 --dump /var/capture --interval 60 --dump-max-files 24', 'record an interface, keeping the last 24 files'],
  ['pktminerg -i eth0 -r 10.1.1.1 -k 12', 'forward everything eth0 sees to a GRE collector, key 12'],
  ['pktminerg -i eth0 -r 10.1.1.1 -n 100 tcp port 443', 'forward HTTPS only, over VXLAN (VNI 100)'],
  ['pktminerg -i eth0 -r 10.1.1.1 -z 5555', 'forward in ZeroMQ batches (receive with zmqdump)'],
  ['pktminerg -c containerd://ID -r 10.1.1.1', 'capture eth0 inside a container (ID as Kubernetes reports it: 64 hex digits)'],
  ['pktminerg -m web1 --dir auto -r 10.1.1.1', "capture a libvirt guest's tap, tagging directions by its MAC"],
  ['pktminerg "-i eth0 -r 10.1.1.1 -k 1" "-i eth1 -r 10.1.1.1 -k 2"', 'two channels in one process'],
  ['pktminerg --config /etc/packet-agent/capture.json', 'channels from a JSON file, {"groups": [["-i", "eth0", "--dump", "/var/cap dir"]]}: values may hold spaces and quotes'],
];

export const USAGE = [
  'Usage: pktminerg [--log-config FILE] [--metrics [ADDR:]PORT] OPTIONS...',
  '       pktminerg [--log-config FILE] [--metrics [ADDR:]PORT] "OPTIONS..." "OPTIONS..."   (one quoted group per channel)',
  '       pktminerg [--log-config FILE] [--metrics [ADDR:]PORT] --config FILE|-   (the groups as JSON, from FILE or standard input)',
  '       pktminerg -D [--json]   (what can be captured: interfaces, containers, KVM guests)',
];
export const DESCRIPTION = 'Capture packets and record them to rotating pcap files or forward them to analysers (GRE, VXLAN, ZeroMQ).';

export async function helpText(): Promise<string> {
  let parser = groupParser()
    .usage([...USAGE, '', DESCRIPTION].join('\n'))
    .options(GLOBAL_OPTIONS)
    .wrap(Math.min(110, process.stdout.columns || 100));
  for (const [command, what] of EXAMPLES) parser = parser.example(command, what);
  return parser.getHelp();
}

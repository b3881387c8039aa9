/**
 * Typed face of our native addon `packet_io` (this directory's C files and the
 * libpcap in libpcap/, compiled by the package's install script unless a
 * prebuilt addon in prebuilds/ loads; see binding.gyp): live capture
 * (pcap_capture.c), batched raw IPv4 sending (raw_sender.c), whole frames
 * through AF_PACKET (packet_sender.c), other network namespaces (netns.c), CPU pinning (affinity.c), ZeroMQ records
 * (zmq_records.c) and our TCP connections' send queues (tcp_queues.c).
 * Loaded on first use only: reading files and writing dumps need no native
 * code.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import type { AdapterLists } from '../windows-adapters.js';

/** Opaque: owned by the addon, valid until close(). */
export type PcapHandle = { readonly __pcapHandle: unique symbol };

/**
 * The `code` of the addon's errors. Arguments are checked before anything is acquired: a number
 * that is not a whole number in its range is a RangeError with code 'RANGE' naming the argument;
 * a value of the wrong type is a TypeError.
 * - 'PERM': no permission (capture and raw sockets need root or CAP_NET_RAW); retrying will not help.
 * - 'NODEV': open() names a device that does not exist (now).
 * - 'FILTER': open()'s filter does not compile.
 * - 'NETNS': the network namespace named cannot be entered (the container's process is gone).
 * - 'AFFINITY': setAffinity()'s CPU is not one this process may run on, or pinning failed.
 * - 'NOUSER': lookupUser()'s user does not exist; 'PRIV': dropPrivileges() failed otherwise.
 * - 'UNSUPPORTED': Windows: a Linux-only function or argument (links, setAffinity, lookupUser,
 *   dropPrivileges, open's netns, rawOpen's device or pmtudisc, tcpSendQueues, packetOpen, packetSend,
 *   packetRoute); lib/config.ts refuses the options first.
 * - 'OPEN': anything else.
 */
export type AddonErrorCode = 'PERM' | 'NODEV' | 'FILTER' | 'NETNS' | 'AFFINITY' | 'OPEN' | 'RANGE' | 'NOUSER' | 'PRIV' | 'UNSUPPORTED';

/** One interface as getifaddrs(3) sees it in a network namespace (lib/native/netns.c). */
export interface LinkEntry {
  name: string;
  /** 0 when the kernel gave no link-layer entry for it. */
  ifindex: number;
  up: boolean;
  /** 6 bytes, or null (no Ethernet address). */
  mac: Buffer | null;
  /** IPv4 and IPv6 addresses, as text. */
  addresses: string[];
}

/** packetRoute's answer: the kernel's route to an address, and the Ethernet addresses a frame to it needs. */
export interface PacketRoute {
  /** 0, or why there is no route (ENETUNREACH, EHOSTUNREACH, …). */
  errno: number;
  /** A unicast route out of an interface (not local, broadcast, blackhole…). */
  unicast: boolean;
  /** The interface, 0 and '' without a route. */
  ifindex: number;
  interface: string;
  /** The source address the kernel would choose and the next hop (the gateway, or the address itself), IPv4 as uint32. */
  source: number;
  nextHop: number;
  /** The interface's MTU, or the route's when lower (a learnt path MTU). */
  mtu: number;
  /** The interface's Ethernet address; null when it is not an Ethernet interface. */
  mac: Buffer | null;
  /** The next hop's Ethernet address when the neighbour table has a valid one, else null. */
  neighbour: Buffer | null;
}

/** Byte offsets of the parts of a capture batch buffer (capture_batch.h; read by lib/proto/capture-batch.ts), and its length; every column 8-byte aligned. */
export interface CaptureBatchLayout {
  /** Length of every batch buffer (the frames area, the count and the columns). */
  readonly bytes: number;
  /** The most packets a batch holds: the length of each column. */
  readonly packetsMax: number;
  /** uint32: packets in the batch. */
  readonly countAt: number;
  /** float64 per packet: capture time, whole seconds. */
  readonly tsSecAt: number;
  /** uint32 per packet: where the frame starts in the buffer. */
  readonly offsetAt: number;
  /** uint32 per packet: bytes captured. */
  readonly caplenAt: number;
  /** uint32 per packet: length on the wire, never below caplen. */
  readonly wirelenAt: number;
  /** uint32 per packet: nanoseconds within the second. */
  readonly tsNsecAt: number;
}

export interface PacketIoAddon {
  /**
   * Throws an Error with `code` (AddonErrorCode). snaplen 0..262144 (0: whole frames), bufferBytes
   * 1..2^31-1, timeoutMs 0..2^31-1 (0: immediate mode). Exceptions thrown by onBatch do not escape
   * to the process: the capture stops and onError gets them as `exception` (see pcap_capture.c).
   * A handle that is garbage-collected without close() is closed then. `netns` (a path such as
   * /proc/PID/ns/net): open the capture inside that network namespace; the calling thread
   * returns to its own at once, on every path. `fanout` 1..65535: join that PACKET_FANOUT group
   * (flow hash) of the namespace, so that the handles of one group on one device share its frames,
   * each flow on one handle; 0 or absent: no group. A group of another mode or device with that id
   * is an 'OPEN' error; Windows: 'UNSUPPORTED'.
   */
  open(
    device: string,
    filter: string,
    snaplen: number,
    bufferBytes: number,
    timeoutMs: number,
    promisc: boolean,
    onBatch: (batch: Buffer) => void,
    onError: (message: string, exception?: unknown) => void,
    netns?: string | null,
    fanout?: number,
  ): {
    handle: PcapHandle;
    linktype: number;
    /** The kernel stamps in nanoseconds; records carry nanoseconds either way (microseconds × 1000). */
    nanos: boolean;
  };
  resume(h: PcapHandle): void;
  pause(h: PcapHandle): void;
  /** What the kernel has handed over and not yet been delivered, as a batch buffer; undefined when nothing is. */
  drain(h: PcapHandle): Buffer | undefined;
  /**
   * Gives back a batch buffer onBatch or drain delivered, once nothing reads its frames any more:
   * a later batch is read into it instead of into a new one. A buffer of another length, more than
   * the handle keeps, or one given after close() is left to the garbage collector.
   */
  provide(h: PcapHandle, buffer: Buffer): void;
  /** Where the count and the columns lie in every batch buffer open()'s onBatch and drain hand over (capture-batch.ts). */
  readonly captureBatch: CaptureBatchLayout;
  /** pcap_stats: received, dropped (ring full), dropped by the interface. */
  stats(h: PcapHandle): [number, number, number] | undefined;
  close(h: PcapHandle): void;

  /**
   * A non-blocking, close-on-exec raw IPv4 socket that receives nothing (a drop-all filter).
   * Throws an Error with `errno` and `code` 'PERM' or 'OPEN', or 'RANGE' (protocol 1..255, pmtudisc
   * -1..5, device at most 15 bytes). pmtudisc -1 leaves IP_MTU_DISCOVER alone.
   */
  rawOpen(protocol: number, device: string | null, pmtudisc: number): number;
  /**
   * Sends datagrams[start..count) (in `datagrams`, each after `datagramHeadroom` bytes) to `address` (IPv4 as uint32).
   * Returns how many went out (the next one met an error), or -errno when the one at `start` failed.
   * RANGE unless start <= count <= lengths.length and lengths[0..count) fit in `datagrams`.
   */
  rawSend(fd: number, datagrams: Buffer, lengths: Uint32Array, start: number, count: number, address: number): number;
  /** The bytes before each datagram that rawSend skips and packetSend writes the frame's headers into (send_batch.h). */
  readonly datagramHeadroom: number;
  rawClose(fd: number): void;

  /**
   * `--tx packet` (lib/native/packet_sender.c): a non-blocking, close-on-exec AF_PACKET socket that
   * receives nothing, closed with rawClose. Throws as rawOpen.
   */
  packetOpen(): number;
  /**
   * Sends datagrams[start..count) as rawSend does, each as a whole frame out of interface `ifindex`
   * (the socket is bound to it, again only when it changes) behind a copy of `header` (34 bytes,
   * lib/proto/frame-header.ts, written into the datagram's headroom) with its total length, id and
   * checksum filled in. The id in `header` is the first datagram's; the next one is left there. A
   * datagram whose IPv4 packet would exceed `mtu` (68..65535) ends the call, or is -EMSGSIZE at `start`.
   */
  packetSend(fd: number, datagrams: Buffer, lengths: Uint32Array, start: number, count: number, ifindex: number, header: Buffer, mtu: number): number;
  /** Where the kernel would send a datagram to `address` (IPv4 as uint32), out of `oif` only unless 0 (-B). Throws when netlink fails. */
  packetRoute(address: number, oif: number): PacketRoute;
  /**
   * `--tx auto` (lib/native/ip_output_hooks.c): what in this thread's network namespace, and for
   * sockets of the cgroup v2 directory `cgroupDir` (null: none), the kernel's IP output could do to
   * datagrams that frames through AF_PACKET would skip; each a count, or -errno when unreadable.
   */
  ipOutputHooks(cgroupDir: string | null): { nftChains: number; xfrmPolicies: number; cgroupPrograms: number };

  /** A user's uid and primary gid (getpwnam); throws code 'NOUSER'. */
  lookupUser(name: string): { uid: number; gid: number };
  /**
   * -Z: become uid/gid (every thread) keeping only `capabilities` (CAP_* numbers), effective, on the
   * calling thread; the other threads keep none. Throws code 'PERM' or 'PRIV'.
   */
  dropPrivileges(uid: number, gid: number, capabilities: number[]): { uid: number; gid: number };

  /** The interfaces of the network namespace at `netns` (null: ours). Throws code 'NETNS'. */
  links(netns: string | null): LinkEntry[];

  /**
   * Pins every thread of the process, and so every thread created later, to CPU `cpu`. RANGE unless
   * 0 <= cpu < the CPUs configured (sysconf _SC_NPROCESSORS_CONF, at most CPU_SETSIZE); 'AFFINITY'
   * when the CPU is outside the set this process may use (taskset, cgroup cpuset, offline).
   */
  setAffinity(cpu: number): void;

  /** pcap_lib_version() of the libpcap compiled into the addon: "libpcap version 1.10.3 (with TPACKET_V3)". */
  libVersion(): string;

  /**
   * [remote "a.b.c.d:port", bytes not yet acknowledged][] for each established IPv4 TCP socket of
   * this process (lib/native/tcp_queues.c). Throws when /proc/self/fd cannot be listed; Windows:
   * 'UNSUPPORTED'.
   */
  tcpSendQueues(): [string, number][];

  /**
   * ZeroMQ batch records of packets [start, end) of a PacketBatch's columns, whose frames all lie in
   * `data`, appended to `out` (lib/native/zmq_records.c; ZmqBatchBuilder is the caller, which knows
   * the rules). `state`: bytes used, records, first second (read and updated), frames too short and
   * frames not IP (added to). Returns the first index not taken because the message must be sent
   * first, or `end`. RANGE for a frame outside `data`, columns shorter than `end`, or a bad state.
   */
  zmqAppend(
    out: Buffer,
    state: Float64Array,
    entries: Uint32Array,
    data: Buffer,
    offset: Uint32Array,
    caplen: Uint32Array,
    wirelen: Uint32Array,
    tsSec: Float64Array,
    tsNsec: Uint32Array,
    direction: Int8Array,
    start: number,
    end: number,
  ): number;

  /**
   * GRE or VXLAN datagrams of packets [start, end) of a PacketBatch's columns, whose frames all lie in
   * `data`, written back to back into `out` (lib/native/encap_records.c; DatagramSink is the caller),
   * each one's length into `lengths`. `state`: bytes of `out` used and datagrams written (read and
   * updated). `spec`: kind (ENCAP_* of datagram-sink.ts), value (GRE key base, VXLAN VNI or v2 value), maxFrame,
   * maxDatagram (a datagram is written only while that many bytes fit), UDP source and destination
   * port, 1 for the capture-time trailer. Returns the first index not taken because the chunk is full,
   * or `end`. RANGE for a chunk that takes no datagram, a frame outside `data`, or a bad state or spec.
   */
  encapAppend(
    out: Buffer,
    lengths: Uint32Array,
    state: Float64Array,
    spec: Uint32Array,
    data: Buffer,
    offset: Uint32Array,
    caplen: Uint32Array,
    direction: Int8Array,
    tsSec: Float64Array,
    tsNsec: Uint32Array,
    start: number,
    end: number,
  ): number;

  /**
   * Windows builds only (lib/native/adapters_win.c): what Npcap can open and what Windows shows,
   * joined by lib/windows-adapters.ts. Throws code 'OPEN' (Npcap missing).
   */
  adapters?(): AdapterLists;
}

/** libpcap's largest snaplen (MAXIMUM_SNAPLEN): "whole frames". */
export const PCAP_MAX_SNAPLEN = 262144;

/**
 * The addon as node-gyp-build finds it from the package root: build/Release/ (what `npm ci` or an
 * install without a fitting prebuild compiled), else prebuilds/<platform>-<arch>/ (`npm run
 * build:prebuilds`, carried by the package). PACKET_IO_ADDON names another build: the sanitizer test
 * (test/native/sanitizers.test.ts) runs the addon's tests against its AddressSanitizer build with it.
 */
const PACKAGE_ROOT = dirname(fileURLToPath(new URL('../../../package.json', import.meta.url)));
let addon: PacketIoAddon | null = null;

/**
 * Npcap installs wpcap.dll in System32\Npcap, which is not on the DLL search path unless it was
 * installed in "WinPcap API-compatible mode": the addon imports wpcap.dll, so that directory goes on
 * PATH (the process's own, through Node's environment) before the addon loads.
 */
function addNpcapToPath(): void {
  const dir = join(process.env['SystemRoot'] ?? 'C:\\Windows', 'System32', 'Npcap');
  const path = process.env['PATH'] ?? '';
  if (existsSync(dir) && !path.split(delimiter).includes(dir)) process.env['PATH'] = `${dir}${delimiter}${path}`;
}

export function loadAddon(): PacketIoAddon {
  if (addon) return addon;
  if (process.platform === 'win32') addNpcapToPath();
  const require = createRequire(import.meta.url);
  let path = process.env['PACKET_IO_ADDON'] || join(PACKAGE_ROOT, 'build', 'Release', 'packet_io.node');
  try {
    if (!process.env['PACKET_IO_ADDON']) path = (require('node-gyp-build') as { path(dir: string): string }).path(PACKAGE_ROOT);
    addon = require(path) as PacketIoAddon;
  } catch (e) {
    const needs = process.platform === 'win32' ? 'Npcap, its SDK (NPCAP_SDK) and Visual Studio Build Tools' : 'g++, make and python3';
    throw new UserError(`live capture and GRE/VXLAN forwarding need the native addon ${path} (a prebuilt one, or compiled by 'npm ci' or 'npm run install', which needs ${needs}): ${(e as Error).message.split('\n')[0]}`);
  }
  return addon;
}

/** The libpcap inside the addon, "1.10.3"; null when the addon does not load. */
export function libpcapVersion(): string | null {
  try {
    return /libpcap version (\S+)/.exec(loadAddon().libVersion())?.[1] ?? null;
  } catch {
    return null;
  }
}

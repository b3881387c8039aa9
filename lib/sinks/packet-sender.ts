/**
 * `--tx packet`, and `--tx auto` (the default) while nothing in the kernel's IP
 * output would act on them (ip-output-hooks.ts): the GRE and VXLAN sinks'
 * datagrams as whole frames through an AF_PACKET socket, with Ethernet and
 * IPv4 headers we build from the kernel's own route and neighbour entries
 * (lib/native/packet_sender.c). That skips the
 * kernel's routing, netfilter OUTPUT/POSTROUTING and IP output, most of what a
 * raw socket's send costs (test/bench/README.md, "What an AF_PACKET transmit
 * path would buy").
 *
 * The kernel's IP output (the RawIpSender this sender owns) still carries:
 * - under --tx auto, everything while netfilter, IPsec or a cgroup BPF program
 *   is set up to act on it (checked with each look-up);
 * - everything to a remote whose frame cannot be built: no route, a route
 *   that is not unicast out of an Ethernet interface (a local address, a
 *   tunnel), or a next hop not (yet) in the neighbour table — sending through
 *   the kernel is also what makes it resolve one;
 * - a datagram longer than the path MTU allows, which the kernel fragments
 *   (or refuses, under -M do);
 * - the first datagram after each look-up (every REFRESH_MS per remote): the
 *   neighbour entry is confirmed only by traffic the kernel sends, and a stale
 *   one would not notice the next hop moving to another Ethernet address.
 */
import { constants } from 'node:os';
import { UserError } from '../errors.js';
import type { TransmitPath } from '../config.js';
import type { Logger } from '../log.js';
import { loadAddon, type PacketIoAddon, type PacketRoute } from '../native/addon.js';
import { FRAME_HEADER_LEN, writeFrameHeader } from '../proto/frame-header.js';
import { formatIPv4, IPV4_MAX_PACKET_LEN } from '../proto/ipv4.js';
import type { DatagramSender } from './datagram-sink.js';
import { agentCgroupDir, ipOutputInUse, readIpOutputHooks, type IpOutputHooks } from './ip-output-hooks.js';
import { errnoName, RawIpSender, type RawSenderOptions } from './raw-ip-sender.js';

/** How long a route and neighbour look-up holds. */
export const REFRESH_MS = 1000;
const { EAGAIN, EMSGSIZE, ENOBUFS } = constants.errno;

export type PacketSenderAddon = Pick<PacketIoAddon, 'packetOpen' | 'packetSend' | 'packetRoute' | 'ipOutputHooks' | 'rawClose' | 'links'>;

/** The frame path's two modes: always (--tx packet), or while nothing in the IP output would act (--tx auto). */
export type FramePath = Exclude<TransmitPath, 'ip'>;

/** What a remote is sent through, until `checkedAt + REFRESH_MS`. */
interface Path {
  checkedAt: number;
  /** Null: through the kernel's IP output, for the reason in `description`. */
  header: Buffer | null;
  ifindex: number;
  mtu: number;
  /** The next datagram goes through the kernel (see the module comment). */
  probe: boolean;
  /** What the log says of this path; a change is logged. */
  description: string;
}

export class PacketSender implements DatagramSender {
  /** Datagrams the kernel's IP output sent for this sender (the sink's summary and metrics). */
  kernelPath = 0;
  private readonly paths = new Map<number, Path>();
  /** --tx auto: why the IP output must carry everything (null: nothing acts there), as of `hooksCheckedAt`. */
  private hooksInUse: string | null = null;
  private hooksCheckedAt = -Infinity;

  private constructor(
    private readonly label: string,
    private readonly mode: FramePath,
    /** --tx auto: what the IP output would do, read afresh (tests give a fake); null under --tx packet. */
    private readonly readHooks: (() => IpOutputHooks) | null,
    private readonly protocol: number,
    private readonly dontFragment: boolean,
    /** -B's interface index, 0 without -B. */
    private readonly oif: number,
    private readonly raw: DatagramSender,
    private fd: number,
    private readonly addon: PacketSenderAddon,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /**
   * Opens the raw socket (the kernel's path, which checks -B and -M) and the AF_PACKET socket;
   * throws UserError. Tests give a fake raw sender, addon and clock.
   */
  static open(
    label: string,
    protocol: number,
    opts: RawSenderOptions & { tx: FramePath },
    log: Logger,
    fakes: { raw?: DatagramSender; addon?: PacketSenderAddon; now?: () => number; hooks?: () => IpOutputHooks } = {},
  ): PacketSender {
    const raw = fakes.raw ?? new RawIpSender(protocol, opts);
    try {
      const addon = fakes.addon ?? loadAddon();
      let oif = 0;
      if (opts.bindDevice !== null) {
        oif = addon.links(null).find((l) => l.name === opts.bindDevice)?.ifindex ?? 0;
        if (oif === 0) throw new UserError(`-B ${opts.bindDevice}: no such interface`);
      }
      let readHooks: (() => IpOutputHooks) | null = null;
      if (opts.tx === 'auto') {
        // Read now, as the sockets are made: they stay in the cgroup they were made in.
        const cgroupDir = fakes.hooks === undefined ? agentCgroupDir() : null;
        readHooks = fakes.hooks ?? (() => readIpOutputHooks(addon, cgroupDir));
      }
      let fd: number;
      try {
        fd = addon.packetOpen();
      } catch (e) {
        throw new UserError(`--tx ${opts.tx}: ${(e as Error).message}`);
      }
      return new PacketSender(label, opts.tx, readHooks, protocol, opts.pmtudisc !== 'dont', oif, raw, fd, addon, log, fakes.now ?? Date.now);
    } catch (e) {
      raw.close();
      throw e;
    }
  }

  send(datagrams: Buffer, lengths: Uint32Array, start: number, count: number, address: number): number {
    const path = this.pathTo(address);
    if (path.header === null) return this.throughKernel(datagrams, lengths, start, count, address);
    if (path.probe) {
      path.probe = false;
      return this.throughKernel(datagrams, lengths, start, start + 1, address);
    }
    const sent = this.addon.packetSend(this.fd, datagrams, lengths, start, count, path.ifindex, path.header, path.mtu);
    if (sent === -EMSGSIZE) return this.throughKernel(datagrams, lengths, start, start + 1, address);
    // The interface went down or away: look the route up again at the next call.
    if (sent < 0 && sent !== -EAGAIN && sent !== -ENOBUFS) path.checkedAt = -Infinity;
    return sent;
  }

  private throughKernel(datagrams: Buffer, lengths: Uint32Array, start: number, count: number, address: number): number {
    const sent = this.raw.send(datagrams, lengths, start, count, address);
    if (sent > 0) this.kernelPath += sent;
    return sent;
  }

  close(): void {
    this.raw.close();
    if (this.fd < 0) return;
    this.addon.rawClose(this.fd);
    this.fd = -1;
  }

  private pathTo(address: number): Path {
    const path = this.paths.get(address);
    const now = this.now();
    if (path !== undefined && now - path.checkedAt < REFRESH_MS) return path;
    return this.lookUp(address, path, now);
  }

  /** --tx auto: why the IP output must carry everything, or null (always under --tx packet); read at most once per REFRESH_MS for all remotes. */
  private ipOutputInUse(now: number): string | null {
    if (this.readHooks === null) return null;
    if (now - this.hooksCheckedAt >= REFRESH_MS) {
      this.hooksCheckedAt = now;
      try {
        this.hooksInUse = ipOutputInUse(this.readHooks());
      } catch (e) {
        this.hooksInUse = `what it would do cannot be read (${(e as Error).message})`;
      }
    }
    return this.hooksInUse;
  }

  private lookUp(address: number, old: Path | undefined, now: number): Path {
    let route: PacketRoute | null = null;
    let reason = this.ipOutputInUse(now);
    if (reason === null) {
      try {
        route = this.addon.packetRoute(address, this.oif);
        reason = unusable(route);
      } catch (e) {
        reason = `the route look-up failed (${(e as Error).message})`;
      }
    }
    const before = old?.description;
    const path: Path = old ?? { checkedAt: now, header: null, ifindex: 0, mtu: 0, probe: false, description: '' };
    path.checkedAt = now;
    if (route === null || reason !== null) {
      path.header = null;
      path.description = `through the kernel's IP output: ${reason} (--tx ${this.mode})`;
    } else {
      // The same buffer across look-ups keeps the identification running (writeFrameHeader leaves it).
      path.header ??= Buffer.alloc(FRAME_HEADER_LEN);
      writeFrameHeader(path.header, {
        destinationMac: route.neighbour!,
        sourceMac: route.mac!,
        source: route.source,
        destination: address,
        protocol: this.protocol,
        dontFragment: this.dontFragment,
      });
      path.ifindex = route.ifindex;
      // An IPv4 packet is at most 65 535 bytes, whatever the interface allows (the addon's limit too).
      path.mtu = Math.min(route.mtu, IPV4_MAX_PACKET_LEN);
      path.probe = true;
      path.description = `whole frames out of ${route.interface} through AF_PACKET (--tx ${this.mode})`;
    }
    if (path.description !== before) this.log.info(`${this.label} to ${formatIPv4(address)}: ${path.description}`);
    this.paths.set(address, path);
    return path;
  }
}

/** Why a frame to this route cannot be built, or null. */
function unusable(r: PacketRoute): string | null {
  if (r.errno !== 0) return `no route (${errnoName(r.errno)})`;
  if (!r.unicast) return 'not a unicast route out of an interface (a local address?)';
  if (r.mac === null) return `${r.interface} is not an Ethernet interface`;
  if (r.mtu < 68) return `${r.interface} has an MTU of ${r.mtu}`;
  if (r.neighbour === null) return `no neighbour entry for ${formatIPv4(r.nextHop)} on ${r.interface} yet`;
  return null;
}

/**
 * vxlandump: receives what pktminerg's VXLAN exporter sends (spec §5.3,
 * §11.2) on a UDP port and writes the inner frames to a pcap file.
 *
 * Unlike the reference it understands both header versions and the capTime
 * trailer, and listens on any port and address.
 */
import { createSocket, type Socket } from 'node:dgram';
import { DEFAULT_VXLAN_PORT } from '../config.js';
import { CorruptError, describeErrno, UserError } from '../errors.js';
import { LINKTYPE_ETHERNET, PacketBatch } from '../packet.js';
import { ETHERNET_HEADER_LEN } from '../proto/ethernet.js';
import { CAPTIME_TRAILER_LEN, VXLAN_HEADER_LEN, decodeVxlanHeader, v1MatchesVni, type VxlanHeader } from '../proto/vxlan.js';
import {
  checkReceiverArgs,
  flagOption,
  integerOption,
  parseToolArgs,
  runReceiver,
  type Receiver,
  type ReceiverOptions,
  type Recorder,
  type ToolArgs,
  type ToolSpec,
} from './receiver.js';

const VNI_MAX = 0xffffff;
/** Larger than Node's default so that a burst is not dropped while a write is on disk; Linux caps it at net.core.rmem_max. */
const RECEIVE_BUFFER_BYTES = 8 << 20;

export interface VxlandumpOptions extends ReceiverOptions {
  /** Keep only datagrams matching this VNI (see vniMatcher); null keeps all. */
  vni: number | null;
  /** Datagrams end with the 8-byte capTime trailer. */
  capTime: boolean;
}

export function checkVxlandumpArgs(args: ToolArgs): VxlandumpOptions {
  const vni = integerOption(args, 'vni', 0, VNI_MAX, -1);
  return { ...checkReceiverArgs(args, DEFAULT_VXLAN_PORT), vni: vni < 0 ? null : vni, capTime: flagOption(args, 'capTime') };
}

/**
 * `--vni V` keeps a datagram whose 24-bit VNI field equals V, or that a v1
 * exporter sent for V with a direction (v1MatchesVni). A v2 exporter's VNI
 * field is the top 24 bits of its 32-bit value, so `--vni2 X` is matched by
 * `--vni X>>8` (the observation domain: 1 for the default 260); its last
 * byte (point, direction) is not compared.
 */
export function vniMatcher(vni: number | null): (h: VxlanHeader) => boolean {
  if (vni === null) return () => true;
  return (h) => v1MatchesVni(h.vni, vni);
}

/** Sets the time of packet `i` from the datagram's capTime trailer; false when its nanoseconds are out of range. */
function stampFromTrailer(b: PacketBatch, i: number, datagram: Buffer): boolean {
  const at = datagram.length - CAPTIME_TRAILER_LEN;
  const nsec = datagram.readUInt32BE(at + 4);
  b.tsSec[i] = datagram.readUInt32BE(at);
  b.tsNsec[i] = nsec;
  return nsec < 1e9;
}

function stampReceiveTime(b: PacketBatch, i: number, _datagram: Buffer, nowMs: number): boolean {
  b.tsSec[i] = Math.floor(nowMs / 1000);
  b.tsNsec[i] = (nowMs % 1000) * 1e6;
  return true;
}

/**
 * Turns datagrams into packets of a batch and counts what it drops. Pure: the caller
 * gives the receive time. The VNI filter and the time source are chosen
 * once, here, not tested per datagram.
 */
export class VxlanDecapsulator {
  received = 0;
  /** Not VXLAN (I flag clear), shorter than header + Ethernet header (+ trailer), or a trailer with nanoseconds ≥ 10^9. */
  malformed = 0;
  vniMismatch = 0;
  private readonly matches: (h: VxlanHeader) => boolean;
  private readonly stamp: (b: PacketBatch, i: number, datagram: Buffer, nowMs: number) => boolean;
  private readonly trailerLen: number;
  private readonly minLen: number;

  constructor(opts: { vni: number | null; capTime: boolean }) {
    this.matches = vniMatcher(opts.vni);
    this.stamp = opts.capTime ? stampFromTrailer : stampReceiveTime;
    this.trailerLen = opts.capTime ? CAPTIME_TRAILER_LEN : 0;
    this.minLen = VXLAN_HEADER_LEN + ETHERNET_HEADER_LEN + this.trailerLen;
  }

  /**
   * Adds the inner frame (its bytes in `datagram`) to `out`; false, counted, when there is none.
   * `nowMs` is used unless the datagram carries capTime.
   */
  decapsulate(datagram: Buffer, nowMs: number, out: PacketBatch): boolean {
    this.received++;
    // Checked first so that short datagrams, the common junk, cost no exception.
    if (datagram.length < this.minLen) {
      this.malformed++;
      return false;
    }
    let header: VxlanHeader;
    try {
      header = decodeVxlanHeader(datagram, 0);
    } catch (e) {
      if (!(e instanceof CorruptError)) throw e;
      this.malformed++;
      return false;
    }
    if (!this.matches(header)) {
      this.vniMismatch++;
      return false;
    }
    const end = datagram.length - this.trailerLen;
    const caplen = end - VXLAN_HEADER_LEN;
    const k = out.add(datagram, VXLAN_HEADER_LEN, caplen, caplen, 0, 0, LINKTYPE_ETHERNET);
    if (!this.stamp(out, k, datagram, nowMs)) {
      out.truncate(k);
      this.malformed++;
      return false;
    }
    return true;
  }
}

export class VxlanReceiver implements Receiver {
  private socket: Socket | null = null;
  private readonly decap: VxlanDecapsulator;
  private recorder: Recorder | null = null;
  /** One batch for every datagram: one packet each, written before the next arrives. */
  private readonly one = new PacketBatch(1);

  constructor(private readonly opts: VxlandumpOptions) {
    this.decap = new VxlanDecapsulator(opts);
  }

  open(recorder: Recorder): Promise<string> {
    this.recorder = recorder;
    const host = this.opts.bind ?? '0.0.0.0';
    const socket = createSocket({ type: 'udp4', recvBufferSize: RECEIVE_BUFFER_BYTES });
    this.socket = socket;
    return new Promise((resolve, reject) => {
      const onBindError = (e: NodeJS.ErrnoException): void => {
        socket.close();
        this.socket = null;
        reject(new UserError(`cannot listen on udp ${host}:${this.opts.port}: ${describeErrno(e)}`));
      };
      socket.once('error', onBindError);
      socket.bind(this.opts.port, host, () => {
        socket.off('error', onBindError);
        socket.on('error', (e) => recorder.fail(e));
        socket.on('message', (msg) => this.onMessage(msg));
        const a = socket.address();
        resolve(`udp ${a.address}:${a.port}`);
      });
    });
  }

  private onMessage(msg: Buffer): void {
    const recorder = this.recorder!;
    // Datagrams already queued when -c was reached are not received any more.
    if (recorder.stopping) return;
    this.one.truncate(0);
    if (!this.decap.decapsulate(msg, Date.now(), this.one)) return;
    recorder.write(this.one);
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    return new Promise((resolve) => (socket ? socket.close(resolve) : resolve()));
  }

  summary(): string[] {
    const d = this.decap;
    return [
      `${d.received} datagrams received, ${d.malformed} not VXLAN or too short, ${d.vniMismatch} VNI mismatch, ${this.recorder?.written ?? 0} written`,
    ];
  }
}

/** The whole tool, from argv to exit status. */
export async function vxlandump(argv: string[], spec: ToolSpec, stop: AbortSignal): Promise<number> {
  const args = await parseToolArgs(argv, spec);
  if (args === null) return 0;
  const opts = checkVxlandumpArgs(args);
  // capTime carries nanoseconds (µs × 1000 from the reference, finer from others): keep them all.
  return runReceiver(spec.name, opts, opts.capTime, new VxlanReceiver(opts), stop);
}

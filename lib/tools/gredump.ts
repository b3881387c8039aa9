/**
 * gredump: the receiving end of pktminerg's GRE exporter (spec §5.2, §11.1).
 * Takes GRE live from an interface or from a capture file and writes the
 * inner Ethernet frames to a pcap file.
 *
 * Unlike the reference: IPv4 fragments are reassembled in any order with
 * bounded memory; the GRE header is read by its flags; the outer link layer
 * may carry VLAN tags or be Linux cooked capture (`-i any`); `-k` ignores
 * the direction bits 31..28 unless --key-with-direction; an invalid `-s`/`-r`
 * is an error instead of a disabled filter; `-c` counts written frames.
 */
import { describeKernelCounts, SourceCounters } from '../counters.js';
import { isDecodeError, UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { DIR_OUT, DIR_UNKNOWN, LINKTYPE_ETHERNET, PacketBatch, type Batch } from '../packet.js';
import { FileSource } from '../sources/file-source.js';
import { interfaceTarget } from '../sources/capture-target.js';
import { LiveSource } from '../sources/live-source.js';
import type { CaptureSource } from '../sources/source.js';
import { ETHERNET_HEADER_LEN, ETHERTYPE_IPV4, decodeLinkLayer } from '../proto/ethernet.js';
import { GRE_PROTO_TEB, decodeGreHeader, type GreHeader } from '../proto/gre.js';
import { IPPROTO_GRE, IPv4View, decodeIPv4, parseIPv4 } from '../proto/ipv4.js';
import { IPv4Datagram, IPv4Reassembler, type ReassemblyLimits, type ReassemblyStats } from '../proto/ipv4-reassembly.js';
import {
  checkReceiverArgs,
  flagOption,
  integerOption,
  parseToolArgs,
  runReceiver,
  stringOption,
  type Receiver,
  type ReceiverOptions,
  type Recorder,
  type ToolArgs,
  type ToolSpec,
} from './receiver.js';

/** Key bits 27..0: pktminerg's keybit; bits 31..28 carry the direction. */
const KEY_MASK = 0x0fffffff;
const DIRECTION_SHIFT = 28;
const MAX_KEY = 0xffffffff;

/** Compiled by libpcap in the kernel, so the rest of the traffic never reaches JS. */
const CAPTURE_FILTER = 'ip proto 47';
const LIVE_BUFFER_BYTES = 64 << 20;
/** Longest a GRE frame waits in the kernel: short, since gredump is mostly run by hand. */
const LIVE_TIMEOUT_MS = 10;

export interface GredumpOptions extends ReceiverOptions {
  /** Exactly one of `interface` and `pcapfile` is set. */
  interface: string | null;
  pcapfile: string | null;
  /** null: every key (also keyless GRE). */
  key: number | null;
  /** Compare all 32 bits of the key, direction included. */
  keyWithDirection: boolean;
  /** Outer IPv4 source and destination to keep, as uint32; null: any. */
  sourceIp: number | null;
  remoteIp: number | null;
}

/** `-k`: decimal or 0x hex; 0, as in the reference, means no key filter. */
function keyOption(args: ToolArgs): number | null {
  const n = integerOption(args, 'keybit', 0, MAX_KEY, 0);
  return n === 0 ? null : n;
}

function addressOption(args: ToolArgs, key: string): number | null {
  const v = stringOption(args, key);
  if (v === undefined) return null;
  const n = parseIPv4(v);
  if (n === null) throw new UserError(`--${key} must be an IPv4 address, got '${v}'`);
  return n;
}

/** Pure check of the parsed command line; errors name the flag. */
export function checkGredumpArgs(args: ToolArgs): GredumpOptions {
  // gredump has neither --port nor --bind: the 0 and null this gives for them are never read.
  const base = checkReceiverArgs(args, 0);
  const iface = stringOption(args, 'interface') ?? null;
  const pcapfile = stringOption(args, 'pcapfile') ?? null;
  if ((iface === null) === (pcapfile === null)) throw new UserError('give exactly one of --interface (-i) and --pcapfile (-f)');
  const key = keyOption(args);
  const keyWithDirection = flagOption(args, 'key-with-direction');
  if (keyWithDirection && key === null) throw new UserError('--key-with-direction needs a non-zero --keybit (-k)');
  return {
    ...base,
    interface: iface,
    pcapfile,
    key,
    keyWithDirection,
    sourceIp: addressOption(args, 'sourceip'),
    remoteIp: addressOption(args, 'remoteip'),
  };
}

function addressFilter(src: number | null, dst: number | null): (ip: IPv4View) => boolean {
  if (src !== null && dst !== null) return (ip) => ip.src === src && ip.dst === dst;
  if (src !== null) return (ip) => ip.src === src;
  if (dst !== null) return (ip) => ip.dst === dst;
  return () => true;
}

export function keyFilter(key: number | null, withDirection: boolean): (k: number | null) => boolean {
  if (key === null) return () => true;
  if (withDirection) return (k) => k === key;
  const want = key & KEY_MASK;
  return (k) => k !== null && (k & KEY_MASK) === want;
}

/**
 * Captured frames in, inner Ethernet frames out, every other frame counted
 * under one reason. Pure: time is the capture time of the frames.
 */
export class GreDecapsulator {
  captured = 0;
  /** Not IPv4, or IPv4 of another protocol. */
  notGre = 0;
  /** Left out by -s, -r or -k, or GRE not carrying Ethernet (protocol ≠ 0x6558). */
  filtered = 0;
  /** Truncated or corrupt IPv4 or GRE header, or an inner frame shorter than an Ethernet header. */
  malformed = 0;
  private readonly ip = new IPv4View();
  private readonly datagram = new IPv4Datagram();
  private readonly reassembler: IPv4Reassembler;
  private readonly addressOk: (ip: IPv4View) => boolean;
  private readonly keyOk: (key: number | null) => boolean;

  constructor(opts: Pick<GredumpOptions, 'key' | 'keyWithDirection' | 'sourceIp' | 'remoteIp'>, limits?: ReassemblyLimits) {
    this.reassembler = new IPv4Reassembler(limits);
    this.addressOk = addressFilter(opts.sourceIp, opts.remoteIp);
    this.keyOk = keyFilter(opts.key, opts.keyWithDirection);
  }

  get reassembly(): ReassemblyStats {
    return this.reassembler.stats;
  }

  /**
   * Adds to `out` the GRE payload of packet `i` of `b` (or of the datagram it
   * completes), with its capture time and, as direction, key bits 31..28
   * (DIR_UNKNOWN above 2 or without a key); false when there is none yet or
   * the frame is dropped. The added frame's bytes may lie in `b`'s buffer.
   */
  decapsulate(b: Batch, i: number, out: PacketBatch): boolean {
    this.captured++;
    decodeLinkLayer(b, i);
    const ip = this.ip;
    if (b.etherType[i] !== ETHERTYPE_IPV4) {
      this.notGre++;
      return false;
    }
    // Offsets into the capture buffer: the frame starts at offset[i] in it.
    const data = b.data[i]!;
    const at = b.offset[i]!;
    const l3 = at + b.l3Offset[i]!;
    const end = at + b.caplen[i]!;
    if (!decodeIPv4(data, l3, end, ip)) {
      this.malformed++;
      return false;
    }
    if (ip.protocol !== IPPROTO_GRE) {
      this.notGre++;
      return false;
    }
    // Before reassembly, so that unwanted fragments take no memory.
    if (!this.addressOk(ip)) {
      this.filtered++;
      return false;
    }
    const d = this.datagram;
    const tsSec = b.tsSec[i]!;
    const tsNsec = b.tsNsec[i]!;
    let gre: GreHeader;
    try {
      if (!this.reassembler.push(ip, data, l3, end, tsSec + tsNsec / 1e9, d)) return false;
      gre = decodeGreHeader(d.payload, 0);
    } catch (e) {
      if (!isDecodeError(e)) throw e;
      this.malformed++;
      return false;
    }
    if (gre.protocol !== GRE_PROTO_TEB || !this.keyOk(gre.key)) {
      this.filtered++;
      return false;
    }
    const len = d.payload.length - gre.headerLen;
    if (len < ETHERNET_HEADER_LEN) {
      this.malformed++;
      return false;
    }
    const k = out.add(d.payload, gre.headerLen, len, len, tsSec, tsNsec, LINKTYPE_ETHERNET);
    // pktminerg puts the DIR_* code itself in the top nibble (spec §5.2).
    const dir = gre.key === null ? DIR_UNKNOWN : gre.key >>> DIRECTION_SHIFT;
    out.direction[k] = dir <= DIR_OUT ? dir : DIR_UNKNOWN;
    return true;
  }

  /** Counts the datagrams still incomplete as dropped: call when input ends. */
  finish(): void {
    this.reassembler.finish();
  }
}

/** LiveSource's messages (interface down, back up) as gredump lines on stderr. */
function toolLogger(name: string, err: NodeJS.WritableStream): Logger {
  const line = (m: string): void => void err.write(`${name}: ${m}\n`);
  return { debug: () => {}, info: line, warn: line, error: line };
}

/** Feeds a GreDecapsulator from a live interface or a capture file and hands the inner frames to the Recorder. */
export class GreReceiver implements Receiver {
  readonly decap: GreDecapsulator;
  /** Written frames by direction: none, in, out, other or no key. */
  readonly byDirection = [0, 0, 0, 0];
  private recorder: Recorder | null = null;
  private source: CaptureSource | null = null;
  /** The source's counters (the kernel's drop counts of live capture), kept after close(). */
  private sourceCounters = new SourceCounters();


  constructor(
    private readonly opts: GredumpOptions,
    private readonly name = 'gredump',
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {
    this.decap = new GreDecapsulator(opts);
  }

  async open(recorder: Recorder): Promise<string> {
    this.recorder = recorder;
    const o = this.opts;
    let source: CaptureSource;
    let described: string;
    if (o.interface !== null) {
      const log = toolLogger(this.name, this.err);
      source = new LiveSource({ target: interfaceTarget(o.interface), filter: () => CAPTURE_FILTER, bufferBytes: LIVE_BUFFER_BYTES, timeoutMs: LIVE_TIMEOUT_MS, log });
      described = `${o.interface} (filter '${CAPTURE_FILTER}')`;
    } else {
      source = new FileSource({ path: o.pcapfile! });
      described = `file ${o.pcapfile}`;
    }
    await source.open();
    this.source = source;
    this.sourceCounters = source.counters;
    source.on('data', (b: Batch) => this.onBatch(b));
    source.on('end', () => this.onEnd(source));
    return described;
  }

  private onBatch(packets: Batch): void {
    const recorder = this.recorder!;
    if (recorder.stopping) return;
    const b = new PacketBatch(packets.length);
    // Stop taking frames at -c, so that the counters end where the output does.
    const room = this.opts.count > 0 ? this.opts.count - recorder.written : Infinity;
    for (let i = 0; i < packets.length && b.length < room; i++) this.decap.decapsulate(packets, i, b);
    this.write(b);
  }

  private onEnd(source: CaptureSource): void {
    const recorder = this.recorder!;
    // Every packet before damage has been written; the failure names the file and the offset.
    if (source.failure !== null) recorder.fail(new UserError(source.failure.message));
    else recorder.stop(this.opts.interface === null ? 'at end of file' : 'capture ended');
  }

  private write(b: Batch): void {
    const recorder = this.recorder!;
    const before = recorder.written;
    recorder.write(b);
    // Only what was written: the Recorder stops at -c.
    for (let i = 0, n = recorder.written - before; i < n; i++) {
      const dir = b.direction[i]!;
      this.byDirection[dir === DIR_UNKNOWN ? 3 : dir]!++;
    }
  }

  close(): Promise<void> {
    this.decap.finish();
    const source = this.source;
    this.source = null;
    if (source === null || source.destroyed) return Promise.resolve();
    return new Promise((resolve) => source.destroy().once('close', () => resolve()));
  }

  summary(): string[] {
    const d = this.decap;
    const r = d.reassembly;
    const drops = r.droppedTimeout + r.droppedOverlap + r.droppedCapacity + r.droppedOversize + r.droppedIncomplete;
    const [none, dirIn, dirOut, other] = this.byDirection;
    return [
      `${d.captured} captured, ${d.notGre} not GRE, ${d.filtered} filtered, ${d.malformed} malformed`,
      `${r.fragments} fragments (${r.duplicates} duplicate), ${r.reassembled} reassembled, ${drops} reassembly drops ` +
        `(${r.droppedTimeout} timeout, ${r.droppedOverlap} overlap, ${r.droppedCapacity} too many, ${r.droppedOversize} too big, ${r.droppedIncomplete} incomplete at exit)`,
      `${this.recorder?.written ?? 0} written: ${none} no direction, ${dirIn} in, ${dirOut} out, ${other} other key or none`,
      ...(this.opts.interface === null ? [] : [describeKernelCounts(this.sourceCounters.kernel)]),
    ];
  }
}

/** The whole tool, from argv to exit status. */
export async function gredump(argv: string[], spec: ToolSpec, stop: AbortSignal): Promise<number> {
  const args = await parseToolArgs(argv, spec);
  if (args === null) return 0;
  const opts = checkGredumpArgs(args);
  // Files and the kernel give nanoseconds: the output keeps them.
  return runReceiver(spec.name, opts, true, new GreReceiver(opts, spec.name), stop);
}

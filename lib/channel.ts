/**
 * One channel: a capture source, its stages and its sinks. Its life has
 * three steps: the constructor only builds objects (no I/O); open() acquires
 * the capture handle, files and sockets, one after the other, and on any
 * failure destroys everything (what was acquired is released, nothing keeps
 * running); run() assembles them with `pipeline`, the one owner of teardown
 * from then on. A process runs one channel per command-line group.
 */
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ChannelOptions } from './config.js';
import { describeDirections, describeKernelCounts, describeSink, type KernelCounts, type SinkCounters, type SinkCounts, type StageCounters } from './counters.js';
import { UserError } from './errors.js';
import { prefixedLogger, type Logger } from './log.js';
import { buildCaptureFilter } from './filter.js';
import { FileSource } from './sources/file-source.js';
import { ContainerTarget, interfaceTarget, KvmTarget, type TargetLink } from './sources/capture-target.js';
import { hostIPv4Addresses } from './net-interfaces.js';
import { LiveSource } from './sources/live-source.js';
import type { CaptureSource } from './sources/source.js';
import { BatchStage, type BatchFn } from './stages/batch-stage.js';
import { DIRECTION_DROP, makeDirectionStage, parseDirExpression, type DirectionCounters } from './stages/direction.js';
import { makeSliceFn } from './stages/slice.js';
import { vlanDecodeBatch } from './stages/vlan.js';
import { makeThrottleStage, THROTTLE_DROP } from './stages/throttle.js';
import { LINK_TYPE_DROP, makeToEthernetStage } from './stages/to-ethernet.js';
import { DumpSink } from './sinks/dump-sink.js';
import { branchTo, FanOut, type Branch } from './sinks/fan-out.js';
import { FileOutput, PcapOutSink, StreamOutput } from './sinks/pcap-out-sink.js';
import { GreSink } from './sinks/gre-sink.js';
import { VxlanSink } from './sinks/vxlan-sink.js';
import { ZmqSink } from './sinks/zmq-sink.js';

/** What the channel needs of each sink besides the stream itself. */
interface Sink extends Writable {
  /** Short name for summaries: dump, gre, vxlan, zmq. */
  readonly label: string;
  readonly counters: SinkCounters;
  /** Acquires the sink's files or sockets; throws UserError for what cannot work. */
  open(): void | Promise<void>;
  /** Its counts now, for the snapshot and the summary line. */
  counts(): SinkCounts;
}

/**
 * A channel's counters at one moment (Channel.snapshot): what the live
 * counter, the status port and the metrics endpoint read while it runs.
 */
export interface ChannelSnapshot {
  index: number;
  /** What is captured: a file name, `eth0`, `container … eth0`, `guest web1 (vnet3)`. */
  source: string;
  /** The source's stable name (its dump sub-directory: `eth0`, `3f2a1b2c3d4e_eth0`, `web1`, a file's base name): labels that must not change with a pid or a tap. */
  name: string;
  /** Live capture: the interface's state at the last look (absent for files). */
  linkState?: TargetLink['state'];
  captured: { packets: number; bytes: number };
  /** Capture time (seconds) of the first and the latest packet; 0 before the first. */
  firstPacketSec: number;
  lastPacketSec: number;
  /** pcap_stats of live capture, accumulated (all 0 for files). */
  kernel: KernelCounts;
  /** Each sink: label (dump, -w, gre, vxlan, zmq), whether it forwards, what it wrote or sent. */
  sinks: { label: string; forwards: boolean; packets: number; bytes: number; files?: number; queued?: number; kernelPath?: number }[];
  /** Every drop reason with its count (sink reasons prefixed with the sink's label), zeros included. */
  drops: { reason: string; packets: number }[];
}

/**
 * What the process (agent.ts) asks of a channel: a Channel, or a WorkerChannel running the channel
 * on several threads (`--workers N`, worker-channel.ts).
 */
export interface ChannelLike {
  readonly opts: ChannelOptions;
  readonly log: Logger;
  /** The directory its dump files go to; null without --dump. */
  readonly dumpDir: string | null;
  open(): Promise<void>;
  run(): Promise<void>;
  stop(): void;
  destroy(): void;
  snapshot(): ChannelSnapshot;
  summary(): string[];
}

/**
 * The stages' drop reasons, in the order the summary's `dropped:` line names them. Every one is
 * named, zeros included: a stage the channel does not run has dropped nothing.
 */
const STAGE_DROPS = [DIRECTION_DROP, THROTTLE_DROP, LINK_TYPE_DROP];

/** Sinks that send to a remote (the reference's "forwarded"). */
const FORWARDING = new Set(['gre', 'vxlan', 'zmq']);

/** Packets and bytes the forwarding sinks of a snapshot sent. */
export function forwarded(s: ChannelSnapshot): { packets: number; bytes: number } {
  let packets = 0;
  let bytes = 0;
  for (const k of s.sinks) {
    if (!k.forwards) continue;
    packets += k.packets;
    bytes += k.bytes;
  }
  return { packets, bytes };
}

export class Channel implements ChannelLike {
  readonly log: Logger;
  private readonly source: CaptureSource;
  private readonly stages: BatchStage[] = [];
  /** The counters of every stage that removes packets; `--dir`'s also count every frame by direction. */
  private readonly stageCounters: StageCounters[] = [];
  private directionCounters: DirectionCounters | null = null;
  private readonly sinks: Sink[] = [];
  private readonly branches: Branch[] = [];

  private dump: DumpSink | null = null;
  private pcapOut: PcapOutSink | null = null;
  /** `--dir auto`: the interface's MAC, filled by the source at every open. */
  private readonly autoMac: Buffer | undefined;

  /**
   * Builds the channel's objects from its options; throws UserError for
   * options that contradict each other. `excludeHosts`: the remotes of every
   * group, kept out of live capture so that forwarded packets are not
   * captured again (spec §2.2). `fanout`: one worker of several (`--workers`,
   * worker-channel.ts): the PACKET_FANOUT group its live capture joins.
   */
  constructor(readonly opts: ChannelOptions, log: Logger, excludeHosts: string[] = [], private readonly fanout = 0) {
    this.log = prefixedLogger(log, `[-${String(opts.index).padStart(2, '0')}-] `);
    if (opts.dir === 'auto' && opts.source.kind === 'file') throw new UserError('--dir auto needs live capture (the interface\'s MAC decides the direction); use a host/port expression with -f');
    if (opts.source.kind === 'file' && opts.expression) throw new UserError('BPF filters (--expression) apply to live capture (-i) only');
    this.autoMac = opts.dir === 'auto' ? Buffer.alloc(6) : undefined;
    this.source = this.makeSource(excludeHosts);
    if (opts.dump) {
      this.dump = new DumpSink(opts.dump, this.source.name, this.log);
      this.addSink(this.dump);
    }
    if (opts.write !== null) {
      const output = opts.write === '-' ? new StreamOutput(process.stdout) : new FileOutput(opts.write);
      // A reader that went away (`| head`) ends the channel, as SIGPIPE ends tcpdump.
      this.pcapOut = new PcapOutSink(output, this.log, () => this.source.stop());
      this.addSink(this.pcapOut);
    }
    if (opts.forward) {
      // The rate limit and the conversion to Ethernet apply to forwarding only: the local record stays complete
      // and original (spec §4). Throttle first: what it drops need not be converted.
      const toEthernet = makeToEthernetStage();
      const throttle = opts.mbps > 0 ? makeThrottleStage(opts.mbps, opts.forward.transport) : null;
      this.stageCounters.push(toEthernet.counters);
      if (throttle) this.stageCounters.push(throttle.counters);
      const forwarding: BatchFn = throttle
        ? (batch) => {
            throttle.fn(batch);
            toEthernet.fn(batch);
          }
        : toEthernet.fn;
      this.addSink(this.makeForwarder(), forwarding);
    }
  }

  /** The directory this channel's dump files go to (before open(): as given, relative paths unresolved). */
  get dumpDir(): string | null {
    return this.dump?.dir ?? null;
  }

  /**
   * Acquires everything the channel needs, in order: the stages' interface
   * addresses (`nic.<if>`), the capture source, then each sink. On any failure
   * everything is destroyed before the error is rethrown.
   */
  async open(): Promise<void> {
    try {
      const o = this.opts;
      const spec = o.dir === null ? null : parseDirExpression(o.dir, hostIPv4Addresses);
      if (spec?.mode === 'auto') spec.mac = this.autoMac!;
      // Only the direction expression reads what the VLAN stage finds (l3Offset, etherType).
      if (spec?.mode === 'expr') this.stages.push(new BatchStage(vlanDecodeBatch));
      if (spec) {
        const direction = makeDirectionStage(spec);
        this.stages.push(new BatchStage(direction.fn));
        this.stageCounters.push(direction.counters);
        this.directionCounters = direction.counters;
      }
      if (o.slice > 0) this.stages.push(new BatchStage(makeSliceFn(o.slice)));
      await this.source.open();
      if (o.source.kind === 'file') this.log.info(`reading ${o.source.path === '-' ? 'standard input' : o.source.path}`);
      for (const sink of this.sinks) await sink.open();
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  /** Releases everything: the capture handle, files, sockets, timers. Safe before, during or after open(). */
  destroy(): void {
    this.source.destroy();
    for (const stage of this.stages) stage.destroy();
    for (const sink of this.sinks) sink.destroy();
  }

  private addSink(sink: Sink, filter?: BatchFn): void {
    this.sinks.push(sink);
    this.branches.push(branchTo(sink, filter));
  }

  private makeForwarder(): Sink {
    const f = this.opts.forward!;
    const raw = { bindDevice: this.opts.bindDevice, pmtudisc: this.opts.pmtudisc, tx: this.opts.tx };
    this.log.info(`forwarding ${f.transport.toUpperCase()} to ${f.remotes.join(', ')}`);
    switch (f.transport) {
      case 'gre':
        return new GreSink(f.remotes, f.key, raw, this.log);
      case 'vxlan':
        return new VxlanSink(f, raw, this.log);
      case 'zmq':
        return new ZmqSink(f, this.log);
    }
  }

  private makeSource(excludeHosts: string[]): CaptureSource {
    const src = this.opts.source;
    const o = this.opts;
    if (src.kind !== 'file') {
      const exclude = o.nofilter ? [] : excludeHosts;
      const target = src.kind === 'interface' ? interfaceTarget(src.name) : src.kind === 'container' ? new ContainerTarget(src.id, src.iface) : new KvmTarget(src.domain);
      return new LiveSource({
        target,
        filter: (addresses) => buildCaptureFilter(o.expression, exclude, addresses),
        bufferBytes: o.bufferMiB * 1048576,
        timeoutMs: o.timeoutMs,
        log: this.log,
        snaplen: o.snaplen || undefined,
        count: o.count || undefined,
        mac: this.autoMac,
        fanout: this.fanout,
      });
    }
    return new FileSource({ path: src.path, snaplen: this.opts.snaplen || undefined, count: this.opts.count || undefined });
  }

  /**
   * Runs until the source ends (end of file, --count, stop()) and every sink
   * has flushed. Rejects when the input was damaged, or when a file was read
   * and packets were lost to dump write errors (a re-run can recover them).
   */
  async run(): Promise<void> {
    // A file can wait for a slow sink; live capture cannot (see FanOut).
    await pipeline([this.source, ...this.stages, new FanOut(this.branches, this.opts.source.kind === 'file')]);
    if (this.source.failure) throw this.source.failure;
    const lost = this.dump?.lostToErrors ?? 0;
    if (lost > 0 && this.opts.source.kind === 'file') throw new Error(`${lost} packets were not written to the dump files (write errors, see above)`);
    const lostW = this.pcapOut?.lostToErrors ?? 0;
    if (lostW > 0 && this.opts.source.kind === 'file') throw new Error(`${lostW} packets were not written to ${this.opts.write} (write errors, see above)`);
  }

  /** Graceful stop: the source ends, everything read so far is written. */
  stop(): void {
    this.source.stop();
  }

  /** Every drop reason of the stages and the sinks, with its count, as the summary's `dropped:` line names them. */
  private drops(): [string, number][] {
    const drops = STAGE_DROPS.map((reason): [string, number] => [reason, this.stageCounters.reduce((n, c) => (c.reason === reason ? n + c.dropped : n), 0)]);
    this.sinks.forEach((s, i) => {
      for (const [reason, n] of s.counters.dropped) drops.push([`${s.label}: ${reason}`, n]);
      // The fan-out's drops for this sink, under its label: what the sink's queue could not take.
      const { queueFull } = this.branches[i]!;
      if (queueFull.dropped > 0) drops.push([`${s.label}: ${queueFull.reason}`, queueFull.dropped]);
    });
    return drops;
  }

  /** The counts of the source, the stages and the sinks, added up as one channel's. */
  snapshot(): ChannelSnapshot {
    const c = this.source.counters;
    const live = this.source instanceof LiveSource ? this.source : null;
    return {
      index: this.opts.index,
      source: live ? live.label : this.source.name,
      name: this.source.name,
      ...(live && { linkState: live.linkState }),
      captured: { packets: c.captured, bytes: c.capturedBytes },
      firstPacketSec: c.firstTsSec,
      lastPacketSec: c.lastTsSec,
      kernel: c.kernel,
      sinks: this.sinkCounts().map((k) => ({
        label: k.label,
        forwards: FORWARDING.has(k.label),
        packets: k.packets,
        bytes: k.bytes,
        ...(k.files !== undefined && { files: k.files }),
        ...(k.queued !== undefined && { queued: k.queued }),
        ...(k.kernelPath !== undefined && { kernelPath: k.kernelPath }),
      })),
      drops: this.drops().map(([reason, packets]) => ({ reason, packets })),
    };
  }

  summary(): string[] {
    return formatSummary(this.snapshot(), this.source instanceof LiveSource, this.directions(), this.sinkCounts());
  }

  /** `--dir`'s counts by direction code (index code + 1); null without --dir (zeros before open()). */
  directions(): Float64Array | null {
    if (this.opts.dir === null) return null;
    return this.directionCounters?.directions ?? new Float64Array(4);
  }

  /** Each sink's counts (Sink.counts), in sink order. */
  sinkCounts(): SinkCounts[] {
    return this.sinks.map((s) => s.counts());
  }
}

/**
 * A channel's summary lines from its snapshot: what was captured (on a live source, with the kernel's
 * counts), `--dir`'s counts (`directions`, null without --dir), each sink's line (from `sinks`, its
 * counts), every drop reason. One worker's channel and the merge of several (worker-channel.ts) print
 * the same lines this way.
 */
export function formatSummary(s: ChannelSnapshot, live: boolean, directions: Iterable<number> | null, sinks: SinkCounts[]): string[] {
  const captured = `captured ${s.captured.packets} packets (${s.captured.bytes} bytes)`;
  return [
    live ? `${captured} on ${s.source}; ${describeKernelCounts(s.kernel)}` : captured,
    ...(directions === null ? [] : [describeDirections({ directions })]),
    ...sinks.map(describeSink),
    `dropped: ${s.drops.map((d) => `${d.reason} ${d.packets}`).join(', ')}`,
  ];
}

/** Refuses two channels whose `target` (undefined: none) is the same, with the message `clash` gives. */
function refuseShared(channels: ChannelLike[], target: (c: ChannelLike) => string | undefined, clash: (key: string, first: number, second: number) => string): void {
  const seen = new Map<string, number>();
  for (const c of channels) {
    const key = target(c);
    if (key === undefined) continue;
    const other = seen.get(key);
    if (other !== undefined) throw new UserError(clash(key, other, c.opts.index));
    seen.set(key, c.opts.index);
  }
}

/**
 * Two channels must never write into one directory: their files would
 * collide or interleave. Refused at start-up, naming both groups.
 */
export function refuseSharedDumpDirs(channels: ChannelLike[]): void {
  refuseShared(
    channels,
    (c) => (c.dumpDir === null ? undefined : resolve(c.dumpDir)),
    (dir, a, b) => `groups ${a} and ${b} would both write dump files to ${dir}; give them different --dump directories`,
  );
}

/**
 * Two channels must never write one -w file, and only one can have standard
 * output (`-w -`): their records would interleave into an unreadable stream.
 */
export function refuseSharedWriteFiles(channels: ChannelLike[]): void {
  refuseShared(
    channels,
    (c) => (c.opts.write === null ? undefined : c.opts.write === '-' ? '-' : resolve(c.opts.write)),
    (key, a, b) => (key === '-' ? `groups ${a} and ${b} both use -w -: only one group can write to standard output` : `groups ${a} and ${b} would both write to ${key} (-w)`),
  );
}

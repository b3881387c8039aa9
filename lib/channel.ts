/**
 * One channel: a capture source, its stages and its sinks, assembled with
 * `pipeline` (the one owner of teardown). A process runs one channel per
 * command-line group.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ChannelOptions } from './config.js';
import { ChannelCounters, describeKernelCounts, type SinkCounters } from './counters.js';
import { UserError } from './errors.js';
import { prefixedLogger, type Logger } from './log.js';
import { buildCaptureFilter } from './filter.js';
import { FileSource } from './sources/file-source.js';
import { LiveSource } from './sources/live-source.js';
import type { CaptureSource } from './sources/source.js';
import { BatchStage, type BatchFn } from './stages/batch-stage.js';
import { makeDirectionFn, parseDirExpression, resolveNicIPv4 } from './stages/direction.js';
import { makeSliceFn } from './stages/slice.js';
import { vlanDecodeBatch } from './stages/vlan.js';
import { makeThrottleFn } from './stages/throttle.js';
import { DumpSink, prepareDumpDir } from './sinks/dump-sink.js';
import { FanOut, type Branch } from './sinks/fan-out.js';
import { GreSink } from './sinks/gre-sink.js';
import { VxlanSink } from './sinks/vxlan-sink.js';
import { ZmqSink } from './sinks/zmq-sink.js';

/** What the channel needs of each sink besides the stream itself. */
interface Sink extends Writable {
  /** Short name for summaries: dump, gre, vxlan, zmq. */
  readonly label: string;
  readonly counters: SinkCounters;
  describe(): string;
}

export class Channel {
  readonly counters = new ChannelCounters();
  readonly log: Logger;
  private readonly source: CaptureSource;
  private readonly stages: BatchStage[] = [];
  private readonly sinks: Sink[] = [];
  private readonly branches: Branch[] = [];

  private dump: DumpSink | null = null;

  /**
   * Builds the channel; throws UserError for anything wrong with its options
   * or files. `excludeHosts`: the remotes of every group, kept out of live
   * capture so that forwarded packets are not captured again (spec §2.2).
   */
  constructor(readonly opts: ChannelOptions, log: Logger, excludeHosts: string[] = []) {
    this.log = prefixedLogger(log, `[-${String(opts.index).padStart(2, '0')}-] `);
    notImplemented(opts);
    const spec = opts.dir === null ? null : parseDirExpression(opts.dir, resolveNicIPv4);
    if (spec?.mode === 'auto') {
      if (opts.source.kind !== 'interface') throw new UserError('--dir auto needs a live interface (its MAC decides the direction); use a host/port expression with -f');
      spec.mac = Buffer.alloc(6);
    }
    this.source = this.openSource(excludeHosts, spec?.mode === 'auto' ? spec.mac : undefined);
    this.stages.push(new BatchStage(vlanDecodeBatch));
    if (spec) this.stages.push(new BatchStage(makeDirectionFn(spec, this.counters)));
    if (opts.slice > 0) this.stages.push(new BatchStage(makeSliceFn(opts.slice)));
    if (opts.dump) {
      const sink = new DumpSink(opts.dump, this.source.name, this.source, this.log);
      prepareDumpDir(sink.dir);
      this.addSink(sink);
      this.dump = sink;
    }
    if (opts.forward) {
      // The rate limit applies to forwarding only: the local record stays complete (spec §4).
      const throttle = opts.mbps > 0 ? makeThrottleFn(opts.mbps, opts.forward.transport, this.counters) : undefined;
      this.addSink(this.openForwarder(), throttle);
    }
  }

  private addSink(sink: Sink, filter?: BatchFn): void {
    this.sinks.push(sink);
    this.branches.push(filter ? { sink, filter } : { sink });
  }

  private openForwarder(): Sink {
    const f = this.opts.forward!;
    const raw = { bindDevice: this.opts.bindDevice, pmtudisc: this.opts.pmtudisc };
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

  private openSource(excludeHosts: string[], mac: Buffer | undefined): CaptureSource {
    const src = this.opts.source;
    const o = this.opts;
    if (src.kind === 'interface') {
      const filter = buildCaptureFilter(o.expression, o.nofilter ? [] : excludeHosts);
      return new LiveSource({
        device: src.name,
        filter,
        bufferBytes: o.bufferMiB * 1048576,
        timeoutMs: o.timeoutMs,
        counters: this.counters,
        log: this.log,
        snaplen: o.snaplen || undefined,
        count: o.count || undefined,
        mac,
        onReopen: () => this.dump?.reopen(),
      });
    }
    if (src.kind !== 'file') throw new Error(`unreachable: ${src.kind}`);
    if (o.expression) throw new UserError('BPF filters (--expression) apply to live capture (-i) only');
    if (src.path !== '-') {
      try {
        accessSync(src.path, fsConstants.R_OK);
        if (statSync(src.path).isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
      } catch (e) {
        throw new UserError(`cannot read capture file ${src.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    this.log.info(`reading ${src.path === '-' ? 'standard input' : src.path}`);
    return new FileSource({ path: src.path, counters: this.counters, snaplen: this.opts.snaplen || undefined, count: this.opts.count || undefined });
  }

  /** Runs until the source ends (end of file, --count, stop()) and every sink has flushed. */
  async run(): Promise<void> {
    await pipeline([this.source, ...this.stages, new FanOut(this.branches)]);
    if (this.source.failure) throw this.source.failure;
  }

  /** Graceful stop: the source ends, everything read so far is written. */
  stop(): void {
    this.source.stop();
  }

  summary(): string[] {
    const c = this.counters;
    const drops: [string, number][] = [
      ['direction unknown', c.droppedDirection],
      ['throttled', c.droppedThrottled],
    ];
    for (const s of this.sinks) for (const [reason, n] of s.counters.dropped) drops.push([`${s.label}: ${reason}`, n]);
    return [
      `captured ${c.captured} packets (${c.capturedBytes} bytes)${this.source instanceof LiveSource ? `; ${describeKernelCounts(c)}` : ''}`,
      ...this.sinks.map((s) => s.describe()),
      `dropped: ${drops.map(([r, n]) => `${r} ${n}`).join(', ')}`,
    ];
  }
}

/** Options whose sources or sinks land in later issues; a clear refusal beats a silent no-op. */
function notImplemented(o: ChannelOptions): void {
  const missing: string[] = [];
  if (o.source.kind === 'container') missing.push('container capture (--container)');
  if (o.source.kind === 'kvm') missing.push('KVM capture (-m/--kvm)');
  if (o.control) missing.push('the status port (--control)');
  if (o.cpu !== null) missing.push('CPU pinning (--cpu)');
  if (missing.length) throw new UserError(`not implemented yet: ${missing.join(', ')}`);
}

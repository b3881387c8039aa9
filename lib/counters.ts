/**
 * Counters, one owner each: a source counts what it captured (SourceCounters), a stage what it
 * removed (StageCounters), a sink what it wrote or sent and what it dropped (SinkCounters, per
 * remote with RemoteCounters). The channel only reads and adds them up (Channel.snapshot), so
 * every packet it takes in is either written by its sinks or counted under a drop reason: nothing
 * disappears silently. The functions below word counts for the summary; they read plain data, so
 * the merged counts of several workers read as one channel's.
 */
import type { Batch } from './packet.js';

/** The kernel's counts for live capture (pcap_stats of every handle, accumulated); all 0 for files. */
export interface KernelCounts {
  /** Frames the filter accepted, those dropped included. */
  received: number;
  /** Dropped because the capture ring was full. */
  dropped: number;
  /** Dropped by the interface (driver), where it reports them. */
  interfaceDropped: number;
}

/** What a capture source delivered, and for live capture what the kernel counted. */
export class SourceCounters {
  /** Packets and bytes (original caplen) delivered. */
  captured = 0;
  capturedBytes = 0;
  /** Capture time (seconds) of the first and the latest packet delivered; 0 before the first. */
  firstTsSec = 0;
  lastTsSec = 0;
  /** Live capture, from pcap_stats of every capture handle the source opened. */
  kernelReceived = 0;
  /** Frames the kernel dropped because the capture ring was full. */
  kernelDropped = 0;
  /** Frames the interface (driver) dropped, where it reports them. */
  interfaceDropped = 0;

  /** The source delivered `batch`, `bytes` bytes of it: counted, and its capture times noted (once per batch). */
  addCaptured(batch: Batch, bytes: number): void {
    if (batch.length === 0) return;
    this.captured += batch.length;
    this.capturedBytes += bytes;
    if (this.firstTsSec === 0) this.firstTsSec = batch.tsSec[0]!;
    this.lastTsSec = batch.tsSec[batch.length - 1]!;
  }

  get kernel(): KernelCounts {
    return { received: this.kernelReceived, dropped: this.kernelDropped, interfaceDropped: this.interfaceDropped };
  }
}

/** What one stage removed from the batches, under its one drop reason (as the summary's `dropped:` line names it). */
export class StageCounters {
  dropped = 0;
  constructor(readonly reason: string) {}
}

/** The kernel's counts for live capture, worded as tcpdump's end-of-capture lines. */
export function describeKernelCounts(k: KernelCounts): string {
  return `kernel: ${k.received} received by filter, ${k.dropped} dropped (ring full), ${k.interfaceDropped} dropped by interface`;
}

/**
 * `--dir`'s counts: `direction: in 8, out 8, unknown 0 (dropped)`. No `none`: with --dir the stage gives every
 * frame in, out or unknown.
 */
export function describeDirections(c: { readonly directions: Iterable<number> }): string {
  const [unknown, , inward, outward] = c.directions;
  return `direction: in ${inward}, out ${outward}, unknown ${unknown} (dropped)`;
}

/** What a forwarding sink sent to one remote (GRE, VXLAN), or had confirmed delivered by it (ZeroMQ). */
export class RemoteCounters {
  packets = 0;
  bytes = 0;
  constructor(readonly address: string) {}
}

/** Counters every sink keeps; the final summary prints them per sink. */
export class SinkCounters {
  packets = 0;
  bytes = 0;
  /** Packets the sink could not deliver (I/O or send error, queue full), by reason. */
  readonly dropped = new Map<string, number>();
  /** A forwarding sink's remotes, in the order given (none for files). */
  readonly remotes: readonly RemoteCounters[];

  constructor(remotes: readonly string[] = []) {
    this.remotes = remotes.map((address) => new RemoteCounters(address));
  }

  drop(reason: string, packets: number): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + packets);
  }

  /** The counts as plain data, for the summary line and the worker reports; `more` adds what only this kind of sink has. */
  counts(label: string, more: Omit<SinkCounts, 'label' | 'packets' | 'bytes' | 'remotes'> = {}): SinkCounts {
    return {
      label,
      packets: this.packets,
      bytes: this.bytes,
      ...more,
      ...(this.remotes.length > 0 && { remotes: this.remotes.map(({ address, packets, bytes }) => ({ address, packets, bytes })) }),
    };
  }
}

/**
 * One sink's counts at one moment as plain data (Sink.counts()): what its summary line says
 * (describeSink), what the snapshot's sink entry holds, what a worker posts of it; workers' counts
 * of one sink add up number by number (worker-merge.ts).
 */
export interface SinkCounts {
  /** dump, -w, gre, vxlan, zmq. */
  label: string;
  packets: number;
  bytes: number;
  /** Where a dump or -w writes: its directory, its file (or standard output). */
  to?: string;
  /** The dump: files written so far. */
  files?: number;
  /** ZeroMQ: batches queued and not yet confirmed delivered, and the packets in them. */
  queued?: number;
  inFlight?: number;
  /** Forwarders: per remote, in the order given. */
  remotes?: { address: string; packets: number; bytes: number }[];
  /** GRE/VXLAN with --tx auto or packet: of `packets`, those the kernel's IP output sent (lib/sinks/packet-sender.ts). */
  kernelPath?: number;
}

/**
 * A sink's summary line: `dump to /d: 8 packets in 1 file(s)`, `gre: sent 5 datagrams (10.1.1.1 5 packets 700 bytes)`,
 * with --tx auto or packet `…, 1 of them through the kernel's IP output`.
 */
export function describeSink(c: SinkCounts): string {
  const perRemote = (c.remotes ?? []).map((r) => `${r.address} ${r.packets} packets ${r.bytes} bytes`).join(', ');
  switch (c.label) {
    case 'dump':
      return `dump to ${c.to}: ${c.packets} packets in ${c.files} file(s)`;
    case '-w':
      return `write to ${c.to}: ${c.packets} packets (${c.bytes} bytes)`;
    case 'zmq':
      return `zmq: delivered ${c.packets} packets (${perRemote})${c.inFlight ? `, ${c.inFlight} in flight` : ''}`;
    default:
      return `${c.label}: sent ${c.packets} datagrams (${perRemote})${c.kernelPath !== undefined ? `, ${c.kernelPath} of them through the kernel's IP output` : ''}`;
  }
}

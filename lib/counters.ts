/**
 * Counters, one owner each: a source counts what it captured (SourceCounters), a stage what it
 * removed (StageCounters), a sink what it wrote or sent and what it dropped (SinkCounters). The
 * channel only reads and adds them up (Channel.snapshot), so every packet it takes in is either
 * written by its sinks or counted under a drop reason: nothing disappears silently.
 */
import type { Batch } from './packet.js';

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
  /** Frames the kernel dropped because the capture ring was full (or the addon out of memory). */
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
}

/** What one stage removed from the batches, under its one drop reason (as the summary's `dropped:` line names it). */
export class StageCounters {
  dropped = 0;
  constructor(readonly reason: string) {}
}

/** The kernel's counts for live capture, worded as tcpdump's end-of-capture lines. */
export function describeKernelCounts(c: Pick<SourceCounters, 'kernelReceived' | 'kernelDropped' | 'interfaceDropped'>): string {
  return `kernel: ${c.kernelReceived} received by filter, ${c.kernelDropped} dropped (ring full), ${c.interfaceDropped} dropped by interface`;
}

/**
 * `--dir`'s counts: `direction: in 8, out 8, unknown 0 (dropped)`. No `none`: with --dir the stage gives every
 * frame in, out or unknown.
 */
export function describeDirections(c: { readonly directions: Iterable<number> }): string {
  const [unknown, , inward, outward] = c.directions;
  return `direction: in ${inward}, out ${outward}, unknown ${unknown} (dropped)`;
}

/** Counters every sink keeps; the final summary prints them per sink. */
export class SinkCounters {
  packets = 0;
  bytes = 0;
  /** Packets the sink could not deliver (I/O or send error, queue full), by reason. */
  readonly dropped = new Map<string, number>();

  drop(reason: string, packets: number): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + packets);
  }
}

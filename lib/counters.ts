/**
 * Per-channel counters. Every packet a channel takes in is either written by
 * its sinks or counted here under a drop reason: nothing disappears silently.
 */
import type { Batch } from './packet.js';

export class ChannelCounters {
  /** Packets and bytes (original caplen) delivered by the source. */
  captured = 0;
  capturedBytes = 0;
  /** Capture time (seconds) of the first and the latest packet delivered; 0 before the first. */
  firstTsSec = 0;
  lastTsSec = 0;
  /** Live capture, from pcap_stats of every capture handle the channel opened. */
  kernelReceived = 0;
  /** Frames the kernel dropped because the capture ring was full (or the addon out of memory). */
  kernelDropped = 0;
  /** Frames the interface (driver) dropped, where it reports them. */
  interfaceDropped = 0;
  /** Dropped because `--dir` could not classify them (spec §3). */
  droppedDirection = 0;
  /** Dropped by the `--mbps` limiter (spec §4.2). */
  droppedThrottled = 0;
  /** Not forwarded: a link type that cannot be carried as Ethernet (the dump still records them). */
  droppedLinkType = 0;
  /**
   * `--dir`: frames per direction code, at index code + 1 (DIR_UNKNOWN -1, none 0, in 1, out 2): one typed-array
   * increment per frame. Float64 so that a long run cannot wrap, as 32-bit counters would after 4 Gi frames.
   */
  readonly directions = new Float64Array(4);

  /** A source delivered `batch`, `bytes` bytes of it: counted, and its capture times noted (once per batch). */
  addCaptured(batch: Batch, bytes: number): void {
    if (batch.length === 0) return;
    this.captured += batch.length;
    this.capturedBytes += bytes;
    if (this.firstTsSec === 0) this.firstTsSec = batch.tsSec[0]!;
    this.lastTsSec = batch.tsSec[batch.length - 1]!;
  }
}

/** The kernel's counts for live capture, worded as tcpdump's end-of-capture lines. */
export function describeKernelCounts(c: Pick<ChannelCounters, 'kernelReceived' | 'kernelDropped' | 'interfaceDropped'>): string {
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

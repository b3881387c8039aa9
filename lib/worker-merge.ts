/**
 * `--workers N`: what each worker thread reports of its share of a channel
 * (lib/capture-worker.ts), and how the main thread adds the reports up into
 * one ChannelSnapshot and one summary, so that the live counter, the
 * statistics line, the status port (spec §9), the metrics and the summary
 * read as they do with one worker.
 */
import type { ChannelSnapshot } from './channel.js';

/** One worker's counts at one moment: plain data, posted from the worker to the main thread. */
export interface WorkerReport {
  snapshot: ChannelSnapshot;
  /** `--dir`'s counts (DirectionCounters.directions), index code + 1. */
  directions: number[];
  /** Each sink's summary line (Sink.describe), in sink order. */
  sinkLines: string[];
}

/**
 * The reports of the workers of one channel as one: packets, bytes and drops summed (sinks by
 * position, drop reasons by name, in the first report's order), the first packet the earliest,
 * the last the latest. Names, labels and the link state are the first report's: every worker
 * captures the same interface.
 */
export function mergeSnapshots(parts: ChannelSnapshot[]): ChannelSnapshot {
  const [first, ...rest] = parts;
  if (first === undefined) throw new Error('mergeSnapshots: no snapshot');
  const merged: ChannelSnapshot = structuredClone(first);
  for (const s of rest) {
    merged.captured.packets += s.captured.packets;
    merged.captured.bytes += s.captured.bytes;
    if (s.firstPacketSec > 0 && (merged.firstPacketSec === 0 || s.firstPacketSec < merged.firstPacketSec)) merged.firstPacketSec = s.firstPacketSec;
    merged.lastPacketSec = Math.max(merged.lastPacketSec, s.lastPacketSec);
    merged.kernel.received += s.kernel.received;
    merged.kernel.dropped += s.kernel.dropped;
    merged.kernel.interfaceDropped += s.kernel.interfaceDropped;
    s.sinks.forEach((k, i) => {
      const m = merged.sinks[i];
      if (m === undefined || m.label !== k.label) throw new Error(`mergeSnapshots: sink ${i} is ${k.label}, not ${m?.label}`);
      m.packets += k.packets;
      m.bytes += k.bytes;
      if (k.files !== undefined) m.files = (m.files ?? 0) + k.files;
      if (k.queued !== undefined) m.queued = (m.queued ?? 0) + k.queued;
    });
    for (const d of s.drops) {
      const m = merged.drops.find((x) => x.reason === d.reason);
      if (m) m.packets += d.packets;
      else merged.drops.push({ ...d });
    }
  }
  return merged;
}

/** Element by element. */
export function mergeDirections(parts: number[][]): number[] {
  const out = [...(parts[0] ?? [])];
  for (const p of parts.slice(1)) p.forEach((n, i) => (out[i] = (out[i] ?? 0) + n));
  return out;
}

/**
 * A count in a summary line: a whole number standing alone, after the start, a space or `(`, before
 * the end, a space, `,` or `)`. Not the digits of an address (`10.1.1.1`), a port (`:5555`) or a
 * name (`eth0`).
 */
const COUNT = /(?<=^|[\s(])\d+(?=$|[\s,)])/g;

/**
 * The workers' lines for one sink as one line: where the lines differ only in their counts (`gre:
 * sent 5 datagrams (10.1.1.1 5 packets 700 bytes)`), the counts are summed; lines of different
 * shapes (a part present in some only) are given one after the other, each with its worker.
 */
export function mergeCountLines(lines: string[]): string {
  const shape = (l: string): string => l.replace(COUNT, '#');
  const first = lines[0] ?? '';
  if (lines.some((l) => shape(l) !== shape(first))) return lines.map((l, i) => `worker ${i + 1}: ${l}`).join('; ');
  const sums = lines.map((l) => (l.match(COUNT) ?? []).map(Number)).reduce((a, b) => a.map((n, i) => n + b[i]!));
  let i = 0;
  return first.replace(COUNT, () => String(sums[i++]));
}

/** The sink lines of every worker (one array per worker, sinks in order) merged sink by sink. */
export function mergeSinkLines(perWorker: string[][]): string[] {
  return (perWorker[0] ?? []).map((_, k) => mergeCountLines(perWorker.map((lines) => lines[k] ?? '')));
}

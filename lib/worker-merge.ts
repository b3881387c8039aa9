/**
 * `--workers N`: what each worker thread reports of its share of a channel
 * (lib/capture-worker.ts), and how the main thread adds the reports up into
 * one ChannelSnapshot and one summary, so that the live counter, the
 * statistics line, the status port (spec §9), the metrics and the summary
 * read as they do with one worker.
 */
import type { ChannelSnapshot } from './channel.js';
import type { SinkCounts } from './counters.js';

/** One worker's counts at one moment: plain data, posted from the worker to the main thread. */
export interface WorkerReport {
  snapshot: ChannelSnapshot;
  /** `--dir`'s counts (DirectionCounters.directions), index code + 1. */
  directions: number[];
  /** Each sink's counts (Channel.sinkCounts), in sink order. */
  sinks: SinkCounts[];
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
    s.sinks.forEach((k, i) => addSink('mergeSnapshots', merged.sinks, k, i));
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

/** What a snapshot's sink entry and a sink's counts (SinkCounts) have in common. */
type SinkTotals = Pick<SinkCounts, 'label' | 'packets' | 'bytes' | 'files' | 'queued' | 'inFlight' | 'kernelPath'>;

/** Adds `k`, sink `i` of another worker, to the same sink in `merged` (sinks match by position); returns the sum. */
function addSink<T extends SinkTotals>(caller: string, merged: T[], k: T, i: number): T {
  const m = merged[i];
  if (m === undefined || m.label !== k.label) throw new Error(`${caller}: sink ${i} is ${k.label}, not ${m?.label}`);
  m.packets += k.packets;
  m.bytes += k.bytes;
  if (k.files !== undefined) m.files = (m.files ?? 0) + k.files;
  if (k.queued !== undefined) m.queued = (m.queued ?? 0) + k.queued;
  if (k.inFlight !== undefined) m.inFlight = (m.inFlight ?? 0) + k.inFlight;
  if (k.kernelPath !== undefined) m.kernelPath = (m.kernelPath ?? 0) + k.kernelPath;
  return m;
}

/**
 * The workers' counts of each sink (one array per worker, sinks in order) as one sink's: every count
 * summed, remotes by position; the label and where it writes are the first worker's (every worker
 * runs the same sinks). describeSink then words the sum as one sink's line.
 */
export function mergeSinkCounts(perWorker: SinkCounts[][]): SinkCounts[] {
  const [first, ...rest] = perWorker;
  const merged: SinkCounts[] = structuredClone(first ?? []);
  for (const sinks of rest) {
    sinks.forEach((k, i) => {
      const m = addSink('mergeSinkCounts', merged, k, i);
      k.remotes?.forEach((r, j) => {
        const mr = m.remotes?.[j];
        if (mr === undefined || mr.address !== r.address) throw new Error(`mergeSinkCounts: ${k.label} remote ${j} is ${r.address}, not ${mr?.address}`);
        mr.packets += r.packets;
        mr.bytes += r.bytes;
      });
    });
  }
  return merged;
}

/**
 * Hands every batch to several sinks (a dump and a forwarder can run side by
 * side on one channel). A branch may filter its own copy of the batch first
 * (the forwarding rate limit must not thin out the dump). The fan-out ends
 * the sinks at the end and fails if any of them fails.
 *
 * What a slow sink costs:
 * - `lossless` (a file: reading can wait), or a single sink: the fan-out
 *   waits for every sink that asks for backpressure; nothing is dropped here,
 *   and live capture leaves the excess in the kernel ring, which counts what
 *   it cannot hold;
 * - live capture with several sinks: each sink may fall SINK_QUEUE_BATCHES
 *   batches behind; a batch that finds a sink that far behind is dropped for
 *   that sink only and counted, so a stalled disk never stops forwarding and
 *   a stalled receiver never stops the dump. Only when every sink is that far
 *   behind does the fan-out wait (and the ring takes over, as above).
 */
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { StageCounters } from '../counters.js';
import { BATCH_QUEUE, type Batch } from '../packet.js';
import type { BatchFn } from '../stages/batch-stage.js';

/**
 * Batches a live channel's sink may have waiting. A live batch holds at most
 * 256 KiB of frames (lib/native), so this bounds a stalled sink at ~16 MiB.
 */
export const SINK_QUEUE_BATCHES = 64;
export const QUEUE_FULL_DROP = 'queue full (sink too slow)';

export interface Branch {
  sink: Writable;
  /** Applied to each batch before this branch's sink sees it (to a copy when other branches see the batch too). */
  filter?: BatchFn;
  /** What the fan-out dropped for this sink (QUEUE_FULL_DROP): counted here, reported under the sink's label. */
  readonly queueFull: StageCounters;
}

/** A branch to `sink`, its drop count at zero. */
export function branchTo(sink: Writable, filter?: BatchFn): Branch {
  return { sink, ...(filter && { filter }), queueFull: new StageCounters(QUEUE_FULL_DROP) };
}

export class FanOut extends Writable {
  constructor(private readonly branches: Branch[], private readonly lossless: boolean) {
    super({ objectMode: true, highWaterMark: BATCH_QUEUE });
    for (const { sink } of branches) sink.on('error', (e) => this.destroy(e));
  }

  override _write(batch: Batch, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    const waitForAll = this.lossless || this.branches.length === 1 || this.branches.every(({ sink }) => sink.writableLength >= SINK_QUEUE_BATCHES);
    // Every sink that takes the batch (or a copy: the frames are shared) holds it until its write is done,
    // and the fan-out while it hands it out; then its owner may reuse its capture buffer.
    batch.hold();
    let waiting = 1;
    const release = (): void => {
      if (--waiting === 0) done();
    };
    for (const { sink, filter, queueFull } of this.branches) {
      let b = batch;
      if (filter) {
        // The filter changes the batch: a copy, unless no other branch sees it.
        if (this.branches.length > 1) b = batch.slice();
        filter(b);
        if (b.length === 0) continue;
      }
      if (waitForAll) {
        batch.hold();
        if (!sink.write(b, batch.done)) {
          waiting++;
          sink.once('drain', release);
        }
      } else if (sink.writableLength >= SINK_QUEUE_BATCHES) {
        queueFull.dropped += b.length;
      } else {
        batch.hold();
        sink.write(b, batch.done);
      }
    }
    batch.done();
    release();
  }

  override _final(done: (e?: Error | null) => void): void {
    Promise.all(this.branches.map(({ sink }) => (sink.end(), finished(sink)))).then(() => done(), done);
  }

  override _destroy(err: Error | null, done: (e?: Error | null) => void): void {
    for (const { sink } of this.branches) sink.destroy(err ?? undefined);
    done(err);
  }
}

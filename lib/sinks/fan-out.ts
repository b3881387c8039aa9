/**
 * Hands every batch to several sinks (a dump and a forwarder can run side by
 * side on one channel). A branch may filter its own copy of the batch first
 * (the forwarding rate limit must not thin out the dump). The fan-out waits
 * for every sink that asks for backpressure, ends them all at the end, and
 * fails if any of them fails.
 */
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { BATCH_QUEUE, type Batch } from '../packet.js';
import type { BatchFn } from '../stages/batch-stage.js';

export interface Branch {
  sink: Writable;
  /** Applied to a copy of each batch before this branch's sink sees it. */
  filter?: BatchFn;
}

export class FanOut extends Writable {
  constructor(private readonly branches: Branch[]) {
    super({ objectMode: true, highWaterMark: BATCH_QUEUE });
    for (const { sink } of branches) sink.on('error', (e) => this.destroy(e));
  }

  override _write(batch: Batch, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    let waiting = 1;
    const release = (): void => {
      if (--waiting === 0) done();
    };
    for (const { sink, filter } of this.branches) {
      let b = batch;
      if (filter) {
        b = batch.slice();
        filter(b);
        if (b.length === 0) continue;
      }
      if (!sink.write(b)) {
        waiting++;
        sink.once('drain', release);
      }
    }
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

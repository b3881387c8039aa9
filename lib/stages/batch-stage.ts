import { Transform, type TransformCallback } from 'node:stream';
import type { StageCounters } from '../counters.js';
import { BATCH_QUEUE, type Batch } from '../packet.js';

/** A per-batch function: fills packet fields and/or removes packets from the batch in place. */
export type BatchFn = (batch: Batch) => void;

/** A stage that removes packets: its batch function and the counters it alone keeps of what it removed. */
export interface CountingStage<C extends StageCounters = StageCounters> {
  readonly fn: BatchFn;
  readonly counters: C;
}

/**
 * The one stream wrapper every stage uses: stages are pure batch functions
 * (testable without streams); this only moves batches and skips empty ones
 * (which go back to their owner: nobody downstream will hold them).
 */
export class BatchStage extends Transform {
  constructor(private readonly fn: BatchFn) {
    super({ objectMode: true, highWaterMark: BATCH_QUEUE });
  }

  override _transform(batch: Batch, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.fn(batch);
    } catch (e) {
      done(e as Error);
      return;
    }
    if (batch.length > 0) this.push(batch);
    else batch.discard();
    done();
  }
}

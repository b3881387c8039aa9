import { Transform, type TransformCallback } from 'node:stream';
import { BATCH_QUEUE, type Batch } from '../packet.js';

/** A per-batch function: fills packet fields and/or removes packets from the batch in place. */
export type BatchFn = (batch: Batch) => void;

/**
 * The one stream wrapper every stage uses: stages are pure batch functions
 * (testable without streams); this only moves batches and skips empty ones.
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
    done();
  }
}

/**
 * `--slice N` (spec §4.1): keep at most N captured bytes of each frame; the
 * wire length stays, so pcap headers still tell how long the frame was.
 * l3Offset is left as found and may then lie at or beyond caplen: every
 * reader bounds its reads by caplen.
 */
import type { Batch } from '../packet.js';
import type { BatchFn } from './batch-stage.js';

/** n > 0: caplen = min(n, caplen) for every packet; n <= 0 leaves the batch alone. */
export function sliceBatch(batch: Batch, n: number): void {
  if (n <= 0) return;
  const caplen = batch.caplen;
  for (let i = 0; i < batch.length; i++) if (caplen[i]! > n) caplen[i] = n;
}

/** The slice stage's function; slicing disabled (n <= 0) is a no-op function, not a per-batch test (STYLE 11). */
export function makeSliceFn(n: number): BatchFn {
  if (n <= 0) return () => {};
  return (batch) => sliceBatch(batch, n);
}

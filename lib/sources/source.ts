import type { Readable } from 'node:stream';
import type { SourceCounters } from '../counters.js';

/**
 * What every capture source is: an object-mode Readable of Batch chunks,
 * each carrying its format and generation (PacketBatch), plus what the
 * channel and the summary need to know about it. Constructing one does no
 * I/O; open() acquires the file or the capture handle and throws a UserError
 * for what cannot work, and destroy() releases what it acquired.
 */
export interface CaptureSource extends Readable {
  open(): void | Promise<void>;
  /** What it captured (and for live capture, what the kernel counted): its own, for the channel to read. */
  readonly counters: SourceCounters;
  /** Names the dump sub-directory of this source. */
  readonly name: string;
  /** Set when the source ended because the input was damaged or unreadable; the stream still ends normally. */
  readonly failure: Error | null;
  /** Graceful end (SIGINT): stop reading, emit what was read, then end the stream. */
  stop(): void;
}

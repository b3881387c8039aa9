import type { Readable } from 'node:stream';

/**
 * What every capture source is: an object-mode Readable of Batch chunks,
 * plus what the sinks and the summary need to know about it.
 */
export interface CaptureSource extends Readable {
  /** Names the dump sub-directory of this source. */
  readonly name: string;
  /** Timestamp precision to record in dump files (valid once the first batch was emitted). */
  readonly nanos: boolean;
  /** Snaplen to record in dump file headers. */
  readonly snaplen: number;
  /** Set when the source ended because the input was damaged or unreadable; the stream still ends normally. */
  readonly failure: Error | null;
  /** Graceful end (SIGINT): stop reading, emit what was read, then end the stream. */
  stop(): void;
}

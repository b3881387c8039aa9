/**
 * `-w FILE` and `-w -`: the whole capture as one plain pcap file, or as a pcap
 * stream on standard output, what tcpdump and dumpcap write (no `<source>/`
 * directory, no rotation: those belong to `--dump`).
 *
 * - FILE is created like a dump file (dump-file.ts: O_CREAT|O_EXCL|O_NOFOLLOW,
 *   whole records only, short writes completed or cut back). tcpdump opens it
 *   with fopen("w"), truncating whatever is there and following links; an agent
 *   running as root must not, so an existing FILE (or a link) is refused at
 *   start-up. After a write error (a full disk) the file keeps its whole
 *   records, the batches of the next second are dropped and counted, then
 *   writing resumes at the end of the last whole record.
 * - `-` streams to standard output for `| tcpdump -r -`, `| tshark -r -`,
 *   `| wireshark -k -i -`: the header, then each batch as it arrives (as
 *   tcpdump -U), never faster than the reader takes it. When the reader goes
 *   away (EPIPE: Node ignores SIGPIPE), the channel ends cleanly as tcpdump
 *   does on SIGPIPE: the source stops and what was not written is counted as
 *   `standard output closed`; this is not an error.
 *
 * The header is written with the first packet, from its batch's format and its
 * link type (as for dump files). A capture without any packet writes nothing,
 * and leaves no file.
 */
import { lstatSync } from 'node:fs';
import { Writable } from 'node:stream';
import { SinkCounters, type SinkCounts } from '../counters.js';
import { describeErrno, UserError } from '../errors.js';
import { RateLimitedLog, type Logger } from '../log.js';
import { BATCH_QUEUE, type Batch } from '../packet.js';
import { PcapRecordEncoder } from '../proto/pcap.js';
import { createExclusive } from './dump-directory.js';
import { countFailedAppend, DumpFile, dumpFileHeader } from './dump-file.js';

/** Where the pcap bytes go: a file (FileOutput) or a stream such as standard output (StreamOutput). */
export interface PcapOutput {
  /** The file's path or "standard output", for logs and the summary. */
  readonly name: string;
  /** Acquires the output at start-up; a UserError says why it cannot be used. */
  open(): Promise<void>;
  /**
   * Writes `bytes`: records back to back whose captured lengths are
   * `caplens` (or the file header, with none). Throws a DumpWriteError saying
   * how many whole records got in, or OutputClosedError when nothing more can
   * ever be written.
   */
  append(bytes: Buffer, caplens: ArrayLike<number>): Promise<void>;
  close(): Promise<void>;
}

/** The reader of a stream went away (EPIPE, or the stream was closed): writing is over for good. */
export class OutputClosedError extends Error {
  override name = 'OutputClosedError';
}

/** The captured lengths of no record: a file header. */
const NO_RECORDS = new Uint32Array(0);

/** After a file write error, drop (and count) batches for this long before writing again. */
const RETRY_DELAY_MS = 1000;
export const FILE_ERROR_DROP = 'file error';

export class PcapOutSink extends Writable {
  readonly label = '-w';
  readonly counters = new SinkCounters();
  private readonly errors: RateLimitedLog;
  private encoder: PcapRecordEncoder | null = null;
  private linktype = -1;
  /** The output can take nothing more (its reader went away). */
  private outputGone = false;
  private retryAt = 0;

  /** `onClosed`: called once when the output can take nothing more (the channel then stops its source). */
  constructor(private readonly output: PcapOutput, private readonly log: Logger, private readonly onClosed: () => void) {
    super({ objectMode: true, highWaterMark: BATCH_QUEUE });
    this.errors = new RateLimitedLog(log);
  }

  async open(): Promise<void> {
    await this.output.open();
    this.log.info(`writing pcap to ${this.output.name}`);
  }

  override _write(batch: Batch, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.writeBatch(batch).then(() => done(), done);
  }

  override _final(done: (e?: Error | null) => void): void {
    this.output.close().then(() => done(), done);
  }

  /** Also after a failed start-up or a failure elsewhere in the channel: a file with no record is removed. */
  override _destroy(err: Error | null, done: (e?: Error | null) => void): void {
    this.output.close().then(() => done(err), () => done(err));
  }

  /** The closing reason of a stream output: `standard output closed`. */
  get closedReason(): string {
    return `${this.output.name} closed`;
  }

  /** Packets lost to write errors (not counting those a closed reader did not take). */
  get lostToErrors(): number {
    return this.counters.dropped.get(FILE_ERROR_DROP) ?? 0;
  }

  counts(): SinkCounts {
    return this.counters.counts(this.label, { to: this.output.name });
  }

  private async writeBatch(batch: Batch): Promise<void> {
    if (this.outputGone) {
      this.counters.drop(this.closedReason, batch.length);
      return;
    }
    if (Date.now() < this.retryAt) {
      this.counters.drop(FILE_ERROR_DROP, batch.length);
      return;
    }
    if (this.encoder === null) {
      // The header is all or nothing: a failure leaves the file empty and the next batch tries again.
      const header = dumpFileHeader(batch.format, batch.linktype[0]!);
      if (!(await this.attempt(() => this.output.append(header, NO_RECORDS), batch))) return;
      this.linktype = batch.linktype[0]!;
      this.encoder = new PcapRecordEncoder(batch.format.nanos);
    }
    const kept = this.sameLinkType(batch);
    if (kept.length === 0) return;
    // The encoder reuses its buffer: the write must be over before the next batch is encoded (it is: one batch at a time).
    const records = this.encoder.encode(kept);
    if (await this.attempt(() => this.output.append(records, kept.caplen.subarray(0, kept.length)), kept)) {
      this.counters.packets += kept.length;
      this.counters.bytes += records.length;
    }
  }

  /** A pcap file has one link type; frames of another cannot be recorded in it (as in dump files). */
  private sameLinkType(batch: Batch): Batch {
    const linktype = batch.linktype;
    let differ = false;
    for (let i = 0; i < batch.length && !differ; i++) differ = linktype[i] !== this.linktype;
    if (!differ) return batch;
    // A copy: the other sinks see the whole batch.
    const kept = batch.slice();
    const dropped = kept.retain((i) => kept.linktype[i] === this.linktype);
    this.counters.drop('link type differs from the first frame', dropped);
    return kept;
  }

  /** Runs one write; on failure counts what did not get in and applies the output's policy. Returns true on success. */
  private async attempt(write: () => Promise<void>, packets: Batch): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (e) {
      if (e instanceof OutputClosedError) {
        this.outputGone = true;
        this.counters.drop(this.closedReason, packets.length);
        this.log.info(`${this.closedReason} (${e.message}): stopping the capture`);
        this.onClosed();
        return false;
      }
      const cause = countFailedAppend(this.counters, e, packets.length, FILE_ERROR_DROP);
      this.errors.error('pcap-write', `writing to ${this.output.name} failed: ${describeErrno(cause)}; packets are dropped and counted, writing is tried again in a second`);
      this.retryAt = Date.now() + RETRY_DELAY_MS;
      return false;
    }
  }
}

/** `-w FILE`: one file, created by us at start-up, never an existing file or a link. */
export class FileOutput implements PcapOutput {
  private file: DumpFile | null = null;

  constructor(readonly name: string) {}

  async open(): Promise<void> {
    try {
      this.file = new DumpFile(this.name, await createExclusive(this.name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UserError(`-w: cannot create ${this.name}: ${describeErrno(e)}`);
      // O_EXCL refuses a link of any kind with EEXIST; say which it was.
      const link = lstatSync(this.name, { throwIfNoEntry: false })?.isSymbolicLink();
      throw new UserError(link ? `-w: refusing ${this.name}: it is a symbolic link` : `-w: ${this.name} exists; not overwriting it`);
    }
  }

  append(bytes: Buffer, caplens: ArrayLike<number>): Promise<void> {
    return this.file!.append(bytes, caplens);
  }

  /** Closes the file; one that holds no record is removed, so a rolled-back start-up leaves nothing behind. */
  async close(): Promise<void> {
    const file = this.file;
    this.file = null;
    await file?.close();
  }
}

/** `-w -`: standard output (or any byte stream, for tests). */
export class StreamOutput implements PcapOutput {
  readonly name = 'standard output';
  private gone: Error | null = null;

  constructor(private readonly stream: NodeJS.WritableStream & { readonly isTTY?: boolean }) {}

  async open(): Promise<void> {
    // As gzip does: binary on a terminal helps nobody and can upset it.
    if (this.stream.isTTY) throw new UserError(`-w -: ${this.name} is a terminal; pipe it to a reader (| tcpdump -r -) or redirect it to a file`);
    // EPIPE arrives as an 'error' event as well as through the write's callback; without a listener it would
    // be an uncaught exception. The first error is the one that counts.
    this.stream.on('error', (e: Error) => (this.gone ??= e));
    this.stream.once('close', () => (this.gone ??= new Error('closed')));
  }

  /** One write in flight, finished before the next: backpressure at its strictest (a slow reader slows the sink). */
  append(bytes: Buffer, _caplens: ArrayLike<number>): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (e: Error): void => reject(new OutputClosedError((e as NodeJS.ErrnoException).code ?? e.message));
      if (this.gone) return fail(this.gone);
      this.stream.write(bytes, (e) => (e ? fail(e) : resolve()));
    });
  }

  /** Standard output stays open: Node owns it, and the summary still goes to standard error. */
  async close(): Promise<void> {}
}

/**
 * Records batches to pcap files under `<dir>/<source>/`, one file per
 * `intervalSec` of capture time (spec §6, with the fixes listed in the README)
 * and, with `maxFileBytes` (-C), a new file before a record would make the
 * current one larger; whichever comes first. A batch of a new generation
 * (the source opened capture again after an interface flap) also starts a new
 * file. A file's header is the format and link type of the first batch of its
 * generation. Names: dump-name.ts.
 *
 * Rotation is ours rather than rotating-file-stream's: it follows capture
 * time, must fall between whole records, must survive a full disk without
 * leaving a torn record, and retention must hold across restarts without
 * trusting a history file others could plant (README "Dependencies").
 * Directory and file rules: dump-directory.ts; one file: dump-file.ts.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import type { DumpOptions } from '../config.js';
import { SinkCounters, type SinkCounts } from '../counters.js';
import { describeErrno, UserError } from '../errors.js';
import { RateLimitedLog, type Logger } from '../log.js';
import { BATCH_QUEUE, type Batch } from '../packet.js';
import { PcapRecordEncoder, RECORD_HEADER_LEN } from '../proto/pcap.js';
import { DumpDirError, listDumpFiles, nextSuffix, ownDirectories, ownDirectory, prepareDumpRoot, removeDumpFile, removeEmptyDirectories, retentionVictims } from './dump-directory.js';
import { countFailedAppend, DumpFile, dumpFileHeader } from './dump-file.js';
import { defaultDumpName, DumpNames } from './dump-name.js';

/** After a write error, drop (and count) batches for this long before opening a new file. */
const REOPEN_DELAY_MS = 1000;
/** The drop reason of every packet a dump file did not take. */
export const DUMP_WRITE_DROP = 'dump file error';
/** The drop reason of packets written to a file someone removed meanwhile. */
export const DUMP_REMOVED_DROP = 'dump file removed while written';
/** How often the file being written is checked for removal. */
const LINK_CHECK_MS = 1000;

export class DumpSink extends Writable {
  readonly label = 'dump';
  readonly counters = new SinkCounters();
  /** Files written (each holds at least one record). */
  files = 0;
  /** `<dir>/<source>`; absolute once open() has run. */
  dir: string;
  private readonly errors: RateLimitedLog;
  private file: DumpFile | null = null;
  /** Name of `file` relative to `dir`. */
  private fileName: string | null = null;
  private encoder: PcapRecordEncoder | null = null;
  private linktype = -1;
  private header: Buffer | null = null;
  private readonly names: DumpNames;
  /** Infinity without -C: the per-packet comparison then never rotates. */
  private readonly maxFileBytes: number;
  /** The name (k = 0) of the last file opened and its k: the next file of that name takes k + 1. */
  private lastBase = '';
  private lastK = 0;
  /** The capture time names are evaluated on: the period start, or the run's first record without --interval. */
  private periodStart = 0;
  private periodEnd = Infinity;
  private retryAt = 0;
  /** The generation of the last batch (PacketBatch.generation): a batch of another starts a new file. */
  private generation = 0;
  private nextLinkCheck = 0;
  /** Directories open() created: a channel that ends without writing a file leaves none behind. */
  private readonly createdDirs: string[] = [];

  constructor(private readonly opts: DumpOptions, private readonly sourceName: string, private readonly log: Logger) {
    super({ objectMode: true, highWaterMark: BATCH_QUEUE });
    this.dir = join(opts.dir, sourceName);
    this.names = new DumpNames(opts.nameTemplate ?? defaultDumpName(opts.intervalSec), sourceName);
    this.maxFileBytes = opts.maxFileBytes ?? Infinity;
    this.errors = new RateLimitedLog(log);
  }

  /** Creates and checks `<dir>/<source>` (README "Dump files and safety"); a UserError says why it cannot be used. */
  open(): void {
    const name = this.sourceName;
    if (name === '' || name === '.' || name === '..' || name.includes('/')) throw new UserError(`cannot name a dump directory after the source '${name}'`);
    try {
      this.dir = join(prepareDumpRoot(this.opts.dir, this.createdDirs), name);
      ownDirectory(this.dir, this.createdDirs);
    } catch (e) {
      if (e instanceof DumpDirError) throw new UserError(`--dump: ${e.message}`);
      throw e;
    }
  }

  override _write(batch: Batch, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.writeBatch(batch).then(() => done(), done);
  }

  override _final(done: (e?: Error | null) => void): void {
    this.finishFile().then(() => {
      this.removeUnused();
      done();
    }, done);
  }

  override _destroy(err: Error | null, done: (e?: Error | null) => void): void {
    // Whatever is in the file is whole records: closing is all there is to do.
    const file = this.file;
    this.file = null;
    const closed = (): void => {
      this.removeUnused();
      done(err);
    };
    if (file) file.close().then(closed, closed);
    else closed();
  }

  /** A channel that wrote no file (it failed to start, or saw no packet) leaves no empty directories behind. */
  private removeUnused(): void {
    if (this.files === 0) removeEmptyDirectories(this.createdDirs);
  }

  private async writeBatch(batch: Batch): Promise<void> {
    if (this.encoder === null) {
      this.useFormat(batch);
      this.setPeriod(batch.tsSec[0]!);
    } else if (batch.generation !== this.generation) {
      // The source opened capture again after a gap (an interface flap): continue in a new file, with the
      // header of what it captures now (an interface re-created as another kind has another link type).
      await this.finishFile();
      this.useFormat(batch);
    }
    const { linktype, tsSec, caplen } = batch;
    // What the loop reads of the sink, in locals: only the awaits (flush, finishFile) change them, and each is read again after.
    const fileLinktype = this.linktype;
    const headerLen = this.header!.length;
    const maxFileBytes = this.maxFileBytes;
    let periodEnd = this.periodEnd;
    // Packets from..i-1 go to the current file, written in one go when the file changes or the batch ends;
    // `size`: the current file's bytes with their records.
    let from = 0;
    let size = this.file?.bytes ?? headerLen;
    for (let i = 0, n = batch.length; i < n; i++) {
      if (linktype[i] !== fileLinktype) {
        // A pcap file has one link type; a frame of another cannot be recorded in it.
        await this.flush(batch, from, i);
        from = i + 1;
        size = this.file?.bytes ?? headerLen;
        this.counters.drop('link type differs from the dump file', 1);
        continue;
      }
      const sec = tsSec[i]!;
      if (sec >= periodEnd) {
        await this.flush(batch, from, i);
        from = i;
        await this.finishFile();
        this.setPeriod(sec);
        periodEnd = this.periodEnd;
        size = headerLen;
      }
      const len = RECORD_HEADER_LEN + caplen[i]!;
      // Never split a record; one larger than the limit goes alone into a file of its own.
      if (size + len > maxFileBytes && size > headerLen) {
        await this.flush(batch, from, i);
        from = i;
        await this.finishFile();
        size = headerLen;
      }
      size += len;
    }
    await this.flush(batch, from, batch.length);
  }

  /** The first batch of a generation decides the header of its files: its format, and the link type of its first frame. */
  private useFormat(first: Batch): void {
    this.linktype = first.linktype[0]!;
    this.generation = first.generation;
    this.encoder = new PcapRecordEncoder(first.format.nanos);
    this.header = dumpFileHeader(first.format, this.linktype);
  }

  private setPeriod(sec: number): void {
    const n = this.opts.intervalSec;
    if (n === 0) {
      this.periodStart = sec;
      return;
    }
    // Boundaries at multiples of the interval, like dumpcap's `-b interval`: files start at :00, :15, ...
    this.periodStart = Math.floor(sec / n) * n;
    this.periodEnd = this.periodStart + n;
  }

  /** Writes packets start..end-1 of `batch` to the current file (opened if need be). */
  private async flush(batch: Batch, start: number, end: number): Promise<void> {
    const n = end - start;
    if (n <= 0) return;
    try {
      if (this.file && Date.now() >= this.nextLinkCheck) await this.checkLinked();
      if (!this.file) {
        if (Date.now() < this.retryAt) {
          this.counters.drop(DUMP_WRITE_DROP, n);
          return;
        }
        await this.openFile();
      }
      const records = this.encoder!.encode(batch, start, end);
      await this.file!.append(records, batch.caplen.subarray(start, end));
      this.counters.packets += n;
      this.counters.bytes += records.length;
    } catch (e) {
      await this.broken(countFailedAppend(this.counters, e, n, DUMP_WRITE_DROP));
    }
  }

  /**
   * Someone removed the file being written (or its directory): the records in it are gone, so they
   * are counted as dropped rather than written, and writing goes on in a new file. Checked once a
   * second, not per batch (an fstat).
   */
  private async checkLinked(): Promise<void> {
    this.nextLinkCheck = Date.now() + LINK_CHECK_MS;
    const file = this.file!;
    if (await file.linked()) return;
    this.counters.packets -= file.records;
    this.counters.drop(DUMP_REMOVED_DROP, file.records);
    this.errors.error('dump-removed', `dump: ${file.path} was removed while being written; its ${file.records} packets are counted as dropped, writing goes on in a new file`);
    await this.finishFile();
  }

  /** Opens the current period's file under a name no file has yet, then applies retention. */
  private async openFile(): Promise<void> {
    this.ensureSourceDir();
    const base = this.names.name(this.periodStart, 0);
    ownDirectories(this.dir, base);
    // Scan the directory once per name; then count on (the EEXIST loop still guards against files made meanwhile).
    for (let k = base === this.lastBase ? this.lastK + 1 : nextSuffix(this.dir, base); ; k++) {
      const name = this.names.name(this.periodStart, k);
      try {
        this.file = await DumpFile.create(join(this.dir, name), this.header!);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw e;
      }
      this.fileName = name;
      this.lastBase = base;
      this.lastK = k;
      this.files++;
      this.log.info(`dump file ${this.file.path}`);
      this.applyRetention(name);
      return;
    }
  }

  /** `<dir>/<source>` again if it was deleted (with --dump DIR itself, as after an unmount); checked again either way. */
  private ensureSourceDir(): void {
    const made: string[] = [];
    if (!existsSync(dirname(this.dir))) prepareDumpRoot(this.opts.dir, made);
    ownDirectory(this.dir, made);
    if (made.length > 0) this.log.warn(`dump directory ${this.dir} was gone; created it again`);
  }

  /** Closes the current file (the next batch opens a new one); an empty one is removed. */
  private async finishFile(): Promise<void> {
    const file = this.file;
    const name = this.fileName;
    if (!file) return;
    this.file = null;
    this.fileName = null;
    await file.close();
    if (file.records === 0) this.files--;
    // The newest file counts as "the one being written" until the next one opens, also at the end of a run.
    this.applyRetention(file.records > 0 ? name : null);
  }

  /** Removes the oldest of our files beyond --dump-max-files/--dump-max-size, never `current`. */
  private applyRetention(current: string | null): void {
    const { maxFiles, maxBytes } = this.opts;
    if (maxFiles === 0 && maxBytes === 0) return;
    for (const name of retentionVictims(listDumpFiles(this.dir, this.names), current, maxFiles, maxBytes)) {
      try {
        removeDumpFile(this.dir, name);
        this.log.info(`removed old dump file ${join(this.dir, name)}`);
      } catch (e) {
        this.errors.error('dump-retention', `dump: cannot remove ${join(this.dir, name)}: ${describeErrno(e)}`);
      }
    }
  }

  /** Gives up the current file after an I/O error; a new one is opened after REOPEN_DELAY_MS. */
  private async broken(e: Error): Promise<void> {
    this.errors.error('dump-write', `dump to ${this.dir} failed: ${describeErrno(e)}; packets are dropped and counted until a new file opens`);
    await this.finishFile();
    this.retryAt = Date.now() + REOPEN_DELAY_MS;
  }

  /** Packets lost to write errors, or to a file removed while it was written. */
  get lostToErrors(): number {
    return (this.counters.dropped.get(DUMP_WRITE_DROP) ?? 0) + (this.counters.dropped.get(DUMP_REMOVED_DROP) ?? 0);
  }

  counts(): SinkCounts {
    return this.counters.counts(this.label, { to: this.dir, files: this.files });
  }
}

/**
 * Records batches to pcap files under `<dir>/<source>/`, one file per
 * `intervalSec` of capture time (spec §6, with the fixes listed in the README).
 *
 * File handling is rotating-file-stream's (directory creation, opening,
 * retention of the newest files); the decision *when* to rotate is ours,
 * because it follows capture time and must fall between whole batches so
 * that each file starts with a pcap header and holds whole records.
 * rotating-file-stream rotates only on wall-clock intervals or sizes, so we
 * switch its wall-clock timer off and call its rotate() between writes; both
 * are internals, checked at start-up (`RFS_INTERNALS`) and pinned in package.json.
 */
import { existsSync, mkdirSync, accessSync, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import type { DumpOptions } from '../config.js';
import { SinkCounters } from '../counters.js';
import { UserError } from '../errors.js';
import { RateLimitedLog, type Logger } from '../log.js';
import { BATCH_QUEUE, type Batch, type Packet } from '../packet.js';
import { encodeFileHeader, PcapRecordEncoder } from '../proto/pcap.js';

/** What a dump file header records; read from the source when the first batch arrives. */
export interface DumpFormat {
  readonly nanos: boolean;
  readonly snaplen: number;
}

interface RfsInternals {
  rotate(): Promise<void>;
  interval(): void;
}

const RFS_INTERNALS = ['rotate', 'interval'] as const;
const HISTORY_FILE = '.pktminerg_dump_history';
/** After a write error, drop (and count) batches for this long before opening a new file. */
const REOPEN_DELAY_MS = 1000;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Local-time `YYYYMMDDHH` and `YYYYMMDDHHMMSS` of an epoch second (spec §6). */
export function periodStamps(sec: number): { hour: string; second: string } {
  const d = new Date(sec * 1000);
  const hour = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}${pad(d.getHours())}`;
  return { hour, second: `${hour}${pad(d.getMinutes())}${pad(d.getSeconds())}` };
}

/** The file name (relative to the source directory) for a period; 0-interval dumps have one fixed name. */
export function dumpFileName(intervalSec: number, periodStart: number): string {
  if (intervalSec === 0) return 'pktminerg_dump.pcap';
  const { hour, second } = periodStamps(periodStart);
  return join(hour, `pktminerg_dump_${second}.pcap`);
}

/** Creates the source's dump directory now, so that an unusable one is a start-up error. */
export function prepareDumpDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, fsConstants.W_OK);
  } catch (e) {
    throw new UserError(`cannot write dump files to ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export class DumpSink extends Writable {
  readonly label = 'dump';
  readonly counters = new SinkCounters();
  /** Files opened so far. */
  files = 0;
  readonly dir: string;
  private readonly errors: RateLimitedLog;
  private file: RotatingFileStream | null = null;
  private encoder: PcapRecordEncoder | null = null;
  private linktype = -1;
  private header: Buffer | null = null;
  private needHeader = false;
  private periodStart = 0;
  private periodEnd = Infinity;
  private retryAt = 0;
  /** Set when the source restarted capture: the next batch goes to a new file. */
  private newFile = false;
  /** Packets of the current batch that go to the current file; reused across batches. */
  private readonly pending: Packet[] = [];

  constructor(private readonly opts: DumpOptions, sourceName: string, private readonly format: DumpFormat, private readonly log: Logger) {
    super({ objectMode: true, highWaterMark: BATCH_QUEUE });
    this.dir = join(opts.dir, sourceName);
    this.errors = new RateLimitedLog(log);
  }

  override _write(batch: Batch, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.writeBatch(batch).then(() => done(), done);
  }

  override _final(done: (e?: Error | null) => void): void {
    this.closeFile().then(() => done(), done);
  }

  override _destroy(err: Error | null, done: (e?: Error | null) => void): void {
    this.file?.destroy();
    done(err);
  }

  /** The source restarted capture after a gap (interface flap): continue in a new file. */
  reopen(): void {
    this.newFile = true;
  }

  private async writeBatch(batch: Batch): Promise<void> {
    if (this.encoder === null) this.start(batch[0]!);
    if (this.newFile) {
      this.newFile = false;
      await this.rotate(Math.max(batch[0]!.tsSec, this.periodStart));
    }
    const pending = this.pending;
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      if (p.linktype !== this.linktype) {
        // A pcap file has one link type; a frame of another cannot be recorded in it.
        this.counters.drop('link type differs from the dump file', 1);
        continue;
      }
      if (p.tsSec >= this.periodEnd) {
        await this.flush();
        await this.rotate(p.tsSec);
      }
      pending.push(p);
    }
    await this.flush();
  }

  private start(first: Packet): void {
    this.linktype = first.linktype;
    this.encoder = new PcapRecordEncoder(this.format.nanos);
    this.header = encodeFileHeader({ nanos: this.format.nanos, snaplen: this.format.snaplen || 262144, linktype: this.linktype });
    this.setPeriod(first.tsSec);
  }

  private setPeriod(sec: number): void {
    const n = this.opts.intervalSec;
    if (n === 0) return;
    // Boundaries at multiples of the interval, like dumpcap's `-b interval`: files start at :00, :15, ...
    this.periodStart = Math.floor(sec / n) * n;
    this.periodEnd = this.periodStart + n;
  }

  /** A name for the current period that no existing file has: a restarted or re-opened channel never appends to, or truncates, an old file. */
  private freshName(): string {
    const base = dumpFileName(this.opts.intervalSec, this.periodStart);
    let name = base;
    for (let k = 1; existsSync(join(this.dir, name)); k++) name = base.replace(/\.pcap$/, `.${k}.pcap`);
    return name;
  }

  private async open(): Promise<RotatingFileStream> {
    const { maxFiles, maxBytes } = this.opts;
    const file = createStream(() => this.freshName(), {
      path: this.dir,
      immutable: true,
      // rotating-file-stream keeps `immutable` only together with an interval; its timer is switched off below.
      interval: '1d',
      ...(maxFiles ? { maxFiles: maxFiles - 1 } : {}),
      ...(maxBytes ? { maxSize: `${maxBytes}B` } : {}),
      history: HISTORY_FILE,
    });
    const internals = file as unknown as RfsInternals;
    for (const m of RFS_INTERNALS) {
      if (typeof internals[m] !== 'function') throw new Error(`rotating-file-stream has no ${m}(): update DumpSink for this version`);
    }
    // Rotation follows capture time (see the top of this file), not rfs's wall clock.
    internals.interval = () => {};
    file.on('open', (name: string) => {
      this.files++;
      this.needHeader = true;
      this.log.info(`dump file ${name}`);
    });
    file.on('removed', (name: string) => this.log.info(`removed old dump file ${name}`));
    file.on('warning', (e: Error) => this.errors.error('dump-warning', `dump: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      file.once('open', () => resolve());
      file.once('error', reject);
    });
    file.on('error', (e: Error) => this.errors.error('dump-write', `dump: ${e.message}`));
    return file;
  }

  private async rotate(sec: number): Promise<void> {
    this.setPeriod(sec);
    const file = this.file;
    if (!file) return;
    try {
      await (file as unknown as RfsInternals).rotate();
    } catch (e) {
      this.broken(e as Error);
    }
  }

  private async flush(): Promise<void> {
    const pending = this.pending;
    const n = pending.length;
    if (n === 0) return;
    try {
      if (!this.file) {
        if (Date.now() < this.retryAt) {
          this.counters.drop('dump file error', n);
          return;
        }
        this.file = await this.open();
      }
      const file = this.file;
      if (this.needHeader) {
        await write(file, this.header!);
        this.needHeader = false;
      }
      const records = this.encoder!.encode(pending);
      await write(file, records);
      this.counters.packets += n;
      this.counters.bytes += records.length;
    } catch (e) {
      this.counters.drop('dump file error', n);
      this.broken(e as Error);
    } finally {
      pending.length = 0;
    }
  }

  /** Gives up the current file after an I/O error; a new one is opened after REOPEN_DELAY_MS. */
  private broken(e: Error): void {
    this.errors.error('dump-write', `dump to ${this.dir} failed: ${e.message}; packets are dropped and counted until a new file opens`);
    this.file?.destroy();
    this.file = null;
    this.retryAt = Date.now() + REOPEN_DELAY_MS;
  }

  describe(): string {
    return `dump to ${this.dir}: ${this.counters.packets} packets in ${this.files} file(s)`;
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = null;
    if (!file) return;
    file.end();
    await finished(file).catch((e: Error) => this.errors.error('dump-close', `dump: closing failed: ${e.message}`));
  }
}

function write(file: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    file.write(chunk, (e) => (e ? reject(e) : resolve()));
  });
}

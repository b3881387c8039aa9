/**
 * One pcap dump file being written. Its promise: what it holds is a valid
 * pcap file of whole records, whatever the disk does. A short write is
 * completed; when the disk refuses the rest (ENOSPC, EIO), the file is cut
 * back to the last whole record and the caller learns how many records of
 * the batch reached it. A file that ends up holding no record is removed:
 * no empty or header-only files are left behind.
 */
import { unlink } from 'node:fs/promises';
import type { SinkCounters } from '../counters.js';
import type { CaptureFormat } from '../packet.js';
import { encodeFileHeader, RECORD_HEADER_LEN } from '../proto/pcap.js';
import { createExclusive } from './dump-directory.js';

/** The header of a dump or -w file of `linktype` frames captured as `format` (the first batch's). */
export function dumpFileHeader(format: CaptureFormat, linktype: number): Buffer {
  return encodeFileHeader({ nanos: format.nanos, snaplen: format.snaplen || 262144, linktype });
}

/**
 * After DumpFile.append of `packets` records threw `e`: the whole records that got in are counted as
 * written, the others as dropped for `reason`. Returns the error to report (the cause of a partial write).
 */
export function countFailedAppend(counters: SinkCounters, e: unknown, packets: number, reason: string): Error {
  const partial = e instanceof DumpWriteError ? e : null;
  counters.packets += partial?.records ?? 0;
  counters.bytes += partial?.bytes ?? 0;
  counters.drop(reason, packets - (partial?.records ?? 0));
  return partial?.cause ?? (e as Error);
}

/** What DumpFile needs of an open file (node:fs/promises FileHandle; tests give a fake disk). */
export interface WritableFile {
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  truncate(length: number): Promise<void>;
  stat(): Promise<{ nlink: number }>;
  close(): Promise<void>;
}

/** A write failed part-way: `records` whole records (`bytes` bytes) of the batch are in the file. */
export class DumpWriteError extends Error {
  override name = 'DumpWriteError';
  constructor(override readonly cause: Error, readonly records: number, readonly bytes: number) {
    super(cause.message);
  }
}

export class DumpFile {
  /** Records in the file. */
  records = 0;
  /** Bytes in the file: always the end of a whole record (or of the header). */
  private size = 0;
  /** Size rotation (-C) decides on it. */
  get bytes(): number {
    return this.size;
  }
  private closed = false;

  constructor(readonly path: string, private readonly file: WritableFile) {}

  /** Creates `path` (never an existing file, never through a link) and writes the file header. */
  static async create(path: string, header: Buffer): Promise<DumpFile> {
    const f = new DumpFile(path, await createExclusive(path));
    try {
      await f.writeAll(header);
    } catch (e) {
      await f.close();
      throw e;
    }
    return f;
  }

  /**
   * Appends `records`, pcap records back to back whose captured lengths are
   * `caplens` (none for a file header). On failure throws DumpWriteError
   * after cutting the file back to its last whole record.
   */
  async append(records: Buffer, caplens: ArrayLike<number>): Promise<void> {
    const start = this.size;
    let written = 0;
    try {
      written = await this.writeAll(records);
    } catch (e) {
      written = (e as { written?: number }).written ?? 0;
      let whole = 0;
      let end = 0;
      while (whole < caplens.length && end + RECORD_HEADER_LEN + caplens[whole]! <= written) end += RECORD_HEADER_LEN + caplens[whole++]!;
      this.size = start + end;
      this.records += whole;
      // If even the cut fails the file ends in a torn record, which readers report as truncated after the whole ones.
      if (end < written) await this.file.truncate(this.size).catch(() => {});
      throw new DumpWriteError(e as Error, whole, end);
    }
    this.records += caplens.length;
  }

  /** False once the file was removed (its directory deleted, a cleanup script): what is written then is lost. */
  async linked(): Promise<boolean> {
    return (await this.file.stat()).nlink > 0;
  }

  /** Closes the file; removes it if it holds no record. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close().catch(() => {});
    if (this.records === 0) await unlink(this.path).catch(() => {});
  }

  /** Writes all of `buf` at the end of the file, completing short writes; a throw carries `written`. */
  private async writeAll(buf: Buffer): Promise<number> {
    let off = 0;
    try {
      while (off < buf.length) {
        const { bytesWritten } = await this.file.write(buf, off, buf.length - off, this.size + off);
        // A regular file never takes 0 bytes without an error; don't spin if one does.
        if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
        off += bytesWritten;
      }
    } catch (e) {
      throw Object.assign(e as Error, { written: off });
    }
    this.size += off;
    return off;
  }
}

/**
 * The receiving tools' output: one pcap file, written synchronously batch by
 * batch, so that whatever was received is on disk and whole when the tool
 * stops (signal, --count, end of input).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { Batch } from '../packet.js';
import { encodeFileHeader, PcapRecordEncoder } from '../proto/pcap.js';

export interface PcapFileFormat {
  nanos: boolean;
  snaplen: number;
  linktype: number;
}

export class PcapFileWriter {
  packets = 0;
  private fd: number | null;
  private readonly encoder: PcapRecordEncoder;

  /** Refuses to overwrite an existing file, like the reference's gredump. */
  constructor(readonly path: string, format: PcapFileFormat) {
    try {
      this.fd = openSync(path, 'wx');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(code === 'EEXIST' ? `${path} exists; not overwriting it` : `cannot create ${path}: ${code ?? (e as Error).message}`);
    }
    this.encoder = new PcapRecordEncoder(format.nanos);
    writeSync(this.fd, encodeFileHeader(format));
  }

  write(batch: Batch): void {
    if (this.fd === null || batch.length === 0) return;
    const records = this.encoder.encode(batch);
    for (let off = 0; off < records.length; ) off += writeSync(this.fd, records, off);
    this.packets += batch.length;
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

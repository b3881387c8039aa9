/**
 * Classic libpcap file format (https://www.tcpdump.org/manpages/pcap-savefile.5.html,
 * draft-ietf-opsawg-pcap). Pure: no I/O.
 *
 * File header, 24 bytes, in the writer's byte order (the magic tells which):
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        magic: 0xa1b2c3d4 (µs) or 0xa1b23c4d (ns)              |  0
 * +-------------------------------+-------------------------------+
 * |      version major (2)        |      version minor (4)        |  4
 * +-------------------------------+-------------------------------+
 * |                  thiszone (GMT offset, 0)                     |  8
 * +---------------------------------------------------------------+
 * |                  sigfigs (accuracy, 0)                        | 12
 * +---------------------------------------------------------------+
 * |                  snaplen                                      | 16
 * +---------------------------------------------------------------+
 * |                  linktype (LINKTYPE_*)                        | 20
 * +---------------------------------------------------------------+
 *
 * Record header, 16 bytes, followed by incl_len bytes of packet data:
 *
 * +---------------------------------------------------------------+
 * |                  ts_sec (seconds since the epoch)             |  0
 * +---------------------------------------------------------------+
 * |                  ts_usec or ts_nsec (per the magic)           |  4
 * +---------------------------------------------------------------+
 * |                  incl_len (bytes captured in the file)        |  8
 * +---------------------------------------------------------------+
 * |                  orig_len (bytes on the wire)                 | 12
 * +---------------------------------------------------------------+
 */
import { CorruptError, TruncatedError } from '../errors.js';
import { FrameCopier, type Batch } from '../packet.js';

export const MAGIC_USEC = 0xa1b2c3d4;
export const MAGIC_NSEC = 0xa1b23c4d;
export const FILE_HEADER_LEN = 24;
export const RECORD_HEADER_LEN = 16;

export interface PcapFileHeader {
  littleEndian: boolean;
  nanos: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linktype: number;
}

/** True when the 4 bytes at `offset` are a classic pcap magic in either byte order (needs 4 bytes). */
export function isPcapMagic(buf: Buffer, offset: number): boolean {
  const m = buf.readUInt32LE(offset);
  return m === MAGIC_USEC || m === MAGIC_NSEC || m === 0xd4c3b2a1 || m === 0x4d3cb2a1;
}

export function decodeFileHeader(buf: Buffer, offset = 0): PcapFileHeader {
  const available = Math.max(0, buf.length - offset);
  if (available < FILE_HEADER_LEN) throw new TruncatedError('pcap file header', offset, FILE_HEADER_LEN, available);
  let littleEndian = true;
  let magic = buf.readUInt32LE(offset);
  if (magic !== MAGIC_USEC && magic !== MAGIC_NSEC) {
    littleEndian = false;
    magic = buf.readUInt32BE(offset);
    if (magic !== MAGIC_USEC && magic !== MAGIC_NSEC) {
      throw new CorruptError(`unknown pcap magic 0x${buf.readUInt32BE(offset).toString(16).padStart(8, '0')}`, offset);
    }
  }
  const u16 = (o: number): number => (littleEndian ? buf.readUInt16LE(offset + o) : buf.readUInt16BE(offset + o));
  const u32 = (o: number): number => (littleEndian ? buf.readUInt32LE(offset + o) : buf.readUInt32BE(offset + o));
  return {
    littleEndian,
    nanos: magic === MAGIC_NSEC,
    versionMajor: u16(4),
    versionMinor: u16(6),
    snaplen: u32(16),
    linktype: u32(20),
  };
}

/** Little-endian, version 2.4, thiszone 0, sigfigs 0: what libpcap writes on x86. */
export function encodeFileHeader(h: { nanos: boolean; snaplen: number; linktype: number }): Buffer {
  const b = Buffer.alloc(FILE_HEADER_LEN);
  b.writeUInt32LE(h.nanos ? MAGIC_NSEC : MAGIC_USEC, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(h.snaplen, 16);
  b.writeUInt32LE(h.linktype, 20);
  return b;
}

/**
 * Encodes whole batches into record bytes (little-endian), one buffer per
 * batch so a sink does one write per batch. The returned Buffer is a view of
 * an internal buffer (or of the source's bytes, when they are the records)
 * and is valid only until the next `encode` call: write it (or copy it)
 * before encoding again; never write into it.
 *
 * Packets read from a pcap file or from live capture usually still lie in
 * their source as the very records this encoder would write (same header
 * values, same byte order and resolution, back to back): such runs are
 * copied as one span instead of record by record. Only bytes equal to what
 * would be written are taken from the source, so the output never depends on
 * what the source was.
 */
export class PcapRecordEncoder {
  private buf = Buffer.allocUnsafe(1 << 16);
  // Headers through a DataView: Buffer.writeUInt32LE's argument checks cost more than the copy of a small frame.
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  private readonly copier = new FrameCopier(this.buf);

  constructor(private readonly nanos: boolean) {}

  /** The records of packets start..end-1 of `batch` (all by default). */
  encode(batch: Batch, start = 0, end = batch.length): Buffer {
    const { caplen, offset, data, tsSec, tsNsec, wirelen } = batch;
    let need = 0;
    for (let i = start; i < end; i++) need += RECORD_HEADER_LEN + caplen[i]!;
    if (need > this.buf.length) {
      let size = this.buf.length;
      while (size < need) size *= 2;
      this.buf = Buffer.allocUnsafe(size);
      this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
      this.copier.setOutput(this.buf);
    }
    const copier = this.copier;
    const view = this.view;
    const nanos = this.nanos;
    let off = 0;
    // A run of records copied as they lie in `spanSource`, from spanStart to spanEnd.
    let spanSource: Buffer | null = null;
    let spanStart = 0;
    let spanEnd = 0;
    for (let i = start; i < end; i++) {
      const d = data[i]!;
      const at = offset[i]!;
      const len = caplen[i]!;
      // Little-endian; `>>> 0` wraps seconds past 2106 the way gopacket's uint32() does.
      const sec = tsSec[i]! >>> 0;
      const frac = nanos ? tsNsec[i]! : Math.floor(tsNsec[i]! / 1000);
      const wire = wirelen[i]!;
      const head = at - RECORD_HEADER_LEN;
      if (head >= 0 && lies(copier.view(d), head, sec, frac, len, wire)) {
        if (d === spanSource && head === spanEnd) {
          spanEnd = at + len;
          continue;
        }
        if (spanSource !== null) off = copySpan(copier, spanSource, spanStart, spanEnd, off);
        spanSource = d;
        spanStart = head;
        spanEnd = at + len;
        continue;
      }
      if (spanSource !== null) {
        off = copySpan(copier, spanSource, spanStart, spanEnd, off);
        spanSource = null;
      }
      view.setUint32(off, sec, true);
      view.setUint32(off + 4, frac, true);
      view.setUint32(off + 8, len, true);
      view.setUint32(off + 12, wire, true);
      copier.copy(d, at, off + RECORD_HEADER_LEN, len);
      off += RECORD_HEADER_LEN + len;
    }
    // Every record lies in the source exactly as it would be written: that is the output, uncopied.
    const whole = spanSource !== null && off === 0 ? spanSource.subarray(spanStart, spanEnd) : null;
    if (spanSource !== null && whole === null) off = copySpan(copier, spanSource, spanStart, spanEnd, off);
    // Not kept across batches: it would hold the last source buffer alive.
    copier.release();
    return whole ?? this.buf.subarray(0, off);
  }
}

/** True when the 16 bytes at `head` of a source are the record header the encoder would write. */
function lies(v: DataView, head: number, sec: number, frac: number, caplen: number, wirelen: number): boolean {
  return v.getUint32(head + 8, true) === caplen && v.getUint32(head, true) === sec && v.getUint32(head + 4, true) === frac && v.getUint32(head + 12, true) === wirelen;
}

function copySpan(copier: FrameCopier, src: Buffer, start: number, end: number, at: number): number {
  copier.copy(src, start, at, end - start);
  return at + end - start;
}

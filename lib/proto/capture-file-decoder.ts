/**
 * Incremental reader of classic pcap and pcapng files: takes the file in
 * chunks of any size, as a stream delivers them, and adds the packets to a
 * PacketBatch. Pure: no I/O.
 *
 * The file is a sequence of units (the pcap file header, then records; or
 * pcapng blocks), each with a fixed-size head that tells its total length.
 * Units lying wholly in a chunk are decoded in place, so the packets' bytes
 * stay in that chunk; a unit cut by a chunk boundary is kept as a list of
 * copied pieces and joined into one fresh buffer once it is complete. No
 * view of a chunk outlives push() but the packets' (a file source reads into
 * the chunk again once they are done with).
 */
import { CorruptError, TruncatedError } from '../errors.js';
import type { PacketBatch } from '../packet.js';
import { FILE_HEADER_LEN, RECORD_HEADER_LEN, decodeFileHeader, isPcapMagic, type PcapFileHeader } from './pcap.js';
import { BLOCK_SHB, MIN_BLOCK_LEN, PcapngDecoder, type PcapngInterface } from './pcapng.js';

/** libpcap's MAXIMUM_SNAPLEN: what it assumes when a header says snaplen 0. */
const DEFAULT_SNAPLEN = 262144;
const MAGIC_LEN = 4;

/**
 * libpcap's max_snaplen_for_dlt(): the longest record it reads for a link
 * type, whatever the header claims, so a damaged header cannot make a reader
 * buffer gigabytes. D-Bus (231), EBHSCR (279) and USBPcap (249) carry longer
 * frames than 256 KiB.
 */
function maxSnaplenFor(linktype: number): number {
  switch (linktype) {
    case 231:
      return 128 << 20;
    case 279:
      return 8 << 20;
    case 249:
      return 1 << 20;
    default:
      return DEFAULT_SNAPLEN;
  }
}

export class CaptureFileDecoder {
  private _format: 'pcap' | 'pcapng' | null = null;
  private _nanos = false;
  private _snaplen = 0;
  private _linktype = 0;
  /** Bytes of the file decoded so far: the absolute offset of the next unit. */
  private consumed = 0;
  private readonly cap: number;

  // Classic pcap state, set by the file header.
  private headerDone = false;
  private le = true;
  private maxCaplen = 0;
  /** The lower of the file's snaplen and `cap`: the most of a record handed over. */
  private recordCap = 0;

  private ng: PcapngDecoder | null = null;

  /** Start of a unit cut by a chunk boundary (copies), and its total length once its head is complete (0 before). */
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private pendingNeed = 0;

  /** `snaplenCap` > 0 lowers every packet's caplen to at most that many bytes. */
  constructor(snaplenCap?: number) {
    this.cap = snaplenCap !== undefined && snaplenCap > 0 ? snaplenCap : Infinity;
  }

  get format(): 'pcap' | 'pcapng' | null {
    return this._format;
  }
  /** Timestamps finer than µs: the pcap magic, or any pcapng interface with a finer if_tsresol. */
  get nanos(): boolean {
    return this._nanos;
  }
  /** The file's snaplen (pcapng: the largest interface snaplen); 0 or more than libpcap reads for the link type means that limit (262144 for most); 0 until known. */
  get snaplen(): number {
    return this._snaplen;
  }
  /** The file's link type (pcapng: that of the first interface); 0 until known. */
  get linktype(): number {
    return this._linktype;
  }
  get offset(): number {
    return this.consumed;
  }

  /**
   * Decodes every complete unit now available in `chunk[0 .. end)` and adds the packets to `out`.
   * On damage throws CorruptError after adding the packets before it. Only
   * the packets added view `chunk`: the start of a unit it cuts is copied.
   * `end` spares a source whose buffer is longer than its data (FileSource's recycled read
   * buffers) a view of it per read: the packets then refer to the buffer itself, a long-lived
   * object, where a new view per read made every packet's reference a slow write barrier (~4 % of
   * a live run's CPU when live capture was read through this decoder, perf).
   */
  push(chunk: Buffer, out: PacketBatch, end = chunk.length): void {
    let pos = 0;
    if (this.pendingLen > 0) {
      pos = this.completePending(end === chunk.length ? chunk : chunk.subarray(0, end), out);
      if (pos < 0) return;
    }
    pos = this.parse(chunk, pos, end, out);
    if (pos < end) {
      this.pending.push(Buffer.from(chunk.subarray(pos, end)));
      this.pendingLen = end - pos;
    }
  }

  /**
   * Hands back the start of a unit the last chunk cut, copied to the start of `target`, and forgets
   * it; returns its length. The reader then reads on after it into `target` and pushes the two
   * together, so that the unit lies in one buffer with the units after it: a file source's read
   * then holds whole units only, and a dump writes it as it lies (PcapRecordEncoder) instead of
   * copying it record by record behind a joined one. Returns 0 and keeps the piece when there is
   * none, or when its unit is longer than `target` (it is joined from its pieces as before).
   */
  takePending(target: Buffer): number {
    const n = this.pendingLen;
    if (n === 0 || n > target.length || this.pendingNeed > target.length) return 0;
    let at = 0;
    for (const piece of this.pending) at += piece.copy(target, at);
    this.pending = [];
    this.pendingLen = 0;
    this.pendingNeed = 0;
    return n;
  }

  /** Call at end of input: throws TruncatedError if the file stops inside its header or a unit. */
  finish(): void {
    if (this.pendingLen === 0 && this._format !== null) return;
    if (this._format === null) throw new TruncatedError('capture file header', 0, FILE_HEADER_LEN, this.pendingLen);
    const known = this.pendingNeed > 0;
    const what =
      this._format === 'pcapng'
        ? known ? 'pcapng block' : 'pcapng block header'
        : !this.headerDone ? 'pcap file header' : known ? 'pcap record' : 'pcap record header';
    throw new TruncatedError(what, this.consumed, known ? this.pendingNeed : this.headLen(), this.pendingLen);
  }

  /** Decodes whole units of `buf[pos .. end)`; returns where the first incomplete one starts. */
  private parse(buf: Buffer, pos: number, end: number, out: PacketBatch): number {
    const chunk = new Chunk(buf);
    for (;;) {
      // Past the file header, classic pcap is records only: the record loop takes the rest of the chunk.
      if (this.headerDone) return this.parseRecords(chunk, pos, end, out);
      const avail = end - pos;
      if (this._format === null) {
        if (avail < MAGIC_LEN) return pos;
        this.detect(buf, pos);
      }
      if (avail < this.headLen()) return pos;
      const len = this.unitLength(chunk, pos);
      if (avail < len) {
        this.pendingNeed = len;
        return pos;
      }
      this.decodeUnit(chunk, pos, len, out);
      pos += len;
    }
  }

  /**
   * Decodes the whole classic pcap records of `c` from `pos` to `end`; returns where the first
   * incomplete one starts (its length in pendingNeed once its header is in). The one record reader,
   * also of a record joined from pieces (decodeUnit): one loop with the header's settings in locals,
   * since this is every packet of most files.
   */
  private parseRecords(c: Chunk, pos: number, end: number, out: PacketBatch): number {
    const { buf, view } = c;
    const le = this.le;
    const nanos = this._nanos;
    const recordCap = this.recordCap;
    // The fields go straight into the columns; addDecoded then fills the rest for the whole run.
    let i = out.length;
    let { offset, caplen, wirelen, tsSec: seconds, tsNsec: nanoseconds } = out;
    let consumed = 0;
    try {
      while (end - pos >= RECORD_HEADER_LEN) {
        const len = this.recordLength(view, pos, this.consumed + consumed);
        if (end - pos < len) {
          this.pendingNeed = len;
          break;
        }
        if (i === offset.length) {
          out.reserve(i + 1);
          ({ offset, caplen, wirelen, tsSec: seconds, tsNsec: nanoseconds } = out);
        }
        let tsSec = view.getUint32(pos, le);
        const frac = view.getUint32(pos + 4, le);
        const incl = len - RECORD_HEADER_LEN;
        // libpcap hands over a wire length below the captured one as given; we raise it to the captured
        // length (the wire carried at least those bytes), so that no sink or receiver (zmqdump refuses
        // such a packet) sees an impossible frame.
        const orig = view.getUint32(pos + 12, le);
        let tsNsec = nanos ? frac : frac * 1000;
        if (tsNsec >= 1e9) {
          // Sloppy writers leave a fraction of a whole second or more; carry it like gopacket's time.Unix.
          tsSec += Math.floor(tsNsec / 1e9);
          tsNsec %= 1e9;
        }
        offset[i] = pos + RECORD_HEADER_LEN;
        caplen[i] = incl > recordCap ? recordCap : incl;
        wirelen[i] = orig < incl ? incl : orig;
        seconds[i] = tsSec;
        nanoseconds[i] = tsNsec;
        i++;
        consumed += len;
        pos += len;
      }
    } finally {
      // Also when a damaged record throws: the records before it are added and counted (push()).
      out.addDecoded(i, buf, this._linktype);
      this.consumed += consumed;
    }
    return pos;
  }

  /** Adds `chunk` to the pending unit; decodes it once complete and returns how much of `chunk` it took, else -1. */
  private completePending(chunk: Buffer, out: PacketBatch): number {
    const have = this.pendingLen + chunk.length;
    if (this.pendingNeed === 0) {
      if (this._format === null) {
        if (have < MAGIC_LEN) return this.absorb(chunk);
        this.detect(this.gather(MAGIC_LEN, chunk), 0);
      }
      const head = this.headLen();
      if (have < head) return this.absorb(chunk);
      const headBytes = this.gather(head, chunk);
      this.pendingNeed = this.unitLength(new Chunk(headBytes), 0);
    }
    const need = this.pendingNeed;
    if (have < need) return this.absorb(chunk);
    const used = need - this.pendingLen;
    const unit = this.gather(need, chunk);
    this.pending = [];
    this.pendingLen = 0;
    this.pendingNeed = 0;
    this.decodeUnit(new Chunk(unit), 0, need, out);
    return used;
  }

  private absorb(chunk: Buffer): number {
    this.pending.push(Buffer.from(chunk));
    this.pendingLen += chunk.length;
    return -1;
  }

  /** The first `n` bytes of the pending pieces followed by `chunk`, copied into a fresh buffer. */
  private gather(n: number, chunk: Buffer): Buffer {
    this.pending.push(chunk);
    const b = Buffer.concat(this.pending, n);
    this.pending.pop();
    return b;
  }

  private detect(buf: Buffer, pos: number): void {
    if (buf.readUInt32LE(pos) === BLOCK_SHB) {
      this._format = 'pcapng';
      this.ng = new PcapngDecoder((iface) => this.addInterface(iface));
    } else if (isPcapMagic(buf, pos)) {
      this._format = 'pcap';
    } else {
      throw new CorruptError(`unknown capture file magic 0x${buf.readUInt32BE(pos).toString(16).padStart(8, '0')}`, this.consumed);
    }
  }

  private addInterface(iface: PcapngInterface): void {
    if (iface.unitsPerSec > 1_000_000n) this._nanos = true;
    // _snaplen is still 0 only before the first interface of the file.
    if (this._snaplen === 0) this._linktype = iface.linktype;
    this._snaplen = Math.max(this._snaplen, iface.snaplen || DEFAULT_SNAPLEN);
  }

  /** Bytes from which unitLength can tell the length of the next unit. */
  private headLen(): number {
    if (this._format === 'pcapng') return MIN_BLOCK_LEN;
    return this.headerDone ? RECORD_HEADER_LEN : FILE_HEADER_LEN;
  }

  /** Total length of the unit at `pos` (headLen() bytes available); throws CorruptError on an impossible one. */
  private unitLength(c: Chunk, pos: number): number {
    if (this._format === 'pcapng') return this.ng!.blockLength(c.buf, pos, this.consumed);
    return this.headerDone ? this.recordLength(c.view, pos, this.consumed) : FILE_HEADER_LEN;
  }

  /** Total length of the classic pcap record at `pos` (its header available), `at` bytes into the input; throws CorruptError on an impossible one. */
  private recordLength(view: DataView, pos: number, at: number): number {
    const incl = view.getUint32(pos + 8, this.le);
    // As libpcap reads records (sf-pcap.c): longer than its limit for the link type is damage; a
    // captured length above the header's snaplen or above the original length is a sloppy writer
    // (parseRecords mends the packet), and the records after it must not be lost.
    if (incl > this.maxCaplen) {
      throw new CorruptError(`pcap record captured length ${incl} exceeds limit ${this.maxCaplen}`, at);
    }
    return RECORD_HEADER_LEN + incl;
  }

  /** Reads the records that follow as the classic pcap file header `h` says. */
  private useHeader(h: Pick<PcapFileHeader, 'littleEndian' | 'nanos' | 'snaplen' | 'linktype'>): void {
    this.headerDone = true;
    this.le = h.littleEndian;
    this._nanos = h.nanos;
    this._linktype = h.linktype;
    this.maxCaplen = maxSnaplenFor(h.linktype);
    // libpcap's pcap_adjust_snapshot(): 0 or more than the limit means the limit.
    this._snaplen = h.snaplen === 0 || h.snaplen > this.maxCaplen ? this.maxCaplen : h.snaplen;
    // Records above the snaplen are cut to it, as libpcap hands them over.
    this.recordCap = Math.min(this._snaplen, this.cap);
  }

  /** Decodes the complete unit of `len` bytes at `pos` and counts it consumed. */
  private decodeUnit(c: Chunk, pos: number, len: number, out: PacketBatch): void {
    const buf = c.buf;
    if (this._format === 'pcapng') {
      const i = this.ng!.decodeBlock(buf, pos, out, this.consumed);
      if (i >= 0 && out.caplen[i]! > this.cap) out.caplen[i] = this.cap;
    } else if (!this.headerDone) {
      this.useHeader(decodeFileHeader(buf, pos));
    } else {
      // A record joined from the pieces a chunk boundary cut: the record loop reads it, and counts it.
      this.parseRecords(c, pos, pos + len, out);
      return;
    }
    this.consumed += len;
  }
}

/**
 * A chunk as the per-record code reads it, made once per chunk: Buffer's
 * readUInt32LE/BE check their arguments on every call while a DataView's
 * getUint32 compiles to a load.
 */
class Chunk {
  readonly view: DataView;

  constructor(readonly buf: Buffer) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }
}

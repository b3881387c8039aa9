/**
 * pcapng block parsing (draft-ietf-opsawg-pcapng). Pure: no I/O. Not the hot
 * path (live capture and our dumps use classic pcap), so clarity wins over
 * speed here: timestamps go through BigInt.
 *
 * Every block, in the byte order of its section:
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                          Block Type                           |  0
 * +---------------------------------------------------------------+
 * |              Block Total Length (multiple of 4, >= 12)        |  4
 * +---------------------------------------------------------------+
 * /                    Block Body (padded to 4)                   /  8
 * +---------------------------------------------------------------+
 * |                   Block Total Length (again)                  |
 * +---------------------------------------------------------------+
 *
 * Bodies we read (offsets from the block start):
 *   SHB 0x0A0D0D0A  8 byte-order magic 0x1A2B3C4D | 12 major u16 | 14 minor u16 | 16 section length i64 | 24 options
 *   IDB 1           8 linktype u16 | 10 reserved u16 | 12 snaplen u32 | 16 options
 *   EPB 6           8 interface id | 12 ts high | 16 ts low | 20 captured len | 24 original len | 28 data | options
 *   SPB 3           8 original len | 12 data
 * Options: code u16 | length u16 | value padded to 4; code 0 ends the list.
 * Any other block type is skipped by its length.
 */
import { CorruptError, TruncatedError } from '../errors.js';
import type { PacketBatch } from '../packet.js';

export const BLOCK_SHB = 0x0a0d0d0a;
export const BLOCK_IDB = 1;
export const BLOCK_SPB = 3;
export const BLOCK_EPB = 6;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const MIN_BLOCK_LEN = 12;
/** Bounds what an incremental reader buffers for one block, so a damaged length fails instead of swallowing the file. */
export const MAX_BLOCK_LEN = 16 << 20;

const SHB_MIN_LEN = 28;
const IDB_MIN_LEN = 20;
const EPB_MIN_LEN = 32;
const SPB_MIN_LEN = 16;
const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const NS_PER_SEC = 1_000_000_000n;

export interface PcapngInterface {
  linktype: number;
  /** 0 means no limit. */
  snaplen: number;
  /** Timestamp units per second, from if_tsresol (default 10^6). */
  unitsPerSec: bigint;
}

/**
 * Decodes the blocks of one file in order, keeping the per-section state
 * (byte order, interfaces) that later blocks refer to.
 */
export class PcapngDecoder {
  private littleEndian = true;
  private inSection = false;
  /** Interfaces of the current section, by interface id. */
  readonly interfaces: PcapngInterface[] = [];

  /** `onInterface` sees every Interface Description Block as it is decoded. */
  constructor(private readonly onInterface: (iface: PcapngInterface) => void = () => {}) {}

  /**
   * Validated total length of the block at `off`, from its first MIN_BLOCK_LEN
   * bytes. `fileOffset` (absolute position of `off`) is only used in errors.
   */
  blockLength(buf: Buffer, off: number, fileOffset = off): number {
    const available = Math.max(0, buf.length - off);
    if (available < MIN_BLOCK_LEN) throw new TruncatedError('pcapng block header', fileOffset, MIN_BLOCK_LEN, available);
    let le = this.littleEndian;
    if (buf.readUInt32LE(off) === BLOCK_SHB) le = sectionByteOrder(buf, off, fileOffset);
    else if (!this.inSection) throw new CorruptError('pcapng block before the first section header', fileOffset);
    const len = le ? buf.readUInt32LE(off + 4) : buf.readUInt32BE(off + 4);
    if (len < MIN_BLOCK_LEN || len % 4 !== 0) {
      throw new CorruptError(`pcapng block length ${len} is not a multiple of 4 of at least ${MIN_BLOCK_LEN}`, fileOffset);
    }
    if (len > MAX_BLOCK_LEN) throw new CorruptError(`pcapng block length ${len} exceeds ${MAX_BLOCK_LEN}`, fileOffset);
    return len;
  }

  /** Decodes the complete block at `off`; a packet block (EPB, SPB) is added to `out`, its index returned; -1 for any other block. */
  decodeBlock(buf: Buffer, off: number, out: PacketBatch, fileOffset = off): number {
    const len = this.blockLength(buf, off, fileOffset);
    const available = buf.length - off;
    if (available < len) throw new TruncatedError('pcapng block', fileOffset, len, available);
    if (buf.readUInt32LE(off) === BLOCK_SHB) {
      this.decodeSectionHeader(buf, off, len, fileOffset);
      return -1;
    }
    const le = this.littleEndian;
    const u32 = (o: number): number => (le ? buf.readUInt32LE(off + o) : buf.readUInt32BE(off + o));
    if (u32(len - 4) !== len) throw new CorruptError(`pcapng trailing block length ${u32(len - 4)} differs from ${len}`, fileOffset);
    const tooShort = (min: number): CorruptError => new CorruptError(`pcapng block type ${u32(0)} length ${len} below ${min}`, fileOffset);

    switch (u32(0)) {
      case BLOCK_IDB: {
        if (len < IDB_MIN_LEN) throw tooShort(IDB_MIN_LEN);
        const iface: PcapngInterface = {
          linktype: le ? buf.readUInt16LE(off + 8) : buf.readUInt16BE(off + 8),
          snaplen: u32(12),
          unitsPerSec: this.tsresol(buf, off + 16, off + len - 4, fileOffset),
        };
        this.interfaces.push(iface);
        this.onInterface(iface);
        return -1;
      }
      case BLOCK_EPB: {
        if (len < EPB_MIN_LEN) throw tooShort(EPB_MIN_LEN);
        const iface = this.interface(u32(8), fileOffset);
        const caplen = u32(20);
        if (caplen > len - EPB_MIN_LEN) throw new CorruptError(`pcapng captured length ${caplen} exceeds its block`, fileOffset);
        // libpcap (sf-pcapng.c) reads a captured length above the original one; the wire carried at
        // least the captured bytes, so the wire length is raised to it (as for classic pcap).
        const wirelen = Math.max(u32(24), caplen);
        const ts = (BigInt(u32(12)) << 32n) | BigInt(u32(16));
        const u = iface.unitsPerSec;
        // Exact for 10^-n with n <= 9 (1e9 is a multiple of u); truncates finer and binary resolutions.
        const nsec = Number(((ts % u) * NS_PER_SEC) / u);
        return out.add(buf, off + 28, caplen, wirelen, Number(ts / u), nsec, iface.linktype);
      }
      case BLOCK_SPB: {
        if (len < SPB_MIN_LEN) throw tooShort(SPB_MIN_LEN);
        const iface = this.interface(0, fileOffset);
        const wirelen = u32(8);
        // An SPB has no captured length: the data is the frame cut at the interface snaplen.
        let caplen = Math.min(wirelen, len - SPB_MIN_LEN);
        if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
        return out.add(buf, off + 12, caplen, wirelen, 0, 0, iface.linktype);
      }
      default:
        return -1;
    }
  }

  private decodeSectionHeader(buf: Buffer, off: number, len: number, fileOffset: number): void {
    if (len < SHB_MIN_LEN) throw new CorruptError(`pcapng section header length ${len} below ${SHB_MIN_LEN}`, fileOffset);
    const le = sectionByteOrder(buf, off, fileOffset);
    const trailer = le ? buf.readUInt32LE(off + len - 4) : buf.readUInt32BE(off + len - 4);
    if (trailer !== len) throw new CorruptError(`pcapng trailing block length ${trailer} differs from ${len}`, fileOffset);
    const major = le ? buf.readUInt16LE(off + 12) : buf.readUInt16BE(off + 12);
    if (major !== 1) throw new CorruptError(`unsupported pcapng major version ${major}`, fileOffset);
    this.littleEndian = le;
    this.inSection = true;
    this.interfaces.length = 0;
  }

  private interface(id: number, fileOffset: number): PcapngInterface {
    const iface = this.interfaces[id];
    if (iface === undefined) throw new CorruptError(`pcapng packet on undeclared interface ${id}`, fileOffset);
    return iface;
  }

  /** Units per second from the if_tsresol option among the options in [p, end). */
  private tsresol(buf: Buffer, p: number, end: number, fileOffset: number): bigint {
    let units = 1_000_000n;
    while (p + 4 <= end) {
      const code = this.littleEndian ? buf.readUInt16LE(p) : buf.readUInt16BE(p);
      const olen = this.littleEndian ? buf.readUInt16LE(p + 2) : buf.readUInt16BE(p + 2);
      if (code === OPT_ENDOFOPT) break;
      if (p + 4 + olen > end) throw new CorruptError(`pcapng option ${code} overruns its block`, fileOffset);
      if (code === OPT_IF_TSRESOL && olen >= 1) {
        const r = buf[p + 4]!;
        units = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
      }
      p += 4 + ((olen + 3) & ~3);
    }
    return units;
  }
}

/** Byte order of the section whose header block starts at `off` (needs MIN_BLOCK_LEN bytes). */
function sectionByteOrder(buf: Buffer, off: number, fileOffset: number): boolean {
  const bom = buf.readUInt32LE(off + 8);
  if (bom === BYTE_ORDER_MAGIC) return true;
  if (bom === 0x4d3c2b1a) return false;
  throw new CorruptError(`bad pcapng byte-order magic 0x${buf.readUInt32BE(off + 8).toString(16).padStart(8, '0')}`, fileOffset);
}

/**
 * VXLAN (RFC 7348 §5) as the VXLAN exporter sends it (spec §5.3), with the
 * reference's two ways of filling bytes 4..7 and its capTime trailer.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |R|R|R|R|I|R|R|R|            Reserved                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                VXLAN Network Identifier (VNI) |   Reserved    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * v1: VNI = V (direction 0) or (direction << 20) | (V & 0xFFF); the last
 *     byte is a check over the header and the first 34 frame bytes.
 * v2: bytes 4..7 = V + direction as one 32-bit integer.
 *
 * capTime trailer, after the frame: seconds, then µs × 1000 (both uint32 BE).
 *
 * The sink's datagrams are written by the addon (lib/native/encap_records.c, with the same check);
 * this module checks and reads them.
 */
import { CorruptError, TruncatedError } from '../errors.js';

export const VXLAN_HEADER_LEN = 8;
export const CAPTIME_TRAILER_LEN = 8;

const FLAG_I = 0x08;
const VNI_MASK = 0xffffff;
const V1_SHORT_VNI_MASK = 0xfff;
/** VNI bits 19..12: zero whenever the direction sits in bits 23..20. */
const V1_CLEARED_BITS = 0x0ff000;
const V1_DIRECTION_SHIFT = 20;
/** Ethernet + a 20-byte IPv4 header. */
const CHECK_FRAME_BYTES = 34;
const CHECK_SEED = 0x4a3b2d1c;

/**
 * DPDK's raw checksum with the reference's non-zero seed and no final
 * complement: little-endian 16-bit words, an odd last byte added as is,
 * folded twice. `01 02 02 03` gives 31834.
 */
export function seededSum(bytes: Buffer): number {
  return fold(addWords(CHECK_SEED, bytes, 0, bytes.length));
}

/** Adds the little-endian 16-bit words of bytes[from..from+n); an odd last byte counts as a word of its own. */
function addWords(sum: number, bytes: Buffer, from: number, n: number): number {
  const even = from + (n & ~1);
  for (let i = from; i < even; i += 2) sum += bytes[i] | (bytes[i + 1] << 8);
  if ((n & 1) !== 0) sum += bytes[even];
  return sum;
}

function fold(sum: number): number {
  sum = (sum >>> 16) + (sum & 0xffff);
  return (sum >>> 16) + (sum & 0xffff);
}

/**
 * The v1 check byte over `header8` (its byte 7 taken as 0) and the first 34
 * bytes of the frame. Bytes beyond caplen count as zero: the reference mixes
 * in whatever the previous packet left there (spec §5.3 [BUG]). The header
 * is 8 bytes long, so the frame's words start where they would in the
 * reference's contiguous 42 bytes, and trailing zeros add nothing: the sum is
 * taken in place, without copying the 42 bytes together.
 */
export function vxlanCheck(header8: Buffer, frame: Buffer, caplen: number): number {
  if (header8.length < VXLAN_HEADER_LEN) throw new TruncatedError('VXLAN header', 0, VXLAN_HEADER_LEN, header8.length);
  const n = Math.max(0, Math.min(caplen, frame.length, CHECK_FRAME_BYTES));
  return fold(addWords(addWords(CHECK_SEED, header8, 0, VXLAN_HEADER_LEN - 1), frame, 0, n)) & 0xff;
}

export interface VxlanHeader {
  /** 24 bits. */
  vni: number;
  /** Byte 0; the I flag is always set (else the header is rejected). */
  flags: number;
  /** Byte 7: the v1 check, or the low byte of the v2 value. */
  reserved7: number;
}

/** Decodes 8 bytes at `offset`; a clear I flag means no valid VNI (RFC 7348 §5), so it is corrupt. */
export function decodeVxlanHeader(buf: Buffer, offset: number): VxlanHeader {
  const available = Math.max(0, buf.length - offset);
  if (available < VXLAN_HEADER_LEN) throw new TruncatedError('VXLAN header', offset, VXLAN_HEADER_LEN, available);
  const flags = buf[offset];
  if ((flags & FLAG_I) === 0) throw new CorruptError('VXLAN header without the I flag', offset);
  return { vni: buf.readUIntBE(offset + 4, 3), flags, reserved7: buf[offset + 7] };
}

/**
 * Direction code of a v1 VNI. Inherently ambiguous: a v1 VNI sent with
 * direction 0 and V ≥ 0x100000 also has a non-zero top nibble.
 */
export function v1Direction(vni: number): number {
  return (vni >> V1_DIRECTION_SHIFT) & 0xf;
}

/**
 * Whether a received v1 VNI was sent with `configured` as `--vni1`: either
 * exactly V (direction 0), or a direction in bits 23..20, zeros in 19..12
 * and V's low 12 bits.
 */
export function v1MatchesVni(vni24: number, configured: number): boolean {
  const vni = vni24 & VNI_MASK;
  if (vni === (configured & VNI_MASK)) return true;
  return (
    v1Direction(vni) !== 0 &&
    (vni & V1_CLEARED_BITS) === 0 &&
    (vni & V1_SHORT_VNI_MASK) === (configured & V1_SHORT_VNI_MASK)
  );
}

/** Recomputes the v1 check with byte 7 zeroed (not the reference's verifier, which can never agree). */
export function verifyV1Check(header8: Buffer, frame: Buffer, caplen: number): boolean {
  return vxlanCheck(header8, frame, caplen) === header8[VXLAN_HEADER_LEN - 1];
}

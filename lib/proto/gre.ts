/**
 * GRE (RFC 2784) with the Key and Sequence Number extensions (RFC 2890), as
 * the GRE exporter sends it (spec §5.2) and as receivers meet it.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |C|R|K|S|s|Rcur | Rsvd0   | Ver |         Protocol Type         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      Checksum (optional)      |       Reserved1 (optional)    |   C = 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         Key (optional)                        |   K = 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 Sequence Number (optional)                    |   S = 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * We send only K: `20 00 65 58` + key, the key being `keybit | direction << 28` (the direction OR-ed
 * into bits 31..28, not inserted, as the reference does, so the default key 0xFFFFFFFF hides it). The
 * sink's datagrams are written by the addon (lib/native/encap_records.c); this module reads them.
 */
import { CorruptError, TruncatedError } from '../errors.js';

/** Length of the header we send: flags, protocol, key. */
export const GRE_HEADER_LEN = 8;

/** Transparent Ethernet Bridging: the payload is a whole Ethernet frame. */
export const GRE_PROTO_TEB = 0x6558;

const FLAG_C = 0x8000;
const FLAG_K = 0x2000;
const FLAG_S = 0x1000;
/** R, s and the top Recur bit: RFC 2784 §2.3 makes a receiver discard packets with bits 1-5 set (K and S are RFC 2890's). */
const FLAGS_MUST_BE_ZERO = 0x4000 | 0x0800 | 0x0400;
const VERSION_MASK = 0x0007;
const BASE_LEN = 4;
const FIELD_LEN = 4;

export interface GreHeader {
  /** null when the K flag is clear. */
  key: number | null;
  protocol: number;
  /** 4 plus 4 per optional field present: where the payload starts. */
  headerLen: number;
}

/** Decodes a GRE header at `offset`, honouring the C, K and S flags. */
export function decodeGreHeader(buf: Buffer, offset: number): GreHeader {
  const available = Math.max(0, buf.length - offset);
  if (available < BASE_LEN) throw new TruncatedError('GRE header', offset, BASE_LEN, available);
  const flags = (buf[offset] << 8) | buf[offset + 1];
  if ((flags & VERSION_MASK) !== 0) throw new CorruptError(`GRE version ${flags & VERSION_MASK} (expected 0)`, offset);
  if ((flags & FLAGS_MUST_BE_ZERO) !== 0) throw new CorruptError('GRE routing or recursion bits set', offset);
  const protocol = (buf[offset + 2] << 8) | buf[offset + 3];

  let headerLen = BASE_LEN;
  if (flags & FLAG_C) headerLen += FIELD_LEN;
  const keyAt = headerLen;
  if (flags & FLAG_K) headerLen += FIELD_LEN;
  if (flags & FLAG_S) headerLen += FIELD_LEN;
  if (available < headerLen) throw new TruncatedError('GRE header', offset, headerLen, available);

  const key = flags & FLAG_K ? buf.readUInt32BE(offset + keyAt) : null;
  return { key, protocol, headerLen };
}

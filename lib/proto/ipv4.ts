/**
 * IPv4 header (RFC 791) and the port pair that opens both TCP (RFC 9293)
 * and UDP (RFC 768) headers: only what direction classification needs.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------+-------+---------------+-------------------------------+
 *  |Version|  IHL  |      TOS      |          Total Length         |
 *  +-------+-------+---------------+-----+-------------------------+
 *  |        Identification         |Flags|    Fragment Offset      |
 *  +---------------+---------------+-----+-------------------------+
 *  |      TTL      |   Protocol    |        Header Checksum        |
 *  +---------------+---------------+-------------------------------+
 *  |                        Source Address                         |
 *  +---------------------------------------------------------------+
 *  |                      Destination Address                      |
 *  +---------------------------------------------------------------+
 *  |          Options, when IHL > 5 (header = IHL * 4 bytes)       |
 *  +-------------------------------+-------------------------------+
 *  |  Source Port (TCP/UDP)        |  Destination Port (TCP/UDP)   |
 *  +-------------------------------+-------------------------------+
 */

export const IPV4_MIN_HEADER_LEN = 20;
/** The total length field is 16 bits: the longest IPv4 packet, header included. */
export const IPV4_MAX_PACKET_LEN = 0xffff;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_GRE = 47;
export const UDP_HEADER_LEN = 8;

const FRAGMENT_OFFSET_MASK = 0x1fff;

/** What decodeIPv4 found. The caller owns one and reuses it for every packet (STYLE 2). */
export class IPv4View {
  /** Addresses as unsigned 32-bit numbers (10.0.0.5 = 0x0a000005). */
  src = 0;
  dst = 0;
  protocol = 0;
  /** Offset of the transport header: IP offset + IHL * 4. */
  l4Offset = 0;
  /** TCP/UDP ports; 0 for other protocols, for non-first fragments and when the 4 port bytes were not captured. */
  srcPort = 0;
  dstPort = 0;
}

/**
 * Fills `v` from the IPv4 header at `buf[offset .. end)` (`end <= buf.length`).
 * Returns false, leaving `v` untouched, when the bytes are not a parsable
 * IPv4 header: fewer than 20 bytes, version not 4, IHL < 5 or running past end.
 * The Total Length field is ignored on purpose: captures of offloaded
 * (TSO) packets carry 0 there, and `end` already bounds every read.
 */
export function decodeIPv4(buf: Buffer, offset: number, end: number, v: IPv4View): boolean {
  if (offset < 0 || end - offset < IPV4_MIN_HEADER_LEN) return false;
  const versionIhl = buf[offset];
  if (versionIhl >> 4 !== 4) return false;
  const headerLen = (versionIhl & 0x0f) * 4;
  if (headerLen < IPV4_MIN_HEADER_LEN || offset + headerLen > end) return false;

  const protocol = buf[offset + 9];
  const l4 = offset + headerLen;
  v.protocol = protocol;
  v.src = buf.readUInt32BE(offset + 12);
  v.dst = buf.readUInt32BE(offset + 16);
  v.l4Offset = l4;
  // Only the first fragment carries the transport header.
  const firstFragment = (((buf[offset + 6] << 8) | buf[offset + 7]) & FRAGMENT_OFFSET_MASK) === 0;
  if ((protocol === IPPROTO_TCP || protocol === IPPROTO_UDP) && firstFragment && l4 + 4 <= end) {
    v.srcPort = (buf[l4] << 8) | buf[l4 + 1];
    v.dstPort = (buf[l4 + 2] << 8) | buf[l4 + 3];
  } else {
    v.srcPort = 0;
    v.dstPort = 0;
  }
  return true;
}

/** Leading zeros are refused: inet_aton reads `010` as octal, so such text is ambiguous. */
const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/** Strict dotted quad (`a.b.c.d`, each 0..255, no spaces or leading zeros) to uint32, else null. For configuration, not per packet. */
export function parseIPv4(text: string): number | null {
  const m = DOTTED_QUAD.exec(text);
  if (m === null) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n;
}

/** uint32 to dotted quad, for messages. */
export function formatIPv4(n: number): string {
  return `${(n >>> 24) & 0xff}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

/**
 * Link layer: Ethernet II (IEEE 802.3 clause 3, RFC 894), VLAN tags
 * (IEEE 802.1Q, 802.1ad QinQ and the pre-standard 0x9100 TPID) and Linux
 * cooked capture v1 (LINKTYPE_LINUX_SLL, tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html).
 *
 * Ethernet II (LINKTYPE_ETHERNET):
 *
 *   0                   6                   12      14
 *   +-------------------+-------------------+-------+----------
 *   | destination MAC   | source MAC        | type  | payload
 *   +-------------------+-------------------+-------+----------
 *   type >= 0x0600 is an EtherType; smaller values are an 802.3 length.
 *
 * Linux cooked capture v1 (LINKTYPE_LINUX_SLL):
 *
 *   0       2       4       6                               14      16
 *   +-------+-------+-------+-------------------------------+-------+----------
 *   | pkt   | ARPHRD| addr  | link-layer address            | proto | payload
 *   | type  | type  | len   | (8 bytes, zero padded)        |       |
 *   +-------+-------+-------+-------------------------------+-------+----------
 *
 * VLAN tag, repeated while `type` is a TPID (0x8100, 0x88a8, 0x9100):
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-----+-+-----------------------+-------------------------------+
 *  | PCP |D|     VLAN id (12)      |   EtherType or next TPID      |
 *  +-----+-+-----------------------+-------------------------------+
 */
import { LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW, type PacketBatch } from '../packet.js';

export const ETHERNET_HEADER_LEN = 14;
export const LINUX_SLL_HEADER_LEN = 16;
/** Linux cooked capture v2: diagram in link-to-ethernet.ts. */
export const LINUX_SLL2_HEADER_LEN = 20;
/** Where the cooked headers keep sll_pkttype (linux/if_packet.h): SLL a 16-bit field at 0, SLL2 a byte at 10. */
export const SLL_PKTTYPE_OFFSET = 0;
export const SLL2_PKTTYPE_OFFSET = 10;
export const PACKET_BROADCAST = 1;
export const PACKET_OUTGOING = 4;
export const VLAN_TAG_LEN = 4;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
/** 802.1Q customer tag. */
export const ETHERTYPE_VLAN = 0x8100;
/** 802.1ad service tag (QinQ outer). */
export const ETHERTYPE_QINQ = 0x88a8;
/** Pre-802.1ad QinQ outer tag still sent by some switches. */
export const ETHERTYPE_QINQ_LEGACY = 0x9100;
/** Values below this in the type field are 802.3 frame lengths, not EtherTypes. */
export const ETHERTYPE_MIN = 0x0600;

const VLAN_ID_MASK = 0x0fff;

/**
 * Sets vlanOuter, vlanInner, l3Offset and etherType of packet `i` of `b` from
 * the first caplen bytes of its frame. Never throws: a frame too short for its
 * headers, an 802.3 length frame or an unknown linktype gets l3Offset -1 and
 * etherType 0, keeping the VLAN ids of the tags read completely.
 *
 * With more than two tags, vlanOuter is the first and vlanInner the last
 * (the one nearest the payload, the customer VLAN in QinQ).
 * l3Offset (from the frame's start) may equal caplen when the frame ends right after its headers.
 */
export function decodeLinkLayer(b: PacketBatch, i: number): void {
  const d = b.data[i]!;
  const base = b.offset[i]!;
  const end = b.caplen[i]!;
  const linktype = b.linktype[i]!;
  let outer = -1;
  b.vlanOuter[i] = -1;
  b.vlanInner[i] = -1;
  b.l3Offset[i] = -1;
  b.etherType[i] = 0;

  let off: number;
  let type: number;
  // Byte arithmetic instead of readUInt16BE: lengths are checked first,
  // so Buffer's own range check would be redundant on the per-packet path.
  if (linktype === LINKTYPE_ETHERNET || linktype === LINKTYPE_LINUX_SLL) {
    off = linktype === LINKTYPE_ETHERNET ? ETHERNET_HEADER_LEN : LINUX_SLL_HEADER_LEN;
    if (end < off) return;
    type = (d[base + off - 2]! << 8) | d[base + off - 1]!;
  } else if (linktype === LINKTYPE_LINUX_SLL2) {
    off = LINUX_SLL2_HEADER_LEN;
    if (end < off) return;
    type = (d[base]! << 8) | d[base + 1]!;
  } else if (linktype === LINKTYPE_RAW || linktype === LINKTYPE_IPV4 || linktype === LINKTYPE_IPV6) {
    if (end < 1) return;
    off = 0;
    type = ipEtherType(d[base]! >> 4);
    if (type === 0) return;
  } else {
    return;
  }

  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_LEGACY) {
    if (end < off + VLAN_TAG_LEN) return;
    const id = ((d[base + off]! << 8) | d[base + off + 1]!) & VLAN_ID_MASK;
    if (outer < 0) b.vlanOuter[i] = outer = id;
    else b.vlanInner[i] = id;
    type = (d[base + off + 2]! << 8) | d[base + off + 3]!;
    off += VLAN_TAG_LEN;
  }

  if (type < ETHERTYPE_MIN) return;
  b.l3Offset[i] = off;
  b.etherType[i] = type;
}

/** The EtherType of an IP packet's version nibble; 0 for anything else. */
export function ipEtherType(version: number): number {
  return version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : 0;
}

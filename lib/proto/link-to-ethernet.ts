/**
 * Frames of other link types rewritten as Ethernet II, for the transports
 * that carry Ethernet (GRE with protocol 0x6558, VXLAN, the ZMQ batch).
 * Sending them as they are would label a Linux cooked header or a bare IP
 * packet as Ethernet: every receiver would decode garbage.
 *
 *   source link type           header replaced          Ethernet header written
 *   LINUX_SLL (113)            16 bytes                 dst = 00:00:00:00:00:00, or ff.. for broadcast (packet type 1);
 *                                                       src = the link-layer address when it is 6 bytes long;
 *                                                       type = the protocol field
 *   LINUX_SLL2 (276)           20 bytes                 the same, from SLL2's fields
 *   RAW (101), IPV4 (228),     none                     dst, src zero; type 0x0800 or 0x86dd from the version nibble
 *   IPV6 (229)
 *   NULL (0), LOOP (108)       4 bytes (address family) dst, src zero; type from the family (host / network byte order)
 *
 * Linux cooked capture v2 (tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html):
 *
 *   0       2       4               8       10  11  12                      20
 *   +-------+-------+---------------+-------+---+---+-----------------------+----------
 *   | proto | rsvd  | ifindex       | ARPHRD|pkt|len| link-layer address    | payload
 *   +-------+-------+---------------+-------+---+---+-----------------------+----------
 *
 * Cooked capture does not record the destination address: receivers see
 * zeros there (the direction is kept where it is carried: GRE key, VXLAN).
 */
import { LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW } from '../packet.js';
import { ETHERNET_HEADER_LEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ipEtherType, LINUX_SLL2_HEADER_LEN, LINUX_SLL_HEADER_LEN, PACKET_BROADCAST } from './ethernet.js';

const MAC_LEN = 6;
/** BSD AF_INET6 differs per OS (10 Linux, 24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS); AF_INET is 2 everywhere. */
const AF_INET = 2;
const AF_INET6 = new Set([10, 24, 28, 30]);
const NULL_HEADER_LEN = 4;

/**
 * Writes `frame[0..caplen)` of link type `linktype` as an Ethernet II frame at
 * `out[0..]` (out needs caplen + 14 bytes); returns its length, or -1 when the
 * frame is too short for its own header or the type cannot be carried.
 */
export function toEthernet(linktype: number, frame: Buffer, caplen: number, out: Buffer): number {
  let header: number;
  let type: number;
  out.fill(0, 0, 2 * MAC_LEN);
  switch (linktype) {
    case LINKTYPE_ETHERNET:
      frame.copy(out, 0, 0, caplen);
      return caplen;
    case LINKTYPE_LINUX_SLL:
      if (caplen < LINUX_SLL_HEADER_LEN) return -1;
      header = LINUX_SLL_HEADER_LEN;
      type = frame.readUInt16BE(14);
      addresses(out, frame.readUInt16BE(0), frame.readUInt16BE(4), frame, 6);
      break;
    case LINKTYPE_LINUX_SLL2:
      if (caplen < LINUX_SLL2_HEADER_LEN) return -1;
      header = LINUX_SLL2_HEADER_LEN;
      type = frame.readUInt16BE(0);
      addresses(out, frame[10]!, frame[11]!, frame, 12);
      break;
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      if (caplen < 1) return -1;
      header = 0;
      type = ipEtherType(frame[0]! >> 4);
      break;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (caplen < NULL_HEADER_LEN) return -1;
      header = NULL_HEADER_LEN;
      // NULL carries the family in the capturing host's byte order: whichever reading is small is the right one.
      const be = frame.readUInt32BE(0);
      const family = linktype === LINKTYPE_LOOP || be < 0x10000 ? be : frame.readUInt32LE(0);
      type = family === AF_INET ? ETHERTYPE_IPV4 : AF_INET6.has(family) ? ETHERTYPE_IPV6 : 0;
      break;
    }
    default:
      return -1;
  }
  if (type === 0) return -1;
  out.writeUInt16BE(type, 2 * MAC_LEN);
  frame.copy(out, ETHERNET_HEADER_LEN, header, caplen);
  return ETHERNET_HEADER_LEN + caplen - header;
}

/** Destination (broadcast or unknown) and source (the recorded address, when it is a MAC) of a cooked frame. */
function addresses(out: Buffer, pkttype: number, addrLen: number, frame: Buffer, addrOffset: number): void {
  if (pkttype === PACKET_BROADCAST) out.fill(0xff, 0, MAC_LEN);
  if (addrLen === MAC_LEN) frame.copy(out, MAC_LEN, addrOffset, addrOffset + MAC_LEN);
}

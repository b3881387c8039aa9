/**
 * The Ethernet and IPv4 headers of a frame we send ourselves (`--tx packet` and `auto`,
 * lib/sinks/packet-sender.ts): the 34 bytes the kernel's IP output would have
 * written in front of a GRE or UDP datagram. Written once per route; the
 * addon (lib/native/packet_sender.c) copies them in front of each datagram
 * and fills in the total length, the identification and the checksum.
 */
import { ETHERNET_HEADER_LEN, ETHERTYPE_IPV4 } from './ethernet.js';
import { IPV4_MIN_HEADER_LEN } from './ipv4.js';

export const FRAME_HEADER_LEN = ETHERNET_HEADER_LEN + IPV4_MIN_HEADER_LEN;
/** Linux's net.ipv4.ip_default_ttl out of the box. */
export const DEFAULT_TTL = 64;
const DONT_FRAGMENT = 0x4000;

export interface FrameHeaderFields {
  /** Ethernet destination (the next hop) and source (our interface), 6 bytes each. */
  destinationMac: Buffer;
  sourceMac: Buffer;
  /** IPv4 addresses as uint32. */
  source: number;
  destination: number;
  protocol: number;
  /** DF, as the kernel sets it unless path MTU discovery is off (-M dont). */
  dontFragment: boolean;
}

/**
 * Writes the headers into out[0..34): version 4, IHL 5, TOS 0, TTL 64; total length and checksum 0
 * (the sender's per datagram). The identification is left as it is: the sender keeps its running
 * count there across look-ups.
 */
export function writeFrameHeader(out: Buffer, f: FrameHeaderFields): void {
  f.destinationMac.copy(out, 0, 0, 6);
  f.sourceMac.copy(out, 6, 0, 6);
  out.writeUInt16BE(ETHERTYPE_IPV4, 12);
  const ip = ETHERNET_HEADER_LEN;
  out.writeUInt8(0x45, ip);
  out.writeUInt8(0, ip + 1);
  out.writeUInt16BE(0, ip + 2);
  out.writeUInt16BE(f.dontFragment ? DONT_FRAGMENT : 0, ip + 6);
  out.writeUInt8(DEFAULT_TTL, ip + 8);
  out.writeUInt8(f.protocol, ip + 9);
  out.writeUInt16BE(0, ip + 10);
  out.writeUInt32BE(f.source, ip + 12);
  out.writeUInt32BE(f.destination, ip + 16);
}

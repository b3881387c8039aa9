/**
 * GRE and VXLAN datagrams as the forwarding sinks write them: through the addon's encapAppend
 * (lib/native/encap_records.c), one frame at a time, for the encoding tests and for receivers' test
 * input.
 */
import { loadAddon } from '../../lib/native/addon.js';
import { LINKTYPE_ETHERNET, PacketBatch } from '../../lib/packet.js';
import { GRE_HEADER_LEN } from '../../lib/proto/gre.js';
import { IPV4_MAX_PACKET_LEN, IPV4_MIN_HEADER_LEN, UDP_HEADER_LEN } from '../../lib/proto/ipv4.js';
import { VXLAN_HEADER_LEN } from '../../lib/proto/vxlan.js';
import { encapSpec, type Encapsulation } from '../../lib/sinks/datagram-sink.js';
import { greEncapsulation } from '../../lib/sinks/gre-sink.js';
import { vxlanEncapsulation } from '../../lib/sinks/vxlan-sink.js';

/** The longest datagram a sink writes: what an IPv4 packet carries. */
export const MAX_DATAGRAM = IPV4_MAX_PACKET_LEN - IPV4_MIN_HEADER_LEN;
export const VXLAN_TEST_SOURCE_PORT = 50000;
export const VXLAN_TEST_PORT = 4789;

export interface FrameTimes {
  tsSec?: number;
  tsNsec?: number;
  /** Bytes of `frame` captured (default all of it): what lies beyond is not the packet's. */
  caplen?: number;
  /** Where the frame starts in the buffer given (default 0). */
  offset?: number;
}

/** encapAppend's spec for `e`, as a sink makes it: maxFrame what a datagram of MAX_DATAGRAM leaves. */
export const specOf = (e: Encapsulation): Uint32Array => encapSpec(e, MAX_DATAGRAM - e.overhead, MAX_DATAGRAM);

/** The datagram encapAppend writes for one frame lying in `buffer`. */
export function encapsulate(e: Encapsulation, buffer: Buffer, direction: number, t: FrameTimes = {}): Buffer {
  const offset = t.offset ?? 0;
  const caplen = t.caplen ?? buffer.length - offset;
  const batch = new PacketBatch(1);
  batch.add(buffer, offset, caplen, caplen, t.tsSec ?? 0, t.tsNsec ?? 0, LINKTYPE_ETHERNET);
  batch.direction[0] = direction;
  const { encapAppend, datagramHeadroom } = loadAddon();
  const out = Buffer.alloc(datagramHeadroom + MAX_DATAGRAM);
  const lengths = new Uint32Array(1);
  const state = new Float64Array(2);
  const taken = encapAppend(out, lengths, state, specOf(e), buffer, batch.offset, batch.caplen, batch.direction, batch.tsSec, batch.tsNsec, 0, 1);
  if (taken !== 1 || state[1] !== 1 || state[0] !== datagramHeadroom + lengths[0]!) throw new Error(`encapAppend took ${taken} (state ${state.join(', ')})`);
  // The datagram lies after its headroom.
  return out.subarray(datagramHeadroom, datagramHeadroom + lengths[0]!);
}

/** What the sinks write, for --keybit `key`, or VXLAN `version` with `value` as --vni1/--vni2. */
export const gre = greEncapsulation;
export const vxlan = (version: 1 | 2, value: number, capTime = false): Encapsulation =>
  vxlanEncapsulation({ port: VXLAN_TEST_PORT, vni: value, version, capTime }, VXLAN_TEST_SOURCE_PORT);

/** The 8-byte GRE header written for a frame with `key` (--keybit) and `direction`. */
export const greHeader = (key: number, direction: number): Buffer => encapsulate(gre(key), Buffer.alloc(0), direction).subarray(0, GRE_HEADER_LEN);

/** The 8-byte VXLAN header (after UDP) written for `frame` (its first `caplen` bytes, at `offset`). */
export function vxlanHeader(version: 1 | 2, value: number, direction: number, frame: Buffer = Buffer.alloc(0), t: FrameTimes = {}): Buffer {
  return encapsulate(vxlan(version, value), frame, direction, t).subarray(UDP_HEADER_LEN, UDP_HEADER_LEN + VXLAN_HEADER_LEN);
}

/** The VXLAN payload a receiver gets (the UDP header stripped): header, frame and the trailer if asked for. */
export function vxlanPayload(version: 1 | 2, value: number, direction: number, frame: Buffer, capTime?: { tsSec: number; tsNsec: number }): Buffer {
  return encapsulate(vxlan(version, value, capTime !== undefined), frame, direction, capTime ?? {}).subarray(UDP_HEADER_LEN);
}

/**
 * VXLAN exporter (spec §5.3): UDP to `port` of every remote, header version 1
 * (VNI with the direction nibble and the check byte) or 2 (value + direction),
 * optionally followed by the capture-time trailer. The UDP header is ours
 * because the datagrams go out through a raw socket (see raw-ip-sender.ts);
 * its checksum is zero, which IPv4 allows and RFC 7348 §5 recommends.
 */
import type { Logger } from '../log.js';
import { CAPTIME_TRAILER_LEN, VXLAN_HEADER_LEN } from '../proto/vxlan.js';
import { IPPROTO_UDP, UDP_HEADER_LEN } from '../proto/ipv4.js';
import { DatagramSink, ENCAP_VXLAN_V1, ENCAP_VXLAN_V2, type Encapsulation } from './datagram-sink.js';
import type { RawSenderOptions } from './raw-ip-sender.js';

export interface VxlanSinkOptions {
  remotes: string[];
  port: number;
  vni: number;
  version: 1 | 2;
  capTime: boolean;
}

/** The sink's datagrams for options `o`, from UDP port `sourcePort`. */
export function vxlanEncapsulation(o: Omit<VxlanSinkOptions, 'remotes'>, sourcePort: number): Encapsulation {
  return {
    kind: o.version === 1 ? ENCAP_VXLAN_V1 : ENCAP_VXLAN_V2,
    value: o.vni,
    overhead: UDP_HEADER_LEN + VXLAN_HEADER_LEN + (o.capTime ? CAPTIME_TRAILER_LEN : 0),
    sourcePort,
    port: o.port,
    capTime: o.capTime,
  };
}

export class VxlanSink extends DatagramSink {
  constructor(o: VxlanSinkOptions, opts: RawSenderOptions, log: Logger) {
    // The source port is fixed per sink, as the reference's kernel-assigned port is fixed per socket.
    super('vxlan', IPPROTO_UDP, o.remotes, opts, log, vxlanEncapsulation(o, 49152 + Math.floor(Math.random() * 16384)));
  }
}

/**
 * VXLAN exporter (spec §5.3): UDP to `port` of every remote, header version 1
 * (VNI with the direction nibble and the check byte) or 2 (value + direction),
 * optionally followed by the capture-time trailer. The UDP header is ours
 * because the datagrams go out through a raw socket (see raw-ip-sender.ts);
 * its checksum is zero, which IPv4 allows and RFC 7348 §5 recommends.
 */
import type { Logger } from '../log.js';
import type { Batch } from '../packet.js';
import { CAPTIME_TRAILER_LEN, VXLAN_HEADER_LEN, writeCapTimeTrailer, writeVxlanHeaderV1, writeVxlanHeaderV2 } from '../proto/vxlan.js';
import { IPPROTO_UDP, UDP_HEADER_LEN } from '../proto/ipv4.js';
import { DatagramSink } from './datagram-sink.js';
import type { RawSenderOptions } from './raw-ip-sender.js';

const HEADERS = UDP_HEADER_LEN + VXLAN_HEADER_LEN;

export interface VxlanSinkOptions {
  remotes: string[];
  port: number;
  vni: number;
  version: 1 | 2;
  capTime: boolean;
}

export class VxlanSink extends DatagramSink {
  /** Fixed per sink, as the reference's kernel-assigned port is fixed per socket. */
  readonly sourcePort = 49152 + Math.floor(Math.random() * 16384);

  constructor(private readonly o: VxlanSinkOptions, opts: RawSenderOptions, log: Logger) {
    super('vxlan', IPPROTO_UDP, o.remotes, opts, log, HEADERS + (o.capTime ? CAPTIME_TRAILER_LEN : 0));
  }

  protected encode(batch: Batch, i: number, b: Buffer, offset: number): number {
    const n = Math.min(batch.caplen[i]!, this.maxFrame);
    const direction = batch.direction[i]!;
    // The frame first: the v1 check byte is summed over its copy.
    this.copier.copy(batch.data[i]!, batch.offset[i]!, offset + HEADERS, n);
    if (this.o.version === 1) writeVxlanHeaderV1(b, offset + UDP_HEADER_LEN, this.o.vni, direction, b, n, offset + HEADERS);
    else writeVxlanHeaderV2(b, offset + UDP_HEADER_LEN, this.o.vni, direction);
    let length = HEADERS + n;
    if (this.o.capTime) {
      writeCapTimeTrailer(b, offset + length, batch.tsSec[i]!, batch.tsNsec[i]!);
      length += CAPTIME_TRAILER_LEN;
    }
    b.writeUInt16BE(this.sourcePort, offset);
    b.writeUInt16BE(this.o.port, offset + 2);
    b.writeUInt16BE(length, offset + 4);
    b.writeUInt16BE(0, offset + 6);
    return length;
  }
}

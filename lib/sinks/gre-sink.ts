/** GRE exporter (spec §5.2): `20 00 65 58` + key (keybit | direction << 28) + frame, over a raw IP socket. */
import type { Logger } from '../log.js';
import type { Packet } from '../packet.js';
import { GRE_HEADER_LEN, greKey, writeGreHeader } from '../proto/gre.js';
import { IPPROTO_GRE } from '../proto/ipv4.js';
import { DatagramSink, MAX_FORWARDED_CAPLEN } from './datagram-sink.js';
import type { RawSenderOptions } from './raw-ip-sender.js';

export class GreSink extends DatagramSink {
  protected readonly buffer = Buffer.allocUnsafe(GRE_HEADER_LEN + MAX_FORWARDED_CAPLEN);

  constructor(remotes: string[], private readonly key: number, opts: RawSenderOptions, log: Logger) {
    super('gre', IPPROTO_GRE, remotes, opts, log);
  }

  protected encode(p: Packet): number {
    const n = Math.min(p.caplen, MAX_FORWARDED_CAPLEN);
    writeGreHeader(this.buffer, 0, greKey(this.key, p.direction));
    p.data.copy(this.buffer, GRE_HEADER_LEN, 0, n);
    return GRE_HEADER_LEN + n;
  }
}

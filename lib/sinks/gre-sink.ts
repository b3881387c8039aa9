/** GRE exporter (spec §5.2): `20 00 65 58` + key (keybit | direction << 28) + frame, over a raw IP socket. */
import type { Logger } from '../log.js';
import type { Batch } from '../packet.js';
import { GRE_HEADER_LEN, greKey, writeGreHeader } from '../proto/gre.js';
import { IPPROTO_GRE } from '../proto/ipv4.js';
import { DatagramSink } from './datagram-sink.js';
import type { RawSenderOptions } from './raw-ip-sender.js';

export class GreSink extends DatagramSink {
  constructor(remotes: string[], private readonly key: number, opts: RawSenderOptions, log: Logger) {
    super('gre', IPPROTO_GRE, remotes, opts, log, GRE_HEADER_LEN);
  }

  protected encode(b: Batch, i: number, out: Buffer, offset: number): number {
    const n = Math.min(b.caplen[i]!, this.maxFrame);
    writeGreHeader(out, offset, greKey(this.key, b.direction[i]!));
    this.copier.copy(b.data[i]!, b.offset[i]!, offset + GRE_HEADER_LEN, n);
    return GRE_HEADER_LEN + n;
  }
}

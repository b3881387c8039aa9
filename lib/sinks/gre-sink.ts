/** GRE exporter (spec §5.2): `20 00 65 58` + key (keybit | direction << 28) + frame, over a raw IP socket. */
import type { Logger } from '../log.js';
import { GRE_HEADER_LEN } from '../proto/gre.js';
import { IPPROTO_GRE } from '../proto/ipv4.js';
import { DatagramSink, ENCAP_GRE, type Encapsulation } from './datagram-sink.js';
import type { RawSenderOptions } from './raw-ip-sender.js';

/** The sink's datagrams for --keybit `key`. */
export const greEncapsulation = (key: number): Encapsulation => ({ kind: ENCAP_GRE, value: key, overhead: GRE_HEADER_LEN });

export class GreSink extends DatagramSink {
  constructor(remotes: string[], key: number, opts: RawSenderOptions, log: Logger) {
    super('gre', IPPROTO_GRE, remotes, opts, log, greEncapsulation(key));
  }
}

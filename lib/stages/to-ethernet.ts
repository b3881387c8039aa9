/**
 * For the forwarding branches only: frames of other link types (Linux cooked
 * capture from `-i any`, raw IP and loopback captures read with `-f`) become
 * Ethernet II frames, which is what GRE, VXLAN and the ZMQ batch carry
 * (lib/proto/link-to-ethernet.ts). The converted frame is a copy, so the
 * dump, which sees the same packets, keeps the original. Frames that cannot
 * be carried are removed and counted. Ethernet frames pass untouched.
 */
import type { ChannelCounters } from '../counters.js';
import { LINKTYPE_ETHERNET, Packet, type Batch } from '../packet.js';
import { decodeLinkLayer, ETHERNET_HEADER_LEN } from '../proto/ethernet.js';
import { toEthernet } from '../proto/link-to-ethernet.js';
import type { BatchFn } from './batch-stage.js';

export function makeToEthernetFn(counters: ChannelCounters): BatchFn {
  return (batch: Batch) => {
    let w = 0;
    for (let r = 0; r < batch.length; r++) {
      const p = batch[r]!;
      if (p.linktype === LINKTYPE_ETHERNET) {
        batch[w++] = p;
        continue;
      }
      const out = Buffer.allocUnsafe(p.caplen + ETHERNET_HEADER_LEN);
      const n = toEthernet(p.linktype, p.data, p.caplen, out);
      if (n < 0) {
        counters.droppedLinkType++;
        continue;
      }
      const e = new Packet(p.tsSec, p.tsNsec, n, p.wirelen + n - p.caplen, out, LINKTYPE_ETHERNET);
      e.direction = p.direction;
      decodeLinkLayer(e);
      batch[w++] = e;
    }
    batch.length = w;
  };
}

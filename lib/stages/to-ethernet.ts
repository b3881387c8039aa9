/**
 * For the forwarding branches only: frames of other link types (Linux cooked
 * capture from `-i any`, raw IP and loopback captures read with `-f`) become
 * Ethernet II frames, which is what GRE, VXLAN and the ZMQ batch carry
 * (lib/proto/link-to-ethernet.ts). The converted frame is a copy, so the
 * dump, which sees the same packets, keeps the original. Frames that cannot
 * be carried are removed and counted. Ethernet frames pass untouched.
 */
import { StageCounters } from '../counters.js';
import { LINKTYPE_ETHERNET, type Batch } from '../packet.js';
import { decodeLinkLayer, ETHERNET_HEADER_LEN } from '../proto/ethernet.js';
import { toEthernet } from '../proto/link-to-ethernet.js';
import type { CountingStage } from './batch-stage.js';

/** The summary's name for the frames the forwarders cannot carry. */
export const LINK_TYPE_DROP = 'link type not carried as Ethernet';

export function makeToEthernetStage(): CountingStage {
  const counters = new StageCounters(LINK_TYPE_DROP);
  // One closure per stage, not per packet.
  const carry = (i: number, b: Batch): boolean => {
    if (b.linktype[i] === LINKTYPE_ETHERNET) return true;
    const caplen = b.caplen[i]!;
    const out = Buffer.allocUnsafe(caplen + ETHERNET_HEADER_LEN);
    const n = toEthernet(b.linktype[i]!, b.frame(i), caplen, out);
    if (n < 0) return false;
    // Columns of this branch's copy of the batch: the dump's packets keep the original frame.
    b.data[i] = out;
    b.offset[i] = 0;
    b.caplen[i] = n;
    b.wirelen[i] = b.wirelen[i]! + n - caplen;
    b.linktype[i] = LINKTYPE_ETHERNET;
    decodeLinkLayer(b, i);
    return true;
  };
  const fn = (batch: Batch): void => {
    // Most batches are Ethernet only: one pass over the column instead of a call per packet.
    const { linktype, length } = batch;
    let i = 0;
    while (i < length && linktype[i] === LINKTYPE_ETHERNET) i++;
    if (i < length) counters.dropped += batch.retain(carry);
  };
  return { fn, counters };
}

/**
 * A batch laid out the way a source decodes one: every frame in one shared
 * buffer, at a non-zero offset, with bytes that belong to no frame between
 * them (0xee), so a reader that ignores offset[i] sees the wrong bytes. All
 * of each packet's `data` is copied (also what lies past caplen, as in the
 * packet's own buffer); the filler follows it.
 */
import { PacketBatch } from '../../lib/packet.js';
import type { TestPacket } from './packets.js';

/** Bytes of filler before each frame. */
export const GAP = 16;

export function packedBatchOf(packets: readonly TestPacket[]): PacketBatch {
  let size = 0;
  for (const p of packets) size += GAP + Math.max(p.caplen, p.data.length);
  const buf = Buffer.alloc(size + GAP, 0xee);
  const b = new PacketBatch(packets.length);
  let at = 0;
  for (const p of packets) {
    at += GAP;
    p.data.copy(buf, at);
    const i = b.add(buf, at, p.caplen, p.wirelen, p.tsSec, p.tsNsec, p.linktype);
    b.direction[i] = p.direction;
    b.vlanOuter[i] = p.vlanOuter;
    b.vlanInner[i] = p.vlanInner;
    b.l3Offset[i] = p.l3Offset;
    b.etherType[i] = p.etherType;
    at += Math.max(p.caplen, p.data.length);
  }
  return b;
}

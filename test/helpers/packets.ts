/**
 * Tests build and read PacketBatches through plain packet objects: `packet()`
 * takes the fields in the order tests write them (time, lengths, bytes, link
 * type), `batchOf()` makes a batch of them, `stamped()` gives it the format
 * and generation a source would, `packetsOf()` reads a batch back as objects
 * that deepEqual can compare.
 */
import { DIR_NONE, LINKTYPE_ETHERNET, PacketBatch, type CaptureFormat } from '../../lib/packet.js';

export interface TestPacket {
  tsSec: number;
  tsNsec: number;
  caplen: number;
  wirelen: number;
  /** The frame's kept bytes (a copy when read with packetsOf). */
  data: Buffer;
  linktype: number;
  direction: number;
  vlanOuter: number;
  vlanInner: number;
  l3Offset: number;
  etherType: number;
}

/** A packet of `data[0 .. caplen)`; direction DIR_NONE, link-layer fields not decoded (as a source adds them). */
export function packet(tsSec: number, tsNsec: number, caplen: number, wirelen: number, data: Buffer, linktype = LINKTYPE_ETHERNET): TestPacket {
  return { tsSec, tsNsec, caplen, wirelen, data, linktype, direction: DIR_NONE, vlanOuter: -1, vlanInner: -1, l3Offset: -1, etherType: 0 };
}

/** A batch of `packets`, every frame at the start of its own buffer, every field as given. */
export function batchOf(packets: readonly TestPacket[]): PacketBatch {
  const b = new PacketBatch(packets.length);
  for (const p of packets) {
    const i = b.add(p.data, 0, p.caplen, p.wirelen, p.tsSec, p.tsNsec, p.linktype);
    b.direction[i] = p.direction;
    b.vlanOuter[i] = p.vlanOuter;
    b.vlanInner[i] = p.vlanInner;
    b.l3Offset[i] = p.l3Offset;
    b.etherType[i] = p.etherType;
  }
  return b;
}

/** `b` stamped as a source stamps its batches: captured as `format`, in the source's open `generation`. */
export function stamped(b: PacketBatch, format: CaptureFormat, generation = 0): PacketBatch {
  b.format = format;
  b.generation = generation;
  return b;
}

/** The packets of `b` as objects; `data` is a copy of each frame's kept bytes. */
export function packetsOf(b: PacketBatch): TestPacket[] {
  const out: TestPacket[] = [];
  for (let i = 0; i < b.length; i++) {
    out.push({
      tsSec: b.tsSec[i]!,
      tsNsec: b.tsNsec[i]!,
      caplen: b.caplen[i]!,
      wirelen: b.wirelen[i]!,
      data: Buffer.from(b.frame(i)),
      linktype: b.linktype[i]!,
      direction: b.direction[i]!,
      vlanOuter: b.vlanOuter[i]!,
      vlanInner: b.vlanInner[i]!,
      l3Offset: b.l3Offset[i]!,
      etherType: b.etherType[i]!,
    });
  }
  return out;
}

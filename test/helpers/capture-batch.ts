/**
 * Batch buffers as the capture addon hands them over (lib/proto/capture-batch.ts), for fakes of
 * the addon: a layout of any size (the addon's own is its `captureBatch`), and a buffer of packets
 * laid out by it, the frames apart with filler (0xee) between them so that a reader ignoring the
 * offsets reads the wrong bytes.
 */
import type { CaptureBatchLayout } from '../../lib/native/addon.js';
import type { TestPacket } from './packets.js';

/** Bytes of filler before each frame. */
const GAP = 8;

/** A layout of `framesBytes` bytes of frames (a multiple of 8) and columns of `packetsMax`, in the addon's order. */
export function captureBatchLayout(framesBytes: number, packetsMax: number): CaptureBatchLayout {
  const countAt = framesBytes;
  const tsSecAt = countAt + 8;
  const offsetAt = tsSecAt + 8 * packetsMax;
  const caplenAt = offsetAt + 4 * packetsMax;
  const wirelenAt = caplenAt + 4 * packetsMax;
  const tsNsecAt = wirelenAt + 4 * packetsMax;
  return { bytes: tsNsecAt + 4 * packetsMax, packetsMax, countAt, tsSecAt, offsetAt, caplenAt, wirelenAt, tsNsecAt };
}

/** Writes `packets` (each frame its first caplen bytes) into `into` (a new buffer by default), laid out as `layout`. */
export function writeCaptureBatch(layout: CaptureBatchLayout, packets: readonly TestPacket[], into: Buffer = Buffer.alloc(layout.bytes)): Buffer {
  if (into.length !== layout.bytes) throw new Error('a batch buffer has the layout length');
  if (packets.length > layout.packetsMax) throw new Error(`${packets.length} packets, the layout holds ${layout.packetsMax}`);
  into.fill(0xee, 0, layout.countAt);
  const column = <T extends Uint32Array | Float64Array>(Type: new (b: ArrayBufferLike, o: number, n: number) => T, at: number): T =>
    new Type(into.buffer, into.byteOffset + at, packets.length);
  const [tsSec, offset, caplen, wirelen, tsNsec] = [
    column(Float64Array, layout.tsSecAt),
    column(Uint32Array, layout.offsetAt),
    column(Uint32Array, layout.caplenAt),
    column(Uint32Array, layout.wirelenAt),
    column(Uint32Array, layout.tsNsecAt),
  ];
  let at = 0;
  packets.forEach((p, i) => {
    at += GAP;
    if (at + p.caplen > layout.countAt) throw new Error('the frames do not fit the layout');
    p.data.copy(into, at, 0, p.caplen);
    [tsSec[i], offset[i], caplen[i], wirelen[i], tsNsec[i]] = [p.tsSec, at, p.caplen, p.wirelen, p.tsNsec];
    at += p.caplen;
  });
  new Uint32Array(into.buffer, into.byteOffset + layout.countAt, 1)[0] = packets.length;
  return into;
}

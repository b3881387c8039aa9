/**
 * The batch buffer live capture hands over (lib/native/capture_batch.h): the
 * frames one after another (each after its pcap record header, which a
 * nanosecond dump copies with the frames as they lie, PcapRecordEncoder), then
 * the packet count and five columns, in the machine's byte order, at offsets
 * the addon exports (`captureBatch`). The addon writes the columns as it
 * copies each frame out of the kernel ring, so a batch becomes a PacketBatch
 * by five bulk copies: no record is decoded per packet in JavaScript (that loop
 * was a tenth of a live ZeroMQ run's CPU, perf). Pure: no I/O.
 */
import { CorruptError } from '../errors.js';
import type { CaptureBatchLayout } from '../native/addon.js';
import type { PacketBatch } from '../packet.js';

/**
 * Adds the packets of the batch buffer `batch` to `out`: their columns copied, their frames left in
 * `batch` (out.data), their link type `linktype`. Returns how many were added. Throws CorruptError
 * when the buffer does not fit the layout or a frame lies outside the frames area: it comes from
 * our own addon, so that is a bug, which must not become reads of the wrong bytes.
 */
export function readCaptureBatch(batch: Buffer, layout: CaptureBatchLayout, out: PacketBatch, linktype: number): number {
  if (batch.length !== layout.bytes) throw new CorruptError(`capture batch of ${batch.length} bytes, expected ${layout.bytes}`, 0);
  const { buffer, byteOffset } = batch;
  const n = new Uint32Array(buffer, byteOffset + layout.countAt, 1)[0]!;
  if (n > layout.packetsMax) throw new CorruptError(`capture batch of ${n} packets, at most ${layout.packetsMax}`, layout.countAt);
  const start = out.length;
  out.reserve(start + n);
  out.tsSec.set(new Float64Array(buffer, byteOffset + layout.tsSecAt, n), start);
  out.offset.set(new Uint32Array(buffer, byteOffset + layout.offsetAt, n), start);
  out.caplen.set(new Uint32Array(buffer, byteOffset + layout.caplenAt, n), start);
  out.wirelen.set(new Uint32Array(buffer, byteOffset + layout.wirelenAt, n), start);
  out.tsNsec.set(new Uint32Array(buffer, byteOffset + layout.tsNsecAt, n), start);
  const { offset, caplen } = out;
  // Frames end at the frames area, which ends where the count is; one pass, no per-packet allocation.
  for (let i = start; i < start + n; i++) {
    if (offset[i]! + caplen[i]! > layout.countAt) throw new CorruptError(`capture batch frame ${i - start} outside the frames area`, layout.offsetAt + 4 * (i - start));
  }
  out.addDecoded(start + n, batch, linktype);
  return n;
}

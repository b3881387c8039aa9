/** BatchStage, the stream wrapper of every stage: what it passes on, and what becomes of a batch it empties. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { it } from 'node:test';
import type { Batch, PacketBatch } from '../../lib/packet.js';
import { BatchStage } from '../../lib/stages/batch-stage.js';
import { batchOf, packet, packetsOf } from '../helpers/packets.js';

function ownedBatch(n: number, recycled: PacketBatch[]): Batch {
  const b = batchOf(Array.from({ length: n }, (_, i) => packet(1700000000, i, 60, 60, Buffer.alloc(60, i), 1)));
  b.owner = { recycle: (batch) => void recycled.push(batch) };
  return b;
}

it('passes non-empty batches on; a batch its function empties goes back to its owner, once, and is not passed on', async () => {
  const recycled: PacketBatch[] = [];
  const keep = ownedBatch(3, recycled);
  const emptied = ownedBatch(2, recycled);
  // Drops every packet of batches of two.
  const stage = new BatchStage((b) => void (b.length === 2 && b.retain(() => false)));
  const out: Batch[] = [];
  await Readable.from([keep, emptied]).pipe(stage).forEach((b: Batch) => void out.push(b));
  assert.deepEqual(out, [keep]);
  assert.equal(packetsOf(keep).length, 3);
  assert.deepEqual(recycled, [emptied]);
  emptied.discard();
  assert.equal(recycled.length, 1, 'given back once: the owner is forgotten');
});

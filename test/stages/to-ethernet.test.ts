import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DIR_IN, DIR_OUT, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL } from '../../lib/packet.js';
import { decodeLinkLayer } from '../../lib/proto/ethernet.js';
import { LINK_TYPE_DROP, makeToEthernetStage } from '../../lib/stages/to-ethernet.js';
import { hex } from '../helpers/hex.js';
import { packedBatchOf } from '../helpers/packed-batch.js';
import { batchOf, packet, packetsOf } from '../helpers/packets.js';

const eth = hex('00 00 00 00 00 01 02 42 ac 11 00 02 08 00 45 00 00 14');
const sll = hex('00 04 00 01 00 06 02 42 ac 11 00 02 00 00 08 00 45 00 00 14');
const wifi = hex('08 02 00 00 ff ff ff ff ff ff');

test('forwarding branch: cooked frames become Ethernet copies, Ethernet passes as is, the rest is counted', () => {
  const { fn, counters } = makeToEthernetStage();
  const e = packet(1, 0, eth.length, 60, eth, LINKTYPE_ETHERNET);
  const s = packet(2, 5, sll.length, 62, sll, LINKTYPE_LINUX_SLL);
  s.direction = DIR_OUT;
  const w = packet(3, 0, wifi.length, wifi.length, wifi, 105);
  const batch = batchOf([e, s, w]);
  decodeLinkLayer(batch, 1);
  fn(batch);
  assert.equal(batch.length, 2);
  // The Ethernet frame passes as is: same buffer, same place.
  assert.equal(batch.data[0], eth);
  assert.equal(batch.offset[0], 0);
  assert.deepEqual(packetsOf(batch)[0], packetsOf(batchOf([e]))[0]);
  const c = packetsOf(batch)[1]!;
  assert.notEqual(batch.data[1], sll);
  assert.equal(c.linktype, LINKTYPE_ETHERNET);
  assert.equal(c.data.toString('hex'), '000000000000' + '0242ac110002' + '0800' + '45000014');
  assert.equal(c.caplen, sll.length - 2);
  assert.equal(c.wirelen, 60);
  assert.equal(c.direction, DIR_OUT);
  assert.equal(c.l3Offset, 14);
  assert.equal(c.etherType, 0x0800);
  assert.deepEqual([c.tsSec, c.tsNsec], [2, 5]);
  // The original bytes (which the dump writes) are untouched.
  assert.ok(sll.equals(hex('00 04 00 01 00 06 02 42 ac 11 00 02 00 00 08 00 45 00 00 14')));
  assert.deepEqual([counters.dropped, counters.reason], [1, LINK_TYPE_DROP]);
});

test('on a slice() of a batch (a fan-out branch) only the copy changes: the original keeps its columns and frames', () => {
  const { fn, counters } = makeToEthernetStage();
  const frames = [
    packet(10, 1, wifi.length, wifi.length, wifi, 105),
    packet(11, 2, sll.length, 62, sll, LINKTYPE_LINUX_SLL),
    packet(12, 3, eth.length, 60, eth, LINKTYPE_ETHERNET),
    packet(13, 4, sll.length, 70, sll, LINKTYPE_LINUX_SLL),
  ];
  frames[1]!.direction = DIR_IN;
  frames[3]!.direction = DIR_OUT;
  const original = packedBatchOf(frames);
  const shared = original.data[0]!;
  const sharedBytes = Buffer.from(shared);
  const before = packetsOf(original);
  const copy = original.slice();
  fn(copy);

  // The copy: the wifi frame is gone, the others are Ethernet, every column follows its packet.
  assert.equal(counters.dropped, 1);
  const got = packetsOf(copy);
  assert.deepEqual(got.map((p) => [p.tsSec, p.tsNsec, p.caplen, p.wirelen, p.linktype, p.direction]), [
    [11, 2, sll.length - 2, 60, LINKTYPE_ETHERNET, DIR_IN],
    [12, 3, eth.length, 60, LINKTYPE_ETHERNET, 0],
    [13, 4, sll.length - 2, 68, LINKTYPE_ETHERNET, DIR_OUT],
  ]);
  const converted = '000000000000' + '0242ac110002' + '0800' + '45000014';
  assert.deepEqual(got.map((p) => p.data.toString('hex')), [converted, eth.toString('hex'), converted]);
  // The Ethernet frame still lies in the shared buffer.
  assert.equal(copy.data[1], shared);
  assert.equal(copy.offset[1], original.offset[2]);

  // The original: same length, same columns, same frames, same buffer bytes.
  assert.equal(original.length, 4);
  assert.deepEqual(packetsOf(original), before);
  assert.ok(original.data.every((d) => d === shared));
  assert.ok(shared.equals(sharedBytes));
});

test('each to-Ethernet stage counts only what it dropped itself, once per frame, across batches', () => {
  const [a, b] = [makeToEthernetStage(), makeToEthernetStage()];
  for (let round = 1; round <= 3; round++) {
    a.fn(batchOf([packet(round, 0, wifi.length, wifi.length, wifi, 105), packet(round, 1, eth.length, 60, eth, LINKTYPE_ETHERNET), packet(round, 2, wifi.length, wifi.length, wifi, 105)]));
    assert.equal(a.counters.dropped, 2 * round);
  }
  b.fn(batchOf([packet(9, 0, eth.length, 60, eth, LINKTYPE_ETHERNET)]));
  assert.equal(b.counters.dropped, 0);
});

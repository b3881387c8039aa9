import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChannelCounters } from '../../lib/counters.js';
import { DIR_OUT, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, Packet } from '../../lib/packet.js';
import { decodeLinkLayer } from '../../lib/proto/ethernet.js';
import { makeToEthernetFn } from '../../lib/stages/to-ethernet.js';
import { hex } from '../helpers/hex.js';

const eth = hex('00 00 00 00 00 01 02 42 ac 11 00 02 08 00 45 00 00 14');
const sll = hex('00 04 00 01 00 06 02 42 ac 11 00 02 00 00 08 00 45 00 00 14');
const wifi = hex('08 02 00 00 ff ff ff ff ff ff');

test('forwarding branch: cooked frames become Ethernet copies, Ethernet passes as is, the rest is counted', () => {
  const counters = new ChannelCounters();
  const e = new Packet(1, 0, eth.length, 60, eth, LINKTYPE_ETHERNET);
  const s = new Packet(2, 5, sll.length, 62, sll, LINKTYPE_LINUX_SLL);
  s.direction = DIR_OUT;
  decodeLinkLayer(s);
  const w = new Packet(3, 0, wifi.length, wifi.length, wifi, 105);
  const batch = [e, s, w];
  makeToEthernetFn(counters)(batch);
  assert.equal(batch.length, 2);
  assert.equal(batch[0], e);
  const c = batch[1]!;
  assert.notEqual(c, s);
  assert.equal(c.linktype, LINKTYPE_ETHERNET);
  assert.equal(c.data.subarray(0, c.caplen).toString('hex'), '000000000000' + '0242ac110002' + '0800' + '45000014');
  assert.equal(c.caplen, sll.length - 2);
  assert.equal(c.wirelen, 60);
  assert.equal(c.direction, DIR_OUT);
  assert.equal(c.l3Offset, 14);
  assert.equal(c.etherType, 0x0800);
  assert.deepEqual([c.tsSec, c.tsNsec], [2, 5]);
  // The original (which the dump writes) is untouched.
  assert.equal(s.linktype, LINKTYPE_LINUX_SLL);
  assert.ok(s.data.equals(hex('00 04 00 01 00 06 02 42 ac 11 00 02 00 00 08 00 45 00 00 14')));
  assert.equal(counters.droppedLinkType, 1);
});

/** `--workers N`: the workers' reports added up into the one snapshot and summary of their channel (lib/worker-merge.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSummary, type ChannelSnapshot } from '../lib/channel.js';
import { describeSink, type SinkCounts } from '../lib/counters.js';
import type { Logger } from '../lib/log.js';
import { batchOf, packet } from './helpers/packets.js';
import type { DatagramSender } from '../lib/sinks/datagram-sink.js';
import { GreSink } from '../lib/sinks/gre-sink.js';
import { processTotals } from '../lib/status-port.js';
import { mergeDirections, mergeSinkCounts, mergeSnapshots } from '../lib/worker-merge.js';

function snapshot(n: number, over: Partial<ChannelSnapshot> = {}): ChannelSnapshot {
  return {
    index: 1,
    source: 'eth0',
    name: 'eth0',
    linkState: 'up',
    captured: { packets: 10 * n, bytes: 1000 * n },
    firstPacketSec: 1700000000 + n,
    lastPacketSec: 1700000100 + n,
    kernel: { received: 11 * n, dropped: n, interfaceDropped: 0 },
    sinks: [{ label: 'gre', forwards: true, packets: 9 * n, bytes: 900 * n }],
    drops: [
      { reason: 'direction unknown', packets: 0 },
      { reason: 'throttled', packets: 0 },
      { reason: 'link type not carried as Ethernet', packets: 0 },
      { reason: 'gre: send error', packets: n },
    ],
    ...over,
  };
}

test('mergeSnapshots: counts summed, the first packet the earliest, the last the latest, names from the first', () => {
  const m = mergeSnapshots([snapshot(1), snapshot(2), snapshot(3)]);
  assert.deepEqual(m, {
    index: 1,
    source: 'eth0',
    name: 'eth0',
    linkState: 'up',
    captured: { packets: 60, bytes: 6000 },
    firstPacketSec: 1700000001,
    lastPacketSec: 1700000103,
    kernel: { received: 66, dropped: 6, interfaceDropped: 0 },
    sinks: [{ label: 'gre', forwards: true, packets: 54, bytes: 5400 }],
    drops: [
      { reason: 'direction unknown', packets: 0 },
      { reason: 'throttled', packets: 0 },
      { reason: 'link type not carried as Ethernet', packets: 0 },
      { reason: 'gre: send error', packets: 6 },
    ],
  });
  // The parts are not changed.
  assert.equal(snapshot(1).captured.packets, 10);
  // One part is itself.
  assert.deepEqual(mergeSnapshots([snapshot(2)]), snapshot(2));
});

test('mergeSnapshots: a worker without packets yet does not make the first packet time 0; queued and files add up; a reason one worker has is kept', () => {
  const idle = snapshot(0, { firstPacketSec: 0, lastPacketSec: 0 });
  const busy = snapshot(2, {
    sinks: [{ label: 'zmq', forwards: true, packets: 5, bytes: 50, queued: 2 }],
    drops: [{ reason: 'zmq: queue full', packets: 4 }, { reason: 'zmq: late', packets: 1 }],
  });
  const m = mergeSnapshots([{ ...idle, sinks: [{ label: 'zmq', forwards: true, packets: 0, bytes: 0, queued: 1 }], drops: [{ reason: 'zmq: queue full', packets: 3 }] }, busy]);
  assert.equal(m.firstPacketSec, 1700000002);
  assert.equal(m.lastPacketSec, 1700000102);
  assert.deepEqual(m.sinks, [{ label: 'zmq', forwards: true, packets: 5, bytes: 50, queued: 3 }]);
  assert.deepEqual(m.drops, [{ reason: 'zmq: queue full', packets: 7 }, { reason: 'zmq: late', packets: 1 }]);
  assert.throws(() => mergeSnapshots([]), /no snapshot/);
  assert.throws(() => mergeSnapshots([snapshot(1), busy]), /sink 0 is zmq, not gre/);
});

test('the status port totals of the merged snapshot are those of the workers together', () => {
  const parts = [snapshot(1), snapshot(4)];
  const merged = processTotals([mergeSnapshots(parts)]);
  assert.deepEqual(merged, processTotals(parts));
  assert.equal(merged.capturedPackets, 50n);
  assert.equal(merged.forwardedPackets, 45n);
});

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const REMOTES = ['10.1.1.1', '10.1.1.2'];

/** Accepts every datagram, except that the second remote refuses the frames of 100 bytes (EMSGSIZE). */
const sender: DatagramSender = {
  send: (_out, lengths, start, count, address) => {
    if (address !== 0x0a010102) return count - start;
    let sent = 0;
    while (start + sent < count && lengths[start + sent] !== 8 + 100) sent++;
    return sent > 0 ? sent : -90;
  },
  close() {},
};

/** A GRE sink (two remotes) that has sent frames of the given captured lengths, one batch per array. */
async function greSinkAfter(...batches: number[][]): Promise<GreSink> {
  const sink = new GreSink(REMOTES, 1, { bindDevice: null, pmtudisc: null, tx: 'ip' as const }, quiet);
  sink.open(sender);
  for (const lengths of batches) {
    const batch = batchOf(lengths.map((n, i) => packet(1700000000, i, n, n, Buffer.alloc(n, i), 1)));
    await new Promise<void>((res, rej) => sink.write(batch, (e) => (e ? rej(e) : res())));
  }
  return sink;
}

test('mergeSinkCounts: two workers\' GRE sinks add up, remote by remote, to what one sink of all their frames counts', async () => {
  const one = await greSinkAfter([60, 100, 60], [80, 100]);
  const two = await greSinkAfter([200], [100, 100, 60]);
  const whole = await greSinkAfter([60, 100, 60], [80, 100], [200], [100, 100, 60]);
  const merged = mergeSinkCounts([[one.counts()], [two.counts()]]);
  assert.deepEqual(merged, [whole.counts()]);
  // 9 frames (860 bytes) to 10.1.1.1; 10.1.1.2 refused the 4 of 100 bytes. 8 bytes of GRE header (with the key) each.
  assert.deepEqual(merged[0]!.remotes, [
    { address: '10.1.1.1', packets: 9, bytes: 860 + 9 * 8 },
    { address: '10.1.1.2', packets: 5, bytes: 460 + 5 * 8 },
  ]);
  assert.equal(describeSink(merged[0]!), 'gre: sent 14 datagrams (10.1.1.1 9 packets 932 bytes, 10.1.1.2 5 packets 500 bytes)');
  // The parts are not changed.
  assert.equal(one.counts().packets, 8);
});

test('mergeSinkCounts: ZeroMQ\'s queued batches and packets in flight add up; a part some workers lack is the others\' sum', () => {
  const zmq = (n: number, inFlight: number): SinkCounts => ({
    label: 'zmq',
    packets: 10 * n,
    bytes: 1000 * n,
    queued: inFlight > 0 ? 1 : 0,
    inFlight,
    remotes: [{ address: '10.0.0.2', packets: 10 * n, bytes: 1000 * n }],
  });
  const merged = mergeSinkCounts([[zmq(1, 3)], [zmq(2, 0)], [zmq(3, 4)]]);
  assert.deepEqual(merged, [{ label: 'zmq', packets: 60, bytes: 6000, queued: 2, inFlight: 7, remotes: [{ address: '10.0.0.2', packets: 60, bytes: 6000 }] }]);
  assert.equal(describeSink(merged[0]!), 'zmq: delivered 60 packets (10.0.0.2 60 packets 6000 bytes), 7 in flight');
  assert.equal(describeSink(mergeSinkCounts([[zmq(1, 0)], [zmq(2, 0)]])[0]!), 'zmq: delivered 30 packets (10.0.0.2 30 packets 3000 bytes)');
  // Only the files of the sinks that have them.
  const dump = (files: number): SinkCounts => ({ label: 'dump', to: '/var/d', packets: files, bytes: 100 * files, files });
  assert.deepEqual(mergeSinkCounts([[dump(1), zmq(1, 0)], [dump(2), zmq(1, 0)]]), [{ label: 'dump', to: '/var/d', packets: 3, bytes: 300, files: 3 }, { ...zmq(2, 0), queued: 0 }]);
  assert.deepEqual(mergeSinkCounts([]), []);
  // --tx packet: what went through the kernel's IP output adds up too.
  const gre = (n: number): SinkCounts => ({ label: 'gre', packets: 10 * n, bytes: 100 * n, kernelPath: n, remotes: [{ address: '10.0.0.2', packets: 10 * n, bytes: 100 * n }] });
  const both = mergeSinkCounts([[gre(1)], [gre(2)]])[0]!;
  assert.equal(both.kernelPath, 3);
  assert.equal(describeSink(both), "gre: sent 30 datagrams (10.0.0.2 30 packets 300 bytes), 3 of them through the kernel's IP output");
  assert.throws(() => mergeSinkCounts([[zmq(1, 0)], [dump(1)]]), /sink 0 is dump, not zmq/);
  assert.throws(() => mergeSinkCounts([[zmq(1, 0)], [{ ...zmq(1, 0), remotes: [{ address: '10.0.0.3', packets: 0, bytes: 0 }] }]]), /zmq remote 0 is 10\.0\.0\.3, not 10\.0\.0\.2/);
  assert.deepEqual(mergeDirections([[1, 0, 2, 3], [4, 0, 5, 6]]), [5, 0, 7, 9]);
});

test('formatSummary of the merge reads as the summary of one channel of the same counts', async () => {
  const parts = [snapshot(1), snapshot(2)];
  const sinks = mergeSinkCounts([[(await greSinkAfter([60, 60, 60])).counts()], [(await greSinkAfter([60, 60, 60, 60, 60, 60])).counts()]]);
  const lines = formatSummary(mergeSnapshots(parts), true, mergeDirections([[0, 0, 4, 6], [1, 0, 10, 15]]), sinks);
  const oneChannel = formatSummary(snapshot(3), true, [1, 0, 14, 21], [(await greSinkAfter([60, 60, 60, 60, 60, 60, 60, 60, 60])).counts()]);
  assert.deepEqual(lines, oneChannel);
  assert.deepEqual(lines, [
    'captured 30 packets (3000 bytes) on eth0; kernel: 33 received by filter, 3 dropped (ring full), 0 dropped by interface',
    'direction: in 14, out 21, unknown 1 (dropped)',
    'gre: sent 18 datagrams (10.1.1.1 9 packets 612 bytes, 10.1.1.2 9 packets 612 bytes)',
    'dropped: direction unknown 0, throttled 0, link type not carried as Ethernet 0, gre: send error 3',
  ]);
});

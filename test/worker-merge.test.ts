/** `--workers N`: the workers' reports added up into the one snapshot and summary of their channel (lib/worker-merge.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSummary, type ChannelSnapshot } from '../lib/channel.js';
import { processTotals } from '../lib/status-port.js';
import { mergeCountLines, mergeDirections, mergeSinkLines, mergeSnapshots } from '../lib/worker-merge.js';

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

test('mergeCountLines: counts summed where the lines differ only in counts; addresses, ports and names untouched', () => {
  assert.equal(
    mergeCountLines(['gre: sent 5 datagrams (10.1.1.1 5 packets 700 bytes, 10.1.1.2 5 packets 700 bytes)', 'gre: sent 7 datagrams (10.1.1.1 7 packets 900 bytes, 10.1.1.2 7 packets 900 bytes)']),
    'gre: sent 12 datagrams (10.1.1.1 12 packets 1600 bytes, 10.1.1.2 12 packets 1600 bytes)',
  );
  assert.equal(mergeCountLines(['zmq: delivered 3 packets (tcp://10.0.0.2:5555 3 packets 300 bytes)', 'zmq: delivered 0 packets (tcp://10.0.0.2:5555 0 packets 0 bytes)']), 'zmq: delivered 3 packets (tcp://10.0.0.2:5555 3 packets 300 bytes)');
  assert.equal(mergeCountLines(['vxlan: sent 1 datagrams (10.1.1.1 1 packets 64 bytes)']), 'vxlan: sent 1 datagrams (10.1.1.1 1 packets 64 bytes)');
  // A part only some workers print (ZeroMQ's `, N in flight`): each worker's line, named.
  assert.equal(mergeCountLines(['zmq: delivered 3 packets (a 3 packets 30 bytes), 2 in flight', 'zmq: delivered 4 packets (a 4 packets 40 bytes)']), 'worker 1: zmq: delivered 3 packets (a 3 packets 30 bytes), 2 in flight; worker 2: zmq: delivered 4 packets (a 4 packets 40 bytes)');
  assert.deepEqual(mergeSinkLines([['gre: sent 1 datagrams (10.1.1.1 1 packets 10 bytes)'], ['gre: sent 2 datagrams (10.1.1.1 2 packets 20 bytes)']]), ['gre: sent 3 datagrams (10.1.1.1 3 packets 30 bytes)']);
  assert.deepEqual(mergeDirections([[1, 0, 2, 3], [4, 0, 5, 6]]), [5, 0, 7, 9]);
});

test('formatSummary of the merge reads as one channel of the same counts', () => {
  const parts = [snapshot(1), snapshot(2)];
  const lines = formatSummary(mergeSnapshots(parts), true, mergeDirections([[0, 0, 4, 6], [1, 0, 10, 15]]), mergeSinkLines([['gre: sent 9 datagrams (10.1.1.1 9 packets 900 bytes)'], ['gre: sent 18 datagrams (10.1.1.1 18 packets 1800 bytes)']]));
  assert.deepEqual(lines, [
    'captured 30 packets (3000 bytes) on eth0; kernel: 33 received by filter, 3 dropped (ring full), 0 dropped by interface',
    'direction: in 14, out 21, unknown 1 (dropped)',
    'gre: sent 27 datagrams (10.1.1.1 27 packets 2700 bytes)',
    'dropped: direction unknown 0, throttled 0, link type not carried as Ethernet 0, gre: send error 3',
  ]);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChannelSnapshot } from '../lib/channel.js';
import type { ChannelOptions } from '../lib/config.js';
import { processTotals, statusPortOf } from '../lib/status-port.js';

function snapshot(index: number, first: number, last: number, base: number): ChannelSnapshot {
  return {
    index,
    source: `eth${index}`,
    name: `eth${index}`,
    captured: { packets: base, bytes: base * 100 },
    firstPacketSec: first,
    lastPacketSec: last,
    kernel: { received: base * 2, dropped: base + 1, interfaceDropped: 99 },
    sinks: [
      { label: 'dump', forwards: false, packets: 1000, bytes: 1000 },
      { label: 'gre', forwards: true, packets: base, bytes: base * 10 },
      { label: 'zmq', forwards: true, packets: 1, bytes: 2 },
    ],
    drops: [],
  };
}

test('process totals: earliest first packet of the channels that have one, latest last packet, sums of the rest', () => {
  const t = processTotals([snapshot(1, 0, 0, 0), snapshot(2, 200, 300, 5), snapshot(3, 100, 250, 7)]);
  assert.deepEqual(t, {
    firstPacketSec: 100,
    lastPacketSec: 300,
    capturedBytes: 1200n,
    capturedPackets: 12n,
    captureDrops: 1n + 6n + 8n,
    forwardedBytes: 50n + 70n + 3n * 2n,
    forwardedPackets: 5n + 7n + 3n,
  });
  assert.deepEqual(processTotals([]), { firstPacketSec: 0, lastPacketSec: 0, capturedBytes: 0n, capturedPackets: 0n, captureDrops: 0n, forwardedBytes: 0n, forwardedPackets: 0n });
});

test('one status port per process: repeated or left off in some groups, refused when two differ', () => {
  const g = (index: number, control: number): ChannelOptions => ({ index, control }) as ChannelOptions;
  assert.equal(statusPortOf([g(1, 0), g(2, 0)]), 0);
  assert.equal(statusPortOf([g(1, 0), g(2, 5556), g(3, 0), g(4, 5556)]), 5556);
  assert.throws(() => statusPortOf([g(1, 0), g(2, 5556), g(3, 5557)]), /^UserError: groups 2 and 3 give different --control ports \(5556, 5557\)/);
});

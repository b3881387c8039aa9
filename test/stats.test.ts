import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChannelSnapshot } from '../lib/channel.js';
import type { Logger } from '../lib/log.js';
import { formatStatsLine, STATS_HEADER, StatsReporter } from '../lib/stats.js';

function snap(packets: number, bytes: number, sent: number, extra: Partial<ChannelSnapshot> = {}): ChannelSnapshot {
  return {
    index: 1,
    source: 'eth0',
    name: 'eth0',
    captured: { packets, bytes },
    firstPacketSec: 1700000000,
    lastPacketSec: 1700000000 + packets,
    kernel: { received: packets + 3, dropped: 3, interfaceDropped: 1 },
    sinks: [
      { label: 'dump', forwards: false, packets, bytes },
      { label: 'gre', forwards: true, packets: sent, bytes: sent * 100 },
    ],
    drops: [
      { reason: 'throttled', packets: 0 },
      { reason: 'gre: EMSGSIZE', packets: packets - sent },
    ],
    ...extra,
  };
}

test("the reference's columns first (spec §8.2), then each sink and every drop reason that counted", () => {
  assert.equal(
    formatStatsLine(null, snap(100, 10000, 90), 0, 5),
    '1700000000,1700000100,103,3,1,0,,5,0,0,,100,90:10, sinks: dump 100, gre 90; dropped: gre: EMSGSIZE 10',
  );
  // 10 s later: 1000 more packets, 100 000 more bytes → 80 000 bit/s, 100 packets/s.
  assert.equal(
    formatStatsLine(snap(100, 10000, 90), snap(1100, 110000, 1100), 10, 15),
    '1700000000,1700001100,1103,3,1,0,,15,80000,100,,1100,1100:0, sinks: dump 1100, gre 1100; dropped: none',
  );
});

test('a header before the first line and every 20th, one line per channel per tick, rates from the previous tick', () => {
  const lines: string[] = [];
  const log: Logger = { debug() {}, info: (m) => lines.push(m), warn() {}, error() {} };
  let clock = 0;
  let packets = 0;
  const reporter = new StatsReporter(() => [snap(packets, packets * 60, packets), { ...snap(packets, 0, 0), index: 2 }], log, 1, () => clock);
  for (let i = 0; i < 11; i++) {
    clock += 1000;
    packets += 50;
    reporter.report();
  }
  const headers = lines.filter((l) => l.startsWith('# ['));
  assert.equal(headers.length, 2, 'before line 1 and line 21 of 22');
  assert.ok(headers.every((h) => h.endsWith(STATS_HEADER)));
  assert.equal(lines.length, 22 + 2);
  const second = lines.filter((l) => l.startsWith('[-01-]'))[1]!;
  // 50 packets and 3000 bytes in one second.
  assert.match(second, /^\[-01-\] 1700000000,1700000100,103,3,1,0,,2,24000,50,,100,100:0,/);
});

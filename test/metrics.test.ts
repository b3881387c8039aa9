/** The metrics a scrape renders from channel snapshots (end to end, over HTTP: test/cli/metrics.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChannelSnapshot } from '../lib/channel.js';
import { ChannelMetrics } from '../lib/metrics.js';
import { parseExposition, sampleValue } from './helpers/prometheus.js';

/** A live channel forwarding over ZeroMQ and dumping, with some of everything. */
function liveSnapshot(): ChannelSnapshot {
  return {
    index: 2,
    source: 'container 3f2a1b2c3d4e (pid 1234) eth0',
    name: '3f2a1b2c3d4e_eth0',
    linkState: 'up',
    captured: { packets: 100, bytes: 6000 },
    firstPacketSec: 1_700_000_000,
    lastPacketSec: 1_700_000_042,
    kernel: { received: 104, dropped: 3, interfaceDropped: 1 },
    sinks: [
      { label: 'dump', forwards: false, packets: 100, bytes: 7600, files: 2 },
      { label: 'zmq', forwards: true, packets: 90, bytes: 5000, queued: 4 },
      { label: 'gre', forwards: true, packets: 80, bytes: 4000, kernelPath: 3 },
    ],
    drops: [
      { reason: 'direction unknown', packets: 0 },
      { reason: 'throttled', packets: 6 },
      { reason: 'zmq: receiver slow or absent (ZeroMQ queue full)', packets: 4 },
    ],
  };
}

test('every counter of a snapshot, with channel, source (the stable name), sink and reason labels', async () => {
  const e = parseExposition(await new ChannelMetrics(() => [liveSnapshot()]).render());
  const ch = { channel: '2', source: '3f2a1b2c3d4e_eth0' };
  const expected: [string, Record<string, string>, number][] = [
    ['pktminerg_captured_packets_total', ch, 100],
    ['pktminerg_captured_bytes_total', ch, 6000],
    ['pktminerg_last_packet_timestamp_seconds', ch, 1_700_000_042],
    ['pktminerg_kernel_received_packets_total', ch, 104],
    ['pktminerg_kernel_dropped_packets_total', ch, 3],
    ['pktminerg_interface_dropped_packets_total', ch, 1],
    ['pktminerg_interface_up', ch, 1],
    ['pktminerg_dropped_packets_total', { ...ch, reason: 'direction unknown' }, 0],
    ['pktminerg_dropped_packets_total', { ...ch, reason: 'throttled' }, 6],
    ['pktminerg_sink_packets_total', { ...ch, sink: 'dump' }, 100],
    ['pktminerg_sink_bytes_total', { ...ch, sink: 'dump' }, 7600],
    ['pktminerg_sink_packets_total', { ...ch, sink: 'zmq' }, 90],
    ['pktminerg_sink_bytes_total', { ...ch, sink: 'zmq' }, 5000],
    ['pktminerg_sink_dropped_packets_total', { ...ch, sink: 'zmq', reason: 'receiver slow or absent (ZeroMQ queue full)' }, 4],
    ['pktminerg_dump_files', { ...ch, sink: 'dump' }, 2],
    ['pktminerg_zmq_queued_batches', { ...ch, sink: 'zmq' }, 4],
    ['pktminerg_sink_kernel_path_packets_total', { ...ch, sink: 'gre' }, 3],
  ];
  for (const [name, labels, value] of expected) assert.equal(sampleValue(e, name, labels), value, `${name} ${JSON.stringify(labels)}`);
  // Sink reasons are not channel reasons too; queue depth, files and the kernel path only for the sinks that have them.
  assert.equal(e.samples.filter((s) => s.name === 'pktminerg_dropped_packets_total').length, 2);
  assert.equal(e.samples.filter((s) => s.name === 'pktminerg_zmq_queued_batches' || s.name === 'pktminerg_dump_files').length, 2);
  assert.equal(e.samples.filter((s) => s.name === 'pktminerg_sink_kernel_path_packets_total').length, 1, 'only for a --tx packet sink');
  for (const [name] of expected) assert.equal(e.types.get(name), name.endsWith('_total') ? 'counter' : 'gauge', name);
  // prom-client's process metrics, in our registry.
  assert.ok(sampleValue(e, 'process_cpu_seconds_total') > 0);
  assert.ok(sampleValue(e, 'process_resident_memory_bytes') > 0);
});

test('each scrape reflects the snapshot of that moment: totals move, link state follows, vanished series go', async () => {
  let s = liveSnapshot();
  const metrics = new ChannelMetrics(() => [s]);
  const ch = { channel: '2', source: '3f2a1b2c3d4e_eth0' };
  await metrics.render();
  s = { ...liveSnapshot(), linkState: 'down', captured: { packets: 150, bytes: 9000 }, drops: [{ reason: 'throttled', packets: 9 }] };
  const e = parseExposition(await metrics.render());
  assert.equal(sampleValue(e, 'pktminerg_captured_packets_total', ch), 150, 'set to the total, not added to the last one');
  assert.equal(sampleValue(e, 'pktminerg_dropped_packets_total', { ...ch, reason: 'throttled' }), 9);
  assert.equal(sampleValue(e, 'pktminerg_interface_up', ch), 0);
  assert.equal(e.samples.filter((x) => x.name === 'pktminerg_sink_dropped_packets_total').length, 0);
});

test('a file channel has no interface state; two channels are two label sets', async () => {
  const file: ChannelSnapshot = { ...liveSnapshot(), index: 1, source: 'sample', name: 'sample', kernel: { received: 0, dropped: 0, interfaceDropped: 0 } };
  delete file.linkState;
  const e = parseExposition(await new ChannelMetrics(() => [file, liveSnapshot()]).render());
  assert.deepEqual(
    e.samples.filter((x) => x.name === 'pktminerg_interface_up').map((x) => x.labels.channel),
    ['2'],
  );
  assert.deepEqual(
    e.samples.filter((x) => x.name === 'pktminerg_captured_packets_total').map((x) => x.labels),
    [{ channel: '1', source: 'sample' }, { channel: '2', source: '3f2a1b2c3d4e_eth0' }],
  );
});

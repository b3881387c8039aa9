import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCommandLine } from '../lib/args.js';
import { Channel, forwarded } from '../lib/channel.js';
import type { Logger } from '../lib/log.js';
import { FIXTURES, readPcapFile } from './helpers/capture-files.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

test('snapshot: what a channel captured, from when to when, what each sink wrote and every drop reason', async () => {
  const sample = join(FIXTURES.pathname, 'sample.pcap');
  const { records } = await readPcapFile(sample);
  const [opts] = parseCommandLine(['-f', sample, '--dump', mkdtempSync(join(tmpdir(), 'pa-chan-')), '--dir', 'host_10.200.175.83']).channels;
  const channel = new Channel(opts!, quiet);
  const before = channel.snapshot();
  assert.deepEqual([before.captured.packets, before.firstPacketSec, before.lastPacketSec], [0, 0, 0]);
  await channel.open();
  await channel.run();
  const s = channel.snapshot();
  assert.equal(s.index, 1);
  assert.equal(s.source, 'sample');
  assert.deepEqual(s.captured, { packets: 8, bytes: records.reduce((n, r) => n + r.wirelen, 0) });
  assert.deepEqual([s.firstPacketSec, s.lastPacketSec], [records[0]!.tsSec, records[7]!.tsSec]);
  assert.deepEqual(s.kernel, { received: 0, dropped: 0, interfaceDropped: 0 });
  assert.deepEqual(
    s.sinks.map(({ label, forwards, packets }) => ({ label, forwards, packets })),
    [{ label: 'dump', forwards: false, packets: 8 }],
  );
  assert.deepEqual(forwarded(s), { packets: 0, bytes: 0 });
  assert.deepEqual(s.drops.find((d) => d.reason === 'direction unknown'), { reason: 'direction unknown', packets: 0 });
});

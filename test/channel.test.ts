import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
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

test('snapshot and summary add up what the source, each stage and each sink counted: every packet written or under a reason', { timeout: 20_000 }, async () => {
  const xml = join(FIXTURES.pathname, 'xml.pcap');
  const dir = mkdtempSync(join(tmpdir(), 'pa-chan-'));
  // A port nobody listens on: every ZeroMQ batch is refused and counted by the zmq sink.
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
  const args = ['-f', xml, '--dump', join(dir, 'd'), '-w', join(dir, 'all.pcap'), '--dir', 'host_172.16.11.180', '-r', '127.0.0.1', '-z', String(port), '--mbps', '1'];
  const [opts] = parseCommandLine(args).channels;
  const channel = new Channel(opts!, quiet);
  await channel.open();
  await channel.run();
  const s = channel.snapshot();
  const drop = (reason: string): number => s.drops.find((d) => d.reason === reason)?.packets ?? 0;

  // The source's counts; the direction stage's (ARP, LLC, traffic of other hosts); the local records get the rest.
  assert.equal(s.captured.packets, 1200);
  assert.deepEqual(s.drops.slice(0, 3).map((d) => d.reason), ['direction unknown', 'throttled', 'link type not carried as Ethernet']);
  const unknown = drop('direction unknown');
  const kept = 1200 - unknown;
  assert.ok(unknown >= 15 && kept > 0, `unknown ${unknown}`);
  assert.equal(drop('link type not carried as Ethernet'), 0);
  const throttled = drop('throttled');
  assert.ok(throttled > 0 && throttled < kept, `throttled ${throttled}`);
  assert.deepEqual(s.sinks.map(({ label, forwards, packets }) => [label, forwards, packets]), [['dump', false, kept], ['-w', false, kept], ['zmq', true, 0]]);
  // The forwarding branch: what the stages let through, the zmq sink counted as dropped.
  const zmqDrops = s.drops.filter((d) => d.reason.startsWith('zmq: ')).reduce((n, d) => n + d.packets, 0);
  assert.equal(unknown + throttled + zmqDrops, 1200);

  const lines = channel.summary();
  assert.equal(lines[0], `captured 1200 packets (${s.captured.bytes} bytes)`);
  const [, inward, outward] = /^direction: in (\d+), out (\d+), unknown (\d+) \(dropped\)$/.exec(lines[1]!)!.map(Number);
  assert.deepEqual([inward! + outward!, lines[1]!.endsWith(`unknown ${unknown} (dropped)`)], [kept, true]);
  assert.deepEqual(lines.slice(2, 5), [
    `dump to ${join(dir, 'd', 'xml')}: ${kept} packets in 1 file(s)`,
    `write to ${join(dir, 'all.pcap')}: ${kept} packets (${s.sinks[1]!.bytes} bytes)`,
    'zmq: delivered 0 packets (127.0.0.1 0 packets 0 bytes)',
  ]);
  assert.equal(lines[5], `dropped: ${s.drops.map((d) => `${d.reason} ${d.packets}`).join(', ')}`);
});

/** `--metrics`: the Prometheus endpoint of a real run, read over HTTP and checked against the run's summary. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { collect, FIXTURES, runCli, startCli, waitForStderr } from '../helpers/cli.js';
import { parseExposition, sampleValue, type Exposition } from '../helpers/prometheus.js';
import { tmp } from '../helpers/tmp.js';


async function scrape(url: string): Promise<Exposition> {
  const r = await fetch(url);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(await r.text());
}

test('GET /metrics while a channel runs: the packets fed, then the summary\'s counters; 404 and 405 elsewhere', async (t) => {
  const out = tmp();
  const child = startCli(t, 'pktminerg', ['--metrics', '127.0.0.1:0', '-f', '-', '--dump', out], { stdin: 'pipe' });
  const done = collect(child);
  const url = (await waitForStderr(child, /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)\n/))[1]!;
  // The 8 packets of sample.pcap; standard input stays open, so the run goes on.
  child.stdin!.write(readFileSync(join(FIXTURES, 'sample.pcap')));
  const ch = { channel: '1', source: 'stdin' };
  let e = await scrape(url);
  for (let i = 0; i < 200 && sampleValue(e, 'pktminerg_sink_packets_total', { ...ch, sink: 'dump' }) < 8; i++) {
    await new Promise((r) => setTimeout(r, 25));
    e = await scrape(url);
  }
  assert.equal(sampleValue(e, 'pktminerg_captured_packets_total', ch), 8);
  assert.equal(sampleValue(e, 'pktminerg_sink_packets_total', { ...ch, sink: 'dump' }), 8);
  assert.equal(sampleValue(e, 'pktminerg_dump_files', { ...ch, sink: 'dump' }), 1);
  assert.equal(sampleValue(e, 'pktminerg_dropped_packets_total', { ...ch, reason: 'direction unknown' }), 0);
  assert.ok(sampleValue(e, 'process_resident_memory_bytes') > 0);

  const notFound = await fetch(url.replace(/\/metrics$/, '/'));
  assert.equal(notFound.status, 404);
  const post = await fetch(url, { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET');

  // End of input: the run ends (the kept-alive connection of fetch does not hold it) and its summary matches.
  child.stdin!.end();
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  const captured = /\[-01-\] captured (\d+) packets \((\d+) bytes\)\n/.exec(r.stderr);
  assert.ok(captured, r.stderr);
  assert.equal(sampleValue(e, 'pktminerg_captured_packets_total', ch), Number(captured[1]));
  assert.equal(sampleValue(e, 'pktminerg_captured_bytes_total', ch), Number(captured[2]));
  const dump = /\[-01-\] dump to \S+: (\d+) packets in (\d+) file\(s\)\n/.exec(r.stderr);
  assert.ok(dump, r.stderr);
  assert.equal(sampleValue(e, 'pktminerg_sink_packets_total', { ...ch, sink: 'dump' }), Number(dump[1]));
  assert.equal(sampleValue(e, 'pktminerg_dump_files', { ...ch, sink: 'dump' }), Number(dump[2]));
  // Every reason of the summary's dropped: line is a series with its count.
  const dropped = /\[-01-\] dropped: (.*)\n/.exec(r.stderr)![1]!.split(', ');
  for (const d of dropped) {
    const [, reason, n] = /^(.*) (\d+)$/.exec(d)!;
    assert.equal(sampleValue(e, 'pktminerg_dropped_packets_total', { ...ch, reason: reason! }), Number(n), d);
  }
});

test('--metrics on a port in use: one line, exit 1, nothing captured or written', async (t) => {
  const holder = createServer().listen(0, '127.0.0.1');
  await once(holder, 'listening');
  t.after(() => holder.close());
  const port = (holder.address() as AddressInfo).port;
  const out = tmp();
  const r = await runCli(t, 'pktminerg', ['--metrics', `127.0.0.1:${port}`, '-f', join(FIXTURES, 'sample.pcap'), '--dump', out]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `pktminerg: --metrics 127.0.0.1:${port}: cannot listen: address in use\n`);
  assert.deepEqual(readdirSync(out), []);
});

test('--metrics with a bad address: a usage error naming it', async (t) => {
  const r = await runCli(t, 'pktminerg', ['--metrics', '127.0.0.1:70000', '-f', join(FIXTURES, 'sample.pcap'), '--dump', tmp()]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^pktminerg: --metrics 127\.0\.0\.1:70000: expected \[ADDR:\]PORT with PORT 0\.\.65535 .*\(try --help\)\n$/);
});

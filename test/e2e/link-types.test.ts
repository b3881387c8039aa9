/**
 * Frames that are not Ethernet (Linux cooked capture from `-i any`, raw IP)
 * reach an analyser as valid Ethernet frames, while the dump keeps them as
 * they were captured: pktminerg -f → ZMQ over loopback → zmqdump.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LINKTYPE_LINUX_SLL, LINKTYPE_RAW } from '../../lib/packet.js';
import { buildPcap, FIXTURES, readPcapFile } from '../helpers/capture-files.js';
import { runCli, startReceiver, waitForSize } from '../helpers/cli.js';

const { records: SAMPLE } = await readPcapFile(join(FIXTURES.pathname, 'sample.pcap'));
const ZERO_MAC = Buffer.alloc(6);

/** sample.pcap's Ethernet frames as Linux cooked (v1) frames, as `-i any` captures them: the source MAC kept, the destination lost. */
const cooked = SAMPLE.map((r) => ({
  tsSec: r.tsSec,
  tsFrac: r.tsFrac,
  data: Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 6]), r.data.subarray(6, 12), Buffer.alloc(2), r.data.subarray(12)]),
}));

for (const [name, linktype, records, expected] of [
  ['Linux cooked capture (-i any)', LINKTYPE_LINUX_SLL, cooked, SAMPLE.map((r) => Buffer.concat([ZERO_MAC, r.data.subarray(6)]))],
  ['raw IP', LINKTYPE_RAW, SAMPLE.map((r) => ({ ...r, data: r.data.subarray(14) })), SAMPLE.map((r) => Buffer.concat([ZERO_MAC, ZERO_MAC, r.data.subarray(12)]))],
] as const) {
  test(`${name} forwarded over ZMQ arrives as Ethernet; the dump keeps the original link type`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'pa-link-'));
    const input = join(dir, 'in.pcap');
    writeFileSync(input, buildPcap({ linktype }, records.map((r) => ({ tsSec: r.tsSec, tsFrac: r.tsFrac, data: r.data }))));
    const out = join(dir, 'out.pcap');
    const rx = await startReceiver(t, 'zmqdump', ['-o', out, '-c', String(expected.length)]);
    const r = await runCli(t, 'pktminerg', ['-f', input, '-r', '127.0.0.1', '-z', String(rx.port), '--dump', join(dir, 'dump'), '--uuid-file', '/nonexistent']);
    assert.equal(r.code, 0, r.stderr);
    await waitForSize(out, 24 + expected.reduce((n, f) => n + 16 + f.length, 0));
    const got = await readPcapFile(out);
    assert.equal(got.header.linktype, 1);
    assert.deepEqual(got.records.map((g) => g.data.toString('hex')), expected.map((e) => e.toString('hex')));
    const [dumpFile] = readdirSync(join(dir, 'dump', 'in'));
    const dumped = await readPcapFile(join(dir, 'dump', 'in', dumpFile!));
    assert.equal(dumped.header.linktype, linktype);
    assert.deepEqual(dumped.records.map((d) => d.data.toString('hex')), records.map((x) => x.data.toString('hex')));
  });
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, FIXTURES, runCli, startCli } from '../helpers/cli.js';
import { buildPcap, buildPcapng, type PcapRecordSpec } from '../helpers/capture-files.js';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, PacketBatch } from '../../lib/packet.js';
import { packetDifference } from '../../lib/tools/pcapcompare.js';

const dir = mkdtempSync(join(tmpdir(), 'pcapcompare-'));
const SAMPLE = join(FIXTURES, 'sample.pcap');
const XML = join(FIXTURES, 'xml.pcap');

function write(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** Byte offset of each record header in a classic little-endian pcap file. */
function recordOffsets(file: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = 24; at < file.length; at += 16 + file.readUInt32LE(at + 8)) offsets.push(at);
  return offsets;
}

/** Records with distinct bytes, 60..119 bytes long. */
function records(n: number): PcapRecordSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    tsSec: 1700000000 + i,
    tsFrac: i * 1000,
    data: Buffer.alloc(60 + i, (i * 7) & 0xff),
  }));
}

test('packetDifference: packet i of one batch against packet j of another, each frame at its own offset', () => {
  const frame = Buffer.from(Array.from({ length: 64 }, (_, k) => k));
  const x = new PacketBatch(1);
  x.add(Buffer.alloc(10), 0, 10, 10, 1, 0, LINKTYPE_ETHERNET);
  x.add(Buffer.concat([Buffer.alloc(5, 0xee), frame]), 5, 64, 70, 1_700_000_000, 123_456_789, LINKTYPE_ETHERNET);
  const y = new PacketBatch(1);
  const shared = Buffer.concat([Buffer.alloc(100, 0xdd), frame, Buffer.alloc(3)]);
  y.add(shared, 100, 64, 70, 1_700_000_000, 123_456_789, LINKTYPE_ETHERNET);
  const a = { batch: x, i: 1 };
  const b = { batch: y, i: 0 };
  assert.equal(packetDifference(a, b, true, 9), null);
  assert.equal(packetDifference(a, { batch: x, i: 0 }, false, 6), 'caplen 64 vs 10');
  y.tsNsec[0] = 123_456_000;
  assert.equal(packetDifference(a, b, false, 6), null);
  assert.equal(packetDifference(a, b, true, 9), 'timestamp 1700000000.123456789 vs 1700000000.123456000');
  y.tsNsec[0] = 123_456_789;
  shared[100 + 40] ^= 0x0f;
  assert.equal(packetDifference(a, b, false, 6), 'bytes differ at offset 40 (0x28 vs 0x27)');
  shared[100 + 40] ^= 0x0f;
  y.wirelen[0] = 71;
  assert.equal(packetDifference(a, b, false, 6), 'wirelen 70 vs 71');
  y.wirelen[0] = 70;
  y.linktype[0] = LINKTYPE_LINUX_SLL;
  assert.equal(packetDifference(a, b, false, 6), 'linktype 1 vs 113');
  y.linktype[0] = LINKTYPE_ETHERNET;
  y.caplen[0] = 63;
  x.caplen[1] = 63;
  x.data[1]![5 + 63] ^= 0xff;
  assert.equal(packetDifference(a, b, true, 9), null, 'bytes past caplen are not compared');
});

test('identical files: exit 0 and "Compare result 0, Pkt num: N", positional and --lpcap/--rpcap forms', async (t) => {
  const copy = join(dir, 'xml-copy.pcap');
  copyFileSync(XML, copy);
  const r = await runCli(t, 'pcapcompare', [XML, copy]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Compare result 0, Pkt num: 1200\n');
  assert.equal(r.stderr, '');

  const s = await runCli(t, 'pcapcompare', ['--lpcap', SAMPLE, '--rpcap', SAMPLE, '--timestamps']);
  assert.equal(s.code, 0, s.stderr);
  assert.equal(s.stdout, 'Compare result 0, Pkt num: 8\n');
});

test('one byte changed in packet 17: exit 1, names the packet and the offset', async (t) => {
  const bytes = readFileSync(XML);
  const at = recordOffsets(bytes)[16]! + 16 + 14;
  bytes[at] ^= 0xff;
  const changed = write('xml-changed.pcap', bytes);
  const r = await runCli(t, 'pcapcompare', [XML, changed]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^packet 17 differs: bytes differ at offset 14 \(0x[0-9a-f]{2} vs 0x[0-9a-f]{2}\)\n$/);
});

test('one packet fewer: exit 1, both counts', async (t) => {
  const bytes = readFileSync(SAMPLE);
  const fewer = write('sample-7.pcap', bytes.subarray(0, recordOffsets(bytes)[7]));
  const r = await runCli(t, 'pcapcompare', [SAMPLE, fewer]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, `${SAMPLE} has 8 packets, ${fewer} has 7\n`);

  const swapped = await runCli(t, 'pcapcompare', ['--lpcap', fewer, '--rpcap', SAMPLE]);
  assert.equal(swapped.code, 1);
  assert.equal(swapped.stdout, `${fewer} has 7 packets, ${SAMPLE} has 8\n`);
});

test('different timestamps: exit 0 without --timestamps, 1 with it', async (t) => {
  const recs = records(3);
  const a = write('ts-a.pcap', buildPcap({}, recs));
  const b = write('ts-b.pcap', buildPcap({}, recs.map((r, i) => (i === 1 ? { ...r, tsFrac: r.tsFrac + 1 } : r))));
  const plain = await runCli(t, 'pcapcompare', [a, b]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout, 'Compare result 0, Pkt num: 3\n');
  const strict = await runCli(t, 'pcapcompare', [a, b, '--timestamps']);
  assert.equal(strict.code, 1, strict.stderr);
  assert.equal(strict.stdout, 'packet 2 differs: timestamp 1700000001.001000 vs 1700000001.001001\n');
  // Either file in nanoseconds: nine digits, so the difference shows.
  const ns = write('ts-ns.pcap', buildPcap({ nanos: true }, recs.map((r, i) => ({ ...r, tsFrac: r.tsFrac * 1000 + (i === 1 ? 1 : 0) }))));
  const fine = await runCli(t, 'pcapcompare', [a, ns, '--timestamps']);
  assert.equal(fine.code, 1, fine.stderr);
  assert.equal(fine.stdout, 'packet 2 differs: timestamp 1700000001.001000000 vs 1700000001.001000001\n');
});

test('caplen and wire length differences are named', async (t) => {
  const recs = records(4);
  const a = write('len-a.pcap', buildPcap({}, recs));
  const shorter = write('len-caplen.pcap', buildPcap({}, recs.map((r, i) => (i === 2 ? { ...r, data: r.data.subarray(0, 50), wirelen: r.data.length } : r))));
  const wire = write('len-wirelen.pcap', buildPcap({}, recs.map((r, i) => (i === 3 ? { ...r, wirelen: r.data.length + 100 } : r))));
  const c = await runCli(t, 'pcapcompare', [a, shorter]);
  assert.equal(c.code, 1);
  assert.equal(c.stdout, 'packet 3 differs: caplen 62 vs 50\n');
  const w = await runCli(t, 'pcapcompare', [a, wire]);
  assert.equal(w.code, 1);
  assert.equal(w.stdout, 'packet 4 differs: wirelen 63 vs 163\n');
});

test('a pcapng file with nanosecond timestamps equals the pcap with the same packets', async (t) => {
  const recs = records(5);
  const pcap = write('same.pcap', buildPcap({}, recs));
  const ng = write(
    'same.pcapng',
    buildPcapng([
      { type: 'shb' },
      { type: 'idb', tsresol: 9 },
      ...recs.map((r) => ({ type: 'epb' as const, ts: BigInt(r.tsSec) * 1_000_000_000n + BigInt(r.tsFrac * 1000), data: r.data })),
    ]),
  );
  const r = await runCli(t, 'pcapcompare', [pcap, ng, '--timestamps']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Compare result 0, Pkt num: 5\n');
});

test('a truncated file: exit 2, its error with the file and offset on stderr', async (t) => {
  const bytes = readFileSync(SAMPLE);
  const cut = recordOffsets(bytes)[5]! + 16 + 10;
  const truncated = write('sample-truncated.pcap', bytes.subarray(0, cut));
  const r = await runCli(t, 'pcapcompare', [SAMPLE, truncated]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `pcapcompare: ${truncated}: truncated pcap record at byte offset ${recordOffsets(bytes)[5]}: need ${bytes.readUInt32LE(recordOffsets(bytes)[5]! + 8) + 16} bytes, have 26\n`);
});

test('damage is reported only after the packets before it: an earlier difference wins (exit 1)', async (t) => {
  const bytes = readFileSync(SAMPLE);
  const offsets = recordOffsets(bytes);
  const corrupt = Buffer.from(bytes);
  corrupt.writeUInt32LE(262145, offsets[6]! + 8); // captured length above libpcap's limit: CorruptError at packet 7
  const corruptFile = write('sample-corrupt.pcap', corrupt);
  const damaged = Buffer.from(corrupt);
  damaged[offsets[1]! + 16 + 30] ^= 1;
  const r = await runCli(t, 'pcapcompare', [SAMPLE, write('sample-damaged.pcap', damaged)]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^packet 2 differs: bytes differ at offset 30 /);

  const c = await runCli(t, 'pcapcompare', [SAMPLE, corruptFile]);
  assert.equal(c.code, 2);
  assert.equal(c.stderr, `pcapcompare: ${corruptFile}: pcap record captured length 262145 exceeds limit 262144 at byte offset ${offsets[6]}\n`);
});

test('trouble is exit 2 with one line: missing file, directory, corrupt magic, bad options', async (t) => {
  const missing = join(dir, 'nope.pcap');
  const cases: [string[], RegExp][] = [
    // Both unreadable: the left one is named.
    [[missing, dir], new RegExp(`^pcapcompare: cannot read capture file ${missing}: no such file or directory\\n$`)],
    [[SAMPLE, dir], new RegExp(`^pcapcompare: cannot read capture file ${dir}: is a directory\\n$`)],
    [[SAMPLE, write('junk.pcap', Buffer.alloc(100, 0x41))], /^pcapcompare: \S+junk.pcap: unknown capture file magic 0x41414141 at byte offset 0\n$/],
    [[SAMPLE], /^pcapcompare: need two capture files, got 1\n$/],
    [['--lpcap', SAMPLE], /^pcapcompare: give both --lpcap and --rpcap, or two files\n$/],
    [['-', '-'], /^pcapcompare: only one of the files can be standard input \(-\)\n$/],
    [[SAMPLE, SAMPLE, '--bogus'], /^pcapcompare: Unknown argument: bogus\n$/],
  ];
  for (const [args, expected] of cases) {
    const r = await runCli(t, 'pcapcompare', args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, expected);
    assert.equal(r.stdout, '');
  }
});

test('- reads standard input, as pktminerg -f - does', async (t) => {
  const child = startCli(t, 'pcapcompare', ['-', SAMPLE], { stdin: 'pipe' });
  child.stdin!.end(readFileSync(SAMPLE));
  const r = await collect(child);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Compare result 0, Pkt num: 8\n');
});

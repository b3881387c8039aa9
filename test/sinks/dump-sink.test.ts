process.env.TZ = 'UTC'; // file names carry local time; pin it so the expected names below hold

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DumpSink } from '../../lib/sinks/dump-sink.js';
import { defaultDumpName, DumpNames } from '../../lib/sinks/dump-name.js';
import type { Batch } from '../../lib/packet.js';
import type { DumpOptions } from '../../lib/config.js';
import type { Logger } from '../../lib/log.js';
import { decodeFileHeader, encodeFileHeader } from '../../lib/proto/pcap.js';
import { readPcapFile } from '../helpers/capture-files.js';
import { batchOf, packet, packetsOf, stamped, type TestPacket } from '../helpers/packets.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
/** The format of the test batches, as a file source stamps them. */
const FORMAT = { nanos: false, snaplen: 65535 };
const T0 = 1700000007; // 2023-11-14 22:13:27 UTC, deliberately not on a 15 s boundary

function frame(i: number): Buffer {
  const b = Buffer.alloc(60 + (i % 7));
  b.writeUInt32BE(i, 20);
  return b;
}

/** 120 packets, one every 0.5 s, over 60 s of capture time, in batches of `per`. */
function sixtySeconds(per = 16): Batch[] {
  const all: TestPacket[] = [];
  for (let i = 0; i < 120; i++) {
    const data = frame(i);
    all.push(packet(T0 + Math.floor(i / 2), (i % 2) * 500_000_000, data.length, data.length + 4, data, 1));
  }
  const batches: Batch[] = [];
  for (let i = 0; i < all.length; i += per) batches.push(stamped(batchOf(all.slice(i, i + per)), FORMAT));
  return batches;
}

async function runBatches(opts: DumpOptions, batches: Batch[], source = 'cap'): Promise<DumpSink> {
  const sink = new DumpSink(opts, source, quiet);
  sink.open();
  for (const b of batches) {
    await new Promise<void>((res, rej) => sink.write(b, (e) => (e ? rej(e) : res())));
  }
  await new Promise<void>((res, rej) => sink.end((e?: Error | null) => (e ? rej(e) : res())));
  return sink;
}

function pcapFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.pcap')) out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

test('the default names follow spec §6 with proper path joining', () => {
  assert.equal(new DumpNames(defaultDumpName(0), 'cap').name(T0, 0), 'pktminerg_dump.pcap');
  assert.equal(new DumpNames(defaultDumpName(15), 'cap').name(1700000000, 0), join('2023111422', 'pktminerg_dump_20231114221320.pcap'));
});

test('--interval 15 over 60 s of capture time: files on 15 s boundaries, each valid, together exactly the input', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  const batches = sixtySeconds(7);
  const sink = await runBatches({ dir: base, intervalSec: 15, maxFiles: 0, maxBytes: 0 }, batches);
  const dir = join(base, 'cap');
  const files = pcapFiles(dir);
  // 22:13:27 .. 22:14:26 spans the periods starting 13:15, 13:30, 13:45, 14:00, 14:15
  assert.deepEqual(files, ['1315', '1330', '1345', '1400', '1415'].map((mmss) => join('2023111422', `pktminerg_dump_2023111422${mmss}.pcap`)));
  assert.equal(sink.files, 5);
  const input = batches.flatMap(packetsOf);
  const got = [];
  for (const f of files) {
    const { header, records } = await readPcapFile(join(dir, f));
    assert.equal(header.linktype, 1);
    assert.equal(header.snaplen, 65535);
    assert.equal(header.nanos, false);
    assert.ok(records.length > 0);
    const start = Number(f.slice(-9, -7)) * 60 + Number(f.slice(-7, -5)); // mm, ss of the period start
    for (const r of records) {
      const d = new Date(r.tsSec * 1000);
      const at = d.getUTCMinutes() * 60 + d.getUTCSeconds();
      assert.ok(at >= start && at < start + 15, `${f} holds a packet of ${at}`);
    }
    got.push(...records);
  }
  assert.equal(got.length, input.length);
  got.forEach((r, i) => {
    const p = input[i]!;
    assert.equal(r.tsSec, p.tsSec);
    assert.equal(r.tsFrac, p.tsNsec / 1000);
    assert.equal(r.caplen, p.caplen);
    assert.equal(r.wirelen, p.wirelen);
    assert.ok(r.data.equals(p.data));
  });
  assert.equal(sink.counters.packets, 120);
  assert.equal(sink.counters.dropped.size, 0);
});

test('--interval 0 writes one file; a second run never touches the first file', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  const opts = { dir: base, intervalSec: 0, maxFiles: 0, maxBytes: 0 };
  await runBatches(opts, sixtySeconds());
  const first = readFileSync(join(base, 'cap', 'pktminerg_dump.pcap'));
  await runBatches(opts, sixtySeconds().slice(0, 1));
  assert.deepEqual(pcapFiles(join(base, 'cap')), ['pktminerg_dump.1.pcap', 'pktminerg_dump.pcap']);
  assert.ok(readFileSync(join(base, 'cap', 'pktminerg_dump.pcap')).equals(first));
  assert.equal((await readPcapFile(join(base, 'cap', 'pktminerg_dump.pcap'))).records.length, 120);
  assert.equal((await readPcapFile(join(base, 'cap', 'pktminerg_dump.1.pcap'))).records.length, 16);
});

test('a batch of a new generation (the source opened capture again) starts a new file: every file whole, in order, none empty', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  const batches = sixtySeconds(10).slice(0, 6);
  // A live source counts its opens from 1; the flaps fall between batches 1 and 2, and 4 and 5.
  const generations = [1, 1, 2, 2, 2, 3];
  batches.forEach((b, i) => (b.generation = generations[i]!));
  const sink = await runBatches({ dir: base, intervalSec: 0, maxFiles: 0, maxBytes: 0 }, batches);
  const dir = join(base, 'cap');
  const files = ['pktminerg_dump.pcap', 'pktminerg_dump.1.pcap', 'pktminerg_dump.2.pcap'];
  assert.deepEqual(pcapFiles(dir), [...files].sort());
  assert.equal(sink.files, 3);
  const packets = batches.map(packetsOf);
  for (const [f, which] of [
    [files[0]!, [0, 1]],
    [files[1]!, [2, 3, 4]],
    [files[2]!, [5]],
  ] as const) {
    const bytes = readFileSync(join(dir, f));
    assert.deepEqual(decodeFileHeader(bytes), decodeFileHeader(encodeFileHeader({ nanos: false, snaplen: 65535, linktype: 1 })), f);
    assert.ok(bytes.subarray(24).equals(usecRecords(which.flatMap((i) => packets[i]!))), `${f} holds exactly batches ${which.join(', ')}`);
    assert.equal((await readPcapFile(join(dir, f))).records.length, which.length * 10);
  }
  assert.equal(sink.counters.packets, 60);
});

test('a new generation takes its own header: an interface re-created as another kind (Linux cooked, ns) is recorded, not dropped', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  const ether = batchOf([packet(T0, 500_000_000, 60, 60, frame(1), 1)]);
  const cooked = batchOf([packet(T0 + 5, 123_456_789, 61, 64, frame(2), 113)]);
  const sink = await runBatches({ dir: base, intervalSec: 0, maxFiles: 0, maxBytes: 0 }, [
    stamped(ether, FORMAT, 1),
    stamped(cooked, { nanos: true, snaplen: 262144 }, 2),
  ]);
  const dir = join(base, 'cap');
  const first = decodeFileHeader(readFileSync(join(dir, 'pktminerg_dump.pcap')));
  const second = decodeFileHeader(readFileSync(join(dir, 'pktminerg_dump.1.pcap')));
  assert.deepEqual([first.linktype, first.nanos, first.snaplen], [1, false, 65535]);
  assert.deepEqual([second.linktype, second.nanos, second.snaplen], [113, true, 262144]);
  const [r] = (await readPcapFile(join(dir, 'pktminerg_dump.1.pcap'))).records;
  assert.deepEqual([r!.tsSec, r!.tsFrac, r!.data.length, r!.wirelen], [T0 + 5, 123_456_789, 61, 64]);
  assert.equal(sink.counters.packets, 2);
  assert.equal(sink.counters.dropped.size, 0);
});

test('--dump-max-files keeps the newest files, like a dumpcap ring buffer', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  await runBatches({ dir: base, intervalSec: 15, maxFiles: 2, maxBytes: 0 }, sixtySeconds());
  const files = pcapFiles(join(base, 'cap'));
  assert.deepEqual(files, [join('2023111422', 'pktminerg_dump_20231114221400.pcap'), join('2023111422', 'pktminerg_dump_20231114221415.pcap')]);
});

test('--dump-max-size removes the oldest finished files beyond the size', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  // Each full 15 s file holds 30 records of 16 + 60..66 bytes (~2.3 kB); 3000 bytes keeps one finished file.
  await runBatches({ dir: base, intervalSec: 15, maxFiles: 0, maxBytes: 3000 }, sixtySeconds());
  const files = pcapFiles(join(base, 'cap'));
  assert.equal(files.length, 2, files.join());
  assert.match(files[1]!, /221415\.pcap$/);
});

test('an I/O error drops and counts packets, then the sink recovers in a new file', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  const dir = join(base, 'cap');
  const sink = new DumpSink({ dir: base, intervalSec: 3600, maxFiles: 0, maxBytes: 0 }, 'cap', quiet);
  sink.open();
  const nanosWholeFrames = { nanos: true, snaplen: 0 };
  const at = (sec: number) => {
    const d = frame(sec);
    return stamped(batchOf([packet(sec, 123456789, d.length, d.length, d, 1)]), nanosWholeFrames);
  };
  const write = (b: Batch) => new Promise<void>((res, rej) => sink.write(b, (e) => (e ? rej(e) : res())));
  await write(at(1700000000)); // hour 2023111422
  writeFileSync(join(dir, '2023111423'), 'not a directory'); // the next hour's directory cannot be created
  await write(at(1700000000 + 3600));
  assert.equal(sink.counters.dropped.get('dump file error'), 1);
  await sleep(1100);
  await write(at(1700000000 + 7200)); // hour 2023111500
  await new Promise<void>((res) => sink.end(res));
  assert.equal(sink.counters.packets, 2);
  const files = pcapFiles(dir);
  assert.deepEqual(files, [join('2023111422', 'pktminerg_dump_20231114220000.pcap'), join('2023111500', 'pktminerg_dump_20231115000000.pcap')]);
  const last = await readPcapFile(join(dir, files[1]!));
  assert.equal(last.header.nanos, true);
  assert.equal(last.header.snaplen, 262144);
  assert.equal(last.records[0]!.tsFrac, 123456789);
  assert.ok(existsSync(join(dir, '2023111423')));
});

test('frames of another link type are counted, not written into the file', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  const b = sixtySeconds(120)[0]!;
  b.linktype[5] = 113;
  const sink = await runBatches({ dir: base, intervalSec: 0, maxFiles: 0, maxBytes: 0 }, [b]);
  assert.equal(sink.counters.packets, 119);
  assert.equal(sink.counters.dropped.get('link type differs from the dump file'), 1);
});

test('retention holds across restarts: five runs with --dump-max-files 2 leave the 2 newest files', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  for (let run = 0; run < 5; run++) {
    const data = frame(run);
    // One packet per run, each in its own 15 s period.
    await runBatches({ dir: base, intervalSec: 15, maxFiles: 2, maxBytes: 0 }, [batchOf([packet(T0 + 15 * run, 0, data.length, data.length, data, 1)])]);
  }
  // The runs wrote the periods 13:15, 13:30, 13:45, 14:00 and 14:15.
  assert.deepEqual(pcapFiles(join(base, 'cap')), ['1400', '1415'].map((mmss) => join('2023111422', `pktminerg_dump_2023111422${mmss}.pcap`)));
});

test('retention removes only our own files: foreign names, links and a planted history file are left alone', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  const outside = mkdtempSync(join(tmpdir(), 'outside-'));
  const precious = join(outside, 'precious');
  writeFileSync(precious, 'keep me');
  const dir = join(base, 'cap');
  mkdirSync(join(dir, '2023111421'), { recursive: true });
  // Older than anything the run writes, so retention would take them first if it trusted them.
  writeFileSync(join(dir, '2023111421', 'notes.txt'), 'not a dump');
  symlinkSync(precious, join(dir, '2023111421', 'pktminerg_dump_20231114210000.pcap'));
  writeFileSync(join(dir, '.pktminerg_dump_history'), `${precious}\n`);
  await runBatches({ dir: base, intervalSec: 15, maxFiles: 2, maxBytes: 0 }, sixtySeconds());
  assert.equal(readFileSync(precious, 'utf8'), 'keep me');
  assert.ok(lstatSync(join(dir, '2023111421', 'pktminerg_dump_20231114210000.pcap')).isSymbolicLink());
  assert.ok(existsSync(join(dir, '2023111421', 'notes.txt')));
  assert.equal(pcapFiles(dir).filter((f) => f.startsWith('2023111422')).length, 2);
});

test('a source or hour directory planted as a symbolic link is refused, nothing is written through it', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  const target = mkdtempSync(join(tmpdir(), 'target-'));
  symlinkSync(target, join(base, 'cap'));
  const sink = new DumpSink({ dir: base, intervalSec: 15, maxFiles: 0, maxBytes: 0 }, 'cap', quiet);
  assert.throws(() => sink.open(), { name: 'UserError', message: `--dump: refusing ${join(base, 'cap')}: it is a symbolic link` });

  const base2 = mkdtempSync(join(tmpdir(), 'dump-'));
  mkdirSync(join(base2, 'cap'));
  symlinkSync(target, join(base2, 'cap', '2023111422'));
  const s2 = await runBatches({ dir: base2, intervalSec: 3600, maxFiles: 0, maxBytes: 0 }, sixtySeconds());
  assert.equal(s2.counters.packets, 0);
  assert.equal(s2.counters.dropped.get('dump file error'), 120);
  assert.deepEqual(readdirSync(target), []);
});

test('a full disk: every file is whole and non-empty, the counts are what the files hold, writing resumes when space returns', { skip: process.getuid?.() !== 0 && 'needs root to mount a small tmpfs' }, async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'dump-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', base]);
  t.after(() => execFileSync('umount', ['-l', base]));
  // Most of the room goes to a filler we delete later, to give the space back.
  const filler = join(base, 'filler');
  writeFileSync(filler, Buffer.alloc(40 * 1024));
  const sink = new DumpSink({ dir: base, intervalSec: 3600, maxFiles: 0, maxBytes: 0 }, 'cap', quiet);
  sink.open();
  const write = (b: Batch) => new Promise<void>((res, rej) => sink.write(b, (e) => (e ? rej(e) : res())));
  let sent = 0;
  const burst = async (n: number, size: number): Promise<void> => {
    for (let i = 0; i < n; i++, sent++) {
      const data = Buffer.alloc(size, sent & 0xff);
      await write(batchOf([packet(1700000000, sent, size, size, data, 1)]));
    }
  };
  await burst(40, 1000); // fills the disk part-way through a record
  await sleep(1100);
  await burst(5, 1000); // the retry finds the disk still full
  rmSync(filler);
  await sleep(1100);
  await burst(5, 1000); // and this one has room again
  await new Promise<void>((res) => sink.end(res));

  const dir = join(base, 'cap');
  const files = pcapFiles(dir);
  assert.ok(files.length >= 2, files.join());
  let records = 0;
  for (const f of files) {
    const n = (await readPcapFile(join(dir, f))).records.length;
    assert.ok(n > 0, `${f} holds no record`);
    records += n;
  }
  assert.equal(records, sink.counters.packets);
  assert.ok(sink.counters.packets > 0 && sink.counters.packets < sent);
  assert.equal(sink.counters.packets + (sink.counters.dropped.get('dump file error') ?? 0), sent);
  // tcpdump exits non-zero on a torn record ("truncated dump file"): execFileSync would throw.
  for (const f of files) execFileSync('tcpdump', ['-r', join(dir, f)], { stdio: 'ignore' });
});

/** The records of `files` (relative to `dir`, in writing order) back to back, and each file's size. */
async function readAll(dir: string, files: string[]): Promise<{ records: Awaited<ReturnType<typeof readPcapFile>>['records']; sizes: number[]; firsts: number[] }> {
  const records = [];
  const sizes = [];
  const firsts = [];
  for (const f of files) {
    const r = (await readPcapFile(join(dir, f))).records;
    assert.ok(r.length > 0, `${f} holds no record`);
    sizes.push(lstatSync(join(dir, f)).size);
    firsts.push(16 + r[0]!.caplen);
    records.push(...r);
  }
  return { records, sizes, firsts };
}

function assertSameRecords(got: Awaited<ReturnType<typeof readAll>>['records'], input: TestPacket[]): void {
  assert.equal(got.length, input.length);
  got.forEach((r, i) => {
    assert.equal(r.tsSec, input[i]!.tsSec);
    assert.ok(r.data.equals(input[i]!.data), `record ${i}`);
  });
}

/** Size-rotated files are at most `limit`, and the next file's first record would not have fitted: within one record of it. */
function assertSizeRotated(sizes: number[], firsts: number[], limit: number): void {
  sizes.forEach((size, i) => {
    assert.ok(size <= limit, `file ${i}: ${size} > ${limit}`);
    if (i + 1 < sizes.length) assert.ok(size + firsts[i + 1]! > limit, `file ${i}: ${size} bytes, the next record (${firsts[i + 1]}) would have fitted`);
  });
}

const kName = (k: number): string => (k === 0 ? 'pktminerg_dump.pcap' : `pktminerg_dump.${k}.pcap`);

test('-C without --interval: files of at most SIZE, each within one record of it, named .k in order, together exactly the input', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  const limit = 1024;
  const batches = sixtySeconds(7);
  const sink = await runBatches({ dir: base, intervalSec: 0, maxFiles: 0, maxBytes: 0, maxFileBytes: limit }, batches);
  const dir = join(base, 'cap');
  // 120 records of 76..82 bytes after a 24-byte header: 12 fit in 1024 bytes, so 10 files.
  const files = Array.from({ length: 10 }, (_, k) => kName(k));
  assert.deepEqual(pcapFiles(dir), [...files].sort());
  assert.equal(sink.files, 10);
  const { records, sizes, firsts } = await readAll(dir, files);
  assertSameRecords(records, batches.flatMap(packetsOf));
  assertSizeRotated(sizes, firsts, limit);
});

test('-C: a record larger than SIZE goes alone into a file of its own; the records around it are not held back', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  const pkt = (i: number, len: number): TestPacket => {
    const data = Buffer.alloc(len, i);
    return packet(T0 + i, 0, len, len, data, 1);
  };
  const input = [pkt(0, 100), pkt(1, 3000), pkt(2, 100), pkt(3, 100)];
  await runBatches({ dir: base, intervalSec: 0, maxFiles: 0, maxBytes: 0, maxFileBytes: 2048 }, [batchOf(input)]);
  const dir = join(base, 'cap');
  const { records, sizes } = await readAll(dir, [kName(0), kName(1), kName(2)]);
  assert.deepEqual(sizes, [24 + 116, 24 + 3016, 24 + 2 * 116]);
  assertSameRecords(records, input);
});

test('-C with --interval: a new file at each period and whenever the size would be exceeded, whichever comes first', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  const limit = 1400;
  const batches = sixtySeconds(5);
  await runBatches({ dir: base, intervalSec: 15, maxFiles: 0, maxBytes: 0, maxFileBytes: limit }, batches);
  const dir = join(base, 'cap');
  // About 17 records fit in 1400 bytes: two files for each period but the first (22:13:27..29, 6 records).
  const periods = ['1315', '1330', '1345', '1400', '1415'];
  const names = periods.flatMap((mmss, i) => (i === 0 ? [0] : [0, 1]).map((k) => join('2023111422', `pktminerg_dump_2023111422${mmss}${k ? `.${k}` : ''}.pcap`)));
  assert.deepEqual(pcapFiles(dir), [...names].sort());
  const { records, sizes, firsts } = await readAll(dir, names);
  assertSameRecords(records, batches.flatMap(packetsOf));
  // Within a period the files are size-rotated; each period's last file just ends with the period.
  for (let i = 0; i < names.length; i++) {
    assert.ok(sizes[i]! <= limit, names[i]);
    if (names[i + 1]?.endsWith('.1.pcap')) assert.ok(sizes[i]! + firsts[i + 1]! > limit, names[i]);
  }
});

test('-W with -C across restarts: each run continues the .k numbers, the newest files of the last run remain', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  const opts = { dir: base, intervalSec: 0, maxFiles: 3, maxBytes: 0, maxFileBytes: 1024 };
  const input = sixtySeconds().flatMap(packetsOf);
  for (let run = 0; run < 3; run++) await runBatches(opts, sixtySeconds()); // 10 files a run
  const dir = join(base, 'cap');
  // Had a run restarted at k = 0 (free after retention), its files would sort before the older .27..29.
  assert.deepEqual(pcapFiles(dir), [27, 28, 29].map(kName).sort());
  const { records } = await readAll(dir, [27, 28, 29].map(kName));
  assertSameRecords(records, input.slice(input.length - records.length));
});

test('--dump-max-size with -C and --interval across restarts keeps the newest finished files within the size', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  const opts = { dir: base, intervalSec: 15, maxFiles: 0, maxBytes: 3000, maxFileBytes: 1400 };
  const later = (b: Batch): Batch => batchOf(packetsOf(b).map((p) => packet(p.tsSec + 3600, p.tsNsec, p.caplen, p.wirelen, p.data, 1)));
  await runBatches(opts, sixtySeconds());
  await runBatches(opts, sixtySeconds().map(later));
  const dir = join(base, 'cap');
  const files = pcapFiles(dir);
  // The second run's last file (23:14:15.1) and, within 3000 bytes, the two before it (~1.4 kB and ~1 kB);
  // the first run's hour directory went with its last file.
  assert.deepEqual(files, ['231400.1', '231415', '231415.1'].map((s) => join('2023111423', `pktminerg_dump_20231114${s}.pcap`)).sort());
  const finished = files.filter((f) => !f.endsWith('231415.1.pcap')).reduce((n, f) => n + lstatSync(join(dir, f)).size, 0);
  assert.ok(finished <= 3000, `${finished}`);
  assert.ok(!existsSync(join(dir, '2023111422')));
});

test('--dump-name: the template names the files, retention removes only what matches it', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  const dir = join(base, 'cap');
  const outside = mkdtempSync(join(tmpdir(), 'outside-'));
  mkdirSync(join(dir, 'cap'), { recursive: true });
  // Older (epoch 1) than anything the run writes: retention would take them first if they matched.
  const foreign = ['cap_1.txt', 'other_1.pcap', 'cap_x.pcap', 'cap_1.0.pcap', 'cap_01.pcap'];
  for (const f of foreign) writeFileSync(join(dir, 'cap', f), 'not a dump');
  writeFileSync(join(outside, 'precious'), 'keep me');
  symlinkSync(join(outside, 'precious'), join(dir, 'cap', 'cap_1.pcap'));
  await runBatches({ dir: base, intervalSec: 0, maxFiles: 2, maxBytes: 0, maxFileBytes: 1024, nameTemplate: '%{source}/%{source}_%s.pcap' }, sixtySeconds());
  // Every file carries the run's start (its first record, T0); -C numbers them.
  assert.deepEqual(readdirSync(join(dir, 'cap')).sort(), [...foreign, 'cap_1.pcap', `cap_${T0}.8.pcap`, `cap_${T0}.9.pcap`].sort());
  assert.equal(readFileSync(join(outside, 'precious'), 'utf8'), 'keep me');
});

test('the dump directory deleted while running: the lost file is counted as dropped, the directory made again, writing goes on', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  const sink = new DumpSink({ dir: base, intervalSec: 0, maxFiles: 0, maxBytes: 0 }, 'cap', quiet);
  sink.open();
  const write = (b: Batch) => new Promise<void>((res, rej) => sink.write(b, (e) => (e ? rej(e) : res())));
  const batches = sixtySeconds(10);
  await write(batches[0]!);
  await write(batches[1]!);
  rmSync(join(base, 'cap'), { recursive: true });
  await sleep(1100); // the file is looked at once a second
  await write(batches[2]!);
  await write(batches[3]!);
  await new Promise<void>((res) => sink.end(res));
  assert.equal(sink.counters.dropped.get('dump file removed while written'), 20);
  assert.equal(sink.counters.packets, 20);
  assert.equal(sink.lostToErrors, 20);
  // Numbered on from the lost file, as after any gap.
  const files = pcapFiles(join(base, 'cap'));
  assert.deepEqual(files, ['pktminerg_dump.1.pcap']);
  assert.equal((await readPcapFile(join(base, 'cap', files[0]!))).records.length, 20);
});

/** The bytes of the microsecond pcap records of `packets`, built here (not by the encoder under test). */
function usecRecords(packets: TestPacket[]): Buffer {
  return Buffer.concat(
    packets.map((p) => {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(p.tsSec, 0);
      h.writeUInt32LE(Math.floor(p.tsNsec / 1000), 4);
      h.writeUInt32LE(p.caplen, 8);
      h.writeUInt32LE(p.wirelen, 12);
      return Buffer.concat([h, p.data.subarray(0, p.caplen)]);
    }),
  );
}

/**
 * `packets` laid out as a live or file source leaves them: one buffer of pcap
 * records back to back (every packet's record, whatever its link type), each
 * frame at offset[i] just after its record header. The dump's encoder copies
 * runs of such records as they lie.
 */
function asRecordsInOneBuffer(packets: TestPacket[]): Batch {
  const buf = Buffer.concat([Buffer.alloc(24, 0xee), usecRecords(packets)]);
  const b = batchOf([]);
  let at = 24;
  for (const p of packets) {
    b.add(buf, at + 16, p.caplen, p.wirelen, p.tsSec, p.tsNsec, p.linktype);
    at += 16 + p.caplen;
  }
  return b;
}

for (const [layout, toBatch] of [
  ['every frame in its own buffer', batchOf],
  ['frames in one buffer of pcap records, as sources leave them', asRecordsInOneBuffer],
] as const) {
  test(`a batch mixing link types across --interval boundaries: exactly the right records in each file (${layout})`, async () => {
    const base = mkdtempSync(join(tmpdir(), 'dump-'));
    const half = 500_000_000;
    // [seconds after T0 (22:13:27), nanoseconds, link type]; periods start at 22:13:15, 13:30 (T0 + 3), 13:45 (T0 + 18).
    const plan: Array<[number, number, number]> = [
      [0, 0, 1], // 0: the first frame: the dump's link type is Ethernet
      [1, 0, 113], // 1: dropped
      [1, half, 1], // 2
      [2, 0, 1], // 3
      [2, half, 113], // 4: dropped, last before the boundary
      [3, 0, 113], // 5: dropped, first of the new period: no file for it
      [3, 0, 1], // 6: opens 13:30
      [3, half, 228], // 7: dropped
      [4, 0, 1], // 8
      [18, 0, 1], // 9: opens 13:45
      [18, 0, 113], // 10: dropped, last of the batch
      [18, half, 1], // 11: the next batch, same file
      [19, 0, 113], // 12: dropped
      [19, half, 1], // 13
    ];
    const packets = plan.map(([sec, nsec, linktype], i) => {
      const data = frame(i);
      data.fill(i, 24);
      return packet(T0 + sec, nsec, data.length, data.length + 100 + i, data, linktype);
    });
    const sink = await runBatches({ dir: base, intervalSec: 15, maxFiles: 0, maxBytes: 0 }, [toBatch(packets.slice(0, 11)), toBatch(packets.slice(11))].map((b) => stamped(b, FORMAT)));
    const dir = join(base, 'cap');
    const expected: Array<[string, number[]]> = [
      ['1315', [0, 2, 3]],
      ['1330', [6, 8]],
      ['1345', [9, 11, 13]],
    ];
    assert.deepEqual(pcapFiles(dir), expected.map(([mmss]) => join('2023111422', `pktminerg_dump_2023111422${mmss}.pcap`)));
    for (const [mmss, which] of expected) {
      const f = join(dir, '2023111422', `pktminerg_dump_2023111422${mmss}.pcap`);
      const { header } = await readPcapFile(f);
      assert.deepEqual([header.linktype, header.nanos, header.snaplen], [1, false, 65535]);
      const bytes = readFileSync(f);
      assert.ok(bytes.subarray(24).equals(usecRecords(which.map((i) => packets[i]!))), `${mmss} holds exactly packets ${which.join(', ')}`);
    }
    assert.equal(sink.files, 3);
    assert.equal(sink.counters.packets, 8);
    assert.equal(sink.counters.dropped.get('link type differs from the dump file'), 6);
    assert.equal(sink.counters.bytes, [0, 2, 3, 6, 8, 9, 11, 13].reduce((n, i) => n + 16 + packets[i]!.caplen, 0));
  });
}

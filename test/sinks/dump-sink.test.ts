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
import { Packet, type Batch } from '../../lib/packet.js';
import type { DumpOptions } from '../../lib/config.js';
import type { Logger } from '../../lib/log.js';
import { readPcapFile } from '../helpers/capture-files.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const T0 = 1700000007; // 2023-11-14 22:13:27 UTC, deliberately not on a 15 s boundary

function frame(i: number): Buffer {
  const b = Buffer.alloc(60 + (i % 7));
  b.writeUInt32BE(i, 20);
  return b;
}

/** 120 packets, one every 0.5 s, over 60 s of capture time, in batches of `per`. */
function sixtySeconds(per = 16): Batch[] {
  const all: Packet[] = [];
  for (let i = 0; i < 120; i++) {
    const data = frame(i);
    all.push(new Packet(T0 + Math.floor(i / 2), (i % 2) * 500_000_000, data.length, data.length + 4, data, 1));
  }
  const batches: Batch[] = [];
  for (let i = 0; i < all.length; i += per) batches.push(all.slice(i, i + per));
  return batches;
}

async function runBatches(opts: DumpOptions, batches: Batch[], source = 'cap'): Promise<DumpSink> {
  const sink = new DumpSink(opts, source, { nanos: false, snaplen: 65535 }, quiet);
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
  const input = batches.flat();
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
  const sink = new DumpSink({ dir: base, intervalSec: 3600, maxFiles: 0, maxBytes: 0 }, 'cap', { nanos: true, snaplen: 0 }, quiet);
  sink.open();
  const at = (sec: number) => {
    const d = frame(sec);
    return [new Packet(sec, 123456789, d.length, d.length, d, 1)];
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
  b[5]!.linktype = 113;
  const sink = await runBatches({ dir: base, intervalSec: 0, maxFiles: 0, maxBytes: 0 }, [b]);
  assert.equal(sink.counters.packets, 119);
  assert.equal(sink.counters.dropped.get('link type differs from the dump file'), 1);
});

test('retention holds across restarts: five runs with --dump-max-files 2 leave the 2 newest files', async () => {
  const base = mkdtempSync(join(tmpdir(), 'dump-'));
  for (let run = 0; run < 5; run++) {
    const data = frame(run);
    // One packet per run, each in its own 15 s period.
    await runBatches({ dir: base, intervalSec: 15, maxFiles: 2, maxBytes: 0 }, [[new Packet(T0 + 15 * run, 0, data.length, data.length, data, 1)]]);
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
  const sink = new DumpSink({ dir: base, intervalSec: 15, maxFiles: 0, maxBytes: 0 }, 'cap', { nanos: false, snaplen: 0 }, quiet);
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
  const sink = new DumpSink({ dir: base, intervalSec: 3600, maxFiles: 0, maxBytes: 0 }, 'cap', { nanos: false, snaplen: 0 }, quiet);
  sink.open();
  const write = (b: Batch) => new Promise<void>((res, rej) => sink.write(b, (e) => (e ? rej(e) : res())));
  let sent = 0;
  const burst = async (n: number, size: number): Promise<void> => {
    for (let i = 0; i < n; i++, sent++) {
      const data = Buffer.alloc(size, sent & 0xff);
      await write([new Packet(1700000000, sent, size, size, data, 1)]);
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

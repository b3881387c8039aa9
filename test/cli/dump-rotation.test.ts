/** pktminerg's dump rotation flags end to end: -C, -W, --dump-name on a real capture. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { readPcapFile, type PcapFileRecord } from '../helpers/capture-files.js';

const INPUT = join(FIXTURES, 'xml.pcap');
const LIMIT = 100 * 1024;
const kName = (stem: string, k: number): string => `${stem}${k === 0 ? '' : `.${k}`}.pcap`;

/** The k of every file in `dir`, ascending; each file must be `stem`.pcap or `stem`.k.pcap. */
function suffixes(dir: string, stem: string): number[] {
  return readdirSync(dir)
    .map((f) => {
      const m = new RegExp(`^${stem}(?:\\.([1-9]\\d*))?\\.pcap$`).exec(f);
      assert.ok(m, f);
      return Number(m[1] ?? 0);
    })
    .sort((a, b) => a - b);
}

/** Reads `files` in order: each is readable by tcpdump, at most LIMIT, and the next file's first record would not have fitted. */
async function readRotated(dir: string, files: string[]): Promise<PcapFileRecord[]> {
  const all: PcapFileRecord[] = [];
  let previous = -1;
  for (const f of files) {
    const path = join(dir, f);
    execFileSync('tcpdump', ['-r', path], { stdio: 'ignore' }); // throws on a torn or invalid file
    const { records } = await readPcapFile(path);
    const size = statSync(path).size;
    assert.ok(size <= LIMIT, `${f}: ${size} bytes`);
    if (previous >= 0) assert.ok(previous + 16 + records[0]!.caplen > LIMIT, `the file before ${f} (${previous} bytes) had room for its first record`);
    previous = size;
    all.push(...records);
  }
  return all;
}

function assertRecordsEqual(got: PcapFileRecord[], want: PcapFileRecord[]): void {
  assert.equal(got.length, want.length);
  got.forEach((r, i) => assert.deepEqual(r, want[i], `record ${i}`));
}

test('-C 100K: files of at most 100K, each within one record of it, readable by tcpdump, together exactly the input', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'pa-dump-C-'));
  const r = await runCli(t, 'pktminerg', ['-f', INPUT, '--dump', out, '-C', '100K']);
  assert.equal(r.code, 0, r.stderr);
  const dir = join(out, 'xml');
  const ks = suffixes(dir, 'pktminerg_dump');
  assert.deepEqual(ks, ks.map((_, i) => i));
  assert.ok(ks.length >= 14, `${ks.length} files`); // 1.5 MB in 100 KiB files
  const files = ks.map((k) => kName('pktminerg_dump', k));
  assertRecordsEqual(await readRotated(dir, files), (await readPcapFile(INPUT)).records);
});

test('-C with -W across two runs and a --dump-name template: the newest 3 files remain, numbered on from the first run', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'pa-dump-W-'));
  const args = ['-f', INPUT, '--dump', out, '-C', '100K', '-W', '3', '--dump-name', 'cap/%{source}_%Y%m%d.pcap'];
  const input = (await readPcapFile(INPUT)).records;
  const day = new Date(input[0]!.tsSec * 1000).toISOString().slice(0, 10).replaceAll('-', ''); // the CLI runs with TZ=UTC
  const first = await runCli(t, 'pktminerg', args);
  assert.equal(first.code, 0, first.stderr);
  const dir = join(out, 'xml', 'cap');
  const firstKs = suffixes(dir, `xml_${day}`);
  const perRun = firstKs[2]! + 1;
  assert.ok(perRun >= 14, `${perRun} files`);
  assert.deepEqual(firstKs, [perRun - 3, perRun - 2, perRun - 1]);
  const second = await runCli(t, 'pktminerg', args);
  assert.equal(second.code, 0, second.stderr);
  // Had the second run started again at k = 0 (free after retention), its files would sort before the first run's.
  const ks = suffixes(dir, `xml_${day}`);
  assert.deepEqual(ks, [2 * perRun - 3, 2 * perRun - 2, 2 * perRun - 1]);
  const got = await readRotated(dir, ks.map((k) => kName(`xml_${day}`, k)));
  assertRecordsEqual(got, input.slice(input.length - got.length));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ROOT, runCli, startCli, collect, waitForSize } from '../helpers/cli.js';
import { buildPcap, readPcapFile } from '../helpers/capture-files.js';
import { tmp } from '../helpers/tmp.js';

const FIXTURE_FILES = ['sample.pcap', 'xml.pcap', 'http_sample.pcap'];

/** Packet count as tcpdump reads the file (it must accept it). */
function tcpdumpCount(file: string): number {
  const out = execFileSync('tcpdump', ['-n', '-r', file], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  // Some decoders print continuation lines, indented; each packet starts a line with its timestamp.
  return out.split('\n').filter((l) => /^\d/.test(l)).length;
}

for (const name of FIXTURE_FILES) {
  test(`-f ${name} --dump: the dump file is byte-identical to the input`, async (t) => {
    const out = tmp();
    const r = await runCli(t, 'pktminerg', ['-f', join(FIXTURES, name), '--dump', out]);
    assert.equal(r.code, 0, r.stderr);
    const dumped = join(out, name.replace(/\.pcap$/, ''), 'pktminerg_dump.pcap');
    assert.ok(readFileSync(dumped).equals(readFileSync(join(FIXTURES, name))));
    assert.match(r.stderr, /\[INFO\] \[-01-\] captured \d+ packets/);
    assert.equal(tcpdumpCount(dumped), tcpdumpCount(join(FIXTURES, name)));
  });
}

test('--interval 15 over a 60 s capture: >= 4 files, tcpdump reads each, joined in name order they equal the input', async (t) => {
  const records: { tsSec: number; tsFrac: number; data: Buffer }[] = [];
  for (let i = 0; i < 240; i++) {
    const data = Buffer.alloc(64, i & 0xff);
    data.writeUInt16BE(0x88b5, 12); // IEEE local experimental EtherType: tcpdump prints one line per frame
    records.push({ tsSec: 1700000000 + Math.floor(i / 4), tsFrac: (i % 4) * 250000, data });
  }
  const input = join(tmp(), 'sixty.pcap');
  writeFileSync(input, buildPcap({}, records));
  const out = tmp();
  const r = await runCli(t, 'pktminerg', ['-f', input, '--dump', out, '--interval', '15']);
  assert.equal(r.code, 0, r.stderr);
  const hourDir = join(out, 'sixty', '2023111422');
  const files = readdirSync(hourDir).sort();
  assert.ok(files.length >= 4, files.join());
  const joined = [];
  for (const f of files) {
    assert.match(f, /^pktminerg_dump_20231114221\d{3}\.pcap$/);
    const { records: got } = await readPcapFile(join(hourDir, f));
    assert.equal(tcpdumpCount(join(hourDir, f)), got.length);
    joined.push(...got);
  }
  assert.equal(joined.length, records.length);
  joined.forEach((g, i) => {
    assert.equal(g.tsSec, records[i]!.tsSec);
    assert.equal(g.tsFrac, records[i]!.tsFrac);
    assert.ok(g.data.equals(records[i]!.data));
  });
});

test('-f - reads standard input; -c stops after N packets', async (t) => {
  const out = tmp();
  const child = startCli(t, 'pktminerg', ['-f', '-', '--dump', out, '--count', '5'], { stdin: 'pipe' });
  child.stdin!.on('error', () => {}); // it stops reading after 5 packets: EPIPE is expected
  child.stdin!.end(readFileSync(join(FIXTURES, 'xml.pcap')));
  const r = await collect(child);
  assert.equal(r.code, 0, r.stderr);
  const { records } = await readPcapFile(join(out, 'stdin', 'pktminerg_dump.pcap'));
  assert.equal(records.length, 5);
  assert.match(r.stderr, /captured 5 packets/);
});

test('SIGTERM: stops the source, flushes the file, prints the summary, exits 0', async (t) => {
  const out = tmp();
  const child = startCli(t, 'pktminerg', ['-f', '-', '--dump', out], { stdin: 'pipe' });
  const done = collect(child);
  const sample = readFileSync(join(FIXTURES, 'sample.pcap'));
  child.stdin!.write(sample);
  const file = join(out, 'stdin', 'pktminerg_dump.pcap');
  await waitForSize(file, sample.length); // the dump of a pcap file is the file itself
  child.kill('SIGTERM');
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /SIGTERM: stopping/);
  assert.match(r.stderr, /captured 8 packets/);
  assert.equal((await readPcapFile(file)).records.length, 8);
});

test('two groups run as two channels in one process', async (t) => {
  const out = tmp();
  const r = await runCli(t, 'pktminerg', [`-f ${join(FIXTURES, 'sample.pcap')} --dump ${out}`, `-f ${join(FIXTURES, 'xml.pcap')} --dump ${out} --slice 60`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\[-01-\] captured 8 packets/);
  assert.match(r.stderr, /\[-02-\] captured 1200 packets/);
  const sliced = await readPcapFile(join(out, 'xml', 'pktminerg_dump.pcap'));
  assert.equal(sliced.records.length, 1200);
  assert.ok(sliced.records.every((x) => x.caplen <= 60));
  assert.ok(sliced.records.some((x) => x.wirelen > 60));
});

test('--dir keeps classified frames and counts the others', async (t) => {
  const out = tmp();
  // xml.pcap: 1185 IPv4/TCP frames, 5 ARP, 10 802.3/LLC; 172.16.11.180 is in most TCP frames
  const r = await runCli(t, 'pktminerg', ['-f', join(FIXTURES, 'xml.pcap'), '--dump', out, '--dir', 'host_172.16.11.180']);
  assert.equal(r.code, 0, r.stderr);
  const kept = (await readPcapFile(join(out, 'xml', 'pktminerg_dump.pcap'))).records.length;
  const m = /direction unknown (\d+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.ok(Number(m[1]) >= 15, 'ARP and LLC frames are not classified');
  assert.equal(kept + Number(m[1]), 1200);
});

const errors: [string, () => string[], RegExp][] = [
  ['unknown option', () => ['-f', join(FIXTURES, 'sample.pcap'), '--dump', tmp(), '--frobnicate'], /Unknown argument: frobnicate/],
  ['bad IP', () => ['-f', join(FIXTURES, 'sample.pcap'), '-r', '10.1.1.256'], /'10.1.1.256' is not an IPv4 address/],
  ['missing file', () => ['-f', '/nonexistent/x.pcap', '--dump', tmp()], /cannot read capture file \/nonexistent\/x.pcap: no such file or directory/],
  ['unwritable dump dir', () => ['-f', join(FIXTURES, 'sample.pcap'), '--dump', join(FIXTURES, 'sample.pcap', 'sub')], /--dump: cannot use .*sample\.pcap\/sub: a path component is not a directory/],
  ['not a capture file', () => ['-f', join(FIXTURES, '..', 'package.json'), '--dump', tmp()], /package\.json: .*at byte offset 0/],
  ['bad log config', () => ['--log-config', '/nonexistent.json', '-f', join(FIXTURES, 'sample.pcap'), '--dump', tmp()], /cannot use log configuration \/nonexistent.json/],
];
for (const [what, args, re] of errors) {
  test(`bad input (${what}): one clear line, exit 1, no stack trace`, async (t) => {
    const r = await runCli(t, 'pktminerg', args());
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.doesNotMatch(r.stderr, /internal error/);
  });
}

test('truncated pcap: every complete record is written, then a one-line error with the offset, exit 1', async (t) => {
  const whole = readFileSync(join(FIXTURES, 'sample.pcap'));
  const input = join(tmp(), 'cut.pcap');
  writeFileSync(input, whole.subarray(0, whole.length - 10));
  const out = tmp();
  const r = await runCli(t, 'pktminerg', ['-f', input, '--dump', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cut\.pcap: truncated .* at byte offset \d+/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal((await readPcapFile(join(out, 'cut', 'pktminerg_dump.pcap'))).records.length, 7);
});

/**
 * Options as `--long (-s)`, with ' not implemented yet' when the description
 * says so, sorted: the form in which --help and the README are compared.
 */
type OptionList = string[];
const option = (long: string, short: string | undefined, text: string): string =>
  `--${long}${short ? ` (-${short})` : ''}${/not implemented yet/.test(text) ? ' not implemented yet' : ''}`;

/** --help's options by group heading ("Global:" apart); a description may wrap onto the following lines. */
function helpOptions(help: string): { group: OptionList; global: OptionList } {
  const entries: { heading: string; long: string; short?: string; text: string }[] = [];
  let heading = '';
  for (const line of help.split('\n')) {
    // The examples after the options hold option words too.
    if (line === 'Examples:') break;
    const entry = /^\s+(?:-(\w), )?\s*--([\w-]+)\s+(.*)$/.exec(line);
    if (entry) entries.push({ heading, short: entry[1], long: entry[2]!, text: entry[3]! });
    else if (/^\S.*:$/.test(line)) heading = line;
    else if (line.trim() !== '' && entries.length > 0) entries.at(-1)!.text += ` ${line.trim()}`;
  }
  const list = (global: boolean): OptionList =>
    entries.filter((e) => (e.heading === 'Global:') === global).map((e) => option(e.long, e.short, e.text)).sort();
  return { group: list(false), global: list(true) };
}

/** The README's "Options of a group" table (one row may hold several options) and its "Global options:" line. */
function readmeOptions(readme: string): { group: OptionList; global: OptionList } {
  const section = readme.slice(readme.indexOf('### Options of a group'));
  const rows = section.split('\n').slice(1).join('\n').trim().split('\n\n')[0]!.split('\n').slice(2);
  const group = rows.flatMap((row) => {
    const [, names, , meaning] = row.split(/(?<!\\)\|/);
    const shorts = new Map([...names!.matchAll(/-(\w), --([\w-]+)/g)].map((m) => [m[2]!, m[1]!]));
    return [...names!.matchAll(/--([\w-]+)/g)].map((m) => option(m[1]!, shorts.get(m[1]!), meaning!));
  });
  const globalLine = /^Global options: (.*)$/m.exec(readme)?.[1] ?? '';
  const global = [...globalLine.matchAll(/(?:-(\w)\/)?--([\w-]+)/g)].map((m) => option(m[2]!, m[1], ''));
  return { group: group.sort(), global: global.sort() };
}

test("--help and the README's option table list the same options, aliases and not-implemented ones", async (t) => {
  const h = await runCli(t, 'pktminerg', ['--help']);
  assert.equal(h.code, 0, h.stderr);
  const help = helpOptions(h.stdout);
  const readme = readmeOptions(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  assert.ok(help.group.length >= 30, `too few options parsed from --help:\n${h.stdout}`);
  assert.deepEqual(help.group, readme.group);
  assert.deepEqual(help.global, readme.global);
});

test('--version prints the version, with those of Node and of the libpcap inside the addon', async (t) => {
  const v = await runCli(t, 'pktminerg', ['-v']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^~ pktminerg version \d+\.\d+\.\d+ \(packet-agent, node v\d+\.\d+\.\d+, libpcap 1\.10\.3\)\n$/);
});

test('--dir: the summary counts frames per direction, and the unknown ones are the dropped ones', async (t) => {
  // sample.pcap: 8 TCP frames between 10.200.175.83 (client, 3 frames) and 10.100.161.50 (server, 5 frames).
  const r = await runCli(t, 'pktminerg', ['-f', join(FIXTURES, 'sample.pcap'), '--dump', tmp(), '--dir', 'host_10.200.175.83']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\[-01-\] direction: in 5, out 3, unknown 0 \(dropped\)\n/);
  const none = await runCli(t, 'pktminerg', ['-f', join(FIXTURES, 'xml.pcap'), '--dump', tmp(), '--dir', 'port_1']);
  assert.equal(none.code, 0, none.stderr);
  assert.match(none.stderr, /direction: in 0, out 0, unknown 1200 \(dropped\)\n.*\n.*dropped: direction unknown 1200,/);
  const plain = await runCli(t, 'pktminerg', ['-f', join(FIXTURES, 'sample.pcap'), '--dump', tmp()]);
  assert.doesNotMatch(plain.stderr, /direction:/);
});

/**
 * `pktminerg --config -` and `--config FILE` end to end: the built CLI reading its groups as JSON,
 * as the management daemon starts it; paths with spaces; every refusal one line and exit 1.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, collect, runCli, startCli, type CliResult } from '../helpers/cli.js';

const XML = join(FIXTURES, 'xml.pcap');
const SAMPLE = join(FIXTURES, 'sample.pcap');
/** A directory whose path holds a space, as the daemon may be configured to use. */
const spaced = () => mkdtempSync(join(tmpdir(), 'pa config '));

/** Packets as tcpdump reads the file: each starts a line with its timestamp. */
function tcpdumpCount(file: string): number {
  const out = execFileSync('tcpdump', ['-n', '-r', file], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  return out.split('\n').filter((l) => /^\d/.test(l)).length;
}

/** `pktminerg --config -` with `text` on standard input, to its end. */
function withStdin(t: TestContext, text: string, args: string[] = []): Promise<CliResult> {
  const child = startCli(t, 'pktminerg', ['--config', '-', ...args], { stdin: 'pipe' });
  child.stdin!.end(text);
  return collect(child);
}

function configFile(doc: unknown, mode = 0o644): string {
  const file = join(spaced(), 'capture.json');
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  chmodSync(file, mode);
  return file;
}

test('--config -: two groups from standard input, a dump and a -w file under paths with spaces', async (t) => {
  const out = spaced();
  const written = join(out, 'one file.pcap');
  const r = await withStdin(t, JSON.stringify({ options: ['-q'], groups: [['-f', XML, '--dump', out], ['-f', SAMPLE, '-w', written, '--slice', '60']] }));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(tcpdumpCount(join(out, 'xml', 'pktminerg_dump.pcap')), 1200);
  assert.equal(tcpdumpCount(written), 8);
  assert.match(r.stderr, /\[-01-\] captured 1200 packets/);
  assert.match(r.stderr, /\[-02-\] captured 8 packets/);
});

test('--config FILE: the groups from the file; a global option on the command line beside it', async (t) => {
  const out = spaced();
  // The file's bad value is never read: the command line's comes first.
  const file = configFile({ options: ['--stats-interval', 'often'], groups: [['-f', XML, '--dump', out, '--interval', '1']] });
  const r = await runCli(t, 'pktminerg', ['--stats-interval', '0', '--config', file]);
  assert.equal(r.code, 0, r.stderr);
  const files = readdirSync(join(out, 'xml'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.pcap'));
  assert.ok(files.length > 1, `one file per second of capture time: ${files.join()}`);
  assert.equal(files.reduce((n, f) => n + tcpdumpCount(join(out, 'xml', f)), 0), 1200);
});

test('--help lists --config', async (t) => {
  const h = await runCli(t, 'pktminerg', ['--help']);
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, /^\s+--config\s+take the groups/m);
});

/** Exit 1, nothing on standard output, exactly `line` on standard error. */
function oneLine(r: CliResult, line: string): void {
  assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 1, stdout: '', stderr: `pktminerg: ${line}\n` });
}

test('--config -: not JSON, the wrong shape, a bad option, -f - as well: one line each, exit 1', async (t) => {
  oneLine(await withStdin(t, '{"groups": [["-f",\n'), 'config -: not JSON: Unexpected end of JSON input');
  oneLine(await withStdin(t, '{"groups": [["-f", 1]]}'), 'config -: groups[0][1]: Invalid input: expected string, received number');
  oneLine(await withStdin(t, '{"groups": [["-f", "x", "--dump", "d"], ["-f", "y", "-k", "foo", "-r", "10.1.1.1"]]}'), "config -: group 2: -k/--keybit: 'foo' is not an integer in 0..4294967295 (try --help)");
  oneLine(await withStdin(t, '{"groups": [["-f", "-", "--dump", "d"]]}'), '-f -: standard input holds the configuration (--config -), not packets (try --help)');
});

test('--config FILE refused: a symbolic link, group-writable, with a group on the command line: one line each, exit 1', async (t) => {
  const file = configFile({ groups: [['-f', XML, '--dump', spaced()]] });
  const link = join(spaced(), 'link.json');
  symlinkSync(file, link);
  oneLine(await runCli(t, 'pktminerg', ['--config', link]), `config ${link}: refused: it is a symbolic link`);
  const writable = configFile({ groups: [['-f', XML, '--dump', spaced()]] }, 0o664);
  oneLine(await runCli(t, 'pktminerg', ['--config', writable]), `config ${writable}: refused: group or others can write to it`);
  oneLine(await runCli(t, 'pktminerg', ['--config', file, '-f', XML, '-w', '-']), `--config: the groups come from ${file}, not from the command line ('-f ${XML} -w -') (try --help)`);
  const array = configFile('[]');
  oneLine(await runCli(t, 'pktminerg', ['--config', array]), `config ${array}: Invalid input: expected object, received array`);
});

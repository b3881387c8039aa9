/**
 * Start-up and run-time faults of whole channels, through the real CLI: a
 * channel that cannot start stops every channel at once (exit 1, one line),
 * whatever it had already opened; an offline run that lost packets to write
 * errors says so and exits 1.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { collect, FIXTURES, ROOT, startCli, waitForStderr, type CliResult } from '../helpers/cli.js';
import { readPcapFile } from '../helpers/capture-files.js';
import { tmp } from '../helpers/tmp.js';

const ROOT_ONLY = process.getuid?.() !== 0 && 'needs root (live capture, mounts)';

/** Runs pktminerg (killed when the test ends, however it ends); resolves with its result and how long it ran. */
async function pktminerg(t: TestContext, args: string[]): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  const r = await collect(startCli(t, 'pktminerg', args));
  return { ...r, ms: Date.now() - started };
}

/** The lines a failed start printed that are not log lines: exactly one, the reason. */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !l.startsWith('['));
}

function mountTmpfs(t: TestContext, options: string): string {
  const dir = tmp();
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  t.after(() => execFileSync('umount', ['-l', dir]));
  return dir;
}

describe('a channel that cannot start stops the whole process at once', () => {
  test('--dump under /proc: one line naming the reason, exit 1, no spinning', async (t) => {
    const r = await pktminerg(t, ['-f', join(FIXTURES, 'sample.pcap'), '--dump', '/proc/pa-test/x']);
    assert.equal(r.code, 1);
    assert.deepEqual(errorLines(r.stderr), ['pktminerg: --dump: cannot create /proc/pa-test: no such file or directory']);
    assert.ok(r.ms < 3000, `took ${r.ms} ms`);
  });

  test('--dump on a read-only file system says so (not ENOENT)', { skip: ROOT_ONLY }, async (t) => {
    const ro = mountTmpfs(t, 'ro,size=64k');
    const r = await pktminerg(t, ['-f', join(FIXTURES, 'sample.pcap'), '--dump', join(ro, 'x')]);
    assert.equal(r.code, 1);
    assert.deepEqual(errorLines(r.stderr), [`pktminerg: --dump: cannot create ${join(ro, 'x')}: read-only file system`]);
  });

  test('capture opened, then the forwarder fails (-B nosuchdev0): exit 1 within a second of the error, no directory left behind', { skip: ROOT_ONLY }, async (t) => {
    const base = tmp();
    const r = await pktminerg(t, ['-i', 'lo', '--dump', join(base, 'new', 'deeper'), '-r', '127.0.0.2', '-B', 'nosuchdev0']);
    assert.equal(r.code, 1);
    assert.deepEqual(errorLines(r.stderr), ['pktminerg: -B nosuchdev0: No such device']);
    assert.ok(r.ms < 2000, `took ${r.ms} ms`);
    assert.deepEqual(readdirSync(base), [], 'the dump directories it had made are gone');
  });

  test('a run that writes no packet leaves no empty directories', async (t) => {
    const base = tmp();
    const empty = join(base, 'empty.pcap');
    writeFileSync(empty, readFileSync(join(FIXTURES, 'sample.pcap')).subarray(0, 24));
    const r = await pktminerg(t, ['-f', empty, '--dump', join(base, 'out')]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(base), ['empty.pcap']);
  });

  test('the second group has a missing file: the first group (live, already capturing) is stopped too', { skip: ROOT_ONLY }, async (t) => {
    const r = await pktminerg(t, [`-i lo --dump ${tmp()}`, `-f /nonexistent.pcap --dump ${tmp()}`]);
    assert.equal(r.code, 1);
    assert.deepEqual(errorLines(r.stderr), ['pktminerg: group 2: cannot read capture file /nonexistent.pcap: no such file or directory']);
    assert.ok(r.ms < 2000, `took ${r.ms} ms`);
  });

  test('two groups whose dumps would share a directory are refused before anything is written', async (t) => {
    const other = tmp();
    copyFileSync(join(FIXTURES, 'sample.pcap'), join(other, 'sample.pcap'));
    const dump = tmp();
    const r = await pktminerg(t, [`-f ${join(FIXTURES, 'sample.pcap')} --dump ${dump}`, `-f ${join(other, 'sample.pcap')} --dump ${dump}/`]);
    assert.equal(r.code, 1);
    assert.deepEqual(errorLines(r.stderr), [`pktminerg: groups 1 and 2 would both write dump files to ${join(dump, 'sample')}; give them different --dump directories`]);
    assert.deepEqual(readdirSync(dump), []);
  });

  test('a --dump directory anyone can write to (not sticky) is refused', async (t) => {
    const open = join(tmp(), 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const r = await pktminerg(t, ['-f', join(FIXTURES, 'sample.pcap'), '--dump', open]);
    assert.equal(r.code, 1);
    assert.match(errorLines(r.stderr).join('\n'), /^pktminerg: --dump: refusing .*\/open: others can write to it/);
    assert.equal(statSync(open).mode & 0o777, 0o777);
    assert.deepEqual(readdirSync(open), []);
  });
});

test('capture without permission is an error naming the capability, not an endless retry', { skip: ROOT_ONLY }, async (t) => {
  const dump = tmp();
  chmodSync(dump, 0o1777);
  const started = Date.now();
  const out = (() => {
    try {
      execFileSync('runuser', ['-u', 'nobody', '--', process.execPath, join(ROOT, 'dist/cli/pktminerg.js'), '-i', 'lo', '--dump', dump], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000, cwd: '/' });
      return { code: 0, stderr: '' };
    } catch (e) {
      const err = e as { status: number | null; stderr: Buffer };
      return { code: err.status, stderr: err.stderr.toString() };
    }
  })();
  t.diagnostic(`${Date.now() - started} ms`);
  assert.equal(out.code, 1);
  assert.deepEqual(errorLines(out.stderr), ['pktminerg: cannot capture on lo: permission denied (capture needs root or the CAP_NET_RAW and CAP_NET_ADMIN capabilities)']);
});

test('an offline run that loses packets to a full disk: whole files only, exit 1 with the count', { skip: ROOT_ONLY }, async (t) => {
  const disk = mountTmpfs(t, 'size=256k');
  const r = await pktminerg(t, ['-f', join(FIXTURES, 'xml.pcap'), '--dump', disk, '--interval', '1']);
  assert.equal(r.code, 1, r.stderr);
  const written = Number(/dump to \S+: (\d+) packets in \d+ file\(s\)/.exec(r.stderr)?.[1]);
  const lost = Number(/dump: dump file error (\d+)/.exec(r.stderr)?.[1]);
  assert.ok(written > 0 && lost > 0, r.stderr);
  assert.equal(written + lost, 1200);
  assert.match(r.stderr, new RegExp(`\\[-01-\\] ${lost} packets were not written to the dump files`));
  assert.match(r.stderr, /no space left on device/);
  let records = 0;
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  for (const f of walk(join(disk, 'xml'))) {
    const n = (await readPcapFile(f)).records.length;
    assert.ok(n > 0, `${f} is empty`);
    records += n;
    execFileSync('tcpdump', ['-r', f], { stdio: 'ignore' });
  }
  assert.equal(records, written);
});

test('SIGUSR1 logs the counts so far and opens no inspector port', async (t) => {
  const child = startCli(t, 'pktminerg', ['-f', '-', '--dump', tmp()], { stdin: 'pipe' });
  const done = collect(child);
  // The input stays open: the agent runs until standard input ends.
  child.stdin!.write(readFileSync(join(FIXTURES, 'sample.pcap')));
  await waitForStderr(child, /reading standard input/);
  const counted = waitForStderr(child, /\[-01-\] captured 8 packets/);
  // Until the first batch is through, the count may still be 0: signal until it reads 8.
  const timer = setInterval(() => child.kill('SIGUSR1'), 100);
  await counted.finally(() => clearInterval(timer));
  const listening = readFileSync('/proc/net/tcp', 'utf8').split('\n').filter((l) => / 0100007F:2411 .* 0A /.test(l));
  assert.deepEqual(listening, [], 'nothing listens on 127.0.0.1:9229');
  child.stdin!.end();
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /Debugger listening/);
});

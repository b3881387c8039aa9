/**
 * The live counter (`Packets: N captured, …`) end to end: under a
 * pseudo-terminal (util-linux `script`) it is rewritten in place while a
 * capture file arrives slowly, and erased before log lines and the summary;
 * with -q, or when standard error is a pipe, it never appears.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { collect, FIXTURES, ROOT, startCli, startProcess, STDERR_LOG_CONFIG } from '../helpers/cli.js';
import { tmp } from '../helpers/tmp.js';

const SAMPLE = readFileSync(join(FIXTURES, 'sample.pcap'));
/** sample.pcap: a 24-byte file header, then 8 records. */
const HEADER = SAMPLE.subarray(0, 24);
const RECORDS = SAMPLE.subarray(24);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
/** What the status line draws: erase the line, then the text. */
const STATUS = /\r\x1b\[KPackets: (\d+) captured, (\d+) to dump, (\d+) dropped/g;

/** pktminerg reading a FIFO, under a pseudo-terminal: `script` gives it a terminal as stdout and stderr. */
function underTerminal(t: TestContext, args: string[]): { child: ChildProcess; input: WriteStream } {
  const dir = tmp();
  const fifo = join(dir, 'in.pcap');
  execFileSync('mkfifo', [fifo]);
  const cmd = [process.execPath, join(ROOT, 'dist', 'cli', 'pktminerg.js'), ...args, '-f', '-'].map(shellQuote).join(' ');
  const child = startProcess(t, 'script', ['-qfec', `exec ${cmd} < ${shellQuote(fifo)}`, '/dev/null'], {
    env: { ...process.env, TZ: 'UTC', PKTMINERG_LOG_CONFIG: STDERR_LOG_CONFIG },
  });
  return { child, input: createWriteStream(fifo) };
}

/** The agent under `script`: script's one child (the shell that exec'd it). */
function agentPid(script: ChildProcess): number {
  const [pid] = readFileSync(`/proc/${script.pid}/task/${script.pid}/children`, 'latin1').trim().split(' ');
  return Number(pid);
}

/** Waits until `child` has written output matching `re` (stdout: what `script` copies from the terminal). */
async function outputMatches(child: ChildProcess, seen: () => string, re: RegExp): Promise<void> {
  for (let i = 0; i < 1000 && !re.test(seen()); i++) {
    if (child.exitCode !== null) break;
    await sleep(10);
  }
  assert.match(seen(), re);
}

// script(1) is a prerequisite (test/helpers/prerequisites.ts): missing, the suite says so.
describe('the live counter on a terminal', () => {
  test('rewritten in place as packets arrive, erased before every log line and at the end', async (t) => {
    const { child, input } = underTerminal(t, ['--dump', tmp()]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    const done = collect(child);
    input.write(HEADER);
    input.write(RECORDS);
    await outputMatches(child, () => out, /Packets: 8 captured, 8 to dump, 0 dropped/);
    // SIGUSR1 logs the counts so far while the status line is shown: log lines written under it.
    process.kill(agentPid(child), 'SIGUSR1');
    await outputMatches(child, () => out, /\[INFO\] \[-01-\] captured 8 packets/);
    input.write(RECORDS);
    await outputMatches(child, () => out, /Packets: 16 captured, 16 to dump, 0 dropped/);
    input.end(RECORDS);
    const r = await done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const counts = [...r.stdout.matchAll(STATUS)].map((m) => Number(m[1]));
    assert.ok(counts.length >= 2, r.stdout);
    assert.deepEqual(counts, [...counts].sort((a, b) => a - b), 'counts only grow');
    assert.equal(counts.at(-1), 16);
    // What the terminal shows of each line is what follows its last erase: a whole log line, never a status line
    // with a log line glued to it; the summary comes last and the status line is gone.
    const visible = r.stdout.split('\r\n').map((l) => l.split('\r\x1b[K').at(-1)!);
    for (const line of visible.filter((l) => l !== '')) assert.match(line, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]\[INFO\] \[-01-\] /, JSON.stringify(line));
    assert.match(visible.filter((l) => l !== '').at(-1)!, /dropped: direction unknown 0/);
    assert.match(r.stdout, /captured 24 packets/);
  });

  test('-q: no counter, even on a terminal', async (t) => {
    const { child, input } = underTerminal(t, ['-q', '--dump', tmp()]);
    const done = collect(child);
    input.write(HEADER);
    for (let i = 0; i < 3; i++) {
      input.write(RECORDS);
      await sleep(600);
    }
    input.end();
    const r = await done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /captured 24 packets/);
    assert.doesNotMatch(r.stdout, /Packets:|\x1b/);
  });

  test('standard error a pipe: no counter, no control characters', async (t) => {
    const child = startCli(t, 'pktminerg', ['-f', '-', '--dump', tmp()], { stdin: 'pipe' });
    const done = collect(child);
    child.stdin!.write(HEADER);
    for (let i = 0; i < 3; i++) {
      child.stdin!.write(RECORDS);
      await sleep(600);
    }
    child.stdin!.end();
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /captured 24 packets/);
    assert.doesNotMatch(r.stderr, /Packets:|[\r\x1b]/);
  });
});

/** `-w FILE` and `-w -` end to end: the built CLI, real files, a real `tcpdump -r -` reading the pipe. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, collect, runCli, startCli, startProcess } from '../helpers/cli.js';
import { tmp } from '../helpers/tmp.js';

const XML = join(FIXTURES, 'xml.pcap');

/** Packets as tcpdump reads the file: each starts a line with its timestamp. */
function tcpdumpCount(file: string): number {
  const out = execFileSync('tcpdump', ['-n', '-r', file], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  return out.split('\n').filter((l) => /^\d/.test(l)).length;
}

for (const name of ['sample.pcap', 'xml.pcap', 'http_sample.pcap']) {
  test(`-f ${name} -w FILE: the file is byte-identical to the input, no <source>/ directory`, async (t) => {
    const out = join(tmp(), 'out.pcap');
    const r = await runCli(t, 'pktminerg', ['-f', join(FIXTURES, name), '-w', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(out).equals(readFileSync(join(FIXTURES, name))));
    assert.match(r.stderr, new RegExp(`\\[-01-\\] write to ${out}: \\d+ packets`));
    assert.equal(r.stdout, '');
  });
}

test('-f xml.pcap -w - | tcpdump -r - -w out.pcap: all 1200 packets, byte-identical; nothing but pcap on stdout, exit 0', async (t) => {
  const out = join(tmp(), 'via-tcpdump.pcap');
  const agent = startCli(t, 'pktminerg', ['-f', XML, '-w', '-']);
  const reader = startProcess(t, 'tcpdump', ['-r', '-', '-w', out], { stdin: 'pipe' });
  agent.stdout!.pipe(reader.stdin!);
  let agentErr = '';
  agent.stderr!.on('data', (d: Buffer) => (agentErr += d));
  const [[agentCode], readerResult] = await Promise.all([once(agent, 'close'), collect(reader)]);
  assert.equal(agentCode, 0, agentErr);
  assert.equal(readerResult.code, 0, readerResult.stderr);
  assert.ok(readFileSync(out).equals(readFileSync(XML)));
  assert.equal(tcpdumpCount(out), 1200);
  assert.match(agentErr, /\[-01-\] write to standard output: 1200 packets/);
  assert.doesNotMatch(agentErr, /standard output closed/);
});

test('-w -: a reader that closes early ends the channel cleanly: exit 0, the unwritten packets counted, no stack trace', async (t) => {
  const agent = startCli(t, 'pktminerg', ['-f', XML, '-w', '-']);
  let stderr = '';
  agent.stderr!.on('data', (d: Buffer) => (stderr += d));
  // Take the first chunk (as `| head -c 5000` would), then close the pipe: the agent is blocked on a full pipe by then.
  await once(agent.stdout!, 'data');
  agent.stdout!.destroy();
  const [code, signal] = (await once(agent, 'close')) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, null);
  assert.equal(code, 0, stderr);
  const captured = /\[-01-\] captured (\d+) packets/.exec(stderr);
  const dropped = /-w: standard output closed (\d+)/.exec(stderr);
  const written = /write to standard output: (\d+) packets/.exec(stderr);
  assert.ok(captured && dropped && written, stderr);
  assert.ok(Number(dropped[1]) > 0, stderr);
  assert.equal(Number(dropped[1]) + Number(written[1]), Number(captured[1]), 'every packet captured is written or counted');
  assert.ok(Number(captured[1]) < 1200, `the source stopped reading: ${captured[1]} of 1200 read`);
  assert.match(stderr, /standard output closed \(EPIPE\): stopping the capture/);
  assert.doesNotMatch(stderr, /internal error|\n\s+at /);
});

test('-w FILE refuses an existing file and a link, with one line and exit 1, leaving both untouched', async (t) => {
  const dir = tmp();
  const existing = join(dir, 'old.pcap');
  writeFileSync(existing, 'not ours');
  const r = await runCli(t, 'pktminerg', ['-f', XML, '-w', existing]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').at(-1), `pktminerg: -w: ${existing} exists; not overwriting it`);
  assert.equal(readFileSync(existing, 'utf8'), 'not ours');

  const target = join(dir, 'target');
  writeFileSync(target, 'also not ours');
  const link = join(dir, 'link.pcap');
  symlinkSync(target, link);
  const l = await runCli(t, 'pktminerg', ['-f', XML, '-w', link]);
  assert.equal(l.code, 1);
  assert.equal(l.stderr.trim().split('\n').at(-1), `pktminerg: -w: refusing ${link}: it is a symbolic link`);
  assert.equal(readFileSync(target, 'utf8'), 'also not ours');
});

test('-w refusals at start-up: two groups on -w -, two groups on one file, -w with dump rotation, a stdout log appender', async (t) => {
  const dir = tmp();
  const two = await runCli(t, 'pktminerg', [`-f ${XML} -w -`, `-f ${join(FIXTURES, 'sample.pcap')} -w -`]);
  assert.equal(two.code, 1);
  assert.match(two.stderr, /^pktminerg: groups 1 and 2 both use -w -: only one group can write to standard output$/m);
  assert.equal(two.stdout, '');

  // The same file by two spellings.
  const same = await runCli(t, 'pktminerg', [`-f ${XML} -w ${join(dir, 'a.pcap')}`, `-f ${XML} -w ${dir}/./a.pcap`]);
  assert.equal(same.code, 1);
  assert.match(same.stderr, new RegExp(`^pktminerg: groups 1 and 2 would both write to ${join(dir, 'a.pcap')} \\(-w\\)$`, 'm'));

  const rotation = await runCli(t, 'pktminerg', ['-f', XML, '-w', join(dir, 'b.pcap'), '--interval', '15']);
  assert.equal(rotation.code, 1);
  assert.match(rotation.stderr, /^pktminerg: --interval needs --dump DIR \(-w writes one file, without rotation or retention\) \(try --help\)$/m);

  const logConfig = join(dir, 'log.json');
  writeFileSync(logConfig, JSON.stringify({ appenders: { out: { type: 'stdout' } }, categories: { default: { appenders: ['out'], level: 'info' } } }));
  const stdoutLog = await runCli(t, 'pktminerg', ['--log-config', logConfig, '-f', XML, '-w', '-']);
  assert.equal(stdoutLog.code, 1);
  assert.match(stdoutLog.stderr, /its 'stdout' appender writes to standard output, which -w - uses for packets/);
  assert.equal(stdoutLog.stdout, '');
});

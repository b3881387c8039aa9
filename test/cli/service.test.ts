/** What a long-running service needs of the process: log files that logrotate can move (SIGHUP). */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { collect, FIXTURES, startCli, waitForStderr } from '../helpers/cli.js';

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(done(), what);
}

test('SIGHUP reopens the log files: after logrotate moved the file, new lines go to a new one; capture goes on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pa-hup-'));
  const log = join(dir, 'agent.log');
  const config = join(dir, 'log.json');
  writeFileSync(
    config,
    JSON.stringify({
      appenders: { file: { type: 'file', filename: log }, err: { type: 'stderr' } },
      categories: { default: { appenders: ['file', 'err'], level: 'info' } },
    }),
  );
  const sample = readFileSync(join(FIXTURES, 'sample.pcap'));
  const agent = startCli(t, 'pktminerg', ['--log-config', config, '-f', '-', '--dump', join(dir, 'dump')], { stdin: 'pipe' });
  const done = collect(agent);
  agent.stdin!.write(sample);
  await waitForStderr(agent, /dump file/);
  await until('the first lines are in agent.log', () => existsSync(log) && /reading standard input/.test(readFileSync(log, 'utf8')));
  renameSync(log, `${log}.1`);
  agent.kill('SIGHUP');
  // Once the files are open again, SIGUSR1's counts land in the new agent.log.
  await until('a new agent.log with the counts', () => {
    agent.kill('SIGUSR1');
    return existsSync(log) && /captured 8 packets/.test(readFileSync(log, 'utf8'));
  });
  agent.stdin!.write(sample.subarray(24));
  agent.stdin!.end();
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(log, 'utf8'), /captured 16 packets/, 'the summary, after the reopen, in the new file');
  assert.match(readFileSync(`${log}.1`, 'utf8'), /reading standard input/);
  assert.doesNotMatch(readFileSync(`${log}.1`, 'utf8'), /captured 16 packets/);
});

test('--stats-interval: a header, then a statistics line per channel every N seconds (spec §8.2 columns first); 0 turns it off', async (t) => {
  const sample = readFileSync(join(FIXTURES, 'sample.pcap'));
  const agent = startCli(t, 'pktminerg', ['--stats-interval', '1', '-f', '-', '--dump', mkdtempSync(join(tmpdir(), 'pa-stats-'))], { stdin: 'pipe' });
  const done = collect(agent);
  agent.stdin!.write(sample);
  await waitForStderr(agent, /# \[[^\]]+\] first_time,pkt_time,ps_recv,ps_drop,ps_ifdrop,filter_drop,,live_time,bps,pps,,recvd_num,total_send:send_drop/);
  // sample.pcap: capture seconds 1300888755 (first and last), 8 packets, nothing forwarded.
  await waitForStderr(agent, /\[-01-\] \d+,\d+,0,0,0,0,,\d+,\d+,\d+,,8,0:8, sinks: dump 8; dropped: none/);
  agent.stdin!.end();
  assert.equal((await done).code, 0);

  const off = startCli(t, 'pktminerg', ['--stats-interval', '0', '-f', join(FIXTURES, 'sample.pcap'), '--dump', mkdtempSync(join(tmpdir(), 'pa-stats-'))]);
  const r = await collect(off);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /first_time,pkt_time/);
  const bad = await collect(startCli(t, 'pktminerg', ['--stats-interval', 'soon', '-f', join(FIXTURES, 'sample.pcap'), '--dump', mkdtempSync(join(tmpdir(), 'pa-stats-'))]));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^pktminerg: --stats-interval: 'soon' is not an integer in 0\.\.86400 \(try --help\)\n$/);
});

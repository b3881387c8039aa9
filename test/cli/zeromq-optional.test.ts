/**
 * pktminerg loads `zeromq` only for a ZeroMQ sink or the status port (lib/zeromq.ts): where the
 * package cannot load, a dump still runs, and asking for ZeroMQ is one line and exit 1.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readPcapFile } from '../helpers/capture-files.js';
import { FIXTURES, ROOT, runCli } from '../helpers/cli.js';
import { tmp } from '../helpers/tmp.js';

const XML = join(FIXTURES, 'xml.pcap');
const WITHOUT_ZEROMQ = { NODE_OPTIONS: `--import=${join(ROOT, 'dist', 'test', 'helpers', 'no-zeromq.js')}` };

test('without the zeromq package a dump runs to the end: every packet of the file written', async (t) => {
  const dir = tmp('pa-nozmq-');
  const r = await runCli(t, 'pktminerg', ['-q', '-f', XML, '--dump', dir], { env: WITHOUT_ZEROMQ });
  assert.equal(r.code, 0, r.stderr);
  const files = readdirSync(join(dir, 'xml'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.pcap'));
  let packets = 0;
  for (const f of files) packets += (await readPcapFile(join(dir, 'xml', f))).records.length;
  assert.equal(packets, 1200);
});

test('without the zeromq package a ZeroMQ sink or the status port is one line naming the cause, exit 1', async (t) => {
  for (const args of [['-f', XML, '-r', '127.0.0.1', '-z', '5555'], ['-f', XML, '--dump', tmp('pa-nozmq-'), '--control', '47991']]) {
    const r = await runCli(t, 'pktminerg', args, { env: WITHOUT_ZEROMQ });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    // After the start-up log lines (the tests log to standard error): the one error line, no stack.
    assert.equal(r.stderr.split('\n').at(-2), 'pktminerg: ZeroMQ is not available: zeromq hidden by the test');
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  }
});

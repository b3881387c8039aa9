/**
 * WorkerChannel's life with fake workers (no capture): all-or-nothing start, one worker failing
 * while running fails the channel with its line and stops the others, the counts of every worker
 * (the failed one's too) add up, and no thread is left (a thread left running would keep this
 * file's process alive, and the run would time out).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { parseCommandLine } from '../lib/args.js';
import { UserError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { WorkerChannel } from '../lib/worker-channel.js';

/**
 * A fake capture-worker.ts. workerData.opts.expression says what worker `fail` does: `open` — it
 * cannot open; `run` — it fails 100 ms after opening. The others run until `stop`. Each has
 * captured 10 × its number packets.
 */
const FAKE = `
import { parentPort, workerData } from 'node:worker_threads';
const { number, opts } = workerData;
const [what, which] = opts.expression.split(' ');
const n = 10 * number;
const report = () => ({
  snapshot: {
    index: opts.index, source: 'eth0', name: 'eth0', linkState: 'up',
    captured: { packets: n, bytes: 100 * n }, firstPacketSec: 1700000000 + number, lastPacketSec: 1700000010 + number,
    kernel: { received: n, dropped: 0, interfaceDropped: 0 },
    sinks: [{ label: 'gre', forwards: true, packets: n, bytes: 100 * n }],
    drops: [{ reason: 'gre: send error', packets: number }],
  },
  directions: [0, 0, 0, 0],
  sinks: [{ label: 'gre', packets: n, bytes: 100 * n, remotes: [{ address: '10.1.1.1', packets: n, bytes: 100 * n }] }],
});
if (what === 'open' && Number(which) === number) {
  parentPort.postMessage({ type: 'failed', message: 'cannot capture on eth0: no such device', user: true });
} else {
  parentPort.postMessage({ type: 'log', level: 'info', message: '[-01-] capturing on eth0' });
  parentPort.postMessage({ type: 'opened', report: report() });
  const end = (error) => {
    parentPort.postMessage({ type: 'ended', report: report(), error });
    parentPort.removeAllListeners('message');
    parentPort.unref();
  };
  if (what === 'run' && Number(which) === number) setTimeout(() => end('capture on eth0 failed: boom'), 100);
  else parentPort.on('message', (m) => m.type === 'stop' && setTimeout(() => end(null), 20));
}
`;

const entry = (() => {
  const file = join(mkdtempSync(join(tmpdir(), 'pa-workers-')), 'fake-worker.mjs');
  writeFileSync(file, FAKE);
  return pathToFileURL(file);
})();

function logger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
}

const channel = (expression: string, log: Logger) => {
  const opts = parseCommandLine(['-i', 'eth0', '-r', '10.1.1.1', '--workers', '3', ...expression.split(' ')], 'linux').channels[0]!;
  return new WorkerChannel(opts, log, [], entry);
};

test('a worker failing while running fails the channel with its line; the others are stopped; every count is kept', { timeout: 20_000 }, async () => {
  const log = logger();
  const c = channel('run 2', log);
  await c.open();
  assert.ok(log.lines.includes('[-01-] worker 3/3: capturing on eth0'), log.lines.join('\n'));
  await assert.rejects(c.run(), (e: Error) => e.message === 'capture on eth0 failed: boom');
  const s = c.snapshot();
  assert.equal(s.captured.packets, 60);
  assert.equal(s.firstPacketSec, 1700000001);
  assert.equal(s.lastPacketSec, 1700000013);
  assert.deepEqual(s.drops, [{ reason: 'gre: send error', packets: 6 }]);
  assert.deepEqual(c.summary().slice(1), ['gre: sent 60 datagrams (10.1.1.1 60 packets 6000 bytes)', 'dropped: gre: send error 6']);
  assert.ok(log.lines.some((l) => l === "[-01-] workers' shares: 1: 10 packets, 2: 20 packets, 3: 30 packets"), log.lines.join('\n'));
});

test('stop(): every worker ends and run() resolves', { timeout: 20_000 }, async () => {
  const c = channel('none 0', logger());
  await c.open();
  const running = c.run();
  c.stop();
  await running;
  assert.equal(c.snapshot().captured.packets, 60);
});

test('a worker that cannot open: open() rejects with its one line, the workers already started end', { timeout: 20_000 }, async () => {
  const c = channel('open 2', logger());
  await assert.rejects(c.open(), (e: Error) => e instanceof UserError && e.message === 'cannot capture on eth0: no such device');
  // Worker 3 was never started; worker 1 is terminated (destroy): nothing keeps this process alive.
});

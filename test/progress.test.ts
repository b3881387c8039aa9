/** The live counter's text and its hold on a terminal stream, with a stand-in terminal (end to end: test/cli/progress.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChannelSnapshot } from '../lib/channel.js';
import { startStatusLine, STATUS_PERIOD_MS, statusText } from '../lib/progress.js';

/** A channel's snapshot with these totals: `dropped` under one reason, `kernel` dropped by the kernel. */
function snapshot(captured: number, sinks: [string, number][], dropped: number, kernel: number): ChannelSnapshot {
  return {
    index: 1,
    source: 'eth0',
    name: 'eth0',
    captured: { packets: captured, bytes: captured * 60 },
    firstPacketSec: 0,
    lastPacketSec: 0,
    kernel: { received: captured + kernel, dropped: kernel, interfaceDropped: 0 },
    sinks: sinks.map(([label, packets]) => ({ label, forwards: label !== 'dump', packets, bytes: packets * 60 })),
    drops: [{ reason: 'throttled', packets: dropped }],
  };
}

test('summed over channels; sinks by label in first-seen order; dropped (every reason and the kernel\'s) last', () => {
  assert.equal(
    statusText([
      snapshot(10, [['dump', 10]], 0, 0),
      snapshot(7, [['gre', 5], ['dump', 7]], 1, 1),
    ]),
    'Packets: 17 captured, 17 to dump, 5 to gre, 2 dropped',
  );
});

/** A terminal stream stand-in: records what is written to it. */
function terminal(isTTY: boolean, columns = 30): NodeJS.WriteStream & { seen: string } {
  const s = { isTTY, columns, seen: '', write: (text: string) => ((s.seen += text), true) };
  return s as unknown as NodeJS.WriteStream & { seen: string };
}

test('draws in place, cut to the terminal width; other writes erase it first; stop erases it and restores write', async () => {
  const err = terminal(true);
  const out = terminal(true);
  const original = err.write;
  let n = 0;
  const stop = startStatusLine(() => `Packets: ${++n} captured, 0 dropped, and more text`, false, err, [out]);
  await new Promise((r) => setTimeout(r, STATUS_PERIOD_MS * 2.5));
  out.write('log line\n');
  stop();
  assert.equal(err.write, original);
  const draws = err.seen.split('\r\x1b[K').filter((d) => d !== '');
  assert.ok(draws.length >= 2, JSON.stringify(err.seen));
  assert.ok(draws.every((d) => d.length <= 29), 'no wider than the terminal less one column');
  assert.equal(out.seen, 'log line\n');
  assert.ok(err.seen.endsWith('\r\x1b[K'), 'erased at the end');
});

test('not a terminal, or quiet: nothing is written and nothing is patched', async () => {
  for (const [tty, quiet] of [[false, false], [true, true]] as const) {
    const err = terminal(tty);
    const original = err.write;
    const stop = startStatusLine(() => 'Packets: 1 captured', quiet, err, []);
    assert.equal(err.write, original);
    await new Promise((r) => setTimeout(r, STATUS_PERIOD_MS * 1.5));
    stop();
    assert.equal(err.seen, '');
  }
});

/** The live counter's text and its hold on a terminal stream, with a stand-in terminal (end to end: test/cli/progress.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startStatusLine, STATUS_PERIOD_MS, statusText } from '../lib/progress.js';

test('summed over channels; sinks by label in first-seen order; dropped last', () => {
  assert.equal(
    statusText([
      { captured: 10, sinks: [['dump', 10]], dropped: 0 },
      { captured: 7, sinks: [['gre', 5], ['dump', 7]], dropped: 2 },
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

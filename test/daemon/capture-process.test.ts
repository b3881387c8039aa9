/**
 * CaptureProcess with a stand-in for pktminerg (a small Node script): the
 * configuration it reads on standard input, its lines relayed at their
 * level, restarts with back-off, SIGTERM then SIGKILL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { CaptureProcess } from '../../lib/daemon/capture-process.js';
import type { Logger } from '../../lib/log.js';

interface Line {
  level: string;
  text: string;
}

function recordingLog(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const add = (level: string) => (text: string) => void lines.push({ level, text });
  return { lines, debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') };
}

/** A stand-in pktminerg: records its argv and stdin in DIR/run-N.json, logs, then behaves as `mode` says. */
function fakePktminerg(t: TestContext, mode: 'exit' | 'run' | 'ignore-term'): { command: string[]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pa-fake-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'pktminerg.mjs');
  writeFileSync(
    script,
    `import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
const input = readFileSync(0, 'utf8');
const n = readdirSync(${JSON.stringify(dir)}).filter((f) => f.startsWith('run-')).length + 1;
writeFileSync(${JSON.stringify(dir)} + '/run-' + n + '.json', JSON.stringify({ argv: process.argv.slice(2), input: JSON.parse(input) }));
process.stderr.write('[2026-12-02 10:00:00][WARN] warned ' + n + '\\n');
process.stdout.write('plain line\\n');
if (${JSON.stringify(mode)} === 'exit') process.exit(3);
if (${JSON.stringify(mode)} === 'ignore-term') process.on('SIGTERM', () => {});
else process.on('SIGTERM', () => process.stderr.write('[2026-12-02 10:00:01][INFO] SIGTERM: stopping\\n', () => process.exit(0)));
setInterval(() => {}, 1000);
`,
  );
  return { command: [process.execPath, script], dir };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, done: () => boolean, ms = 5000): Promise<void> {
  for (let waited = 0; !done(); waited += 20) {
    if (waited > ms) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

test('the groups arrive as JSON on standard input with --config -; output lines are logged at their level', async (t) => {
  const fake = fakePktminerg(t, 'run');
  const log = recordingLog();
  const groups = [['-i', 'eth0', '--expression', 'host "a b" and port 80', '--dump', '/x y']];
  const spawned: number[] = [];
  const p = new CaptureProcess({ command: fake.command, groups, controlPort: 20000, log, onSpawn: (pid) => spawned.push(pid) });
  t.after(() => p.stop());
  p.start();
  await until('the fake pktminerg ran', () => log.lines.some((l) => l.text === 'pktminerg: plain line'));
  const run = JSON.parse(readFileSync(join(fake.dir, 'run-1.json'), 'utf8')) as { argv: string[]; input: unknown };
  assert.deepEqual(run, { argv: ['--config', '-'], input: { groups } });
  assert.deepEqual(spawned, [p.pid]);
  assert.ok(log.lines.some((l) => l.level === 'warn' && l.text === 'pktminerg: warned 1'));
  assert.equal(log.lines[0]!.text, `started pktminerg (pid ${p.pid}): "-i eth0 --expression 'host \"a b\" and port 80' --dump '/x y'"`);
  await p.stop();
  assert.equal(p.pid, null);
  assert.ok(log.lines.some((l) => l.level === 'info' && l.text === 'pktminerg: SIGTERM: stopping'));
  assert.equal(p.crashes, 0);
});

test('a process that ends on its own is restarted after 1, 2, 4 … units of back-off; stop() ends the restarts', async (t) => {
  const fake = fakePktminerg(t, 'exit');
  const log = recordingLog();
  const p = new CaptureProcess({ command: fake.command, groups: [['-i', 'lo']], controlPort: 1, log, backoff: { firstMs: 100, maxMs: 400, healthyAfterMs: 60_000 } });
  t.after(() => p.stop());
  p.start();
  await until('three crashes', () => p.crashes >= 4);
  await p.stop();
  const delays = log.lines.filter((l) => l.level === 'error').map((l) => /restarting in ([\d.]+) s/.exec(l.text)?.[1]);
  assert.deepEqual(delays.slice(0, 4), ['0.1', '0.2', '0.4', '0.4']);
  assert.match(log.lines.find((l) => l.level === 'error')!.text, /^pktminerg \(pid \d+\) exited with status 3 after \d+\.\d s; restarting in 0.1 s$/);
  const crashes = p.crashes;
  await sleep(600);
  assert.equal(p.crashes, crashes, 'no restart after stop()');
});

test('a process that ignores SIGTERM is killed with SIGKILL after the stop timeout', async (t) => {
  const fake = fakePktminerg(t, 'ignore-term');
  const log = recordingLog();
  const p = new CaptureProcess({ command: fake.command, groups: [['-i', 'lo']], controlPort: 1, log, stopTimeoutMs: 300 });
  t.after(() => p.stop());
  p.start();
  await until('it ran', () => log.lines.some((l) => l.text === 'pktminerg: plain line'));
  const pid = p.pid!;
  const t0 = Date.now();
  await p.stop();
  const took = Date.now() - t0;
  assert.ok(took >= 300 && took < 3000, `stop took ${took} ms`);
  assert.ok(log.lines.some((l) => l.level === 'warn' && l.text === `pktminerg (pid ${pid}) still running 0.3 s after SIGTERM; sending SIGKILL`));
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
});

test('a program that cannot be started is logged and retried, not thrown', async (t) => {
  const log = recordingLog();
  const p = new CaptureProcess({ command: ['/nonexistent/pktminerg'], groups: [['-i', 'lo']], controlPort: 1, log, backoff: { firstMs: 50, maxMs: 50, healthyAfterMs: 1000 } });
  t.after(() => p.stop());
  p.start();
  await until('two failures', () => p.crashes >= 2);
  await p.stop();
  assert.match(log.lines[0]!.text, /^cannot start pktminerg: spawn \/nonexistent\/pktminerg ENOENT$/);
});

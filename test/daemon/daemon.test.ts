/**
 * ProbeDaemon in-process against the test manager over real HTTP, with a
 * stand-in for pktminerg: what a bad manager does to it (malformed and
 * mistyped answers, time-outs, 5xx, redirects, refused registrations) and
 * that the running capture goes on through all of it; and a fuzz run of
 * thousands of mutated answers through the whole daemon.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ProbeDaemon, type DaemonTimings, type ManagerRequests } from '../../lib/daemon/daemon.js';
import { ManagerClient } from '../../lib/daemon/manager-client.js';
import type { ManagerResponse } from '../../lib/daemon/manager-client.js';
import { parseDaemonCommandLine, type DaemonOptions } from '../../lib/daemon/options.js';
import type { Logger } from '../../lib/log.js';
import { seededRandom } from '../helpers/capture-files.js';
import { startTestManager, type RecordedRequest } from '../helpers/cpm.js';

const FAST: DaemonTimings = { syncMs: 50, registerRetryMs: 20, maxRegisterMs: 80, maxSyncBackoffMs: 200, captureBackoff: { firstMs: 50, maxMs: 200, healthyAfterMs: 60_000 }, stopTimeoutMs: 2000 };

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return { lines, debug: add('DEBUG'), info: add('INFO'), warn: add('WARN'), error: add('ERROR') };
}

/** A pktminerg that reads its configuration and runs until SIGTERM; one given interface bad0 fails at once, as pktminerg refuses what it cannot open. */
function fakePktminerg(t: TestContext): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'pa-fake-daemon-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'pktminerg.mjs');
  writeFileSync(
    script,
    `import { readFileSync } from 'node:fs';
const { groups } = JSON.parse(readFileSync(0, 'utf8'));
if (groups.some((g) => g.includes('bad0'))) { process.stderr.write('[2026-12-02 10:00:00][ERROR] bad0: no such device\\n'); process.exit(1); }
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 1000);
`,
  );
  return [process.execPath, script];
}

function options(t: TestContext, manager: string): DaemonOptions {
  const dir = mkdtempSync(join(tmpdir(), 'pa-daemon-state-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return parseDaemonCommandLine(['--manager', manager, '--platformId', 'p', '--uuid-file', join(dir, 'uuid'), '--query', '22000,22050'], {});
}

/** A daemon of the stand-in pktminerg, over a real HTTP client with `timeoutMs`, running until the returned controller aborts. */
function runDaemon(t: TestContext, managerUrl: string, timeoutMs?: number): { log: ReturnType<typeof recordingLog>; stop: AbortController; running: Promise<void> } {
  const log = recordingLog();
  const client = new ManagerClient({ tls: { certificate: null, password: '', ca: null, insecure: false }, timeoutMs });
  client.open();
  t.after(() => client.close());
  const stop = new AbortController();
  const daemon = new ProbeDaemon(options(t, managerUrl), { manager: client, log, captureCommand: fakePktminerg(t), timings: FAST, runningGuests: () => new Set() });
  t.after(() => stop.abort());
  return { log, stop, running: daemon.run(stop.signal) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, done: () => boolean, log: { lines: string[] }, ms = 10_000): Promise<void> {
  for (let waited = 0; !done(); waited += 20) {
    if (waited > ms) throw new Error(`timed out waiting until ${what}; log:\n${log.lines.join('\n')}`);
    await sleep(20);
  }
}

const STRATEGY = { strategy: [{ interfaceNames: ['lo'], packetChannelType: 'GRE', address: '127.0.0.1' }] };
const startedPids = (log: { lines: string[] }): string[] => log.lines.flatMap((l) => /started pktminerg \(pid (\d+)\)/.exec(l)?.[1] ?? []);
const strategyGets = (r: RecordedRequest): boolean => r.method === 'GET' && r.path.endsWith('/sync/strategy');

test('a bad manager never stops the running capture; each kind of fault is logged once, then the daemon backs off', { timeout: 60_000 }, async (t) => {
  const manager = await startTestManager(t);
  manager.syncInterval = undefined;
  manager.setAgent(STRATEGY);
  const { log, stop, running } = runDaemon(t, manager.url, 300);
  await until('the capture runs', () => startedPids(log).length === 1, log);
  const gets = (): number => manager.requests.filter(strategyGets).length;

  const faults: [string, () => void, RegExp][] = [
    ['malformed JSON', () => manager.answerNext('strategy', { status: 200, body: '{"strategy": [' }, 3), /^ERROR strategy rejected: not JSON: .*; the captures keep running$/],
    ['wrong types', () => manager.answerNext('strategy', { status: 200, body: { version: 99, strategy: [{ port: 'x' }] } }, 3), /^ERROR strategy rejected: strategy\[0\]\.port: Invalid input: expected number, received string; the captures keep running$/],
    ['a slow manager', () => manager.answerNext('strategy', { status: 304, delayMs: 1000 }, 2), /^ERROR strategy request failed: GET .*: timed out after 0\.3 s; the captures keep running$/],
    ['a 5xx storm that refuses registration too', () => (manager.answerNext('strategy', { status: 503 }, 1), manager.answerNext('register', { status: 500 }, 4)), /^ERROR registration failed: the manager answered 500$/],
  ];
  for (const [what, cause, line] of faults) {
    const before = log.lines.length;
    const getsBefore = gets();
    cause();
    await until(`${what}: logged`, () => log.lines.slice(before).some((l) => line.test(l)), log);
    await until(`${what}: the manager answers well again`, () => log.lines.slice(before).includes('INFO the manager answers again') && gets() > getsBefore + 1, log);
    const said = log.lines.slice(before).filter((l) => line.test(l));
    assert.equal(said.length, 1, `${what} is said once per episode:\n${said.join('\n')}`);
  }
  // A redirect is followed (GET); and the capture never restarted through all of the above.
  const last = manager.requests.filter(strategyGets).at(-1)!;
  manager.answerNext('strategy', { status: 302, headers: { Location: `${last.path}?version=${manager.version}&redirected=1` } }, 1);
  await manager.waitFor((r) => strategyGets(r) && r.query.get('redirected') === '1', 5000);
  assert.equal(startedPids(log).length, 1, log.lines.join('\n'));
  assert.ok(!log.lines.some((l) => /stopped pktminerg|exited|killed/.test(l)), log.lines.join('\n'));
  stop.abort();
  await running;
  assert.ok(log.lines.some((l) => /^INFO strategy 1: stopped pktminerg \(pid \d+\)$/.test(l)), log.lines.join("\n"));
});

test('a strategy whose capture fails is restarted alone, with back-off; the other strategy keeps its process', { timeout: 30_000 }, async (t) => {
  const manager = await startTestManager(t);
  manager.syncInterval = undefined;
  manager.setAgent({ strategy: [STRATEGY.strategy[0], { ...STRATEGY.strategy[0], interfaceNames: ['bad0'] }] });
  const { log, stop, running } = runDaemon(t, manager.url);
  await until('strategy 2 failed three times', () => log.lines.filter((l) => /^ERROR strategy 2: pktminerg \(pid \d+\) exited with status 1/.test(l)).length >= 3, log);
  const starts = (n: number): string[] => log.lines.filter((l) => l.startsWith(`INFO strategy ${n}: started pktminerg`));
  assert.equal(starts(1).length, 1, log.lines.join('\n'));
  assert.ok(starts(2).length >= 3);
  assert.ok(log.lines.includes('ERROR strategy 2: pktminerg: bad0: no such device'), 'its reason is in the log (and the report)');
  const delays = log.lines.flatMap((l) => /^ERROR strategy 2: .*restarting in ([\d.]+) s$/.exec(l)?.[1] ?? []);
  assert.deepEqual(delays.slice(0, 3), ['0.05', '0.1', '0.2']);
  stop.abort();
  await running;
  assert.equal(log.lines.filter((l) => /^INFO strategy 1: stopped pktminerg/.test(l)).length, 1);
});

test('fuzz: 3000 mutated answers to registration, strategy and metrics requests through the whole daemon; it never throws', { timeout: 120_000 }, async (t) => {
  const rnd = seededRandom(29);
  const good = { version: 1, syncInterval: 0, cpuLimit: 0, memLimit: 0, strategy: [{ interfaceNames: ['lo'], packetChannelType: 'GRE', address: '127.0.0.1', bpf: 'ip' }] };
  const mutations: ((v: Record<string, unknown>) => unknown)[] = [
    (v) => ({ ...v, version: rnd() < 0.5 ? '1' : -1 }),
    (v) => ({ ...v, strategy: rnd() < 0.5 ? {} : [null] }),
    (v) => ({ ...v, strategy: [{ ...(good.strategy[0] as object), packetChannelType: ['GRE', 'ZMQ', 'VXLAN', 'FILE', 'X', 7][Math.floor(rnd() * 6)] }] }),
    (v) => ({ ...v, strategy: [{ ...(good.strategy[0] as object), interfaceNames: Array(Math.floor(rnd() * 400)).fill('lo') }] }),
    (v) => ({ ...v, memLimit: Math.floor(rnd() * 2000) - 10, cpuLimit: rnd() * 3 - 0.5 }),
    (v) => ({ ...v, strategy: [{ ...(good.strategy[0] as object), startup: `--slice "${Math.floor(rnd() * 100)}`, port: 2 ** 40 }] }),
    () => null,
    () => 'x'.repeat(Math.floor(rnd() * 100)),
    () => [good],
  ];
  const body = (): string => {
    const m = mutations[Math.floor(rnd() * mutations.length)]!(good);
    const text = typeof m === 'string' && rnd() < 0.5 ? m : JSON.stringify(m);
    return rnd() < 0.1 ? text.slice(0, Math.floor(rnd() * text.length)) : text;
  };
  let served = 0;
  const stop = new AbortController();
  const fake: ManagerRequests = {
    async request(method, url): Promise<ManagerResponse> {
      if (++served >= 3000) stop.abort();
      const r = rnd();
      if (r < 0.05) throw new Error(`${method} ${url}: connect ECONNREFUSED`);
      const status = r < 0.1 ? 500 : r < 0.2 ? 304 : r < 0.25 ? 404 : 200;
      const text = /\/daemons$/.test(url) ? (rnd() < 0.7 ? JSON.stringify({ id: Math.floor(rnd() * 5), paUUID: rnd() < 0.5 ? 'bad' : undefined }) : body()) : body();
      return { status, body: Buffer.from(text), url };
    },
  };
  const log = recordingLog();
  // The stand-in has no status port: each report's query waits out its time-out.
  const timings: DaemonTimings = { ...FAST, syncMs: 0, registerRetryMs: 0, maxRegisterMs: 0, maxSyncBackoffMs: 0, statusTimeoutMs: 5 };
  // A shell stand-in: a Node one would take most of the run starting up.
  const captureCommand = ['/bin/sh', '-c', 'cat >/dev/null; exec sleep 1000', 'pktminerg'];
  const daemon = new ProbeDaemon(options(t, 'http://127.0.0.1:9/api/v1/daemons'), { manager: fake, log, captureCommand, timings, runningGuests: () => new Set() });
  await daemon.run(stop.signal);
  assert.equal(served, 3000);
  const count = (re: RegExp): number => log.lines.filter((l) => re.test(l)).length;
  // Every path was taken: rejections, registrations, strategies applied, captures started and stopped.
  assert.ok(count(/strategy rejected/) > 10, 'rejected answers');
  assert.ok(count(/registration answer rejected|registration failed/) > 10, 'failed registrations');
  assert.ok(count(/^INFO strategy version/) > 10, 'accepted strategies');
  assert.ok(count(/started pktminerg/) > 3, 'captures started');
  assert.equal(count(/internal error|TypeError|RangeError/), 0);
});

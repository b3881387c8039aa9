/**
 * `probedaemon` as a process, the way the service runs it: --help and
 * --version, every refusal of bad input one line and exit 1 at once, TLS to
 * a test manager playing CPM (a client certificate, --ca, the default trust,
 * --insecure, the same options from --config), and SIGTERM/SIGINT while the
 * manager is unreachable. The test manager's agent has no strategy, so no
 * pktminerg is started.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DAEMON_OPTIONS } from '../../lib/daemon/options.js';
import { collect, ROOT, runCli, startCli, STDERR_LOG_CONFIG, type CliResult } from '../helpers/cli.js';
import { DEFAULT_PA_UUID, startTestManager, type RecordedRequest, type TestManager } from '../helpers/cpm.js';
import { CLIENT_CN, makePki, type Pki } from '../helpers/pki.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** Where nothing listens: connections are refused at once. */
const UNREACHABLE = 'http://127.0.0.1:9/api/v1/daemons';
/** Bad input is refused before anything is started: Node's start-up and no more. */
const AT_ONCE_MS = 3000;

/** A fresh directory, removed when `t` ends. */
function tmp(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'pa-probedaemon-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What every run gets: log lines on stderr, the uuid file in `dir`, status ports in a range nothing else uses. */
const common = (dir: string): string[] => ['--log-config', STDERR_LOG_CONFIG, '--uuid-file', join(dir, 'uuid'), '--query', '23000,23010'];

const isRegister = (r: RecordedRequest): boolean => r.method === 'POST' && r.path === '/api/v1/daemons';
const isFirstStrategyGet = (r: RecordedRequest): boolean => r.method === 'GET' && r.path === '/api/v1/daemons/1/sync/strategy' && r.query.get('version') === '0';

/** The log lines of a level, without their time stamps. */
const linesOf = (stderr: string, level: 'INFO' | 'WARN' | 'ERROR'): string[] =>
  stderr.split('\n').flatMap((l) => {
    const m = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]\[(\w+)\] (.*)$/.exec(l);
    return m && m[1] === level ? [m[2]!] : [];
  });

interface Daemon {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** Everything written on stderr so far. */
  stderr(): string;
  /** Until a line of stderr, earlier ones included, matches `re`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>;
}

function startDaemon(t: TestContext, args: string[]): Daemon {
  const child = startCli(t, 'probedaemon', args);
  let text = '';
  child.stderr!.on('data', (d: Buffer) => (text += d));
  const done = collect(child);
  return {
    child,
    done,
    stderr: () => text,
    async waitFor(re, ms = 10_000) {
      for (let waited = 0; ; waited += 20) {
        const m = re.exec(text);
        if (m) return m;
        if (waited > ms || child.exitCode !== null) throw new Error(`no ${re} within ${ms} ms (exit ${child.exitCode}) in:\n${text}`);
        await sleep(20);
      }
    },
  };
}

/** SIGTERM, then the exit: status 0 and no signal. */
async function stop(d: Daemon): Promise<CliResult> {
  d.child.kill('SIGTERM');
  const r = await d.done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.signal, null);
  assert.equal(r.stdout, '');
  return r;
}

async function tlsManager(t: TestContext, pki: Pki): Promise<TestManager> {
  return startTestManager(t, { tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caPem, requireClientCert: true } });
}

/** Registration with the client certificate and an https service URL, then the first strategy GET; the manager's paUUID written. */
async function assertRegistered(d: Daemon, m: TestManager, dir: string): Promise<Record<string, unknown>> {
  const reg = await m.waitFor(isRegister, 10_000);
  assert.equal(reg.clientCert, CLIENT_CN);
  const body = reg.json as Record<string, unknown>;
  assert.equal(typeof body.service, 'string');
  assert.ok((body.service as string).startsWith('https://'), String(body.service));
  assert.equal(body.service, 'https://127.0.0.1:9022');
  const get = await m.waitFor(isFirstStrategyGet, 10_000);
  assert.equal(get.clientCert, CLIENT_CN);
  await d.waitFor(new RegExp(`\\[INFO\\] registered with ${m.url.replace(/\./g, '\\.')} as daemon 1\\n`));
  await d.waitFor(/\[INFO\] strategy version 1: 0 strategies, cpuLimit 0, memLimit 0 MiB\n/);
  assert.equal(readFileSync(join(dir, 'uuid'), 'latin1'), DEFAULT_PA_UUID);
  assert.deepEqual(linesOf(d.stderr(), 'ERROR'), []);
  return body;
}

test('--help: exit 0, the usage and every long option on stdout, nothing on stderr', async (t) => {
  const r = await runCli(t, 'probedaemon', ['--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.ok(r.stdout.startsWith('Usage: probedaemon --manager URL --platformId ID [--config FILE] [OPTIONS]\n'), r.stdout);
  const names = Object.keys(DAEMON_OPTIONS);
  assert.equal(names.length, 21);
  for (const name of names) assert.match(r.stdout, new RegExp(`(?<![\\w-])--${name}(?![\\w-])`), `--${name} missing from --help`);
});

test('--version: one line with the package and Node versions, exit 0', async (t) => {
  for (const flag of ['--version', '-v']) {
    const r = await runCli(t, 'probedaemon', [flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, `~ probedaemon version ${VERSION} (packet-agent, node ${process.version}, libpcap 1.10.3)\n`);
  }
});

/** Each case: the arguments (after the common ones) and the message after `probedaemon: `. */
const BAD_INPUT: { name: string; make: (t: TestContext, dir: string) => { args: string[]; message: string } }[] = [
  { name: 'no --platformId', make: () => ({ args: ['--manager', UNREACHABLE], message: '--platformId is mandatory' }) },
  {
    name: 'no --manager',
    make: () => ({ args: ['--platformId', 'p1'], message: '--manager is mandatory: the registration URL, e.g. http://cpm:9022/api/v1/daemons' }),
  },
  { name: 'an unknown option', make: () => ({ args: ['--manager', UNREACHABLE, '--platformId', 'p1', '--bogus'], message: 'Unknown argument: bogus (try --help)' }) },
  {
    name: 'an option given twice',
    make: (t) => {
      const pki = makePki(t);
      const args = ['--manager', UNREACHABLE, '--platformId', 'p1', '--ca', pki.caPem, '--ca', pki.otherCaPem];
      return { args, message: '--ca given more than once (try --help)' };
    },
  },
  {
    name: '--query 5,1',
    make: (_t, dir) => ({
      args: ['--log-config', STDERR_LOG_CONFIG, '--uuid-file', join(dir, 'uuid'), '--manager', UNREACHABLE, '--platformId', 'p1', '--query', '5,1'],
      message: '--query 5,1: 5 is above 1',
    }),
  },
  {
    name: 'a group-writable --config file',
    make: (_t, dir) => {
      const file = join(dir, 'probedaemon.conf');
      writeFileSync(file, `manager=${UNREACHABLE}\nplatformId=p1\n`);
      chmodSync(file, 0o620);
      return { args: ['--config', file], message: `config ${file}: refused: group or others can write to it` };
    },
  },
  {
    name: 'a missing --certificate file',
    make: (_t, dir) => {
      const file = join(dir, 'absent.p12');
      return { args: ['--manager', 'https://127.0.0.1:9/api/v1/daemons', '--platformId', 'p1', '--certificate', file], message: `--certificate ${file}: no such file or directory` };
    },
  },
  {
    name: 'a wrong PKCS#12 password',
    make: (t) => {
      const pki = makePki(t);
      const args = ['--manager', 'https://127.0.0.1:9/api/v1/daemons', '--platformId', 'p1', '--certificate', pki.clientP12, '--password', 'not-the-secret', '--ca', pki.caPem];
      return { args, message: `--certificate ${pki.clientP12}: wrong password (mac verify failure)` };
    },
  },
  {
    name: 'a --ca file without a certificate',
    make: (t) => {
      const pki = makePki(t);
      const args = ['--manager', 'https://127.0.0.1:9/api/v1/daemons', '--platformId', 'p1', '--certificate', pki.clientP12, '--password', pki.clientP12Password, '--ca', pki.serverKey];
      return { args, message: `--ca ${pki.serverKey}: no certificate in it (expected PEM "BEGIN CERTIFICATE" blocks)` };
    },
  },
];

for (const c of BAD_INPUT) {
  test(`bad input, ${c.name}: one line on stderr, exit 1 at once`, async (t) => {
    const dir = tmp(t);
    const { args, message } = c.make(t, dir);
    const argv = args.includes('--query') ? args : [...common(dir), ...args];
    const start = performance.now();
    const r = await runCli(t, 'probedaemon', argv);
    const elapsed = performance.now() - start;
    assert.equal(r.stderr, `probedaemon: ${message}\n`);
    assert.equal(r.code, 1);
    assert.equal(r.signal, null);
    assert.equal(r.stdout, '');
    assert.ok(elapsed < AT_ONCE_MS, `exited after ${elapsed.toFixed(0)} ms`);
  });
}

test('TLS: --certificate, --password and --ca: registers with the client certificate, then syncs; SIGTERM exits 0', async (t) => {
  const pki = makePki(t);
  const m = await tlsManager(t, pki);
  const dir = tmp(t);
  const args = ['--manager', m.url, '--platformId', 'tls-platform', '--name', 'tls-daemon', '--certificate', pki.clientP12, '--password', pki.clientP12Password, '--ca', pki.caPem];
  const d = startDaemon(t, [...common(dir), ...args]);
  const body = await assertRegistered(d, m, dir);
  assert.equal(body.platformId, 'tls-platform');
  assert.equal(body.name, 'tls-daemon');
  assert.deepEqual(linesOf(d.stderr(), 'WARN'), []);
  const r = await stop(d);
  assert.deepEqual(linesOf(r.stderr, 'ERROR'), []);
  assert.ok(linesOf(r.stderr, 'INFO').includes('by SIGTERM: stopping the captures'), r.stderr);
  assert.ok(linesOf(r.stderr, 'INFO').includes('stopping: 0 capture process(es)'), r.stderr);
});

/** A TCP relay to `port` that notes when each connection arrives; closed when `t` ends. */
async function countingRelay(t: TestContext, port: number): Promise<{ port: number; arrivals: number[] }> {
  const arrivals: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    arrivals.push(performance.now());
    const upstream = net.connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    for (const s of sockets) s.destroy();
    const closed = once(server, 'close');
    server.close();
    await closed;
  });
  return { port: (server.address() as AddressInfo).port, arrivals };
}

test('TLS without --ca: the test CA is not trusted; one ERROR line for retries backing off from 1 s; no request reaches the manager', async (t) => {
  const pki = makePki(t);
  const m = await tlsManager(t, pki);
  // The relay counts the daemon's attempts, which never become requests the manager could record.
  const relay = await countingRelay(t, Number(new URL(m.url).port));
  const url = m.url.replace(/:\d+\//, `:${relay.port}/`);
  const dir = tmp(t);
  const d = startDaemon(t, [...common(dir), '--manager', url, '--platformId', 'p1', '--certificate', pki.clientP12, '--password', pki.clientP12Password]);
  const error = `registration failed: POST ${url}: certificate verify failed: self-signed certificate in certificate chain`;
  await d.waitFor(/\[ERROR\] /);
  // Attempts at about 0, 1 and 3 s.
  for (let waited = 0; relay.arrivals.length < 3; waited += 50) {
    assert.ok(waited < 10_000, `${relay.arrivals.length} attempts in 10 s`);
    await sleep(50);
  }
  await sleep(300);
  const [a0, a1, a2] = relay.arrivals as [number, number, number];
  assert.ok(a1 - a0 >= 980, `second attempt ${(a1 - a0).toFixed(0)} ms after the first`);
  assert.ok(a2 - a1 >= 1980, `third attempt ${(a2 - a1).toFixed(0)} ms after the second`);
  assert.deepEqual(linesOf(d.stderr(), 'ERROR'), [error]);
  assert.equal(m.requests.length, 0);
  assert.equal(existsOrEmpty(join(dir, 'uuid')), '');
  const r = await stop(d);
  assert.deepEqual(linesOf(r.stderr, 'ERROR'), [error]);
  assert.deepEqual(linesOf(r.stderr, 'WARN'), []);
  assert.equal(m.requests.length, 0);
});

/** A file's text, '' when it does not exist. */
function existsOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

test('TLS --insecure without --ca: a WARN line names the manager, and the registration succeeds', async (t) => {
  const pki = makePki(t);
  const m = await tlsManager(t, pki);
  const dir = tmp(t);
  const d = startDaemon(t, [...common(dir), '--manager', m.url, '--platformId', 'p1', '--certificate', pki.clientP12, '--password', pki.clientP12Password, '--insecure']);
  await assertRegistered(d, m, dir);
  assert.deepEqual(linesOf(d.stderr(), 'WARN'), [
    `--insecure: the certificate of 127.0.0.1:${new URL(m.url).port} is not verified; anyone on the path can pose as the manager`,
  ]);
  await stop(d);
});

test('TLS from --config FILE (0600): the same registration; the command line --name wins over the file', async (t) => {
  const pki = makePki(t);
  const m = await tlsManager(t, pki);
  const dir = tmp(t);
  const config = join(dir, 'probedaemon.conf');
  writeFileSync(
    config,
    [
      '# probedaemon, as the service reads it',
      `manager = ${m.url}`,
      'platformId=file-platform',
      'name=file-name',
      'labels=x,y',
      `certificate=${pki.clientP12}`,
      `password=${pki.clientP12Password}`,
      `ca=${pki.caPem}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  chmodSync(config, 0o600);
  const d = startDaemon(t, [...common(dir), '--config', config, '--name', 'cli-name']);
  const body = await assertRegistered(d, m, dir);
  assert.equal(body.name, 'cli-name');
  assert.equal(body.platformId, 'file-platform');
  assert.deepEqual(body.labels, [{ value: 'x' }, { value: 'y' }]);
  assert.deepEqual(linesOf(d.stderr(), 'WARN'), []);
  await stop(d);
});

/**
 * SIGTERM while the daemon waits 4 s before its fourth attempt (after attempts at about 0, 1 and 3 s),
 * where a wait that ignored the signal would hold the exit for seconds; SIGINT during the first, 1 s, wait.
 */
for (const [signal, waitMs] of [['SIGTERM', 3500], ['SIGINT', 0]] as const) {
  test(`${signal} while the manager is unreachable: exit 0 within 2 s`, async (t) => {
    const dir = tmp(t);
    const d = startDaemon(t, [...common(dir), '--manager', UNREACHABLE, '--platformId', 'p1']);
    await d.waitFor(/\[ERROR\] registration failed: /);
    await sleep(waitMs);
    const start = performance.now();
    d.child.kill(signal);
    const r = await d.done;
    const elapsed = performance.now() - start;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.signal, null);
    assert.ok(elapsed < 2000, `exited ${elapsed.toFixed(0)} ms after ${signal}`);
    assert.deepEqual(linesOf(r.stderr, 'ERROR'), [`registration failed: POST ${UNREACHABLE}: connect ECONNREFUSED 127.0.0.1:9`]);
    const info = linesOf(r.stderr, 'INFO');
    assert.ok(info.includes(`by ${signal}: stopping the captures`), r.stderr);
    assert.equal(info.at(-1), 'stopping: 0 capture process(es)');
  });
}

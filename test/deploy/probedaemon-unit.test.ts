/**
 * deploy/systemd/probedaemon.service and its example configuration, checked
 * offline: systemd accepts the unit, it stops the daemon the way the daemon
 * stops its captures, hands it the cgroup subtree for the manager's limits,
 * and the example configuration is one probedaemon accepts.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_STOP_TIMEOUT_MS } from '../../lib/daemon/capture-process.js';
import { parseDaemonCommandLine } from '../../lib/daemon/options.js';
import { ROOT } from '../helpers/cli.js';
import { APP_DIR, capabilities, DIR, parseUnit, verify } from '../helpers/systemd.js';

const UNIT = 'probedaemon.service';
const text = readFileSync(join(DIR, UNIT), 'utf8');
const service = parseUnit(text).get('Service')!;
const one = (key: string): string | undefined => {
  const values = service.get(key);
  assert.ok(!values || values.length === 1, `${key} is set more than once`);
  return values?.[0];
};

test('systemd-analyze verify accepts the daemon unit', () => {
  const r = verify(UNIT, text);
  assert.equal(r.output, '');
  assert.equal(r.status, 0);
});

test('ExecStart runs the built probedaemon with its configuration file, without a shell', () => {
  assert.deepEqual(one('ExecStart')!.split(' '), ['/usr/bin/node', `${APP_DIR}/dist/cli/probedaemon.js`, '--config', '/etc/packet-agent/probedaemon.conf']);
  assert.ok(existsSync(join(ROOT, 'dist', 'cli', 'probedaemon.js')), 'dist/cli/probedaemon.js: run npm run build');
});

test('stopping: SIGTERM to the daemon alone, which stops its captures within its timeout; then systemd kills the rest', () => {
  assert.equal(one('KillMode'), 'mixed');
  assert.equal(one('KillSignal'), 'SIGTERM');
  assert.ok(Number(one('TimeoutStopSec')) * 1000 > DEFAULT_STOP_TIMEOUT_MS, 'TimeoutStopSec leaves room for the captures to stop');
  assert.equal(one('Restart'), 'on-failure');
});

test('cgroup v2 limits: the cpu and memory controllers are delegated; /sys/fs/cgroup stays writable', () => {
  assert.equal(one('Delegate'), 'cpu memory');
  assert.equal(one('ProtectControlGroups'), undefined);
});

test('capabilities: capture, raw sending and entering containers, nothing else', () => {
  assert.equal(one('User'), 'root');
  assert.deepEqual(capabilities(service), ['CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE']);
  assert.equal(one('NoNewPrivileges'), 'yes');
  assert.equal(one('ProtectSystem'), 'strict');
  assert.equal(one('StateDirectory'), 'packet-agent');
});

test('the example configuration is accepted by probedaemon, and its uuid file is in the writable state directory', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pa-daemon-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, 'probedaemon.conf');
  copyFileSync(join(DIR, 'probedaemon.conf.example'), conf);
  chmodSync(conf, 0o600);
  const o = parseDaemonCommandLine(['--config', conf], {});
  assert.equal(o.manager.href, 'https://cpm.example.net:9022/api/v1/daemons');
  assert.equal(o.platformId, 'platform-1');
  assert.equal(o.uuidFile, '/var/lib/packet-agent/uuid');
  assert.equal(o.tls.insecure, false);
});

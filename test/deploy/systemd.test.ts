/**
 * deploy/systemd/pktminerg@.service, its container drop-in, the example environment file and
 * the log configuration, checked offline with `systemd-analyze verify` (helpers/systemd.ts);
 * this file then holds the unit to what
 * this agent needs (capabilities, stop timing, writable directories) and checks that the
 * paths it names exist in a built tree and that lib/log.ts accepts its log file.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configureLogging, shutdownLogging } from '../../lib/log.js';
import { ROOT } from '../helpers/cli.js';
import { APP_DIR, capabilities, DIR, parseUnit, verify } from '../helpers/systemd.js';

const UNIT = 'pktminerg@.service';

const unit = parseUnit(readFileSync(join(DIR, UNIT), 'utf8'));
const service = unit.get('Service')!;
const one = (key: string): string | undefined => {
  const values = service.get(key);
  assert.ok(!values || values.length === 1, `${key} is set more than once`);
  return values?.[0];
};

test('systemd-analyze verify accepts the unit, with and without the container drop-in, and refuses a misspelt one', () => {
  const text = readFileSync(join(DIR, UNIT), 'utf8');
  for (const dropIns of [[], ['containers.conf']]) {
    const r = verify(UNIT, text, dropIns);
    assert.equal(r.output, '', `verify ${UNIT} ${dropIns.join(' ')}`);
    assert.equal(r.status, 0);
  }
  // Unknown keys are only warned about: the output, not the status, shows them.
  const broken = verify(UNIT, text.replace('ProtectSystem=strict', 'ProtectSytem=strict'));
  assert.match(broken.output, /Unknown key 'ProtectSytem'/);
});

test('ExecStart runs the built pktminerg with the environment file\'s arguments, unquoted and without a shell', () => {
  const exec = one('ExecStart')!.split(' ');
  assert.deepEqual(exec, ['/usr/bin/node', `${APP_DIR}/dist/cli/pktminerg.js`, '$PKTMINERG_ARGS']);
  assert.ok(existsSync(join(ROOT, 'dist', 'cli', 'pktminerg.js')), 'dist/cli/pktminerg.js: run npm run build');
  assert.equal(one('EnvironmentFile'), '/etc/packet-agent/%i.env');
  const logConfig = /^PKTMINERG_LOG_CONFIG=(.+)$/.exec(one('Environment') ?? '')?.[1];
  assert.equal(logConfig, `${APP_DIR}/deploy/systemd/logconfig.json`);
  assert.ok(existsSync(join(ROOT, logConfig.slice(APP_DIR.length + 1))));
  // The example sets what ExecStart uses.
  assert.match(readFileSync(join(DIR, 'pktminerg.env.example'), 'utf8'), /^PKTMINERG_ARGS=-\S/m);
});

test('the unit restarts on failure and gives the 10 s drain time to finish on SIGTERM', () => {
  assert.equal(one('Restart'), 'on-failure');
  assert.ok(Number(one('RestartSec')) > 0);
  assert.equal(one('KillSignal'), 'SIGTERM');
  // cli/pktminerg.ts STOP_DEADLINE_MS: after 10 s the agent exits by itself.
  assert.ok(Number(one('TimeoutStopSec')) > 10, 'TimeoutStopSec leaves room for the 10 s drain');
});

test('capabilities: capture and raw sending only; the drop-in adds just what entering containers needs', () => {
  assert.equal(one('User'), 'root');
  assert.deepEqual(capabilities(service), ['CAP_NET_ADMIN', 'CAP_NET_RAW']);
  assert.equal(service.get('AmbientCapabilities'), undefined, 'root needs no ambient capabilities');
  const dropIn = parseUnit(readFileSync(join(DIR, 'containers.conf'), 'utf8'));
  assert.deepEqual([...dropIn.keys()], ['Service']);
  assert.deepEqual([...dropIn.get('Service')!.keys()], ['CapabilityBoundingSet']);
  assert.deepEqual(capabilities(dropIn.get('Service')!), ['CAP_SYS_ADMIN', 'CAP_SYS_PTRACE']);
});

test('sandbox: read-only system and no homes; writable only the state (dumps) and log directories', () => {
  for (const [key, value] of [
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'yes'],
    ['PrivateTmp', 'yes'],
    ['StateDirectory', 'packet-agent'],
    ['LogsDirectory', 'pktminerg'],
    ['WorkingDirectory', '/var/lib/packet-agent'],
  ]) {
    assert.equal(one(key!), value, key);
  }
  assert.equal(service.get('ReadWritePaths'), undefined, 'StateDirectory and LogsDirectory already make their directories writable');
  const logFile = (JSON.parse(readFileSync(join(DIR, 'logconfig.json'), 'utf8')) as { appenders: Record<string, { filename?: string }> }).appenders['file']?.filename;
  assert.equal(logFile, '/var/log/pktminerg/pktminerg.log', 'the log file is in LogsDirectory');
});

test('lib/log.ts accepts the log configuration in a directory like LogsDirectory (0755, ours), not in one others can write', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pa-systemd-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const logDir = join(dir, 'pktminerg');
  mkdirSync(logDir, { mode: 0o755 });
  chmodSync(logDir, 0o755);
  const config = JSON.parse(readFileSync(join(DIR, 'logconfig.json'), 'utf8')) as { appenders: Record<string, { filename: string }> };
  for (const appender of Object.values(config.appenders)) appender.filename = appender.filename.replace('/var/log/pktminerg', logDir);
  const configFile = join(dir, 'logconfig.json');
  writeFileSync(configFile, JSON.stringify(config));
  configureLogging(configFile);
  await shutdownLogging();
  chmodSync(logDir, 0o777);
  assert.throws(() => configureLogging(configFile), /refusing log file .*: its directory .*: others can write to it/);
});

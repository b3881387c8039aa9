/**
 * deploy/systemd/: the unit, its container drop-in, the example environment file and the
 * log configuration, checked offline. `systemd-analyze verify` (package `systemd`) reads
 * them as systemd would, without a running systemd; this file then holds the unit to what
 * this agent needs (capabilities, stop timing, writable directories) and checks that the
 * paths it names exist in a built tree and that lib/log.ts accepts its log file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configureLogging, shutdownLogging } from '../../lib/log.js';
import { ROOT } from '../helpers/cli.js';

const DIR = join(ROOT, 'deploy', 'systemd');
const UNIT = 'pktminerg@.service';
const APP_DIR = '/opt/packet-agent';
const ANALYZE = '/usr/bin/systemd-analyze';

type Section = Map<string, string[]>;

/** A unit file's sections: each key with its values in order (systemd lets many keys repeat). */
function parseUnit(text: string): Map<string, Section> {
  const sections = new Map<string, Section>();
  let current: Section | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    assert.ok(!line.endsWith('\\'), `continued lines are not used: ${line}`);
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const kv = /^(\w+)=(.*)$/.exec(line);
    assert.ok(kv && current, `not a key=value line in a section: ${line}`);
    current.set(kv[1]!, [...(current.get(kv[1]!) ?? []), kv[2]!]);
  }
  return sections;
}

const unit = parseUnit(readFileSync(join(DIR, UNIT), 'utf8'));
const service = unit.get('Service')!;
const one = (key: string): string | undefined => {
  const values = service.get(key);
  assert.ok(!values || values.length === 1, `${key} is set more than once`);
  return values?.[0];
};
const capabilities = (s: Section): string[] => (s.get('CapabilityBoundingSet') ?? []).flatMap((v) => v.split(/\s+/)).sort();

/**
 * `systemd-analyze verify` on instance `x` of the unit copied into a temporary directory (and
 * its drop-ins beside it), with /opt/packet-agent read as this tree and /usr/bin/node as the
 * node running the tests (verify checks that the command is executable).
 */
function verify(unitText: string, dropIns: string[] = []): { status: number | null; output: string } {
  assert.ok(existsSync(ANALYZE), `${ANALYZE} is missing: install the Debian package 'systemd' (apt-get install systemd), which .ci/run must install`);
  const dir = mkdtempSync(join(tmpdir(), 'pa-systemd-'));
  try {
    writeFileSync(join(dir, UNIT), unitText.replaceAll(APP_DIR, ROOT.replace(/\/$/, '')).replaceAll('/usr/bin/node', process.execPath));
    if (dropIns.length) {
      mkdirSync(join(dir, 'pktminerg@x.service.d'));
      for (const f of dropIns) copyFileSync(join(DIR, f), join(dir, 'pktminerg@x.service.d', f));
    }
    const r = spawnSync(ANALYZE, ['verify', join(dir, 'pktminerg@x.service')], { encoding: 'utf8' });
    return { status: r.status, output: `${r.stdout}${r.stderr}${r.error?.message ?? ''}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('systemd-analyze verify accepts the unit, with and without the container drop-in, and refuses a misspelt one', () => {
  const text = readFileSync(join(DIR, UNIT), 'utf8');
  for (const dropIns of [[], ['containers.conf']]) {
    const r = verify(text, dropIns);
    assert.equal(r.output, '', `verify ${UNIT} ${dropIns.join(' ')}`);
    assert.equal(r.status, 0);
  }
  // Unknown keys are only warned about: the output, not the status, shows them.
  const broken = verify(text.replace('ProtectSystem=strict', 'ProtectSytem=strict'));
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

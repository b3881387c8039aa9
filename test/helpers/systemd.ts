/**
 * Reading systemd units in tests: their sections, and `systemd-analyze verify`
 * (package `systemd`), which reads them as systemd would, without a running systemd.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export const DIR = join(ROOT, 'deploy', 'systemd');
export const APP_DIR = '/opt/packet-agent';
const ANALYZE = '/usr/bin/systemd-analyze';

export const capabilities = (s: Section): string[] => (s.get('CapabilityBoundingSet') ?? []).flatMap((v) => v.split(/\s+/)).sort();

export type Section = Map<string, string[]>;

/** A unit file's sections: each key with its values in order (systemd lets many keys repeat). */
export function parseUnit(text: string): Map<string, Section> {
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

/**
 * `systemd-analyze verify` on the unit (instance `x` of a template) copied into a temporary directory (and
 * its drop-ins beside it), with /opt/packet-agent read as this tree and /usr/bin/node as the
 * node running the tests (verify checks that the command is executable).
 */
export function verify(unitName: string, unitText: string, dropIns: string[] = []): { status: number | null; output: string } {
  assert.ok(existsSync(ANALYZE), `${ANALYZE} is missing: install the Debian package 'systemd' (apt-get install systemd), which .ci/run must install`);
  const instance = unitName.replace('@.', '@x.');
  const dir = mkdtempSync(join(tmpdir(), 'pa-systemd-'));
  try {
    writeFileSync(join(dir, unitName), unitText.replaceAll(APP_DIR, ROOT.replace(/\/$/, '')).replaceAll('/usr/bin/node', process.execPath));
    if (dropIns.length) {
      mkdirSync(join(dir, `${instance}.d`));
      for (const f of dropIns) copyFileSync(join(DIR, f), join(dir, `${instance}.d`, f));
    }
    const r = spawnSync(ANALYZE, ['verify', join(dir, instance)], { encoding: 'utf8' });
    return { status: r.status, output: `${r.stdout}${r.stderr}${r.error?.message ?? ''}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

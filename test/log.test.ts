import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configureLogging, getLogger, LOG_CONFIG_ENV, shutdownLogging } from '../lib/log.js';

function configWithFile(filename: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pa-logcfg-'));
  const path = join(dir, 'log.json');
  writeFileSync(path, JSON.stringify({ appenders: { file: { type: 'file', filename } }, categories: { default: { appenders: ['file'], level: 'info' } } }));
  return path;
}

test('the default configuration logs to standard error only: no file appears in the working directory', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'pa-cwd-'));
  const before = process.cwd();
  delete process.env[LOG_CONFIG_ENV];
  process.chdir(cwd);
  try {
    configureLogging(null);
    getLogger().info('hello');
    await shutdownLogging();
  } finally {
    process.chdir(before);
  }
  assert.deepEqual(readdirSync(cwd), []);
});

test('a log file in a directory of our own is used', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pa-logs-'));
  configureLogging(configWithFile(join(dir, 'agent.log')));
  getLogger().info('written');
  await shutdownLogging();
  assert.match(readFileSync(join(dir, 'agent.log'), 'utf8'), /written/);
});

test('a log file where others could plant a link is refused with one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pa-logs-'));
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious');
  symlinkSync(victim, join(dir, 'link.log'));
  const open = join(dir, 'open');
  const cases: [string, RegExp][] = [
    [join(dir, 'link.log'), /refusing log file .*link\.log: it is a symbolic link$/],
    [join(tmpdir(), 'pa-shared.log'), /refusing log file .*pa-shared\.log: its directory \/tmp: others can write to it$/],
    [join(open, 'x.log'), /refusing log file .*x\.log: its directory: no such file or directory$/],
  ];
  for (const [file, message] of cases) assert.throws(() => configureLogging(configWithFile(file)), { name: 'UserError', message });
  chmodSync(dir, 0o777);
  assert.throws(() => configureLogging(configWithFile(join(dir, 'y.log'))), { name: 'UserError', message: /its directory .*: others can write to it$/ });
  assert.equal(readFileSync(victim, 'utf8'), 'precious');
  assert.equal(existsSync(join(tmpdir(), 'pa-shared.log')), false);
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MAX_UUID_FILE_BYTES, readAgentUuid, readPaUuid, readUuidText, writeUuidFile } from '../lib/uuid-file.js';

const UUID_TEXT = '123e4567-e89b-12d3-a456-426614174000';
const UUID = Buffer.from(UUID_TEXT.replaceAll('-', ''), 'hex');
const ZERO_UUID = Buffer.alloc(16);

const dir = mkdtempSync(join(tmpdir(), 'packet-agent-uuid-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text, 'latin1');
  return path;
};

describe('readAgentUuid (pktminerg)', () => {
  it('the first line, hyphens removed, as 16 bytes; through a symbolic link too (a Kubernetes Secret key is one)', () => {
    assert.deepEqual(readAgentUuid(file('ok', `${UUID_TEXT}\nsecond line\n`)), { uuid: UUID, problem: null });
    assert.deepEqual(readAgentUuid(file('upper', UUID_TEXT.toUpperCase())), { uuid: UUID, problem: null });
    symlinkSync(join(dir, 'ok'), join(dir, 'link'));
    assert.deepEqual(readAgentUuid(join(dir, 'link')), { uuid: UUID, problem: null });
    // Only the first line counts, whatever follows within or beyond what is read.
    assert.deepEqual(readAgentUuid(file('long', `${UUID_TEXT}\n${'x'.repeat(10_000)}`)), { uuid: UUID, problem: null });
  });

  it('missing, not a regular file or invalid: 16 zero bytes and the reason', () => {
    mkdirSync(join(dir, 'adir'));
    const cases: [string, string | RegExp][] = [
      [join(dir, 'absent'), `cannot read ${join(dir, 'absent')}: no such file or directory`],
      [join(dir, 'adir'), `cannot read ${join(dir, 'adir')}: not a regular file`],
      [file('short', `${UUID_TEXT.slice(1)}\n`), /short: first line is 35 characters, expected 36$/],
      [file('crlf', `${UUID_TEXT}\r\n`), /37 characters, expected 36/],
      [file('empty', ''), /0 characters/],
      [file('nonhex', `${UUID_TEXT.slice(0, 35)}g`), /not 32 hex digits/],
      [file('hyphens', `${UUID_TEXT.slice(0, 35)}-`), /not 32 hex digits/],
      [file('spaces', UUID_TEXT.replaceAll('-', ' ')), /not 32 hex digits/],
    ];
    for (const [path, reason] of cases) {
      const { uuid, problem } = readAgentUuid(path);
      assert.ok(uuid.equals(ZERO_UUID), path);
      if (typeof reason === 'string') assert.equal(problem, reason);
      else assert.match(problem ?? '', reason);
    }
  });

  it('a FIFO planted there is refused at once instead of blocking the start', { skip: process.platform === 'win32' }, () => {
    const fifo = join(dir, 'fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    assert.deepEqual(readAgentUuid(fifo), { uuid: ZERO_UUID, problem: `cannot read ${fifo}: not a regular file` });
  });
});

describe('readUuidText and readPaUuid (probedaemon)', () => {
  it(`reads at most ${MAX_UUID_FILE_BYTES} bytes, one character per byte`, () => {
    const big = file('big', '\xff'.repeat(1000));
    assert.equal(readUuidText(big), '\xff'.repeat(MAX_UUID_FILE_BYTES));
  });

  it('the text trimmed, as read; null when absent, empty or not a regular file', () => {
    assert.equal(readPaUuid(file('pa', `  ${UUID_TEXT}\n`)), UUID_TEXT);
    assert.equal(readPaUuid(file('pa-free-text', 'not a uuid\n')), 'not a uuid');
    assert.equal(readPaUuid(file('blank', ' \n')), null);
    assert.equal(readPaUuid(join(dir, 'absent')), null);
    assert.equal(readPaUuid(dir), null);
  });
});

describe('writeUuidFile (probedaemon)', () => {
  it('writes the text without a newline and leaves no temporary file', () => {
    const into = mkdtempSync(join(dir, 'w-'));
    writeUuidFile(join(into, 'uuid'), UUID_TEXT);
    assert.equal(readFileSync(join(into, 'uuid'), 'latin1'), UUID_TEXT);
    assert.deepEqual(readdirSync(into), ['uuid']);
  });

  it('never writes through an existing file or a planted link, dangling or not', () => {
    const into = mkdtempSync(join(dir, 'w-'));
    const victim = file('victim', 'keep me');
    symlinkSync(victim, join(into, 'uuid'));
    assert.throws(() => writeUuidFile(join(into, 'uuid'), UUID_TEXT), { code: 'EEXIST' });
    assert.equal(readFileSync(victim, 'latin1'), 'keep me');
    const dangling = join(dir, 'not-yet');
    symlinkSync(dangling, join(into, 'dangling'));
    assert.throws(() => writeUuidFile(join(into, 'dangling'), UUID_TEXT), { code: 'EEXIST' });
    assert.equal(existsSync(dangling), false);
    assert.deepEqual(readdirSync(into).sort(), ['dangling', 'uuid']);
  });

  it('refuses a directory others can write to', () => {
    const into = mkdtempSync(join(dir, 'w-'));
    chmodSync(into, 0o777);
    assert.throws(() => writeUuidFile(join(into, 'uuid'), UUID_TEXT), { message: `its directory ${into}: others can write to it` });
    assert.deepEqual(readdirSync(into), []);
  });
});

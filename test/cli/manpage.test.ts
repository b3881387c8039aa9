/**
 * The man page is rendered from the option tables --help uses, and the
 * commands are executable as built: what `npm link` or a package install
 * puts on PATH works as a command.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GLOBAL_OPTIONS, GROUP_OPTIONS } from '../../lib/args.js';
import { renderManPage } from '../../lib/manpage.js';
import { ROOT } from '../helpers/cli.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; man: string[]; bin: Record<string, string> };
const MAN = join(ROOT, 'man', 'pktminerg.1');

test('man/pktminerg.1 is what the option tables render (run `npm run man` after changing an option)', () => {
  assert.equal(readFileSync(MAN, 'utf8'), renderManPage(pkg.version));
  assert.deepEqual(pkg.man, ['./man/pktminerg.1']);
});

test('groff reads the man page without a warning, and it lists every option', () => {
  const text = execFileSync('groff', ['-man', '-Tutf8', '-ww', MAN], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MANWIDTH: '200' } })
    .toString()
    // groff's UTF-8 output: hyphens as U+2010 and backspace-overstruck bold.
    .replace(/.\x08/g, '')
    .replace(/\u2010/g, '-');
  for (const [name, o] of Object.entries({ ...GROUP_OPTIONS, ...GLOBAL_OPTIONS })) {
    assert.ok(text.includes(`--${name}`), `--${name} is in the man page`);
    if (typeof o.alias === 'string') assert.ok(text.includes(`-${o.alias}, --${name}`), `-${o.alias} is in the man page`);
  }
  const warnings = execFileSync('groff', ['-man', '-Tutf8', '-ww', '-z', MAN], { stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(warnings.toString(), '');
});

test('every command in package.json bin is executable and starts with #!/usr/bin/env node', () => {
  for (const file of Object.values(pkg.bin)) {
    const path = join(ROOT, file);
    assert.equal(statSync(path).mode & 0o111, 0o111, `${file} is executable`);
    assert.ok(readFileSync(path, 'utf8').startsWith('#!/usr/bin/env node\n'), `${file} has the shebang`);
  }
  assert.deepEqual(Object.keys(pkg.bin).sort(), readdirSync(join(ROOT, 'dist', 'cli')).filter((f) => f.endsWith('.js') && f !== 'run.js').map((f) => f.slice(0, -3)).sort());
});

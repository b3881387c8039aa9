/**
 * The suite itself: what it needs on this machine, the Debian packages that
 * provide it (CI and the README's install command must install the same), and
 * the files `npm test` runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './helpers/cli.js';
import { assertPrerequisites, PREREQUISITE_PACKAGES } from './helpers/prerequisites.js';

test('prerequisites: root, iproute2, tcpdump and tcpreplay are here', () => {
  // One line naming each missing thing and its package, e.g. "missing: tcpreplay (apt-get install tcpreplay)".
  assertPrerequisites();
});

/** The package names of the first `apt-get install` in `text`, up to the end of that command. */
function aptInstall(text: string): string[] {
  const m = /apt-get install ([^&>\n]*)/.exec(text);
  assert.ok(m, `no apt-get install in:\n${text}`);
  return m[1]!.split(/\s+/).filter((w) => w !== '' && !w.startsWith('-')).sort();
}

test("the README's first command installs exactly the packages CI installs, and they provide the prerequisites", () => {
  const ci = aptInstall(readFileSync(join(ROOT, '.ci', 'run'), 'utf8'));
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const firstCommand = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  assert.deepEqual(aptInstall(firstCommand), ci);
  for (const pkg of PREREQUISITE_PACKAGES) assert.ok(ci.includes(pkg), `.ci/run does not install ${pkg}`);
});

/**
 * Every `*.test.ts` under test/, as the path of its compiled file, except test/bundle/ (its own
 * script, `npm run test:bundle`: it builds the bundle and a Debian root first).
 */
function compiledTestFiles(dir = join(ROOT, 'test')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return path === join(ROOT, 'test', 'bundle') ? [] : compiledTestFiles(path);
    return e.name.endsWith('.test.ts') ? [join('dist', relative(ROOT, path)).replace(/\.ts$/, '.js')] : [];
  });
}

test('npm test hands node --test every *.test.js file and nothing else (helpers and benchmarks are not tests, test/bundle has its own script)', () => {
  const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { test: string } }).scripts.test;
  const run = /^node --test(?: --[\w-]+(?:=\S+)?)* (.+)$/.exec(script.split('&&').at(-1)!.trim());
  assert.ok(run, `the test script does not end in 'node --test [options] FILES': ${script}`);
  // The shell expands the file arguments as npm's would; printf shows what node --test receives.
  const given = execFileSync('sh', ['-c', `printf '%s\\n' ${run[1]}`], { cwd: ROOT }).toString().trim().split('\n');
  assert.deepEqual(given.sort(), compiledTestFiles().sort());
});

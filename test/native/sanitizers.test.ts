/**
 * The addon's tests once more against a build with AddressSanitizer and
 * UndefinedBehaviorSanitizer (STYLE.md 18): out-of-bounds access, use after
 * free and undefined behaviour in the C code end the run with a report. The
 * build goes to a temporary copy of lib/native, never over the addon that
 * `npm ci` built; PACKET_IO_ADDON makes lib/native/addon.ts load it. Node is
 * not built with ASan, so the runtime is preloaded; leak detection is off
 * because Node itself does not free everything at exit.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';

const SANITIZE = '-fsanitize=address,undefined';
// Every test file of this directory but this one and static-libpcap (it inspects the files of the normal build).
// windows-build.test.js builds another addon (for Windows) and loads none.
const NOT_HERE = ['sanitizers.test.js', 'static-libpcap.test.js', 'windows-build.test.js'];
const TESTS = ['addon.test.js', 'affinity.test.js', 'encap-records.test.js', 'fanout.test.js', 'handles.test.js', 'ip-output-hooks.test.js', 'netns.test.js', 'packet-sender.test.js', 'tcp-queues.test.js', 'zmq-records.test.js'].map((f) => join(ROOT, 'dist', 'test', 'native', f));

function run(command: string, args: string[], opts: { cwd?: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('the addon tests pass with the addon built with AddressSanitizer and UBSan, without a sanitizer report', { timeout: 180_000 }, async (t) => {
  assert.deepEqual(
    readdirSync(join(ROOT, 'dist', 'test', 'native')).filter((f) => f.endsWith('.test.js') && !NOT_HERE.includes(f)),
    TESTS.map((f) => f.split('/').pop()),
    'TESTS lists every other test file of test/native but those of NOT_HERE',
  );
  const dir = mkdtempSync(join(tmpdir(), 'pa-asan-'));
  try {
    // The addon tests run some scripts as user nobody, which must be able to load this build.
    chmodSync(dir, 0o755);
    const source = join(ROOT, 'lib', 'native');
    // The addon's C files and binding.gyp, and the libpcap it compiles in (libpcap/, libpcap-config/), which gets the sanitizers too.
    cpSync(source, dir, { recursive: true, filter: (f) => statSync(f).isDirectory() ? !f.endsWith('/build') : /\.(c|h|gyp)$/.test(f) });
    // npm puts its own node-gyp on the PATH of package scripts, as for `npm run install`.
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'packet-io-sanitized', private: true, scripts: { build: 'node-gyp rebuild' } }));
    const build = await run('npm', ['run', 'build'], {
      cwd: dir,
      env: { ...process.env, CFLAGS: `${SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer -g`, LDFLAGS: SANITIZE },
    });
    assert.equal(build.code, 0, `the sanitizer build failed:\n${build.output}`);
    const addon = join(dir, 'build', 'Release', 'packet_io.node');
    assert.ok(readFileSync(addon).includes('__asan_init'), 'the build is instrumented');

    const runtimes = ['libasan.so', 'libubsan.so'].map((lib) => execFileSync('gcc', [`-print-file-name=${lib}`], { encoding: 'utf8' }).trim());
    // Without the runner's marker of a child test process, which makes `--test` refuse to run files.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    // TAP, whose `# fail 0` is read below: the default reporter of a runner without a terminal is TAP in Node 20, spec from Node 23.
    const r = await run(process.execPath, ['--test', '--test-reporter=tap', '--test-concurrency=1', ...TESTS], {
      env: {
        ...env,
        PACKET_IO_ADDON: addon,
        LD_PRELOAD: runtimes.join(':'),
        ASAN_OPTIONS: 'detect_leaks=0:halt_on_error=1',
        UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
      },
    });
    t.diagnostic(r.output.split('\n').filter((l) => /^# (tests|pass|fail|skipped) /.test(l)).map((l) => l.slice(2)).join(', '));
    assert.doesNotMatch(r.output, /AddressSanitizer|UndefinedBehaviorSanitizer|runtime error:/);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /^# fail 0$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

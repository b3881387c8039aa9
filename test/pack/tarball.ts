/**
 * `npm run test:pack` (not part of `npm test`: `npm pack` runs prepack, which rebuilds dist/ and
 * moves the addon into prebuilds/ under a running suite). The package as users get it: `npm pack`,
 * then `npm install` of the tarball, install scripts on, with a PATH holding only node and npm, so
 * nothing can be compiled: the prebuilt addon must be taken, and the commands must run with it,
 * live capture included (as root).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FIXTURES, ROOT } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pa-pack-'));
const app = join(dir, 'app');
const bin = join(dir, 'bin');
const installed = join(app, 'node_modules', 'packet-agent');
/** node, npm and the sh npm runs scripts with, nothing else: no make, g++, python3 or cc. */
const env = { ...process.env, PATH: bin };
let tarball = '';

function which(program: string): string {
  return execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim();
}

before(() => {
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync(which('npm'), join(bin, 'npm'));
  symlinkSync(which('sh'), join(bin, 'sh'));
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1)!;
  tarball = join(dir, name);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('the tarball carries the compiled commands, the prebuilt addon and the sources to compile one, and nothing else', () => {
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
  for (const f of ['dist/cli/pktminerg.js', 'dist/lib/native/addon.js', 'prebuilds/linux-x64/packet-agent.glibc.node', 'binding.gyp', 'lib/native/binding.gyp',
    'lib/native/pcap_capture.c', 'lib/native/libpcap/LICENSE', 'lib/native/libpcap/grammar.c', 'lib/native/libpcap-config/linux/config.h', 'logconfig.json', 'man/pktminerg.1',
    'deploy/Dockerfile', 'package.json', 'README.md']) {
    assert.ok(files.includes(`package/${f}`), `${f} is not in the tarball`);
  }
  assert.deepEqual(files.filter((f) => /^package\/(build|dist\/test|test|node_modules|lib\/native\/build)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts')), []);
});

test('npm install of the tarball takes the prebuilt addon: no compiler on PATH, nothing compiled', { timeout: 240_000 }, () => {
  assert.throws(() => execFileSync('sh', ['-c', 'command -v make || command -v g++ || command -v cc || command -v python3'], { env }), 'the stripped PATH still finds a build tool');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-test', private: true }));
  const r = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts=false', '--foreground-scripts', tarball], { cwd: app, env, encoding: 'utf8', timeout: 200_000 });
  assert.equal(r.status, 0, `npm install failed:\n${r.stdout}\n${r.stderr}`);
  assert.ok(existsSync(join(installed, 'prebuilds', 'linux-x64', 'packet-agent.glibc.node')));
  assert.ok(!existsSync(join(installed, 'build')), 'the install script compiled the addon instead of taking the prebuilt one');
});

function pktminerg(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(join(app, 'node_modules', '.bin', 'pktminerg'), args, { env, encoding: 'utf8', cwd: dir });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the installed pktminerg shows the libpcap of its addon, lists interfaces and rewrites a file as the repository\'s does', () => {
  const v = pktminerg(['-v']);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /\(packet-agent, node v[\d.]+, libpcap 1\.10\.3\)\n$/);
  const d = pktminerg(['-D']);
  assert.equal(d.status, 0, d.stderr);
  assert.match(d.stdout, /\blo\b/);
  const out = join(dir, 'sample.pcap');
  const w = pktminerg(['-f', join(FIXTURES, 'sample.pcap'), '-w', out]);
  assert.equal(w.status, 0, w.stderr);
  const ours = join(dir, 'sample-repo.pcap');
  execFileSync(process.execPath, [join(ROOT, 'dist', 'cli', 'pktminerg.js'), '-f', join(FIXTURES, 'sample.pcap'), '-w', ours], { cwd: dir, stdio: 'ignore' });
  assert.ok(readFileSync(out).equals(readFileSync(ours)));
});

test('the installed pktminerg captures live on lo with the prebuilt addon', { timeout: 30_000, skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const out = join(dir, 'live.pcap');
  const child = spawn(join(app, 'node_modules', '.bin', 'pktminerg'), ['-i', 'lo', '--count', '1', '-w', out, '--expression', 'udp port 9'], { env, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('close', resolve);
    child.on('error', reject);
  });
  const socket = createSocket('udp4');
  // Until the capture is open and has seen one: it starts after its own Node has.
  const timer = setInterval(() => socket.send('packet-agent', 9, '127.0.0.1'), 100);
  t.after(() => {
    clearInterval(timer);
    socket.close();
    child.kill('SIGKILL');
  });
  assert.equal(await exited, 0, stderr);
  const file = readFileSync(out);
  assert.equal(file.length, 24 + 16 + 14 + 20 + 8 + 'packet-agent'.length, 'one record: pcap header, record header, Ethernet, IPv4, UDP, payload');
});

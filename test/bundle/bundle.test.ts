/**
 * The self-contained bundle (`npm run bundle`, scripts/bundle.sh) in a minimal Debian root that
 * has no Node, no libpcap and no compiler: `debootstrap --variant=minbase bookworm`, built once
 * and kept as a tar in CACHE_DIR, unpacked afresh for each run. The bundle is unpacked to
 * /opt/packet-agent inside it and run with chroot: the README's sample recording, every command's
 * launcher, and a live capture on a veth of a network namespace this test makes, fed by
 * tcpreplay from another, compared byte for byte with the project's pcapcompare.
 *
 * Not part of `npm test` (package.json's test script leaves test/bundle out): `npm run test:bundle`
 * builds the bundle and runs this file only. Root, debootstrap (only while the cache is built,
 * from the Debian mirror apt uses here), ip and tcpreplay. Everything it makes (namespaces, the /proc mount, the
 * root, its processes) is removed when it ends, failed or not; a root left by a killed run is
 * removed by the next one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { PACKAGE_VERSION } from '../../lib/version.js';
import { collect, FIXTURES, ROOT, startProcess, waitForStderr } from '../helpers/cli.js';
import { readPcapFile } from '../helpers/capture-files.js';
import { deleteNetns, ip } from '../helpers/netns.js';
import { isRoot } from '../helpers/prerequisites.js';

const TARBALL = process.env['PA_BUNDLE'] || join(ROOT, 'out', `packet-agent-${PACKAGE_VERSION}-linux-x64.tar.gz`);
const CACHE_DIR = process.env['PA_BUNDLE_CACHE_DIR'] || '/var/cache/packet-agent-test';
const CACHE = join(CACHE_DIR, 'bookworm-minbase.tar');
/** The Debian mirror apt is set up with here (the first URIs of /etc/apt/sources.list.d/debian.sources, else sources.list). */
function mirror(): string {
  for (const [file, re] of [['/etc/apt/sources.list.d/debian.sources', /^URIs:\s*(\S+)/m], ['/etc/apt/sources.list', /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m]] as const) {
    const m = existsSync(file) ? re.exec(readFileSync(file, 'utf8')) : null;
    if (m) return m[1]!;
  }
  throw new Error('no Debian mirror in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list: debootstrap needs one');
}
/** Where the roots are unpacked: pa-bundle-root-<pid of the test>-XXXXXX. */
const WORK_DIR = '/var/tmp';
const APP = '/opt/packet-agent';
const SAMPLE = join(FIXTURES, 'sample.pcap');
/** What the chrooted programs see: no PATH entry of the host, UTC, the bundle's logconfig.json (stderr). */
const CHROOT_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', TZ: 'UTC', LANG: 'C' };
const NS = `pab${process.pid}`;
const PEER = `${NS}p`;
const LIVE = { timeout: 60_000 };

function run(file: string, args: string[], timeout = 600_000): string {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: ${r.error?.message ?? `exit ${r.status ?? r.signal}`}\n${(r.stderr ?? '').trim().split('\n').slice(-5).join('\n')}`);
  return r.stdout;
}

/** Mount points at or below `dir` (this mount namespace), deepest first. */
function mountsUnder(dir: string): string[] {
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean)
    .map((l) => unescape(l.split(' ')[4]!))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts what is mounted below `dir`, then deletes it; never deletes across a mount that stays. */
function removeTree(dir: string): void {
  for (const m of mountsUnder(dir)) {
    if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m]);
  }
  const left = mountsUnder(dir);
  if (left.length > 0) throw new Error(`still mounted, not removed: ${left.join(' ')}`);
  run('rm', ['-rf', '--one-file-system', '--', dir]);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Roots and namespaces of earlier runs whose test process is gone (killed before its `after` ran). */
function removeStale(): void {
  for (const name of readdirSync(WORK_DIR)) {
    const m = /^pa-bundle-(?:root|host)-(\d+)-/.exec(name);
    if (m && !alive(Number(m[1]))) removeTree(join(WORK_DIR, name));
  }
  for (const line of run('ip', ['netns', 'list']).split('\n')) {
    const m = /^(pab(\d+)p?)\b/.exec(line);
    if (m && !alive(Number(m[2]))) deleteNetns(m[1]!);
  }
}

/** bookworm minbase as a tar, built once (~1 min, from apt's mirror) and renamed into place when whole. */
function ensureCache(timings: string[]): void {
  if (existsSync(CACHE)) return;
  const debootstrap = ['/usr/sbin/debootstrap', '/usr/bin/debootstrap'].find((p) => existsSync(p));
  assert.ok(debootstrap, `no ${CACHE} and no debootstrap to build it: apt-get install debootstrap`);
  mkdirSync(CACHE_DIR, { recursive: true });
  const work = mkdtempSync(join(CACHE_DIR, 'build-'));
  const started = Date.now();
  try {
    run(debootstrap, ['--variant=minbase', 'bookworm', join(work, 'root'), mirror()]);
    run('tar', ['--numeric-owner', '-C', join(work, 'root'), '-cf', join(work, 'root.tar'), '.']);
    renameSync(join(work, 'root.tar'), CACHE);
  } finally {
    removeTree(work);
  }
  timings.push(`built ${CACHE} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** `ldd` inside the root: the libraries `file` (a path in the root) needs that the root lacks. */
function missingLibraries(root: string, file: string): string[] {
  const out = run('chroot', [root, '/usr/bin/ldd', file]);
  return [...out.matchAll(/^\s*(\S+) => not found$/gm)].map((m) => m[1]!);
}

describe('the bundle in a minimal Debian root (chroot)', { skip: !isRoot() && 'needs root' }, () => {
  let root = '';
  /** Native code of the bundle (paths inside the root) and what each lacks there, by ldd. */
  const lacking = new Map<string, string[]>();
  /** Shown by the first test (a suite's before hook cannot). */
  const timings: string[] = [];

  /** One line, e.g. "not in a minimal Debian root: build/Release/packet_io.node needs libpcap.so.0.8 (ldd)". */
  const assertLoadable = (what: string): void => {
    const problems = [...lacking].filter(([, libs]) => libs.length > 0).map(([f, libs]) => `${f} needs ${libs.join(', ')}`);
    if (problems.length > 0) throw new Error(`${what}: ${problems.join('; ')} (ldd)`);
  };

  const teardown = (): void => {
    for (const ns of [NS, PEER]) deleteNetns(ns);
    if (root) removeTree(root);
    root = '';
  };

  before(() => {
    const started = Date.now();
    try {
      removeStale();
      assert.ok(existsSync(TARBALL), `${TARBALL} is missing: npm run bundle (npm run test:bundle builds it)`);
      for (const p of ['chroot', 'tar', 'ip', 'tcpreplay', 'mount', 'umount', 'nsenter', 'systemd-analyze']) run('sh', ['-c', 'command -v "$1"', 'sh', p]);
      ensureCache(timings);
      const cached = Date.now();
      root = mkdtempSync(join(WORK_DIR, `pa-bundle-root-${process.pid}-`));
      run('tar', ['--numeric-owner', '-p', '-C', root, '-xf', CACHE]);
      for (const absent of ['usr/bin/node', 'usr/local/bin/node', 'usr/bin/gcc', 'usr/bin/cc', 'usr/lib/x86_64-linux-gnu/libpcap.so.0.8']) {
        assert.ok(!existsSync(join(root, absent)), `the minimal root has /${absent}`);
      }
      mkdirSync(join(root, APP), { recursive: true });
      run('tar', ['-xzf', TARBALL, '-C', join(root, APP), '--strip-components=1']);
      // /proc only: debootstrap made /dev/null, zero, random, urandom and tty in the root.
      run('mount', ['-t', 'proc', 'proc', join(root, 'proc')]);
      timings.push(`root ready in ${((Date.now() - cached) / 1000).toFixed(1)} s (cache ${((cached - started) / 1000).toFixed(1)} s)`);
      const native = ['node', ...['build/Release', 'prebuilds/linux-x64'].flatMap((d) =>
        existsSync(join(root, APP, d)) ? readdirSync(join(root, APP, d)).filter((f) => f.endsWith('.node')).map((f) => `${d}/${f}`) : [])];
      for (const f of native) lacking.set(f, missingLibraries(root, join(APP, f)));
      assert.ok(native.length > 1, 'the bundle has no native addon');
    } catch (e) {
      teardown();
      throw e;
    }
  });
  after(teardown);

  /** chroot ROOT COMMAND ARGS, in network namespace `netns` if given (ip netns exec execs in place). */
  const chrooted = (t: TestContext, command: string, args: string[], netns?: string) =>
    startProcess(t, 'chroot', [root, command, ...args], { env: CHROOT_ENV, cwd: '/', ...(netns ? { netns } : {}) });

  test('node and the addon find every shared library they need in the minimal root (ldd)', (t) => {
    for (const s of timings) t.diagnostic(s);
    assertLoadable('not in a minimal Debian root');
  });

  test('the bundle: a launcher per package.json command, no dev dependencies, systemd units that run the launchers (systemd-analyze verify)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; devDependencies: Record<string, string> };
    assert.deepEqual(readdirSync(join(root, APP, 'bin')).sort(), Object.keys(pkg.bin).sort());
    for (const dev of Object.keys(pkg.devDependencies)) assert.ok(!existsSync(join(root, APP, 'node_modules', dev)), `dev dependency ${dev} in the bundle`);
    const units = readdirSync(join(root, APP, 'deploy/systemd')).filter((f) => f.endsWith('.service'));
    assert.ok(units.length > 0);
    for (const unit of units) {
      const exec = /^ExecStart=(\S+)/m.exec(readFileSync(join(root, APP, 'deploy/systemd', unit), 'utf8'))?.[1] ?? '';
      assert.match(exec, /^\/opt\/packet-agent\/bin\/[a-z]+$/, unit);
      assert.ok(existsSync(join(root, exec)), `${unit}: ${exec} is not in the bundle`);
      // systemd-analyze verify (package systemd, as test/deploy/systemd.test.ts), with /opt/packet-agent read as the bundle in the root.
      const dir = mkdtempSync(join(WORK_DIR, `pa-bundle-host-${process.pid}-`));
      try {
        const name = unit.replace('@.', '@x.');
        writeFileSync(join(dir, name), readFileSync(join(root, APP, 'deploy/systemd', unit), 'utf8').replaceAll(APP, join(root, APP)));
        const r = spawnSync('systemd-analyze', ['verify', join(dir, name)], { encoding: 'utf8' });
        assert.equal(`${r.stdout}${r.stderr}${r.error?.message ?? ''}`, '', `systemd-analyze verify ${unit}`);
        assert.equal(r.status, 0);
      } finally {
        run('rm', ['-rf', '--', dir]);
      }
    }
  });

  test('each command runs through its launcher, also through a symlink on PATH', async (t) => {
    for (const command of readdirSync(join(root, APP, 'bin'))) {
      const r = await collect(chrooted(t, `${APP}/bin/${command}`, ['--help']));
      assert.equal(r.code, 0, `${command} --help: ${r.stderr}`);
    }
    symlinkSync(`${APP}/bin/pktminerg`, join(root, 'usr/local/bin/pktminerg'));
    const r = await collect(chrooted(t, 'pktminerg', ['--version']));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, new RegExp(PACKAGE_VERSION.replaceAll('.', '\\.')));
  });

  test("the README's sample recording: the same files, packet for packet, as the build it came from", async (t) => {
    const r = await collect(chrooted(t, `${APP}/bin/pktminerg`, ['-f', `${APP}/fixtures/sample.pcap`, '--dump', '/tmp/x', '--interval', '1']));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /captured 8 packets/);
    // The same recording by the tree the bundle was made from, on the host.
    const host = mkdtempSync(join(WORK_DIR, `pa-bundle-host-${process.pid}-`));
    t.after(() => run('rm', ['-rf', '--', host]));
    run('env', ['TZ=UTC', process.execPath, join(ROOT, 'dist/cli/pktminerg.js'), '-f', SAMPLE, '--dump', join(host, 'x'), '--interval', '1']);
    const files = (dir: string): string[] => run('find', [dir, '-type', 'f', '-name', '*.pcap']).split('\n').filter(Boolean).map((f) => relative(dir, f)).sort();
    const inRoot = files(join(root, 'tmp/x'));
    assert.deepEqual(inRoot, files(join(host, 'x')));
    let packets = 0;
    for (const f of inRoot) {
      const pcap = readFileSync(join(root, 'tmp/x', f));
      assert.ok(pcap.equals(readFileSync(join(host, 'x', f))), `${f} differs from the host's`);
      packets += (await readPcapFile(join(root, 'tmp/x', f))).records.length;
    }
    assert.equal(packets, (await readPcapFile(SAMPLE)).records.length);
  });

  test('live capture on a veth in a network namespace: tcpreplay in, byte for byte out (pcapcompare)', LIVE, async (t) => {
    assertLoadable('cannot capture');
    ip('netns', 'add', NS);
    ip('netns', 'add', PEER);
    ip('-n', NS, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1', 'netns', PEER);
    for (const [ns, dev] of [[NS, 'veth0'], [PEER, 'veth1']] as const) {
      // No IPv6: its router solicitations would be captured too.
      run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`]);
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
    // The agent looks interfaces up in /sys/class/net: a sysfs mounted from inside NS shows NS's.
    run('nsenter', [`--net=/run/netns/${NS}`, 'mount', '-t', 'sysfs', 'sysfs', join(root, 'sys')]);
    const agent = chrooted(t, `${APP}/bin/pktminerg`, ['-i', 'veth0', '--count', '8', '-w', '/tmp/out.pcap'], NS);
    const done = collect(agent);
    await waitForStderr(agent, /capturing on veth0/);
    run('ip', ['netns', 'exec', PEER, 'tcpreplay', '-q', '--topspeed', '-i', 'veth1', SAMPLE]);
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /captured 8 packets/);
    const cmp = spawnSync(process.execPath, [join(ROOT, 'dist/cli/pcapcompare.js'), SAMPLE, join(root, 'tmp/out.pcap')], { encoding: 'utf8' });
    assert.equal(cmp.status, 0, cmp.stdout + cmp.stderr);
  });
});

/**
 * The capture cgroup: the limits table, cgroup v1 for real on this hybrid
 * host, and cgroup v2 against a fake tree. A cgroup v2 hierarchy with the
 * cpu and memory controllers does not exist here (its controllers are all
 * bound to v1), so the v2 tests check the exact files and contents the code
 * writes into a plain directory tree laid out as cgroupfs lays one out.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { CaptureCgroup, checkLimits } from '../../lib/daemon/cgroup-limits.js';
import { v2Root } from '../helpers/cgroups.js';

const ROOT_ONLY = process.getuid?.() !== 0 && 'needs root';

describe('checkLimits', () => {
  const valid: [number, number, ReturnType<typeof checkLimits>][] = [
    [0, 0, { cpuMax: null, memoryMaxBytes: null }],
    [0.3, 256, { cpuMax: { quotaUs: 30000, periodUs: 100000 }, memoryMaxBytes: 268435456 }],
    // 0.29 × 100000 is 28999.999999999996 in binary floating point: rounded, not cut.
    [0.29, 0, { cpuMax: { quotaUs: 29000, periodUs: 100000 }, memoryMaxBytes: null }],
    [0.01, 64, { cpuMax: { quotaUs: 1000, periodUs: 100000 }, memoryMaxBytes: 67108864 }],
    [2, 1048576, { cpuMax: { quotaUs: 200000, periodUs: 100000 }, memoryMaxBytes: 1099511627776 }],
    [8192, 0, { cpuMax: { quotaUs: 819200000, periodUs: 100000 }, memoryMaxBytes: null }],
  ];
  for (const [cpu, mem, want] of valid) {
    it(`cpuLimit ${cpu}, memLimit ${mem}`, () => assert.deepEqual(checkLimits(cpu, mem), want));
  }

  const invalid: [number, number, string][] = [
    [Number.NaN, 0, 'cpuLimit NaN is not a number'],
    ['1' as unknown as number, 0, 'cpuLimit 1 is not a number'],
    [-0.5, 0, 'cpuLimit -0.5 is negative'],
    [Number.POSITIVE_INFINITY, 0, 'cpuLimit Infinity is not finite'],
    [0.005, 0, "cpuLimit 0.005 is below 0.01 CPU: the kernel's smallest quota is 1000 µs per period of 100000 µs (0 means no limit)"],
    [8193, 0, 'cpuLimit 8193 is absurd: more than 8192 CPUs'],
    [0, Number.NaN, 'memLimit NaN is not a number'],
    [0, -1, 'memLimit -1 is negative'],
    [0, Number.NEGATIVE_INFINITY, 'memLimit -Infinity is not finite'],
    [0, 100.5, 'memLimit 100.5 is not a whole number of MiB'],
    [0, 63, 'memLimit 63 MiB is below 64 MiB: less cannot hold a Node.js capture process (0 means no limit)'],
    [0, 1048577, 'memLimit 1048577 MiB is absurd: more than 1 TiB'],
  ];
  for (const [cpu, mem, message] of invalid) {
    it(`refuses cpuLimit ${String(cpu)}, memLimit ${mem}: ${message}`, () => assert.throws(() => checkLimits(cpu, mem), { message }));
  }
});

describe('CaptureCgroup names', () => {
  for (const name of ['a/b', '..', '', 'x y']) {
    it(`refuses ${JSON.stringify(name)} before any I/O`, () => {
      assert.throws(() => new CaptureCgroup({ name }), { message: `cgroup name ${JSON.stringify(name)} is not one plain path component` });
    });
  }
  it('refuses "daemon": the daemon\'s own leaf on cgroup v2', () => {
    assert.throws(() => new CaptureCgroup({ name: 'daemon' }), { message: 'cgroup name "daemon" is the daemon\'s own leaf on cgroup v2' });
  });
});

/** The path in the v1 hierarchy that has `controller`, from the lines of a /proc/<pid>/cgroup. */
function pathIn(lines: string[], controller: string): string {
  for (const line of lines) {
    const [, controllers, path] = line.split(':');
    if (controllers?.split(',').includes(controller)) return path!;
  }
  throw new Error(`no ${controller} line in ${lines.join(' | ')}`);
}

const ownV1Path = (controller: string): string => pathIn(readFileSync('/proc/self/cgroup', 'latin1').split('\n'), controller);

/** A `sleep` killed when the test ends. */
function sleeper(t: TestContext): ReturnType<typeof spawn> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  });
  return child;
}

/** A cgroup closed when the test ends, however it ends (close() is idempotent). */
function cgroupFor(t: TestContext, opts: ConstructorParameters<typeof CaptureCgroup>[0]): CaptureCgroup {
  const cg = new CaptureCgroup(opts);
  t.after(async () => assert.deepEqual(await cg.close(), []));
  return cg;
}

const read = (path: string): string => readFileSync(path, 'latin1').trim();

describe('CaptureCgroup, cgroup v1 on this host', { skip: ROOT_ONLY }, () => {
  const name = `pa-test-captures-${process.pid}`;

  it('this host is hybrid: cgroup v2 at /sys/fs/cgroup/unified without cpu and memory', () => {
    assert.equal(v2Root(), '/sys/fs/cgroup/unified', 'these tests expect the hybrid layout');
    const controllers = read('/sys/fs/cgroup/unified/cgroup.controllers').split(/\s+/);
    assert.ok(!controllers.includes('cpu') && !controllers.includes('memory'), controllers.join(' '));
  });

  it('limits a process to 0.3 CPU and 256 MiB, then removes both directories', async (t) => {
    const cg = cgroupFor(t, { name });
    cg.open();
    const cpu = join('/sys/fs/cgroup/cpu', ownV1Path('cpu'), name);
    const memory = join('/sys/fs/cgroup/memory', ownV1Path('memory'), name);
    assert.equal(cg.describe(), `cgroup v1 ${cpu} + ${memory}`);

    cg.apply(checkLimits(0.3, 256));
    assert.equal(read(join(cpu, 'cpu.cfs_period_us')), '100000');
    assert.equal(read(join(cpu, 'cpu.cfs_quota_us')), '30000');
    assert.equal(read(join(memory, 'memory.limit_in_bytes')), '268435456');

    const child = sleeper(t);
    cg.add(child.pid!);
    const lines = read(`/proc/${child.pid}/cgroup`).split('\n');
    assert.equal(pathIn(lines, 'cpu'), join(ownV1Path('cpu'), name));
    assert.equal(pathIn(lines, 'memory'), join(ownV1Path('memory'), name));
    assert.deepEqual(read(join(cpu, 'cgroup.procs')), String(child.pid));
    assert.deepEqual(read(join(memory, 'cgroup.procs')), String(child.pid));

    // Killed but not waited for: close() waits out the exit.
    child.kill('SIGKILL');
    assert.deepEqual(await cg.close(), []);
    assert.equal(existsSync(cpu), false);
    assert.equal(existsSync(memory), false);
    assert.equal(cg.describe(), `cgroup ${name} (not open)`);
  });

  it('no limits are -1 (the kernel shows memory as its page-rounded maximum)', async (t) => {
    const cg = cgroupFor(t, { name });
    cg.open();
    cg.apply(checkLimits(1.5, 128));
    cg.apply(checkLimits(0, 0));
    const cpu = join('/sys/fs/cgroup/cpu', ownV1Path('cpu'), name);
    assert.equal(read(join(cpu, 'cpu.cfs_quota_us')), '-1');
    assert.equal(read(join('/sys/fs/cgroup/memory', ownV1Path('memory'), name, 'memory.limit_in_bytes')), '9223372036854771712');
  });

  it('close() with a process still inside names both directories, and succeeds later', async (t) => {
    const cg = cgroupFor(t, { name });
    cg.open();
    const child = sleeper(t);
    cg.add(child.pid!);
    const cpu = join('/sys/fs/cgroup/cpu', ownV1Path('cpu'), name);
    const memory = join('/sys/fs/cgroup/memory', ownV1Path('memory'), name);
    assert.deepEqual(await cg.close(), [`cannot remove ${memory}: processes are still in it`, `cannot remove ${cpu}: processes are still in it`]);
    assert.ok(existsSync(cpu) && existsSync(memory));
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    assert.deepEqual(await cg.close(), []);
    assert.ok(!existsSync(cpu) && !existsSync(memory));
  });
});

/** Every file (content) and directory (`<dir>`) under `root`, by relative path. */
function snapshot(root: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(join(root, rel)).sort()) {
    const path = join(rel, entry);
    if (statSync(join(root, path)).isDirectory()) Object.assign(out, { [`${path}/`]: '<dir>' }, snapshot(root, path));
    else out[path] = readFileSync(join(root, path), 'latin1');
  }
  return out;
}

function writeTree(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

function tmpDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'pa-cgroup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const SERVICE = 'system.slice/probedaemon.service';
const NAME = 'probedaemon-captures-123';

/** A v2 root offering cpu and memory, and a systemd service given them (Delegate=yes) holding two processes. */
const DELEGATED: Record<string, string> = {
  'cgroup.controllers': 'cpuset cpu io memory pids\n',
  [`${SERVICE}/cgroup.controllers`]: 'cpu memory pids\n',
  [`${SERVICE}/cgroup.procs`]: '100\n200\n',
  [`${SERVICE}/cgroup.subtree_control`]: '',
};

/** cgroupfs removes a cgroup's files with it; a plain directory must be emptied first. */
function emptyFake(dir: string): void {
  for (const f of readdirSync(dir)) unlinkSync(join(dir, f));
}

describe('CaptureCgroup, cgroup v2 (a fake tree)', () => {
  it('moves the service\'s processes into a daemon leaf, delegates cpu and memory, writes cpu.max, memory.max and cgroup.procs', async (t) => {
    const root = tmpDir(t);
    writeTree(root, DELEGATED);
    const cg = cgroupFor(t, { name: NAME, roots: { v2: root }, selfCgroup: `0::/${SERVICE}\n` });
    cg.open();
    const dir = join(root, SERVICE, NAME);
    assert.equal(cg.describe(), `cgroup v2 ${dir}`);
    cg.apply(checkLimits(0.5, 512));
    cg.add(4242);
    assert.deepEqual(snapshot(root), {
      'cgroup.controllers': 'cpuset cpu io memory pids\n',
      'system.slice/': '<dir>',
      [`${SERVICE}/`]: '<dir>',
      [`${SERVICE}/cgroup.controllers`]: 'cpu memory pids\n',
      // A kernel would have emptied it by the move; a plain file keeps its text.
      [`${SERVICE}/cgroup.procs`]: '100\n200\n',
      [`${SERVICE}/cgroup.subtree_control`]: '+cpu +memory',
      [`${SERVICE}/daemon/`]: '<dir>',
      [`${SERVICE}/daemon/cgroup.procs`]: '100\n200\n',
      [`${SERVICE}/${NAME}/`]: '<dir>',
      [`${SERVICE}/${NAME}/cgroup.procs`]: '4242',
      [`${SERVICE}/${NAME}/cpu.max`]: '50000 100000',
      [`${SERVICE}/${NAME}/memory.max`]: '536870912',
    });

    cg.apply(checkLimits(0, 0));
    assert.equal(readFileSync(join(dir, 'cpu.max'), 'latin1'), 'max 100000');
    assert.equal(readFileSync(join(dir, 'memory.max'), 'latin1'), 'max');

    emptyFake(dir);
    assert.deepEqual(await cg.close(), []);
    assert.equal(existsSync(dir), false);
    assert.ok(existsSync(join(root, SERVICE, 'daemon')), 'the daemon leaf stays: the daemon lives in it');
  });

  it('a daemon already in its leaf makes the group beside the leaf, moving nothing', async (t) => {
    const root = tmpDir(t);
    writeTree(root, { ...DELEGATED, [`${SERVICE}/cgroup.procs`]: '', [`${SERVICE}/daemon/cgroup.procs`]: '100\n' });
    const cg = cgroupFor(t, { name: NAME, roots: { v2: root }, selfCgroup: `0::/${SERVICE}/daemon\n` });
    cg.open();
    assert.equal(cg.describe(), `cgroup v2 ${join(root, SERVICE, NAME)}`);
    const s = snapshot(root);
    assert.equal(s[`${SERVICE}/daemon/cgroup.procs`], '100\n');
    assert.equal(s[`${SERVICE}/cgroup.subtree_control`], '+cpu +memory');
    assert.equal(s[`${SERVICE}/${NAME}/`], '<dir>');
  });

  it('a daemon in the root cgroup (its own namespace) stays there: the root may hold processes', async (t) => {
    const root = tmpDir(t);
    writeTree(root, { 'cgroup.controllers': 'cpu memory\n', 'cgroup.procs': '1\n', 'cgroup.subtree_control': '' });
    const cg = cgroupFor(t, { name: NAME, roots: { v2: root }, selfCgroup: '0::/\n' });
    cg.open();
    assert.deepEqual(snapshot(root), {
      'cgroup.controllers': 'cpu memory\n',
      'cgroup.procs': '1\n',
      'cgroup.subtree_control': '+cpu +memory',
      [`${NAME}/`]: '<dir>',
    });
  });

  it('a service not given the controllers: one line naming Delegate=yes, nothing written', (t) => {
    const root = tmpDir(t);
    const files = { ...DELEGATED, [`${SERVICE}/cgroup.controllers`]: 'pids\n' };
    writeTree(root, files);
    const cg = cgroupFor(t, { name: NAME, roots: { v2: root }, selfCgroup: `0::/${SERVICE}\n` });
    assert.throws(() => cg.open(), {
      message: `cgroup v2: ${join(root, SERVICE)} is not given the cpu and memory controllers (cgroup.controllers: "pids"); a systemd service needs Delegate=yes`,
    });
    assert.deepEqual(snapshot(root), { ...files, 'system.slice/': '<dir>', [`${SERVICE}/`]: '<dir>' });
  });

  it('a read-only cgroup file system: one line with the reason', { skip: ROOT_ONLY }, (t) => {
    const root = mkdtempSync(join(tmpdir(), 'pa-cgroup-ro-'));
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', root]);
    t.after(() => {
      execFileSync('umount', [root]);
      rmSync(root, { recursive: true });
    });
    writeTree(root, DELEGATED);
    execFileSync('mount', ['-o', 'remount,ro', root]);
    const cg = cgroupFor(t, { name: NAME, roots: { v2: root }, selfCgroup: `0::/${SERVICE}\n` });
    assert.throws(() => cg.open(), { message: `cannot create ${join(root, SERVICE, 'daemon')}: read-only file system` });
  });
});

describe('CaptureCgroup, neither hierarchy usable', () => {
  it('missing roots: one line naming each', (t) => {
    const dir = tmpDir(t);
    const roots = { v2: join(dir, 'unified'), cpuV1: join(dir, 'cpu'), memoryV1: join(dir, 'memory') };
    const cg = cgroupFor(t, { name: NAME, roots, selfCgroup: '0::/\n' });
    assert.throws(() => cg.open(), {
      message:
        `no cgroup with cpu and memory controllers: cgroup v2 at ${roots.v2} lacks one or both, ` +
        `and ${roots.cpuV1} is no cgroup v1 hierarchy (no cpu.cfs_quota_us), ${roots.memoryV1} is no cgroup v1 hierarchy (no memory.limit_in_bytes)`,
    });
  });

  it('a v1 memory path that does not exist: the reason, and close() removes the cpu directory already made', async (t) => {
    const dir = tmpDir(t);
    writeTree(dir, { 'cpu/cpu.cfs_quota_us': '-1\n', 'memory/memory.limit_in_bytes': '-1\n' });
    const roots = { v2: join(dir, 'unified'), cpuV1: join(dir, 'cpu'), memoryV1: join(dir, 'memory') };
    const cg = new CaptureCgroup({ name: NAME, roots, selfCgroup: '4:memory:/gone\n1:cpu,cpuacct:/\n0::/\n' });
    assert.throws(() => cg.open(), { message: `cannot create ${join(dir, 'memory', 'gone', NAME)}: no such file or directory` });
    assert.ok(existsSync(join(dir, 'cpu', NAME)));
    assert.deepEqual(await cg.close(), []);
    assert.equal(existsSync(join(dir, 'cpu', NAME)), false);
  });
});

/**
 * The CPU and memory limits of the capture processes (spec §10.7 and its
 * [RECOMMEND]): one cgroup, shared by every capture process the daemon
 * starts, carries both limits the manager sends.
 *
 * Units, which the reference left ambiguous:
 *   cpuLimit  CPUs: 0.5 = half of one CPU, 2 = two CPUs; 0 = no limit.
 *   memLimit  MiB for all capture processes together; 0 = no limit.
 *
 * Where the cgroup goes:
 *   cgroup v2, when its root offers the cpu and memory controllers: a child
 *     of the daemon's own cgroup, as a systemd service with `Delegate=yes`
 *     may make. v2 lets only leaves hold processes once controllers are
 *     enabled for children, so the daemon's processes move into a `daemon`
 *     leaf first; then `+cpu +memory` goes into its own subtree_control.
 *   cgroup v1 otherwise: `<root>/<the daemon's own path>/<name>` in both the
 *     cpu and the memory hierarchy.
 */
import { closeSync, constants, lstatSync, mkdirSync, openSync, readFileSync, rmdirSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ownPath, V2_ROOTS } from '../cgroup-path.js';
import { describeErrno } from '../errors.js';

/** The kernel's default CFS period; the quota is a share of it. */
export const CPU_PERIOD_US = 100_000;
/** The smallest quota the kernel accepts (1 ms), so the smallest cpuLimit is 0.01. */
export const MIN_CPU_QUOTA_US = 1000;
/** Linux's largest NR_CPUS (x86 MAXSMP): more CPUs than any machine can have. */
export const MAX_CPUS = 8192;
export const MIN_MEM_MIB = 64;
export const MAX_MEM_MIB = 1024 * 1024;
const MIB = 1024 * 1024;

/** The leaf the daemon's own processes move into on cgroup v2 (kept on close: the daemon is in it). */
export const DAEMON_LEAF = 'daemon';

/** rmdir fails with EBUSY while the kernel still counts an exiting process; it takes milliseconds. */
const RMDIR_ATTEMPTS = 20;
const RMDIR_RETRY_MS = 25;

export interface CgroupLimits {
  cpuMax: { quotaUs: number; periodUs: number } | null;
  memoryMaxBytes: number | null;
}

function checkNumber(what: string, value: number): void {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new Error(`${what} ${String(value)} is not a number`);
  if (!Number.isFinite(value)) throw new Error(`${what} ${value} is not finite`);
  if (value < 0) throw new Error(`${what} ${value} is negative`);
}

function cpuMaxOf(cpuLimit: number): CgroupLimits['cpuMax'] {
  checkNumber('cpuLimit', cpuLimit);
  if (cpuLimit === 0) return null;
  const quotaUs = Math.round(cpuLimit * CPU_PERIOD_US);
  if (quotaUs < MIN_CPU_QUOTA_US) {
    throw new Error(`cpuLimit ${cpuLimit} is below 0.01 CPU: the kernel's smallest quota is ${MIN_CPU_QUOTA_US} µs per period of ${CPU_PERIOD_US} µs (0 means no limit)`);
  }
  if (cpuLimit > MAX_CPUS) throw new Error(`cpuLimit ${cpuLimit} is absurd: more than ${MAX_CPUS} CPUs`);
  return { quotaUs, periodUs: CPU_PERIOD_US };
}

function memoryMaxOf(memLimit: number): number | null {
  checkNumber('memLimit', memLimit);
  if (memLimit === 0) return null;
  if (!Number.isInteger(memLimit)) throw new Error(`memLimit ${memLimit} is not a whole number of MiB`);
  if (memLimit < MIN_MEM_MIB) {
    throw new Error(`memLimit ${memLimit} MiB is below ${MIN_MEM_MIB} MiB: less cannot hold a Node.js capture process (0 means no limit)`);
  }
  if (memLimit > MAX_MEM_MIB) throw new Error(`memLimit ${memLimit} MiB is absurd: more than 1 TiB`);
  return memLimit * MIB;
}

/** The manager's cpuLimit (CPUs) and memLimit (MiB) as cgroup values; throws an Error naming the bad value. */
export function checkLimits(cpuLimit: number, memLimit: number): CgroupLimits {
  return { cpuMax: cpuMaxOf(cpuLimit), memoryMaxBytes: memoryMaxOf(memLimit) };
}

export interface CaptureCgroupOptions {
  /** One path component, e.g. `probedaemon-captures-<daemon pid>`. */
  name: string;
  /** Hierarchy mount points; by default found under /sys/fs/cgroup. */
  roots?: { v2?: string; cpuV1?: string; memoryV1?: string };
  /** The text of /proc/self/cgroup; read at open() by default. */
  selfCgroup?: string;
}

type Layout = { version: 2; dir: string } | { version: 1; cpu: string; memory: string };

function controllersOf(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'cgroup.controllers'), 'latin1').split(/\s+/).filter((c) => c !== '');
  } catch {
    return [];
  }
}

const offersCpuAndMemory = (dir: string): boolean => {
  const c = controllersOf(dir);
  return c.includes('cpu') && c.includes('memory');
};

function pidsIn(dir: string): number[] {
  return readFileSync(join(dir, 'cgroup.procs'), 'latin1')
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
}

/**
 * Opens a cgroup file for writing. O_NOFOLLOW: never through a symbolic
 * link. O_CREAT|O_TRUNC are what `echo >` does: cgroupfs makes its files
 * itself and ignores both, and a plain directory tree (tests) gets the file.
 */
function openForWrite(path: string): number {
  try {
    return openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
  } catch (e) {
    throw new Error(`cannot open ${path}: ${describeErrno(e)}`);
  }
}

/** Writes `text` in one write(), as the kernel takes one value per write. */
function writeTo(path: string, text: string): void {
  const fd = openForWrite(path);
  try {
    writeSync(fd, text);
  } catch (e) {
    throw new Error(`cannot write ${text} to ${path}: ${describeErrno(e)}`);
  } finally {
    closeSync(fd);
  }
}

/** Moves processes into a cgroup, one pid per write(); one that has exited meanwhile is left out. */
function movePids(dir: string, pids: number[]): void {
  const fd = openForWrite(join(dir, 'cgroup.procs'));
  try {
    for (const pid of pids) {
      try {
        writeSync(fd, `${pid}\n`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw new Error(`cannot move process ${pid} into ${dir}: ${describeErrno(e)}`);
      }
    }
  } finally {
    closeSync(fd);
  }
}

async function removeDir(dir: string): Promise<string | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      rmdirSync(dir);
      return null;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null;
      if (code !== 'EBUSY' || attempt === RMDIR_ATTEMPTS) {
        return `cannot remove ${dir}: ${code === 'EBUSY' ? 'processes are still in it' : describeErrno(e)}`;
      }
      await sleep(RMDIR_RETRY_MS);
    }
  }
}

export class CaptureCgroup {
  private layout: Layout | null = null;
  /** Directories this object made, in order; close() removes exactly these. */
  private created: string[] = [];

  constructor(private readonly opts: CaptureCgroupOptions) {
    if (!/^[A-Za-z0-9_.-]+$/.test(opts.name) || opts.name === '.' || opts.name === '..') {
      throw new Error(`cgroup name ${JSON.stringify(opts.name)} is not one plain path component`);
    }
    if (opts.name === DAEMON_LEAF) throw new Error(`cgroup name "${DAEMON_LEAF}" is the daemon's own leaf on cgroup v2`);
  }

  /**
   * Creates the cgroup: v2 when its root offers cpu and memory, else v1.
   * Throws one line when neither is usable or a write fails; close() then
   * removes what was made before the failure.
   */
  open(): void {
    if (this.layout !== null) throw new Error(`${this.describe()} is already open`);
    const self = this.opts.selfCgroup ?? readFileSync('/proc/self/cgroup', 'latin1');
    const v2Candidates = this.opts.roots?.v2 !== undefined ? [this.opts.roots.v2] : V2_ROOTS;
    const v2 = v2Candidates.find(offersCpuAndMemory);
    this.layout = v2 !== undefined ? this.openV2(v2, self) : this.openV1(self, v2Candidates);
  }

  private openV2(root: string, self: string): Layout {
    let own = ownPath(self, null);
    // A daemon that already moved itself into its leaf (an earlier open) delegates from the leaf's parent.
    if (basename(own) === DAEMON_LEAF) own = dirname(own);
    const parent = join(root, own);
    if (!offersCpuAndMemory(parent)) {
      throw new Error(`cgroup v2: ${parent} is not given the cpu and memory controllers (cgroup.controllers: "${controllersOf(parent).join(' ')}"); a systemd service needs Delegate=yes`);
    }
    // The root cgroup may hold processes and delegate; any other must be emptied into a leaf first.
    if (own !== '/') {
      const pids = pidsIn(parent);
      if (pids.length > 0) movePids(this.makeDir(join(parent, DAEMON_LEAF), { keep: true }), pids);
    }
    writeTo(join(parent, 'cgroup.subtree_control'), '+cpu +memory');
    return { version: 2, dir: this.makeDir(join(parent, this.opts.name)) };
  }

  private openV1(self: string, v2Candidates: string[]): Layout {
    const cpuRoot = this.opts.roots?.cpuV1 ?? '/sys/fs/cgroup/cpu';
    const memoryRoot = this.opts.roots?.memoryV1 ?? '/sys/fs/cgroup/memory';
    const required: [string, string][] = [
      [cpuRoot, 'cpu.cfs_quota_us'],
      [memoryRoot, 'memory.limit_in_bytes'],
    ];
    const missing = required.filter(([root, file]) => !isFile(join(root, file)));
    if (missing.length > 0) {
      throw new Error(
        `no cgroup with cpu and memory controllers: cgroup v2 at ${v2Candidates.join(' or ')} lacks one or both, ` +
          `and ${missing.map(([root, file]) => `${root} is no cgroup v1 hierarchy (no ${file})`).join(', ')}`,
      );
    }
    const cpu = this.makeDir(join(cpuRoot, ownPath(self, 'cpu'), this.opts.name));
    const memory = this.makeDir(join(memoryRoot, ownPath(self, 'memory'), this.opts.name));
    return { version: 1, cpu, memory };
  }

  /** mkdir, remembered for close() unless `keep`; an existing directory is taken only when `keep` (the daemon leaf). */
  private makeDir(dir: string, { keep = false } = {}): string {
    try {
      mkdirSync(dir, 0o755);
      if (!keep) this.created.push(dir);
    } catch (e) {
      if (!keep || (e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create ${dir}: ${describeErrno(e)}`);
    }
    if (!lstatSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
    return dir;
  }

  private opened(): Layout {
    if (this.layout === null) throw new Error('the capture cgroup is not open');
    return this.layout;
  }

  /** Writes both limits (null = no limit); throws one line when the kernel refuses one. */
  apply(limits: CgroupLimits): void {
    const l = this.opened();
    const period = limits.cpuMax?.periodUs ?? CPU_PERIOD_US;
    if (l.version === 2) {
      writeTo(join(l.dir, 'cpu.max'), `${limits.cpuMax?.quotaUs ?? 'max'} ${period}`);
      writeTo(join(l.dir, 'memory.max'), String(limits.memoryMaxBytes ?? 'max'));
    } else {
      writeTo(join(l.cpu, 'cpu.cfs_period_us'), String(period));
      writeTo(join(l.cpu, 'cpu.cfs_quota_us'), String(limits.cpuMax?.quotaUs ?? -1));
      writeTo(join(l.memory, 'memory.limit_in_bytes'), String(limits.memoryMaxBytes ?? -1));
    }
  }

  /** Moves process `pid` (and its threads) into the cgroup; its later children are born there. */
  add(pid: number): void {
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${pid} is not a process id`);
    const l = this.opened();
    for (const dir of l.version === 2 ? [l.dir] : [l.cpu, l.memory]) writeTo(join(dir, 'cgroup.procs'), String(pid));
  }

  /**
   * Removes the directories open() made, deepest first, waiting briefly
   * while processes are still exiting. Never throws: returns what could not
   * be removed, and a later close() tries those again.
   */
  async close(): Promise<string[]> {
    const problems: string[] = [];
    const left: string[] = [];
    for (const dir of [...this.created].reverse()) {
      const problem = await removeDir(dir);
      if (problem === null) continue;
      problems.push(problem);
      left.unshift(dir);
    }
    this.created = left;
    this.layout = null;
    return problems;
  }

  describe(): string {
    const l = this.layout;
    if (l === null) return `cgroup ${this.opts.name} (not open)`;
    return l.version === 2 ? `cgroup v2 ${l.dir}` : `cgroup v1 ${l.cpu} + ${l.memory}`;
  }
}

function isFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

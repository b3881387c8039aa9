/**
 * findContainerProcess against the real /proc: the test plays a container
 * runtime by creating a cgroup named the way docker names one, in the cgroup
 * v2 hierarchy and in the v1 pids hierarchy, and moving its own processes
 * into it. The cgroups are removed afterwards, also when a test fails. A
 * missing hierarchy fails the test with its name; only a non-root run skips.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { findContainerProcess } from '../../lib/sources/container.js';
import { startProcess } from '../helpers/cli.js';

/** statfs f_type of the two cgroup file systems (linux/magic.h). */
const CGROUP2_SUPER_MAGIC = 0x63677270;
const CGROUP_SUPER_MAGIC = 0x27e0eb;

const isMount = (path: string, magic: number): boolean => existsSync(path) && statfsSync(path).type === magic;

/** The v2 hierarchy: /sys/fs/cgroup on a pure v2 host, /sys/fs/cgroup/unified on a hybrid one. */
function v2Root(): string {
  const root = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].find((p) => isMount(p, CGROUP2_SUPER_MAGIC));
  if (root === undefined) throw new Error('no cgroup v2 hierarchy: neither /sys/fs/cgroup nor /sys/fs/cgroup/unified is cgroup2 (stat -fc %T)');
  return root;
}

/** The v1 pids hierarchy, present on v1 and hybrid hosts. */
function v1PidsRoot(): string {
  const root = '/sys/fs/cgroup/pids';
  if (!isMount(root, CGROUP_SUPER_MAGIC)) throw new Error(`no cgroup v1 pids hierarchy at ${root} (this test needs a v1 or hybrid cgroup host; stat -fc %T ${root})`);
  return root;
}

const procsOf = (dir: string): number[] =>
  readFileSync(join(dir, 'cgroup.procs'), 'latin1')
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `done()` holds, for up to 5 s. */
async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (done()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting until ${what}`);
}

/**
 * Creates `rel` (one or more components) under `root`, and removes what it
 * created when `t` ends: first SIGKILLs the processes the test moved into it
 * (an orphaned grandchild would outlive its killed parent and keep the
 * cgroup busy), then rmdir deepest first, retrying while the kernel still
 * counts a dying process. A directory that already existed (a real docker's
 * `/docker`) is left alone.
 */
function makeCgroup(t: TestContext, root: string, rel: string): string {
  const created: string[] = [];
  let dir = root;
  for (const part of rel.split('/')) {
    dir = join(dir, part);
    if (existsSync(dir)) continue;
    mkdirSync(dir);
    created.push(dir);
  }
  t.after(async () => {
    for (const d of created.reverse()) {
      for (const pid of procsOf(d)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
      await until(`${d} could be removed`, () => {
        try {
          rmdirSync(d);
          return true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EBUSY') return false;
          throw e;
        }
      });
    }
  });
  return dir;
}

const moveInto = (dir: string, child: ChildProcess): void => writeFileSync(join(dir, 'cgroup.procs'), String(child.pid));

/**
 * The same story in any hierarchy: one process is the container; stopped, it
 * is no longer found; a shell that starts a child is found, not the child.
 */
async function playContainer(t: TestContext, dir: string, id: string): Promise<void> {
  const lone = startProcess(t, 'sleep', ['300']);
  moveInto(dir, lone);
  assert.deepEqual(findContainerProcess(id), { pid: lone.pid, id });
  assert.deepEqual(findContainerProcess(id.slice(0, 12)), { pid: lone.pid, id });

  const exited = once(lone, 'exit');
  lone.kill('SIGKILL');
  await exited;
  assert.equal(findContainerProcess(id), null);

  // The shell forks only after it is in the cgroup, so its child starts there too.
  const shell = startProcess(t, 'sh', ['-c', 'read go; sleep 300 & wait'], { stdin: 'pipe' });
  moveInto(dir, shell);
  shell.stdin!.write('go\n');
  await until(`the shell's child joined ${dir}`, () => procsOf(dir).length === 2);
  assert.deepEqual(findContainerProcess(id.slice(0, 12)), { pid: shell.pid, id });
}

describe('findContainerProcess on this kernel', { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
  it('cgroup v2, docker systemd driver: docker-<id>.scope', async (t) => {
    const id = randomBytes(32).toString('hex');
    await playContainer(t, makeCgroup(t, v2Root(), `docker-${id}.scope`), id);
  });

  it('cgroup v1 pids, docker cgroupfs driver: docker/<id>', async (t) => {
    const id = randomBytes(32).toString('hex');
    await playContainer(t, makeCgroup(t, v1PidsRoot(), `docker/${id}`), id);
  });
});

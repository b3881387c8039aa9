/**
 * Cgroups a test makes to play a container runtime: named as the runtimes
 * name theirs, with the test's own processes moved in, removed when the
 * test ends however it ends.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { V2_ROOTS, v2Mount } from '../../lib/cgroup-path.js';

/** statfs f_type of cgroup v1 (linux/magic.h). */
const CGROUP_SUPER_MAGIC = 0x27e0eb;

const isMount = (path: string, magic: number): boolean => existsSync(path) && statfsSync(path).type === magic;

/** The v2 hierarchy: /sys/fs/cgroup on a pure v2 host, /sys/fs/cgroup/unified on a hybrid one. */
export function v2Root(): string {
  const root = v2Mount();
  if (root === null) throw new Error(`no cgroup v2 hierarchy: none of ${V2_ROOTS.join(', ')} is cgroup2 (stat -fc %T)`);
  return root;
}

/** The v1 pids hierarchy, present on v1 and hybrid hosts. */
export function v1PidsRoot(): string {
  const root = '/sys/fs/cgroup/pids';
  if (!isMount(root, CGROUP_SUPER_MAGIC)) throw new Error(`no cgroup v1 pids hierarchy at ${root} (this test needs a v1 or hybrid cgroup host; stat -fc %T ${root})`);
  return root;
}

export const procsOf = (dir: string): number[] =>
  readFileSync(join(dir, 'cgroup.procs'), 'latin1')
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `done()` holds, for up to 5 s. */
export async function until(what: string, done: () => boolean): Promise<void> {
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
export function makeCgroup(t: TestContext, root: string, rel: string): string {
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

export const moveInto = (dir: string, child: ChildProcess): void => writeFileSync(join(dir, 'cgroup.procs'), String(child.pid));


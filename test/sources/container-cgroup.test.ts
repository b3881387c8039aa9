/**
 * findContainerProcess against the real /proc: the test plays a container
 * runtime by creating a cgroup named the way docker names one, in the cgroup
 * v2 hierarchy and in the v1 pids hierarchy, and moving its own processes
 * into it. The cgroups are removed afterwards, also when a test fails. A
 * missing hierarchy fails the test with its name; only a non-root run skips.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { describe, it, type TestContext } from 'node:test';
import { findContainerProcess } from '../../lib/sources/container.js';
import { makeCgroup, moveInto, procsOf, until, v1PidsRoot, v2Root } from '../helpers/cgroups.js';
import { startProcess } from '../helpers/cli.js';

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

/**
 * The cgroup path shapes of each runtime, and the /proc scan
 * against a fake /proc built by the test. The scan against the real kernel
 * is in container-cgroup.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { UserError } from '../../lib/errors.js';
import { findContainerProcess, listContainers } from '../../lib/sources/container.js';

const A = '3f1a5b7c9d2e4f6a8b0c1d3e5f7a9b2c4d6e8f0a1b3c5d7e9f2a4b6c8d0e1f3a';
const B = '3f1a5b7c9d2e000000000000000000000000000000000000000000000000ffff';
const C = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
const POD = 'kubepods-burstable-pod7d9e1c2a_4b3f_4e5d_9a8b_0c1d2e3f4a5b';

interface FakeProcess {
  pid: number;
  ppid: number;
  /** Command name as the kernel shows it in stat field 2, between parentheses. */
  comm?: string;
  /** Whole `cgroup` file; omitted to play a process that exited between readdir and read. */
  cgroup?: string;
}

/** A fake /proc: one directory per pid with `cgroup` and `stat`, plus the non-pid entries a real one has. */
function fakeProc(t: TestContext, procs: FakeProcess[]): string {
  const root = mkdtempSync(join(tmpdir(), 'pa-proc-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const name of ['self', 'sys', 'net']) mkdirSync(join(root, name));
  writeFileSync(join(root, 'uptime'), '1.0 1.0\n');
  for (const p of procs) {
    const dir = join(root, String(p.pid));
    mkdirSync(dir);
    if (p.cgroup !== undefined) writeFileSync(join(dir, 'cgroup'), p.cgroup);
    writeFileSync(join(dir, 'stat'), `${p.pid} (${p.comm ?? 'sleep'}) S ${p.ppid} ${p.pid} ${p.pid} 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 12345\n`);
  }
  return root;
}

const v2 = (path: string): string => `0::${path}\n`;
/** A hybrid host: v1 controllers in the container's cgroup, the unified hierarchy left at the root (docker with cgroupfs did this). */
const hybrid = (path: string): string => `12:pids:${path}\n11:memory:${path}\n1:name=systemd:${path}\n0::/\n`;

describe('the cgroup lines each runtime writes, as found by findContainerProcess', () => {
  // [runtime and driver, one line of /proc/<pid>/cgroup, the container it puts the process in]
  const shapes: [string, string, string | null][] = [
    ['docker, systemd driver, cgroup v2', `0::/system.slice/docker-${A}.scope`, A],
    ['docker, systemd driver, cgroup v1', `4:pids:/system.slice/docker-${A}.scope`, A],
    ['docker, cgroupfs driver, cgroup v1', `12:pids:/docker/${A}`, A],
    ['docker, cgroupfs driver, cgroup v2', `0::/docker/${A}`, A],
    ['docker, v1 named systemd hierarchy', `1:name=systemd:/docker/${A}`, A],
    ['docker, v1 co-mounted controllers', `3:cpu,cpuacct:/docker/${A}`, A],
    ['rootless docker, cgroupfs driver', `0::/user.slice/user-1000.slice/user@1000.service/docker.service/docker/${A}`, A],
    ['containerd CRI, systemd driver', `0::/kubepods.slice/kubepods-burstable.slice/${POD}.slice/cri-containerd-${A}.scope`, A],
    ['containerd CRI, cgroupfs driver', `11:memory:/kubepods/besteffort/pod7d9e1c2a-4b3f-4e5d-9a8b-0c1d2e3f4a5b/${A}`, A],
    ['containerd CRI, cgroupfs driver, guaranteed pod', `0::/kubepods/pod7d9e1c2a-4b3f-4e5d-9a8b-0c1d2e3f4a5b/${A}`, A],
    ['dockershim, systemd driver', `7:pids:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod7d9e1c2a_4b3f.slice/docker-${A}.scope`, A],
    ['containerd without Kubernetes (ctr, nerdctl), cgroupfs', `0::/default/${A}`, A],
    ['nerdctl, systemd driver', `0::/system.slice/nerdctl-${A}.scope`, A],
    ['CRI-O, systemd driver', `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod7d9e1c2a_4b3f.slice/crio-${A}.scope`, A],
    ['CRI-O, cgroupfs driver', `0::/kubepods/burstable/pod7d9e1c2a-4b3f-4e5d-9a8b-0c1d2e3f4a5b/crio-${A}`, A],
    ['CRI-O conmon (host network namespace): not the container', `0::/kubepods.slice/kubepods-besteffort.slice/${POD}.slice/crio-conmon-${A}.scope`, null],
    ['podman, systemd driver', `0::/machine.slice/libpod-${A}.scope`, A],
    ['podman, systemd driver, v2 sub-cgroup', `0::/machine.slice/libpod-${A}.scope/container`, A],
    ['podman rootless', `0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${A}.scope`, A],
    ['podman, cgroupfs driver', `0::/libpod_parent/libpod-${A}`, A],
    ['podman conmon (host network namespace): not the container', `0::/machine.slice/libpod-conmon-${A}.scope`, null],
    ['docker in a Kubernetes pod (v1 cgroupfs): the inner container', `12:pids:/kubepods/burstable/pod7d9e1c2a-4b3f/${A}/docker/${C}`, C],
    ['docker in a docker container (systemd driver outside): the inner container', `0::/system.slice/docker-${A}.scope/docker/${C}`, C],
    ['the host', '0::/', null],
    ['a systemd service', '0::/system.slice/sshd.service', null],
    ['an unknown runtime prefix', `0::/system.slice/foo-${A}.scope`, null],
    ['an id that is only part of a component', `0::/docker/x${A}`, null],
    ['63 hex digits', `0::/docker/${A.slice(0, 63)}`, null],
    ['upper-case hex (no runtime writes it)', `0::/docker/${A.toUpperCase()}`, null],
  ];
  for (const [what, line, id] of shapes) {
    it(`${what}: ${line}`, (t) => {
      const proc = fakeProc(t, [{ pid: 100, ppid: 1, cgroup: `${line}\n` }]);
      for (const other of [A, C]) if (other !== id) assert.equal(findContainerProcess(other.slice(0, 12), proc), null, other);
      if (id !== null) assert.deepEqual(findContainerProcess(id.slice(0, 12), proc), { pid: 100, id });
    });
  }
});

describe('findContainerProcess over a fake /proc', () => {
  it('returns the process whose parent is outside the container, for the full id and a prefix', (t) => {
    const proc = fakeProc(t, [
      { pid: 1, ppid: 0, comm: 'systemd', cgroup: v2('/init.scope') },
      { pid: 50, ppid: 1, comm: 'containerd-shim', cgroup: v2('/system.slice/containerd.service') },
      { pid: 100, ppid: 50, cgroup: v2(`/system.slice/docker-${A}.scope`) },
      { pid: 101, ppid: 100, cgroup: v2(`/system.slice/docker-${A}.scope`) },
      { pid: 102, ppid: 101, cgroup: v2(`/system.slice/docker-${A}.scope`) },
    ]);
    assert.deepEqual(findContainerProcess(A, proc), { pid: 100, id: A });
    assert.deepEqual(findContainerProcess(A.slice(0, 12), proc), { pid: 100, id: A });
  });

  it('prefers the parent over a lower pid (pids wrap around)', (t) => {
    const proc = fakeProc(t, [
      { pid: 30000, ppid: 50, cgroup: v2(`/docker/${A}`) },
      { pid: 7, ppid: 30000, cgroup: v2(`/docker/${A}`) },
    ]);
    assert.deepEqual(findContainerProcess(A, proc), { pid: 30000, id: A });
  });

  it('takes the lowest pid when several have parents outside (docker exec)', (t) => {
    const proc = fakeProc(t, [
      { pid: 900, ppid: 50, comm: 'sh', cgroup: v2(`/docker/${A}`) },
      { pid: 100, ppid: 50, cgroup: v2(`/docker/${A}`) },
      { pid: 950, ppid: 900, cgroup: v2(`/docker/${A}`) },
    ]);
    assert.deepEqual(findContainerProcess(A, proc), { pid: 100, id: A });
  });

  it('reads the parent after the last ")" of a command name holding spaces and parentheses', (t) => {
    // Read from the first ")", pid 99's parent would be 1, outside, and 99 would win as the lower pid.
    const proc = fakeProc(t, [
      { pid: 100, ppid: 50, cgroup: v2(`/docker/${A}`) },
      { pid: 99, ppid: 100, comm: 'x) S 1 (y', cgroup: v2(`/docker/${A}`) },
    ]);
    assert.deepEqual(findContainerProcess(A, proc), { pid: 100, id: A });
  });

  it('finds a container named by v1 lines only, on a hybrid host', (t) => {
    const proc = fakeProc(t, [
      { pid: 10, ppid: 1, cgroup: hybrid('/') },
      { pid: 200, ppid: 10, cgroup: hybrid(`/kubepods/besteffort/pod7d9e1c2a-4b3f/${A}`) },
    ]);
    assert.deepEqual(findContainerProcess(A.slice(0, 16), proc), { pid: 200, id: A });
  });

  it('returns null when no process of the container runs, or only its conmon', (t) => {
    const proc = fakeProc(t, [
      { pid: 1, ppid: 0, cgroup: v2('/init.scope') },
      { pid: 60, ppid: 1, comm: 'conmon', cgroup: v2(`/machine.slice/libpod-conmon-${A}.scope`) },
      { pid: 300, ppid: 60, cgroup: v2(`/machine.slice/libpod-${C}.scope`) },
    ]);
    assert.equal(findContainerProcess(A, proc), null);
    assert.deepEqual(findContainerProcess(C, proc), { pid: 300, id: C });
  });

  it('does not match a prefix in the middle of another id', (t) => {
    // A.slice(0, 12) occurs in this id, but from its third digit on.
    const other = `00${A.slice(0, 62)}`;
    const proc = fakeProc(t, [{ pid: 100, ppid: 50, cgroup: v2(`/docker/${other}`) }]);
    assert.equal(findContainerProcess(A.slice(0, 12), proc), null);
    assert.deepEqual(findContainerProcess(other.slice(0, 12), proc), { pid: 100, id: other });
  });

  it('refuses a prefix that matches two containers, naming both', (t) => {
    const proc = fakeProc(t, [
      { pid: 100, ppid: 50, cgroup: v2(`/docker/${A}`) },
      { pid: 200, ppid: 50, cgroup: v2(`/system.slice/crio-${B}.scope`) },
    ]);
    const common = A.slice(0, 12);
    assert.equal(B.slice(0, 12), common);
    assert.throws(
      () => findContainerProcess(common, proc),
      (e: unknown) => e instanceof UserError && /^-c\/--container: .*more than one container/.test(e.message) && e.message.includes(A) && e.message.includes(B),
    );
    assert.deepEqual(findContainerProcess(A.slice(0, 13), proc), { pid: 100, id: A });
    assert.deepEqual(findContainerProcess(B.slice(0, 13), proc), { pid: 200, id: B });
  });

  it('tells nested containers apart: the outer one is not its inner one', (t) => {
    const outer = `/kubepods/burstable/pod7d9e1c2a-4b3f/${A}`;
    const proc = fakeProc(t, [
      { pid: 100, ppid: 50, comm: 'dockerd', cgroup: hybrid(outer) },
      { pid: 400, ppid: 120, cgroup: hybrid(`${outer}/docker/${C}`) },
    ]);
    assert.deepEqual(findContainerProcess(A, proc), { pid: 100, id: A });
    assert.deepEqual(findContainerProcess(C, proc), { pid: 400, id: C });
  });

  it('ignores processes that exit during the scan', (t) => {
    const proc = fakeProc(t, [
      { pid: 5, ppid: 1 },
      { pid: 100, ppid: 50, cgroup: v2(`/docker/${A}`) },
    ]);
    rmSync(join(proc, '100', 'stat'));
    assert.equal(findContainerProcess(A, proc), null);
  });

  it('refuses an id the parser would refuse', (t) => {
    const proc = fakeProc(t, []);
    for (const id of ['', 'abc', 'webserver-01']) assert.throws(() => findContainerProcess(id, proc), UserError);
  });
});

describe('listContainers (-D): every running container from one scan', () => {
  it('lists each container once with its init process, sorted by id; conmon, host processes and exited ones are not containers', (t) => {
    const proc = fakeProc(t, [
      { pid: 1, ppid: 0, cgroup: v2('/init.scope') },
      { pid: 300, ppid: 1, cgroup: v2(`/system.slice/docker-${C}.scope`) },
      { pid: 301, ppid: 300, cgroup: v2(`/system.slice/docker-${C}.scope`) },
      { pid: 200, ppid: 1, cgroup: hybrid(`/docker/${A}`) },
      // docker exec: parent outside, but a higher pid than the init process.
      { pid: 250, ppid: 1, cgroup: hybrid(`/docker/${A}`) },
      { pid: 400, ppid: 1, cgroup: v2(`/machine.slice/libpod-conmon-${B}.scope`) },
      { pid: 500, ppid: 1 },
    ]);
    assert.deepEqual(listContainers(proc), [
      { id: A, pid: 200 },
      { id: C, pid: 300 },
    ]);
  });

  it('two containers sharing a 12-digit prefix are two entries (no ambiguity to refuse when listing)', (t) => {
    const proc = fakeProc(t, [
      { pid: 100, ppid: 1, cgroup: v2(`/docker/${A}`) },
      { pid: 110, ppid: 1, cgroup: v2(`/docker/${B}`) },
    ]);
    assert.deepEqual(listContainers(proc).map((c) => c.id), [B, A]);
  });

  it('an empty /proc lists nothing', (t) => {
    assert.deepEqual(listContainers(fakeProc(t, [])), []);
  });
});

/**
 * `-c, --container ID`: which process holds the network namespace of the
 * container the user means (the id is parsed in lib/container-ref.ts).
 * The reference ran `docker inspect`, `crictl inspect` and a `ps | grep`
 * script through a shell with the unsanitised id (spec §7.1); here the id
 * is checked first and the kernel's own record,
 * `/proc/<pid>/cgroup`, is read directly: no runtime API, no program spawned,
 * the same answer for docker, containerd, CRI-O and podman.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { checkContainerId, CONTAINER_FLAG } from '../container-ref.js';
import { UserError } from '../errors.js';

export interface ContainerProcess {
  pid: number;
  /** full 64-hex id as found in the cgroup path */
  id: string;
}

/**
 * One cgroup path component that is a container's own cgroup, capturing the
 * id. Shapes (one real line each in test/sources/container.test.ts):
 * - `<id>`: cgroupfs driver — docker `/docker/<id>`, containerd CRI
 *   `/kubepods/<qos>/pod<uid>/<id>`, containerd namespaces `/default/<id>`;
 * - `docker-<id>.scope`, `cri-containerd-<id>.scope`, `crio-<id>.scope`,
 *   `libpod-<id>.scope`, `nerdctl-<id>.scope`: systemd driver;
 * - `crio-<id>`, `libpod-<id>`: CRI-O and podman with cgroupfs.
 * A whole component must match, so `crio-conmon-<id>.scope` and
 * `libpod-conmon-<id>.scope` (the monitor, which runs in the host's network
 * namespace) are not the container, and a pod uid never is.
 */
const ID_COMPONENT = /^(?:(?:docker|cri-containerd|crio|libpod|nerdctl)-)?([0-9a-f]{64})(?:\.scope)?$/;

/**
 * The container a cgroup path belongs to: the last (innermost) component
 * that is a container's cgroup, so a container nested in another one (docker
 * in a Kubernetes pod: `/kubepods/…/<outer>/docker/<inner>`) is the inner
 * one. Sub-cgroups below the container's (podman's `…/libpod-<id>.scope/container`)
 * still belong to it. Null for a path outside any container.
 */
function cgroupContainerId(path: string): string | null {
  const parts = path.split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    const m = ID_COMPONENT.exec(parts[i]!);
    if (m) return m[1]!;
  }
  return null;
}

/** A process that exited between readdir and read: not an error, it is simply no longer there. */
function vanished(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/** The parent pid from `/proc/<pid>/stat`, or null once the process is gone. */
function parentPid(procRoot: string, pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`${procRoot}/${pid}/stat`, 'latin1');
  } catch (e) {
    if (vanished(e)) return null;
    throw e;
  }
  // Field 2, the command name, is in parentheses and may itself hold spaces and `)`; the kernel writes no `)` after it.
  const [, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(ppid);
}

/**
 * Reads every `/proc/<pid>/cgroup` once and returns the processes of each
 * container whose full id starts with `prefix` ('' for all of them). Each
 * line is `hierarchy:controllers:path`; a process belongs to the container
 * named by any of its lines (cgroup v1, v2 and hybrid hosts list one or many).
 */
function scanContainers(procRoot: string, prefix: string): Map<string, number[]> {
  const members = new Map<string, number[]>();
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(`${procRoot}/${name}/cgroup`, 'latin1');
    } catch (e) {
      if (vanished(e)) continue;
      throw e;
    }
    // Most processes on a busy host are in no container or another one: skip them without splitting lines.
    if (!text.includes(prefix)) continue;
    const ids = new Set<string>();
    for (const line of text.split('\n')) {
      const path = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
      const found = cgroupContainerId(path);
      if (found !== null && found.startsWith(prefix)) ids.add(found);
    }
    for (const full of ids) {
      const pids = members.get(full) ?? [];
      pids.push(Number(name));
      members.set(full, pids);
    }
  }
  return members;
}

/**
 * The init process among a container's processes: the one whose parent is
 * outside the container (`docker exec` processes are too, hence the lowest
 * pid); all of them share its network namespace. Null when every one of
 * them has exited meanwhile.
 */
function initProcess(procRoot: string, pids: number[]): number | null {
  const inside = new Set(pids);
  let init: number | null = null;
  for (const pid of pids) {
    const ppid = parentPid(procRoot, pid);
    if (ppid !== null && !inside.has(ppid) && (init === null || pid < init)) init = pid;
  }
  return init;
}

/**
 * Finds the container's init process (scanContainers, initProcess). Returns
 * null when no process of that container runs; throws UserError when a
 * prefix matches two containers.
 */
export function findContainerProcess(id: string, procRoot = '/proc'): ContainerProcess | null {
  const members = scanContainers(procRoot, checkContainerId(id, id));
  if (members.size > 1) {
    throw new UserError(`${CONTAINER_FLAG}: ${JSON.stringify(id)} matches more than one container (${[...members.keys()].join(', ')}); give more of the id`);
  }
  const [entry] = members;
  if (entry === undefined) return null;
  const [full, pids] = entry;
  const init = initProcess(procRoot, pids);
  return init === null ? null : { pid: init, id: full };
}

/** Every running container, by id, with its init process (`-D`): one scan of /proc, as findContainerProcess. */
export function listContainers(procRoot = '/proc'): ContainerProcess[] {
  const found: ContainerProcess[] = [];
  for (const [id, pids] of scanContainers(procRoot, '')) {
    const pid = initProcess(procRoot, pids);
    if (pid !== null) found.push({ pid, id });
  }
  return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

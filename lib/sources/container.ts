/**
 * `-c, --container ID`: which container the user means, and which process
 * holds its network namespace. The reference ran `docker inspect`, `crictl
 * inspect` and a `ps | grep` script through a shell with the unsanitised id
 * (spec §7.1); here the id is checked first and the kernel's own record,
 * `/proc/<pid>/cgroup`, is read directly: no runtime API, no program spawned,
 * the same answer for docker, containerd, CRI-O and podman.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { checkInterfaceName } from '../interface-name.js';
import { UserError } from '../errors.js';

const FLAG = '-c/--container';

/** A parsed `-c` value. */
export interface ContainerRef {
  id: string;
  /** interfaces named by the CPM form ID_if1_if2; [] when none */
  ifaces: string[];
}

export interface ContainerProcess {
  pid: number;
  /** full 64-hex id as found in the cgroup path */
  id: string;
}

/** What the CPM manager and Kubernetes (pod status `containerID`) put in front of an id. */
const SCHEMES = new Set(['docker', 'containerd', 'cri-o']);

/** Everything an id, a scheme and the CPM interface suffix are made of; anything else is refused before it is looked at. */
const ALLOWED = /^[A-Za-z0-9_.:/-]*$/;

/** docker, podman, containerd and CRI-O all use 64 hex digits; 12 is what `docker ps` and `crictl ps` show. */
const MIN_ID = 12;
const MAX_ID = 64;
const HEX_ID = /^[0-9a-f]+$/;

/**
 * Checks a container id (full or prefix) and returns it in lower case, the
 * way cgroup paths spell it. Names (`docker run --name web`, podman names)
 * are refused rather than resolved: a name appears nowhere under /proc, only
 * the runtime knows it, and asking the runtime is what this module avoids.
 * The message says how to get the id instead.
 */
function checkId(text: string, id: string): string {
  if (id === '') throw new UserError(`${FLAG}: ${JSON.stringify(text)} has an empty container id`);
  const lower = id.toLowerCase();
  if (!HEX_ID.test(lower)) {
    throw new UserError(
      `${FLAG}: ${JSON.stringify(id)} is not a container id (hex digits; names are not resolved: use \`docker inspect -f '{{.Id}}' NAME\`, \`crictl ps\` or \`podman inspect -f '{{.Id}}' NAME\`)`,
    );
  }
  if (lower.length < MIN_ID || lower.length > MAX_ID) {
    throw new UserError(`${FLAG}: container id ${JSON.stringify(id)} has ${lower.length} hex digits; give ${MIN_ID} to ${MAX_ID}`);
  }
  return lower;
}

/**
 * Pure. Accepts a full id or a prefix of at least 12 hex digits, optionally
 * behind `docker://`, `containerd://` or `cri-o://`, optionally followed by
 * the CPM manager's `_if1_if2` (spec §10.5: one channel per interface).
 */
export function parseContainerRef(text: string): ContainerRef {
  if (!ALLOWED.test(text)) throw new UserError(`${FLAG}: ${JSON.stringify(text)} may only contain letters, digits and _ . : / -`);
  let rest = text;
  const sep = text.indexOf('://');
  if (sep >= 0) {
    const scheme = text.slice(0, sep);
    if (!SCHEMES.has(scheme)) throw new UserError(`${FLAG}: ${JSON.stringify(text)}: unknown scheme ${JSON.stringify(scheme)} (docker://, containerd:// or cri-o://)`);
    rest = text.slice(sep + 3);
  }
  // `_` cannot occur in a hex id, so the first `_` ends it; CPM interface names therefore cannot contain `_` either.
  const [id, ...ifaces] = rest.split('_');
  const ref: ContainerRef = { id: checkId(text, id!), ifaces: ifaces.map((name) => checkInterfaceName(FLAG, name)) };
  const dup = ref.ifaces.find((name, i) => ref.ifaces.indexOf(name) !== i);
  if (dup !== undefined) throw new UserError(`${FLAG}: ${JSON.stringify(text)} names interface ${JSON.stringify(dup)} twice`);
  return ref;
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
  const members = scanContainers(procRoot, checkId(id, id));
  if (members.size > 1) {
    throw new UserError(`${FLAG}: ${JSON.stringify(id)} matches more than one container (${[...members.keys()].join(', ')}); give more of the id`);
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

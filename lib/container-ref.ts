/**
 * What a container target says, before anything is looked up: pktminerg's
 * `-c` value (an id, optionally behind a runtime's scheme) and the CPM
 * manager's `ID_if1_if2` form, which names interfaces inside it (spec
 * §10.5: one channel per interface). Pure; pktminerg's options check it,
 * probedaemon splits the manager's containerIds with it, and the /proc
 * lookup (lib/sources/container.ts) takes the checked id.
 */
import { checkInterfaceName } from './interface-name.js';
import { UserError } from './errors.js';

export const CONTAINER_FLAG = '-c/--container';

/** A parsed `-c` value. */
export interface ContainerRef {
  id: string;
  /** interfaces named by the CPM form ID_if1_if2; [] when none */
  ifaces: string[];
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
 * The message says how to get the id instead; `text` is what the user gave.
 */
export function checkContainerId(text: string, id: string): string {
  if (id === '') throw new UserError(`${CONTAINER_FLAG}: ${JSON.stringify(text)} has an empty container id`);
  const lower = id.toLowerCase();
  if (!HEX_ID.test(lower)) {
    throw new UserError(
      `${CONTAINER_FLAG}: ${JSON.stringify(id)} is not a container id (hex digits; names are not resolved: use \`docker inspect -f '{{.Id}}' NAME\`, \`crictl ps\` or \`podman inspect -f '{{.Id}}' NAME\`)`,
    );
  }
  if (lower.length < MIN_ID || lower.length > MAX_ID) {
    throw new UserError(`${CONTAINER_FLAG}: container id ${JSON.stringify(id)} has ${lower.length} hex digits; give ${MIN_ID} to ${MAX_ID}`);
  }
  return lower;
}

/**
 * The CPM form `ID_if1_if2` taken apart, as written (no check, nothing
 * refused): `_` cannot occur in a hex id, so the first `_` ends it; the
 * interface names therefore cannot contain `_` either. No `_`: no
 * interfaces named.
 */
export function splitCpmContainer(text: string): { container: string; ifaces: string[] } {
  const [container, ...ifaces] = text.split('_');
  return { container: container!, ifaces };
}

/**
 * Pure. Accepts a full id or a prefix of at least 12 hex digits, optionally
 * behind `docker://`, `containerd://` or `cri-o://`, optionally followed by
 * the CPM manager's `_if1_if2`.
 */
export function parseContainerRef(text: string): ContainerRef {
  if (!ALLOWED.test(text)) throw new UserError(`${CONTAINER_FLAG}: ${JSON.stringify(text)} may only contain letters, digits and _ . : / -`);
  let rest = text;
  const sep = text.indexOf('://');
  if (sep >= 0) {
    const scheme = text.slice(0, sep);
    if (!SCHEMES.has(scheme)) throw new UserError(`${CONTAINER_FLAG}: ${JSON.stringify(text)}: unknown scheme ${JSON.stringify(scheme)} (docker://, containerd:// or cri-o://)`);
    rest = text.slice(sep + 3);
  }
  const { container, ifaces } = splitCpmContainer(rest);
  const ref: ContainerRef = { id: checkContainerId(text, container), ifaces: ifaces.map((name) => checkInterfaceName(CONTAINER_FLAG, name)) };
  const dup = ref.ifaces.find((name, i) => ref.ifaces.indexOf(name) !== i);
  if (dup !== undefined) throw new UserError(`${CONTAINER_FLAG}: ${JSON.stringify(text)} names interface ${JSON.stringify(dup)} twice`);
  return ref;
}

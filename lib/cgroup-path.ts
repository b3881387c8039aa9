/** Where this process's cgroups are: the v2 hierarchy's mount point and the process's path in a hierarchy (/proc/self/cgroup). */
import { existsSync, statfsSync } from 'node:fs';

/** A pure v2 host mounts the hierarchy at /sys/fs/cgroup, a hybrid one at /sys/fs/cgroup/unified. */
export const V2_ROOTS = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'];

/** statfs f_type of cgroup2 (linux/magic.h). */
export const CGROUP2_SUPER_MAGIC = 0x63677270;

/** The mount point of the v2 hierarchy, or null on a v1-only host. */
export function v2Mount(): string | null {
  return V2_ROOTS.find((p) => existsSync(p) && statfsSync(p).type === CGROUP2_SUPER_MAGIC) ?? null;
}

/**
 * The process's path in the v2 hierarchy (`0::<path>`, controller null) or in the v1 hierarchy of
 * `controller` (`<id>:cpu,cpuacct:<path>`), from the text of /proc/self/cgroup; throws one line
 * when it names no such hierarchy.
 */
export function ownPath(selfCgroup: string, controller: string | null): string {
  for (const line of selfCgroup.split('\n')) {
    const m = /^\d+:([^:]*):(\/.*)$/.exec(line);
    if (m === null) continue;
    const matches = controller === null ? m[1] === '' : m[1]!.split(',').includes(controller);
    if (matches) return m[2]!;
  }
  throw new Error(`/proc/self/cgroup names no ${controller === null ? 'cgroup v2' : `${controller} v1`} hierarchy`);
}

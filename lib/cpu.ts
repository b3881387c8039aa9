/**
 * `--cpu N`: the whole process on one CPU (spec §1.2). Pinning is per
 * process, not per group: every group's capture, stages and sinks share the
 * process's threads.
 */
import type { ChannelOptions } from './config.js';
import { UserError } from './errors.js';
import { loadAddon } from './native/addon.js';

/**
 * The CPU the groups ask for, or null. Groups may repeat the same --cpu; different values are
 * refused: the reference pinned once per group, so the last group silently won over the others.
 */
export function processCpu(groups: readonly ChannelOptions[]): number | null {
  let first: ChannelOptions | null = null;
  for (const g of groups) {
    if (g.cpu === null) continue;
    if (first === null) first = g;
    else if (g.cpu !== first.cpu) {
      throw new UserError(`groups ${first.index} and ${g.index} ask for different CPUs (--cpu ${first.cpu} and --cpu ${g.cpu}): all groups run in one process, pinned to one CPU`);
    }
  }
  return first?.cpu ?? null;
}

/** Pins every thread of the process, and the threads it starts later, to `cpu`; a UserError if it cannot. */
export function pinProcess(cpu: number): void {
  try {
    loadAddon().setAffinity(cpu);
  } catch (e) {
    const { code, message } = e as Error & { code?: unknown };
    if (code === 'RANGE') throw new UserError(`--cpu ${cpu}: no such CPU on this machine (${message})`);
    if (code === 'AFFINITY') throw new UserError(`--cpu ${cpu}: ${message}`);
    throw e;
  }
}

/**
 * When a root process may write below a directory: when nobody but its own
 * user or root can add, rename or replace entries there. Otherwise another
 * local user could plant a link where the agent is about to create a file
 * (README "Dump files and safety").
 */
import { lchownSync, type Stats } from 'node:fs';

const S_ISVTX = 0o1000;

/** -Z: the user the agent becomes once start-up has opened everything; null: it stays who it is. */
let runAs: { uid: number; gid: number } | null = null;

export function setAgentUser(user: { uid: number; gid: number } | null): void {
  runAs = user;
}

/** The agent's user: what it creates belongs to it, and only what belongs to it is trusted. */
export const euid = (): number => runAs?.uid ?? process.geteuid?.() ?? 0;

/** A directory or file the agent just created, given to the -Z user while still root (it writes there later). */
export function giveToAgentUser(path: string): void {
  if (runAs !== null && process.geteuid?.() === 0) lchownSync(path, runAs.uid, runAs.gid);
}

/**
 * Why `st` (a directory, links followed) is not trusted, or null. `sticky`:
 * a sticky world-writable directory such as /tmp is trusted for files that
 * are created with O_EXCL|O_NOFOLLOW in directories of our own below it.
 */
export function untrustedDirectory(st: Stats, sticky: 'sticky allowed' | 'no other writers'): string | null {
  if (!st.isDirectory()) return 'not a directory';
  if (st.uid !== euid() && st.uid !== 0) return `owned by uid ${st.uid}, not by the agent's user or root`;
  const othersWrite = (st.mode & 0o022) !== 0;
  if (!othersWrite) return null;
  // Sticky: others may add entries but cannot rename or remove ours.
  if (sticky === 'sticky allowed' && st.mode & S_ISVTX) return null;
  return sticky === 'sticky allowed' ? 'others can write to it (make it sticky, like /tmp, or writable by its owner only)' : 'others can write to it';
}

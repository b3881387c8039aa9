/**
 * When a root process may write below a directory: when nobody but its own
 * user or root can add, rename or replace entries there. Otherwise another
 * local user could plant a link where the agent is about to create a file
 * (README "Dump files and safety").
 */
import { closeSync, constants, fstatSync, lchownSync, openSync, readSync, type Stats } from 'node:fs';
import { describeErrno, UserError } from './errors.js';

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

/**
 * A configuration file (or a certificate) decides what a root process captures, where it writes and whom it trusts,
 * so, like a dump directory, it must belong to root or the agent's user and be writable by nobody
 * else. Opened without following a link (nor blocking on a FIFO) and checked on the open
 * descriptor, so it cannot be swapped between check and read. `name` starts each error line.
 */
export function readTrustedFile(file: string, name: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    throw new UserError(`${name}: ${(e as NodeJS.ErrnoException).code === 'ELOOP' ? 'refused: it is a symbolic link' : describeErrno(e)}`);
  }
  try {
    const why = untrustedFile(fstatSync(fd));
    if (why !== null) throw new UserError(`${name}: refused: ${why}`);
    return readAtMost(fd, name, maxBytes);
  } finally {
    closeSync(fd);
  }
}

function untrustedFile(st: Stats): string | null {
  if (!st.isFile()) return 'not a regular file';
  if (st.uid !== euid() && st.uid !== 0) return `owned by uid ${st.uid}, not by the agent's user or root`;
  if ((st.mode & 0o022) !== 0) return 'group or others can write to it';
  return null;
}

/** Reads `fd` to its end, refusing more than `maxBytes` before holding more than that. */
export function readAtMost(fd: number, name: string, maxBytes: number): Buffer {
  const buf = Buffer.alloc(maxBytes + 1);
  let length = 0;
  let n: number;
  try {
    do {
      n = readSync(fd, buf, length, buf.length - length, null);
      length += n;
    } while (n > 0 && length < buf.length);
  } catch (e) {
    throw new UserError(`${name}: cannot read: ${describeErrno(e)}`);
  }
  if (length > maxBytes) throw new UserError(`${name}: larger than ${maxBytes % 1048576 === 0 ? `${maxBytes / 1048576} MiB` : `${maxBytes / 1024} KiB`}`);
  return buf.subarray(0, length);
}

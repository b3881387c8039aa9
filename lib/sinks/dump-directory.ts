/**
 * The file-system rules of dump files (README "Dump files and safety"). The
 * agent runs as root, often under world-writable directories such as /tmp,
 * so nothing here follows a link it did not create or trusts a file it did
 * not write:
 * - `--dump DIR` may be reached through links (the user chose the path), but
 *   must be a directory owned by the agent's user or root that others cannot
 *   rename things in (writable by its owner only, or sticky like /tmp);
 * - the `<source>` directory below it, and the directories of the name
 *   template (`<YYYYMMDDHH>` by default), are created by the agent; existing
 *   ones must be real directories (not links) of its user;
 * - files are created with O_CREAT|O_EXCL|O_NOFOLLOW: never an existing file,
 *   never through a link;
 * - retention lists the directory and removes only regular files of the
 *   agent's user whose names the template generates (no history file to trust).
 * Directories are created one level at a time: Node's recursive mkdir spins
 * on procfs (`--dump /proc/x`).
 */
import { constants, lstatSync, mkdirSync, readdirSync, rmdirSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { describeErrno } from '../errors.js';
import { euid, giveToAgentUser, untrustedDirectory } from '../trusted-path.js';
import { DumpNames } from './dump-name.js';

/** Mode of the directories we create: readable by analysts, writable by the agent only. */
const DIR_MODE = 0o755;
const FILE_MODE = 0o644;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** A dump directory cannot be used; `message` names the path and the reason. */
export class DumpDirError extends Error {
  override name = 'DumpDirError';
}

/**
 * Makes `--dump DIR` exist and checks that it is safe to write below it;
 * returns its absolute path. Missing levels are created one at a time, and
 * added to `created` (outermost first) so that a channel that writes nothing
 * can take them away again.
 */
export function prepareDumpRoot(dir: string, created: string[]): string {
  const abs = resolve(dir);
  let st: Stats;
  try {
    st = statSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new DumpDirError(`cannot use ${abs}: ${describeErrno(e)}`);
    createLevels(abs, created);
    st = statSync(abs);
  }
  if (!st.isDirectory()) throw new DumpDirError(`cannot use ${abs}: not a directory`);
  const why = untrustedDirectory(st, 'sticky allowed');
  if (why) throw new DumpDirError(`refusing ${abs}: ${why}`);
  return abs;
}

function createLevels(abs: string, created: string[]): void {
  const parent = dirname(abs);
  if (parent !== abs) {
    let exists = true;
    try {
      statSync(parent);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new DumpDirError(`cannot create ${abs}: ${describeErrno(e)}`);
      exists = false;
    }
    if (!exists) createLevels(parent, created);
  }
  try {
    mkdirSync(abs, { mode: DIR_MODE });
    created.push(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new DumpDirError(`cannot create ${abs}: ${describeErrno(e)}`);
  }
}

/**
 * Makes the agent's own directory `path` (one level below a checked one):
 * created if missing (and then added to `created`), else it must be a real
 * directory of the agent's user.
 */
export function ownDirectory(path: string, created?: string[]): void {
  try {
    mkdirSync(path, { mode: DIR_MODE });
    giveToAgentUser(path);
    created?.push(path);
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new DumpDirError(`cannot create ${path}: ${describeErrno(e)}`);
  }
  const st = lstatSync(path);
  if (st.isSymbolicLink()) throw new DumpDirError(`refusing ${path}: it is a symbolic link`);
  if (!st.isDirectory()) throw new DumpDirError(`cannot use ${path}: not a directory`);
  if (st.uid !== euid()) throw new DumpDirError(`refusing ${path}: owned by uid ${st.uid}, not by the agent's user`);
}

/** Makes the directories of `name` (relative to the checked `sourceDir`), each one our own (ownDirectory). */
export function ownDirectories(sourceDir: string, name: string): void {
  const dir = dirname(name);
  if (dir === '.') return;
  let path = sourceDir;
  for (const component of dir.split('/')) {
    path = join(path, component);
    ownDirectory(path);
  }
}

/** Creates `path` for writing; EEXIST when it exists (also as a link), never follows a link. */
export async function createExclusive(path: string): Promise<FileHandle> {
  const file = await open(path, CREATE_FLAGS, FILE_MODE);
  giveToAgentUser(path);
  return file;
}

/**
 * The first k for a new file named like `base` (a `names.name(sec, 0)`): one
 * past every existing `base`/`base.k`, so that k order stays the order files
 * were written in across restarts, even after retention removed lower ones.
 */
export function nextSuffix(sourceDir: string, base: string): number {
  const file = basename(base);
  let next = 0;
  for (const entry of safeReaddir(join(sourceDir, dirname(base)))) {
    const k = DumpNames.suffixOf(file, entry);
    if (k !== null && k >= next) next = k + 1;
  }
  return next;
}

/** One of our dump files, as retention sees it. */
export interface DumpFileEntry {
  /** Relative to the source directory. */
  name: string;
  size: number;
}

/**
 * Our dump files in a source directory, oldest first: only regular files of
 * the agent's user whose names the template generates, reached through
 * directories of that user (not links) that the template's directory
 * components match.
 */
export function listDumpFiles(sourceDir: string, names: DumpNames): DumpFileEntry[] {
  const me = euid();
  const patterns = names.componentPatterns;
  const found: { name: string; size: number; key: number[] }[] = [];
  const walk = (dir: string, depth: number): void => {
    const last = depth === patterns.length - 1;
    for (const entry of safeReaddir(join(sourceDir, dir))) {
      if (!patterns[depth]!.test(entry)) continue;
      const name = join(dir, entry);
      const st = lstatSync(join(sourceDir, name), { throwIfNoEntry: false });
      if (!st || st.uid !== me) continue;
      if (!last) {
        if (st.isDirectory()) walk(name, depth + 1);
        continue;
      }
      const key = st.isFile() ? names.sortKey(name) : null;
      if (key) found.push({ name, size: st.size, key });
    }
  };
  walk('', 0);
  found.sort((a, b) => compareKeys(a.key, b.key));
  return found.map(({ name, size }) => ({ name, size }));
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Which files to remove so that at most `maxFiles` remain (counting `current`,
 * the one being written) and the others hold at most `maxBytes`; 0 = no limit.
 * Oldest first; `current` is never chosen.
 */
export function retentionVictims(files: DumpFileEntry[], current: string | null, maxFiles: number, maxBytes: number): string[] {
  const finished = files.filter((f) => f.name !== current);
  const keepCount = maxFiles > 0 ? Math.max(0, maxFiles - (current === null ? 0 : 1)) : Infinity;
  const victims: string[] = [];
  let bytes = 0;
  let kept = 0;
  // Newest first: keep while within both limits, then remove everything older.
  for (let i = finished.length - 1; i >= 0; i--) {
    const f = finished[i]!;
    if (victims.length === 0 && kept < keepCount && (maxBytes === 0 || bytes + f.size <= maxBytes)) {
      kept++;
      bytes += f.size;
    } else {
      victims.push(f.name);
    }
  }
  return victims.reverse();
}

/** Removes a file of ours, and the directories of its name that are now empty. */
export function removeDumpFile(sourceDir: string, name: string): void {
  unlinkSync(join(sourceDir, name));
  for (let dir = dirname(name); dir !== '.'; dir = dirname(dir)) {
    try {
      rmdirSync(join(sourceDir, dir));
    } catch {
      // Not empty (the current hour, or files that are not ours): keep it and its parents.
      return;
    }
  }
}

/** Removes the directories in `created` (outermost first) that are empty, innermost first; never anything else. */
export function removeEmptyDirectories(created: string[]): void {
  for (let i = created.length - 1; i >= 0; i--) {
    try {
      rmdirSync(created[i]!);
    } catch {
      // Not empty (someone else's files, or ours): it stays, and so do its parents.
      return;
    }
  }
}

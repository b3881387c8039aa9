/**
 * The file-system rules of dump files (README "Dump files and safety"). The
 * agent runs as root, often under world-writable directories such as /tmp,
 * so nothing here follows a link it did not create or trusts a file it did
 * not write:
 * - `--dump DIR` may be reached through links (the user chose the path), but
 *   must be a directory owned by the agent's user or root that others cannot
 *   rename things in (writable by its owner only, or sticky like /tmp);
 * - the `<source>` and `<YYYYMMDDHH>` directories below it are created by the
 *   agent; existing ones must be real directories (not links) of its user;
 * - files are created with O_CREAT|O_EXCL|O_NOFOLLOW: never an existing file,
 *   never through a link;
 * - retention lists the directory and removes only regular files of the
 *   agent's user whose names follow our scheme (no history file to trust).
 * Directories are created one level at a time: Node's recursive mkdir spins
 * on procfs (`--dump /proc/x`).
 */
import { constants, lstatSync, mkdirSync, readdirSync, rmdirSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { describeErrno } from '../errors.js';
import { euid, untrustedDirectory } from '../trusted-path.js';

/** Local-time `YYYYMMDDHH` and `YYYYMMDDHHMMSS` of an epoch second (spec §6). */
export function periodStamps(sec: number): { hour: string; second: string } {
  const d = new Date(sec * 1000);
  const hour = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}${pad(d.getHours())}`;
  return { hour, second: `${hour}${pad(d.getMinutes())}${pad(d.getSeconds())}` };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * The file name, relative to the source directory, of a period's file; 0-interval
 * dumps have one fixed name. `k` > 0 names the k-th file of the same period (a
 * restart or a capture gap never appends to, or truncates, an existing file).
 */
export function dumpFileName(intervalSec: number, periodStart: number, k = 0): string {
  const suffix = k > 0 ? `.${k}.pcap` : '.pcap';
  if (intervalSec === 0) return `pktminerg_dump${suffix}`;
  const { hour, second } = periodStamps(periodStart);
  return join(hour, `pktminerg_dump_${second}${suffix}`);
}

const HOUR_DIR = /^\d{10}$/;
const PERIOD_FILE = /^pktminerg_dump_(\d{14})(?:\.(\d+))?\.pcap$/;

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

/** Creates `path` for writing; EEXIST when it exists (also as a link), never follows a link. */
export function createExclusive(path: string): Promise<FileHandle> {
  return open(path, CREATE_FLAGS, FILE_MODE);
}

/** One of our period files, as retention sees it. */
export interface DumpFileEntry {
  /** Relative to the source directory. */
  name: string;
  size: number;
}

/**
 * The period files in a source directory, oldest first: only regular files of
 * the agent's user, named by our scheme, in hour directories of that user.
 */
export function listPeriodFiles(sourceDir: string): DumpFileEntry[] {
  const me = euid();
  const found: { name: string; size: number; stamp: string; k: number }[] = [];
  for (const hour of safeReaddir(sourceDir)) {
    if (!HOUR_DIR.test(hour)) continue;
    const hourPath = join(sourceDir, hour);
    const hst = lstatSync(hourPath, { throwIfNoEntry: false });
    if (!hst?.isDirectory() || hst.uid !== me) continue;
    for (const file of safeReaddir(hourPath)) {
      const m = PERIOD_FILE.exec(file);
      if (!m || !m[1]!.startsWith(hour)) continue;
      const st = lstatSync(join(hourPath, file), { throwIfNoEntry: false });
      if (!st?.isFile() || st.uid !== me) continue;
      found.push({ name: join(hour, file), size: st.size, stamp: m[1]!, k: Number(m[2] ?? 0) });
    }
  }
  found.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.k - b.k));
  return found.map(({ name, size }) => ({ name, size }));
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

/** Removes a file of ours, and its hour directory if that is now empty. */
export function removeDumpFile(sourceDir: string, name: string): void {
  unlinkSync(join(sourceDir, name));
  const hourDir = dirname(join(sourceDir, name));
  if (hourDir !== sourceDir) {
    try {
      rmdirSync(hourDir);
    } catch {
      // Not empty (the current hour, or files that are not ours): keep it.
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

/**
 * The agent UUID file (spec §5.4, §10.3; `--uuid-file`, default
 * /usr/local/bin/uuid): probedaemon writes the manager's paUUID there and
 * reports what it finds at start; pktminerg's ZeroMQ sink puts its 16 bytes
 * in every batch. One reader, so both see the same file the same way.
 *
 * Reading refuses what is not a regular file, checked on the descriptor
 * (opened without blocking): a FIFO planted there would hang the start, a
 * device would never end. At most 256 bytes are read, the reference
 * daemon's limit (a UUID is 36). Unlike configuration files
 * (trusted-path.ts), a link is followed and the owner is not checked: the
 * file names the agent, it decides nothing about what is captured, where
 * files go or whom the daemon trusts, and Kubernetes mounts a Secret's or
 * ConfigMap's key as a symbolic link. Writing is stricter (writeUuidFile).
 */
import { closeSync, constants, fstatSync, fsyncSync, linkSync, openSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describeErrno } from './errors.js';
import { parseUuidText, UUID_LEN, type UuidResult } from './proto/zmq-batch.js';
import { untrustedDirectory } from './trusted-path.js';

/** Longest uuid file read (the reference daemon read up to 256 bytes). */
export const MAX_UUID_FILE_BYTES = 256;

/**
 * The file's first MAX_UUID_FILE_BYTES bytes as latin1 (one character per
 * byte, so the 36-character rule counts bytes like the reference); throws
 * an Error whose message is the reason in words.
 */
export function readUuidText(path: string): string {
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      if (!fstatSync(fd).isFile()) throw new Error('not a regular file');
      const buf = Buffer.alloc(MAX_UUID_FILE_BYTES);
      // A regular file gives what was asked for, up to its end, in one read.
      return buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new Error(describeErrno(e), { cause: e });
  }
}

/**
 * pktminerg's agent UUID: the 16 bytes of the first line. A missing or
 * invalid file is not fatal (the reference sends zeros): 16 zero bytes and
 * the `problem` for the caller to report.
 */
export function readAgentUuid(path: string): UuidResult {
  let text: string;
  try {
    text = readUuidText(path);
  } catch (e) {
    return { uuid: Buffer.alloc(UUID_LEN), problem: `cannot read ${path}: ${(e as Error).message}` };
  }
  const result = parseUuidText(text);
  return result.problem === null ? result : { uuid: result.uuid, problem: `${path}: ${result.problem}` };
}

/**
 * probedaemon's paUUID at start (spec §10.4: "as read", trimmed): null when
 * there is none to report, and then the manager's is written.
 */
export function readPaUuid(path: string): string | null {
  try {
    const text = readUuidText(path).trim();
    return text === '' ? null : text;
  } catch {
    return null;
  }
}

/**
 * Writes the manager's paUUID (no newline, as the reference): to a new file
 * beside the target, linked into place, so an existing file or a link
 * planted there is never written through (link(2) fails on any existing
 * name); only in a directory nobody else can change. Throws an Error with
 * the reason.
 */
export function writeUuidFile(path: string, paUUID: string): void {
  const why = untrustedDirectory(statSync(dirname(path)), 'no other writers');
  if (why) throw new Error(`its directory ${dirname(path)}: ${why}`);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, paUUID);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Typed errors. Decoders throw only these (fuzz tests hold them to it); the
 * CLI prints `message` as one line for any of them and never a stack trace.
 */

/** A buffer ended before a header or record was complete. */
export class TruncatedError extends Error {
  override name = 'TruncatedError';
  constructor(what: string, readonly offset: number, readonly needed: number, readonly available: number) {
    super(`truncated ${what} at byte offset ${offset}: need ${needed} bytes, have ${available}`);
  }
}

/** Bytes that cannot be what they claim to be (bad magic, impossible length). */
export class CorruptError extends Error {
  override name = 'CorruptError';
  constructor(what: string, readonly offset: number) {
    super(`${what} at byte offset ${offset}`);
  }
}

/** A mistake in what the user asked for: bad option, missing file, unwritable directory. */
export class UserError extends Error {
  override name = 'UserError';
}

/** A UserError in the command line itself: its message ends with a pointer to --help, as tcpdump's usage errors do. */
export class UsageError extends UserError {
  override name = 'UsageError';
  constructor(message: string) {
    super(`${message} (try --help)`);
  }
}

export type DecodeError = TruncatedError | CorruptError;

export function isDecodeError(e: unknown): e is DecodeError {
  return e instanceof TruncatedError || e instanceof CorruptError;
}

/** What an errno means, in the words tcpdump and dumpcap use. */
const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a path component is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'file exists',
  ELOOP: 'is a symbolic link',
  EISDIR: 'is a directory',
  EIO: 'input/output error',
  ENAMETOOLONG: 'file name too long',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available',
};

/** A system error in words ("no space left on device"), else its message. */
export function describeErrno(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return (err.code && REASONS[err.code]) ?? err.code ?? err.message;
}

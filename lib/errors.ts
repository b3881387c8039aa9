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

export type DecodeError = TruncatedError | CorruptError;

export function isDecodeError(e: unknown): e is DecodeError {
  return e instanceof TruncatedError || e instanceof CorruptError;
}

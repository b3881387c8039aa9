/**
 * The `zeromq` package, loaded on first use by the parts of the agent that may not need it (the
 * ZeroMQ sink, the status port): a dump, GRE or VXLAN run then neither loads its native library
 * (~7 MB of memory) nor depends on it loading at all, on a platform its prebuilt binaries do not
 * cover. The tools and the daemon, which always speak ZeroMQ, import it as usual: it is the same
 * CommonJS module either way.
 */
import { createRequire } from 'node:module';
import type * as Zmq from 'zeromq';
import { UserError } from './errors.js';

let loaded: typeof Zmq | null = null;

/** The package; a UserError naming the cause when it cannot be loaded. */
export function zeromq(): typeof Zmq {
  if (loaded === null) {
    try {
      loaded = createRequire(import.meta.url)('zeromq') as typeof Zmq;
    } catch (e) {
      throw new UserError(`ZeroMQ is not available: ${(e as Error).message.split('\n', 1)[0]}`);
    }
  }
  return loaded;
}

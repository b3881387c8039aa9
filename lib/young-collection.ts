/**
 * A young-generation collection (a scavenge) on demand, for memory only a
 * collection can tell is free: the ZeroMQ message pool's buffers come back
 * when the collector finds the views sent over them dead
 * (sinks/zmq-message-pool.ts). Left to V8, scavenges come as seldom as the
 * agent allocates JavaScript objects, ~every 1.5-2 s at the top rate measured,
 * so ~150-210 MiB of message buffers circulated between two; asked for when
 * the pool runs low, a scavenge takes ~0.35 ms at that rate (~0.05 ms of an
 * empty young generation) and the pool stays small (test/bench/README.md).
 *
 * Node offers no call for it: with `--expose-gc` set, V8 installs `gc` in
 * the contexts made afterwards, so one is made to fetch it (as Jest's leak
 * detector does; V8's own tests switch the flag on at run time the same way).
 */
import v8 from 'node:v8';
import vm from 'node:vm';

type GcFunction = (options: { type: 'minor' }) => void;

let collector: (() => void) | null | undefined;

/** A function that runs a scavenge now, or null if this runtime offers none (then V8's own timing stays). */
export function youngCollector(): (() => void) | null {
  if (collector === undefined) {
    // The flag is the process's: a capture worker finds it set by another thread and only fetches.
    let gc: unknown = vm.runInNewContext('globalThis.gc');
    if (typeof gc !== 'function') {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('globalThis.gc');
    }
    collector = typeof gc === 'function' ? () => (gc as GcFunction)({ type: 'minor' }) : null;
  }
  return collector;
}

/**
 * ZeroMQ message buffers used again once nothing refers to the message.
 *
 * zeromq.js sends a Buffer of more than 128 bytes without copying it: it keeps
 * the Buffer object alive until libzmq has written the message, then lets go
 * of it on the main thread, telling nobody. A new 1 MiB buffer per message is
 * external memory that V8 frees only in a major collection, and memory the
 * kernel must fault in and zero page by page as the records are written. So
 * each message is sent as a view made for it over a pooled buffer; once the
 * garbage collector finds the view unreachable (the sink and zeromq.js have
 * both let go of it, so libzmq is done with the bytes), a FinalizationRegistry
 * gives the buffer back. A view is a small young object: a scavenge finds it
 * dead. When fewer than REFILL_AT buffers are free, the pool asks for a
 * scavenge (young-collection.ts), so the buffers libzmq is done with come back
 * before it runs dry, whatever V8's own timing.
 *
 * When the views do not come back in time (a slow receiver keeps messages in
 * ZeroMQ's queue), take() makes a new buffer: nothing is ever written into a
 * buffer a view of which may still be sent.
 */
import { FRESH_BUFFERS, type MessageBuffers } from '../proto/zmq-batch.js';

/**
 * Free buffers kept at most: more than the messages made between two of V8's own scavenges at the
 * top rate measured (~105 messages of 1 MiB a second, a scavenge every 1.5-2 s), for a runtime
 * without the collection on demand. Below that, each burst of buffers given back overflows the pool
 * and as many new ones are made and faulted in before the next (test/bench/README.md).
 */
export const MAX_FREE = 256;

/**
 * With fewer free buffers than this, take() asks for a scavenge, at most once per REFILL_AT takes
 * (one that a receiver's full queue makes pointless costs ~0.35 ms per 8 MiB of messages).
 * The buffers come back in a later task, which the margin leaves time for: ~75 ms at the top rate.
 */
export const REFILL_AT = 8;

export class MessagePool implements MessageBuffers {
  private readonly free: Buffer[] = [];
  private readonly returned = new FinalizationRegistry<Buffer>((buffer) => this.giveBack(buffer));
  /** The fewest free buffers since the last trimUnused(): that many were not needed. */
  private lowWater = 0;
  private takesSinceCollection = 0;

  /** `collectYoung`: runs a scavenge (youngCollector()), or null to leave collections to V8. */
  constructor(private readonly collectYoung: (() => void) | null = null) {}

  take(bytes: number): Buffer {
    const b = this.free.pop();
    const free = this.free.length;
    if (free < this.lowWater) this.lowWater = free;
    if (++this.takesSinceCollection >= REFILL_AT && free < REFILL_AT && this.collectYoung !== null) {
      this.takesSinceCollection = 0;
      this.collectYoung();
    }
    return b !== undefined && b.length === bytes ? b : FRESH_BUFFERS.take(bytes);
  }

  lend(buffer: Buffer, length: number): Buffer {
    const message = buffer.subarray(0, length);
    this.returned.register(message, buffer);
    return message;
  }

  /** Buffers waiting for a take(). */
  get freeCount(): number {
    return this.free.length;
  }

  /**
   * Lets go of half the free buffers that no take() needed since the last call (the least recently
   * given back), so that the pool shrinks back after a burst or while traffic is low and settles
   * at what the rate needs. The sink calls it every few seconds.
   */
  trimUnused(): void {
    this.free.splice(0, Math.ceil(this.lowWater / 2));
    this.lowWater = this.free.length;
  }

  private giveBack(buffer: Buffer): void {
    if (this.free.length < MAX_FREE) this.free.push(buffer);
  }
}

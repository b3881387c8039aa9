/**
 * ZeroMQ message buffers used again once nothing refers to the message.
 *
 * zeromq.js sends a Buffer of more than 128 bytes without copying it: it keeps
 * the Buffer object alive until libzmq has written the message, then lets go
 * of it on the main thread, telling nobody. A new 1 MiB buffer per message is
 * external memory that V8 frees only in a major collection: at ~440 k
 * packets/s (~36 messages a second) that was a major collection every ~0.4 s,
 * about a third of the sink's CPU with the concurrent marking. So each message
 * is sent as a view made for it over a pooled buffer; once the garbage
 * collector finds the view unreachable (the sink and zeromq.js have both let
 * go of it, so libzmq is done with the bytes), a FinalizationRegistry gives
 * the buffer back. A view is a small young object: a scavenge finds it dead.
 *
 * When the views do not come back in time (a slow receiver keeps messages in
 * ZeroMQ's queue, or no collection has run yet), take() makes a new buffer:
 * nothing is ever written into a buffer a view of which may still be sent.
 */
import { FRESH_BUFFERS, type MessageBuffers } from '../proto/zmq-batch.js';

/**
 * Free buffers kept: more than the messages made between two scavenges at the top rate measured
 * (~36 of 1 MiB a second, a scavenge about every second). A buffer a full pool drops is old by then
 * and waits for a major collection, as does the new one made in its place: with 32, the memory of
 * a live ZMQ run climbed ~8 MB/s between major collections (peak 208-211 MB, 8 majors); with 64 it
 * stays flat once the buffers in circulation are made (154-166 MB, 4 majors; test/bench/README.md).
 */
const MAX_FREE = 64;

export class MessagePool implements MessageBuffers {
  private readonly free: Buffer[] = [];
  private readonly returned = new FinalizationRegistry<Buffer>((buffer) => this.giveBack(buffer));

  take(bytes: number): Buffer {
    const b = this.free.pop();
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

  private giveBack(buffer: Buffer): void {
    if (this.free.length < MAX_FREE) this.free.push(buffer);
  }
}

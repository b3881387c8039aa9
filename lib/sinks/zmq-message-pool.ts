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

/** Free buffers kept: a second of messages at the top rate measured (~36 of 1 MiB); beyond, the collector takes them. */
const MAX_FREE = 32;

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

import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { SourceCounters } from '../counters.js';
import { describeErrno, UserError } from '../errors.js';
import { BATCH_QUEUE, capacityFor, PacketBatch, SPARE_BATCHES, UNKNOWN_FORMAT, type BatchOwner, type CaptureFormat } from '../packet.js';
import { CaptureFileDecoder } from '../proto/capture-file-decoder.js';
import type { CaptureSource } from './source.js';

/**
 * Read size, and so a batch: every packet of a read goes downstream as one batch, so a dump writes
 * it in one write (batches of at most 1024 packets took 1.5x the time offline: a write and its
 * round trip through the thread pool each). A read holds whole records only (the one the read before
 * cut is carried to its start), so a dump writes the read buffer as it lies; with that, 1 MiB reads
 * took a 1 M-frame IMIX file 0.37 -> 0.29 s against 256 KiB (tcpdump -r -w: 0.26 s), for 4 MB more
 * peak RSS; 2 and 4 MiB bought little more (test/bench/README.md). Each read buffer stays out of the
 * pool while any packet viewing it is queued.
 */
export const READ_CHUNK = 1 << 20;

/**
 * Columns for the next read's packets, from the last read's count (reads are all READ_CHUNK but
 * the last); an eighth more, as mixed frame sizes vary from read to read. Before the first read:
 * room for minimal frames. A batch with more packets grows.
 */
export function readCapacity(lastCount: number): number {
  return lastCount > 0 ? lastCount + (lastCount >> 3) : capacityFor(READ_CHUNK);
}

export interface FileSourceOptions {
  /** Capture file (classic pcap or pcapng); '-' reads process.stdin. */
  path: string;
  /** Cut every packet to this many bytes; also the snaplen of the batches' format (for dump headers). */
  snaplen?: number;
  /** Stop after this many packets; 0 or undefined: read the whole file. */
  count?: number;
}

/**
 * Replays a capture file as Batch chunks. Damage or a read error does not
 * destroy the stream: every packet before it is emitted, `failure` is set
 * and the stream ends normally, so downstream still writes what was read.
 *
 * A file is read into the source's own buffers, one batch per read: a batch
 * whose consumers hold it (the channel's fan-out) comes back when the last
 * is done, and its buffer and columns take a later read; a batch nobody
 * gives back (tools reading the stream) is never reused. Measured offline
 * (IMIX, --dump), a fresh chunk and columns per read had garbage
 * collection take 20 % of the profile, 4 % with reuse. stdin is read as the
 * process's stream delivers it, into fresh batches.
 */
export class FileSource extends Readable implements CaptureSource, BatchOwner {
  readonly counters = new SourceCounters();
  readonly name: string;
  /** How messages name the input. */
  private readonly label: string;
  private file: FileHandle | null = null;
  /** The file's close, once begun: the stream reports 'close' after it. */
  private closing: Promise<void> | null = null;
  private stdin: Readable | null = null;
  /** A read of the file is under way (one at a time: each continues where the last ended). */
  private reading = false;
  /** Batches given back (recycle), each with its read buffer, for the next reads. */
  private readonly spare: PacketBatch[] = [];
  private readonly readBuffers = new WeakMap<PacketBatch, Buffer>();
  /** Packets in the last read: the capacity of a fresh batch. */
  private lastCount = 0;
  private readonly path: string;
  private readonly decoder: CaptureFileDecoder;
  private readonly snaplenOpt: number;
  /** The format stamped on the batches, made again only when the file's changes (a later pcapng interface). */
  private format: CaptureFormat = UNKNOWN_FORMAT;
  private remaining: number;
  private _failure: Error | null = null;
  /** No more pushes: end of input, count reached, stop(), failure or destroy. */
  private ended = false;
  private readonly onData = (chunk: Buffer): void => this.decode(chunk, this.newBatch());
  private readonly onEnd = (): void => this.inputEnded();
  private readonly onError = (e: Error): void => this.fail(e);

  constructor(opts: FileSourceOptions) {
    super({ objectMode: true, highWaterMark: BATCH_QUEUE });
    const stdin = opts.path === '-';
    this.name = stdin ? 'stdin' : path.basename(opts.path, path.extname(opts.path));
    this.label = stdin ? 'stdin' : opts.path;
    this.snaplenOpt = opts.snaplen ?? 0;
    this.remaining = opts.count ? opts.count : Infinity;
    this.path = opts.path;
    this.decoder = new CaptureFileDecoder(opts.snaplen);
  }

  /** Opens the file (a regular file or a pipe, not a directory); throws UserError naming the reason. */
  async open(): Promise<void> {
    if (this.path === '-') {
      this.stdin = process.stdin;
      this.stdin.on('data', this.onData).on('end', this.onEnd).on('error', this.onError);
      // Data flows only while our consumer wants more (_read resumes it).
      this.stdin.pause();
      return;
    }
    const fail = (reason: string): UserError => new UserError(`cannot read capture file ${this.path}: ${reason}`);
    const file = await open(this.path, 'r').catch((e: NodeJS.ErrnoException) => {
      throw fail(describeErrno(e));
    });
    if ((await file.stat()).isDirectory()) {
      await file.close();
      throw fail('is a directory');
    }
    this.file = file;
  }

  get failure(): Error | null {
    return this._failure;
  }

  stop(): void {
    this.endWith(null);
  }

  /** Every consumer is done with `batch`: its buffer and columns take a later read. */
  recycle(batch: PacketBatch): void {
    batch.truncate(0);
    if (!this.ended && this.spare.length < SPARE_BATCHES) this.spare.push(batch);
  }

  override _read(): void {
    if (!this.ended) this.readMore();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.ended = true;
    this.closeInput();
    // Report 'close' only once the file descriptor is closed.
    if (this.closing) void this.closing.then(() => cb(err));
    else cb(err);
  }

  /** Lets the next chunk come: the next read of the file, or stdin's stream flowing. */
  private readMore(): void {
    if (this.stdin) this.stdin.resume();
    else this.readFile();
  }

  private readFile(): void {
    const file = this.file;
    if (this.reading || file === null) return;
    this.reading = true;
    const batch = this.spare.pop() ?? this.newFileBatch();
    const buffer = this.readBuffers.get(batch)!;
    // The record the last read cut goes first, so that this read holds whole records only.
    const carried = this.decoder.takePending(buffer);
    file.read(buffer, carried, buffer.length - carried, null).then(({ bytesRead }) => this.fileRead(batch, buffer, carried, bytesRead), this.onError);
  }

  private fileRead(batch: PacketBatch, buffer: Buffer, carried: number, n: number): void {
    this.reading = false;
    if (this.ended) return;
    if (n === 0) {
      // The file ends inside the carried record: the decoder takes it back, for finish() to name.
      if (carried > 0) this.decoder.push(buffer, batch, carried);
      this.inputEnded();
      return;
    }
    batch.owner = this;
    this.decode(buffer, batch, carried + n);
  }

  /** A batch sized from the reads so far. */
  private newBatch(): PacketBatch {
    return new PacketBatch(readCapacity(this.lastCount));
  }

  /** A batch with a read buffer of its own, the two reused together. */
  private newFileBatch(): PacketBatch {
    const batch = this.newBatch();
    // Not from Buffer's shared pool: the whole buffer is ours to read into again.
    this.readBuffers.set(batch, Buffer.allocUnsafeSlow(READ_CHUNK));
    return batch;
  }

  /** Decodes `chunk[0 .. end)` into `packets`. */
  private decode(chunk: Buffer, packets: PacketBatch, end = chunk.length): void {
    if (this.ended) return;
    let error: unknown = null;
    try {
      this.decoder.push(chunk, packets, end);
    } catch (e) {
      // Decoder throws are typed errors; anything else becomes a failure too rather than a crash.
      error = e;
    }
    this.lastCount = packets.length;
    packets.format = this.currentFormat();
    this.emitPackets(packets);
    if (error !== null) this.fail(error);
  }

  /** The file's format as the decoder knows it now (its header, the pcapng interfaces so far). */
  private currentFormat(): CaptureFormat {
    const nanos = this.decoder.nanos;
    const snaplen = this.snaplenOpt || this.decoder.snaplen;
    if (nanos !== this.format.nanos || snaplen !== this.format.snaplen) this.format = Object.freeze({ nanos, snaplen });
    return this.format;
  }

  private emitPackets(packets: PacketBatch): void {
    if (packets.length > this.remaining) packets.truncate(this.remaining);
    let wantMore = true;
    if (packets.length > 0) {
      this.counters.addCaptured(packets, packets.bytes());
      this.remaining -= packets.length;
      wantMore = this.push(packets);
    } else {
      // Nobody else sees it: straight back to its owner, if any.
      packets.discard();
    }
    // A consumer may stop() or destroy() us from inside push().
    if (this.remaining === 0) this.endWith(null);
    if (this.ended) return;
    // Reading ahead while the stream has room; else _read asks again.
    if (wantMore) this.readMore();
    else this.stdin?.pause();
  }

  private inputEnded(): void {
    if (this.ended) return;
    try {
      this.decoder.finish();
    } catch (e) {
      this.fail(e);
      return;
    }
    this.endWith(null);
  }

  private fail(e: unknown): void {
    if (this.ended) return;
    const cause = e instanceof Error ? e : new Error(String(e));
    this.endWith(new Error(`${this.label}: ${describeErrno(cause)}`, { cause }));
  }

  private endWith(failure: Error | null): void {
    if (this.ended) return;
    this.ended = true;
    this._failure = failure;
    this.closeInput();
    this.push(null);
  }

  private closeInput(): void {
    this.spare.length = 0;
    const stdin = this.stdin;
    if (stdin) {
      // stdin belongs to the process: stop reading it, but leave fd 0 open.
      stdin.off('data', this.onData).off('end', this.onEnd).pause();
      return;
    }
    const file = this.file;
    if (file === null) return;
    this.file = null;
    // A read under way finishes first (FileHandle.close waits for it). A failed close of a file
    // only read loses nothing, so it is not reported.
    this.closing = file.close().catch(() => {});
  }
}

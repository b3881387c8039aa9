import { open } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { SourceCounters } from '../counters.js';
import { describeErrno, UserError } from '../errors.js';
import { BATCH_QUEUE, capacityFor, PacketBatch, UNKNOWN_FORMAT, type CaptureFormat } from '../packet.js';
import { CaptureFileDecoder } from '../proto/capture-file-decoder.js';
import type { CaptureSource } from './source.js';

/**
 * Read size, and so a batch: every packet of a read goes downstream as one batch, so a dump writes
 * it in one write (batches of at most 1024 packets took 1.5x the time offline: a write and its
 * round trip through the thread pool each). Each chunk stays alive while any packet viewing it is
 * queued, so smaller is leaner (256 KiB measured no slower than 1 MiB).
 */
const READ_CHUNK = 1 << 18;

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
 */
export class FileSource extends Readable implements CaptureSource {
  readonly counters = new SourceCounters();
  readonly name: string;
  /** How messages name the input. */
  private readonly label: string;
  private input: Readable | null = null;
  private readonly path: string;
  private readonly decoder: CaptureFileDecoder;
  private readonly snaplenOpt: number;
  /** The format stamped on the batches, made again only when the file's changes (a later pcapng interface). */
  private format: CaptureFormat = UNKNOWN_FORMAT;
  private remaining: number;
  private _failure: Error | null = null;
  /** No more pushes: end of input, count reached, stop(), failure or destroy. */
  private ended = false;
  private readonly onData = (chunk: Buffer): void => this.decode(chunk);
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
    let input: Readable = process.stdin;
    if (this.path !== '-') {
      const fail = (reason: string): UserError => new UserError(`cannot read capture file ${this.path}: ${reason}`);
      const file = await open(this.path, 'r').catch((e: NodeJS.ErrnoException) => {
        throw fail(describeErrno(e));
      });
      if ((await file.stat()).isDirectory()) {
        await file.close();
        throw fail('is a directory');
      }
      input = file.createReadStream({ highWaterMark: READ_CHUNK });
    }
    this.input = input;
    input.on('data', this.onData).on('end', this.onEnd).on('error', this.onError);
    // Data flows only while our consumer wants more (_read resumes it).
    input.pause();
  }

  get failure(): Error | null {
    return this._failure;
  }

  stop(): void {
    this.endWith(null);
  }

  override _read(): void {
    if (!this.ended) this.input?.resume();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.ended = true;
    this.closeInput();
    // Report 'close' only once the file descriptor is closed.
    const input = this.input;
    if (input && input !== process.stdin && !input.closed) input.once('close', () => cb(err));
    else cb(err);
  }

  private decode(chunk: Buffer): void {
    if (this.ended) return;
    const packets = new PacketBatch(capacityFor(chunk.length));
    let error: unknown = null;
    try {
      this.decoder.push(chunk, packets);
    } catch (e) {
      // Decoder throws are typed errors; anything else becomes a failure too rather than a crash.
      error = e;
    }
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
    }
    // A consumer may stop() or destroy() us from inside push().
    if (this.remaining === 0) this.endWith(null);
    else if (!wantMore && !this.ended) this.input?.pause();
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
    const input = this.input;
    if (!input) return;
    input.off('data', this.onData).off('end', this.onEnd);
    // stdin belongs to the process: stop reading it, but leave fd 0 open.
    if (input === process.stdin) input.pause();
    else input.destroy();
  }
}

/**
 * pcapcompare (spec §11.3): reads two capture files in lock-step and reports
 * the first packet that differs. Streams both files, so memory stays
 * constant whatever their size.
 *
 * Deviations from the reference: wire lengths are compared too, timestamps
 * with --timestamps, pcapng is read, and the exit status tells a difference
 * (1) from a file that cannot be compared (2), as cmp(1) does.
 */
import { once } from 'node:events';
import { isDecodeError, UserError } from '../errors.js';
import { PacketBatch } from '../packet.js';
import { FileSource } from '../sources/file-source.js';
import { flagOption, parseToolArgs, stringOption, type ToolArgs, type ToolSpec } from './receiver.js';

export const EXIT_SAME = 0;
export const EXIT_DIFFERENT = 1;
export const EXIT_TROUBLE = 2;

export interface CompareOptions {
  left: string;
  right: string;
  timestamps: boolean;
}

/** Pure check: the files come from --lpcap/--rpcap or, failing those, from two positional arguments. */
export function checkCompareArgs(args: ToolArgs): CompareOptions {
  const lpcap = stringOption(args, 'lpcap');
  const rpcap = stringOption(args, 'rpcap');
  const positional = args._.map(String);
  const given = (lpcap === undefined ? 0 : 1) + (rpcap === undefined ? 0 : 1);
  if (given === 1) throw new UserError('give both --lpcap and --rpcap, or two files');
  if (given === 2 && positional.length > 0) throw new UserError(`unexpected argument '${positional[0]}' besides --lpcap and --rpcap`);
  if (given === 0 && positional.length !== 2) throw new UserError(`need two capture files, got ${positional.length}`);
  const left = lpcap ?? positional[0]!;
  const right = rpcap ?? positional[1]!;
  // FileSource reads '-' from standard input, which cannot feed two readers.
  if (left === '-' && right === '-') throw new UserError('only one of the files can be standard input (-)');
  return { left, right, timestamps: flagOption(args, 'timestamps') };
}

/**
 * The packets of one capture file, one at a time, read by FileSource as
 * pktminerg and gredump read files. FileSource ends the stream after the
 * packets before damage and only then sets `failure`, so a difference
 * earlier in the files is reported before damage later on.
 */
class PacketReader {
  readonly source: FileSource;
  private readonly batches: AsyncIterator<PacketBatch>;
  /** The batch being taken, from `head` on; each is a batch of its own, valid until dropped. */
  private batch = new PacketBatch();
  private head = 0;

  constructor(path: string) {
    this.source = new FileSource({ path });
    this.batches = this.source[Symbol.asyncIterator]();
  }

  /** The batch holding the next packet and its index there, or null at the end; throws UserError naming the file when it is unreadable or damaged. */
  async next(): Promise<PacketRef | null> {
    while (this.head === this.batch.length) {
      const r = await this.batches.next();
      if (r.done === true) {
        const failure = this.source.failure;
        if (failure !== null) throw new UserError(failure.message);
        return null;
      }
      this.batch = r.value;
      this.head = 0;
    }
    return { batch: this.batch, i: this.head++ };
  }

  /** Closes the file (also early: a difference found before the end, or the other file unreadable). */
  async close(): Promise<void> {
    if (this.source.closed) return;
    const closed = once(this.source, 'close');
    this.source.destroy();
    await closed;
  }
}

export type CompareResult = { equal: true; packets: number } | { equal: false; difference: string };

/** One packet of a batch. */
export interface PacketRef {
  batch: PacketBatch;
  i: number;
}

/** How two packets differ, null when they do not; timestamps printed with `digits` fraction digits. */
export function packetDifference(a: PacketRef, b: PacketRef, timestamps: boolean, digits: 6 | 9): string | null {
  const x = a.batch;
  const y = b.batch;
  const i = a.i;
  const j = b.i;
  if (x.linktype[i] !== y.linktype[j]) return `linktype ${x.linktype[i]} vs ${y.linktype[j]}`;
  if (x.caplen[i] !== y.caplen[j]) return `caplen ${x.caplen[i]} vs ${y.caplen[j]}`;
  if (x.wirelen[i] !== y.wirelen[j]) return `wirelen ${x.wirelen[i]} vs ${y.wirelen[j]}`;
  const da = x.frame(i);
  const db = y.frame(j);
  if (!da.equals(db)) {
    let i = 0;
    while (da[i] === db[i]) i++;
    return `bytes differ at offset ${i} (0x${hex(da[i]!)} vs 0x${hex(db[i]!)})`;
  }
  if (timestamps && (x.tsSec[i] !== y.tsSec[j] || x.tsNsec[i] !== y.tsNsec[j])) {
    return `timestamp ${formatTime(a, digits)} vs ${formatTime(b, digits)}`;
  }
  return null;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

function formatTime(p: PacketRef, digits: 6 | 9): string {
  const nsec = p.batch.tsNsec[p.i]!;
  const frac = digits === 9 ? nsec : Math.floor(nsec / 1000);
  return `${p.batch.tsSec[p.i]}.${String(frac).padStart(digits, '0')}`;
}

/** Compares two capture files; throws UserError or a decode error when one cannot be read to the point of a verdict. */
export async function compareCaptureFiles(opts: CompareOptions): Promise<CompareResult> {
  const left = new PacketReader(opts.left);
  const right = new PacketReader(opts.right);
  try {
    // One after the other: when both are unreadable, the left one is named.
    await left.source.open();
    await right.source.open();
    for (let n = 1; ; n++) {
      const [a, b] = await Promise.all([left.next(), right.next()]);
      if (a !== null && b !== null) {
        const difference = packetDifference(a, b, opts.timestamps, a.batch.format.nanos || b.batch.format.nanos ? 9 : 6);
        if (difference !== null) return { equal: false, difference: `packet ${n} differs: ${difference}` };
        continue;
      }
      if (a === b) return { equal: true, packets: n - 1 };
      // Count the rest of the longer file for the message.
      const longer = a === null ? right : left;
      let total = n;
      while ((await longer.next()) !== null) total++;
      const [lc, rc] = a === null ? [n - 1, total] : [total, n - 1];
      return { equal: false, difference: `${opts.left} has ${lc} packets, ${opts.right} has ${rc}` };
    }
  } finally {
    await Promise.all([left.close(), right.close()]);
  }
}

/**
 * The whole tool, from argv to exit status: the verdict on `out`; anything
 * that prevents one (bad options included) is one line on `err` and
 * EXIT_TROUBLE, so that 1 always means "the files differ".
 */
export async function pcapcompare(
  argv: string[],
  spec: ToolSpec,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  try {
    const args = await parseToolArgs(argv, spec, out);
    if (args === null) return EXIT_SAME;
    const result = await compareCaptureFiles(checkCompareArgs(args));
    if (!result.equal) {
      out.write(`${result.difference}\n`);
      return EXIT_DIFFERENT;
    }
    out.write(`Compare result 0, Pkt num: ${result.packets}\n`);
    return EXIT_SAME;
  } catch (e) {
    if (!(e instanceof UserError || isDecodeError(e))) throw e;
    err.write(`${spec.name}: ${e.message}\n`);
    return EXIT_TROUBLE;
  }
}

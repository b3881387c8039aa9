/**
 * What the tools share (README "Tools"): the yargs setup and option checks,
 * and for the two receivers (vxlandump, zmqdump) the run from bind to a
 * complete pcap file: stop on SIGINT/SIGTERM or after -c packets, close the
 * socket, close the file, print the counters.
 */
import { rmSync } from 'node:fs';
import type { Options } from 'yargs';
import { refuseRepeated, strictParser } from '../cli-parser.js';
import { int } from '../config.js';
import { UserError } from '../errors.js';
import { LINKTYPE_ETHERNET, type Batch } from '../packet.js';
import { parseIPv4 } from '../proto/ipv4.js';
import { PcapFileWriter } from './pcap-file-writer.js';

/** A tool's command line as its cli/ file declares it. */
export interface ToolSpec {
  name: string;
  /** Usage lines at the top of --help. */
  usage: string;
  /** Every value is read as a string (booleans aside) and converted by the tool's check, so errors can name the flag. */
  options: Record<string, Options>;
  /** Text after the options in --help (exit statuses, matching rules). */
  epilogue?: string;
}

export type ToolArgs = Record<string, unknown> & { _: (string | number)[] };

function toolParser(spec: ToolSpec) {
  return (
    strictParser()
      .usage(spec.usage)
      .options(spec.options)
      .epilogue(spec.epilogue ?? '')
      // yargs' own --help would print and carry on; ours returns null from parseToolArgs.
      .option('help', { alias: 'h', type: 'boolean', describe: 'show this help' })
      .wrap(Math.min(110, process.stdout.columns || 100))
  );
}

/** Parses `argv` (UserError on an unknown option); with -h/--help writes the help to `out` and returns null. */
export async function parseToolArgs(argv: string[], spec: ToolSpec, out: NodeJS.WritableStream = process.stdout): Promise<ToolArgs | null> {
  const parser = toolParser(spec);
  const args = parser.parseSync(argv) as ToolArgs;
  refuseRepeated(args);
  if (args.help === true) {
    out.write(`${await parser.getHelp()}\n`);
    return null;
  }
  return args;
}

export function stringOption(args: ToolArgs, key: string): string | undefined {
  const v = args[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new UserError(`--${key} needs a value`);
  return v;
}

export function flagOption(args: ToolArgs, key: string): boolean {
  return args[key] === true;
}

/** An integer in [min, max], decimal or 0x hex, read as pktminerg reads its options; `fallback` when absent. */
export function integerOption(args: ToolArgs, key: string, min: number, max: number, fallback: number): number {
  return int(`--${key}`, stringOption(args, key), min, max, fallback);
}

export function noPositionals(args: ToolArgs): void {
  if (args._.length > 0) throw new UserError(`unexpected argument '${args._[0]}'`);
}

export interface ReceiverOptions {
  /** 0: any free port, shown in the "listening on" line. */
  port: number;
  /** IPv4 address to bind; null: every address (the socket type's wildcard). */
  bind: string | null;
  output: string;
  /** Stop after this many written packets; 0: no limit. */
  count: number;
}

/** The options both receivers take; spread into a tool's declaration. */
export function receiverOptionSpecs(defaultPort: number | null, bindDefault: string): Record<string, Options> {
  const portDefault = defaultPort === null ? 'required' : `default ${defaultPort}`;
  return {
    port: { alias: 'p', type: 'string', describe: `listen on this port (${portDefault}; 0 = any free port)` },
    bind: { alias: 'b', type: 'string', describe: `listen on this IPv4 address (default ${bindDefault})` },
    output: { alias: 'o', type: 'string', describe: 'write the packets to this pcap file (must not exist)' },
    count: { alias: 'c', type: 'string', describe: 'stop after writing N packets (default 0 = until SIGINT/SIGTERM)' },
  };
}

/** Pure check of the shared receiver options; errors name the flag. `defaultPort` null: --port is required. */
export function checkReceiverArgs(args: ToolArgs, defaultPort: number | null): ReceiverOptions {
  noPositionals(args);
  const output = stringOption(args, 'output');
  if (output === undefined) throw new UserError('--output is required');
  if (defaultPort === null && args.port === undefined) throw new UserError('--port is required');
  const bind = stringOption(args, 'bind') ?? null;
  if (bind !== null && parseIPv4(bind) === null) throw new UserError(`--bind must be an IPv4 address, got '${bind}'`);
  return {
    port: integerOption(args, 'port', 0, 65535, defaultPort ?? 0),
    bind,
    output,
    count: integerOption(args, 'count', 0, Number.MAX_SAFE_INTEGER, 0),
  };
}

/** Both receivers write Ethernet frames; no UDP payload or ZeroMQ record holds more than 65535 bytes. */
export function receiverPcapFormat(nanos: boolean): { nanos: boolean; snaplen: number; linktype: number } {
  return { nanos, snaplen: 65535, linktype: LINKTYPE_ETHERNET };
}

/**
 * The receiver's side of the output: writes packets until -c is reached or
 * a stop is requested, then refuses more. `stopped` resolves once, with why.
 */
export class Recorder {
  readonly stopped: Promise<string>;
  private remaining: number;
  private reason: string | null = null;
  private _failure: Error | null = null;
  private resolve!: (reason: string) => void;

  constructor(private readonly writer: PcapFileWriter, count: number) {
    this.remaining = count > 0 ? count : Infinity;
    this.stopped = new Promise((r) => (this.resolve = r));
  }

  get written(): number {
    return this.writer.packets;
  }

  get stopping(): boolean {
    return this.reason !== null;
  }

  /** An error that stopped the receiver, rethrown once the file is complete. */
  get failure(): Error | null {
    return this._failure;
  }

  /**
   * Writes `batch`, cut (its length lowered) to what -c still allows.
   * Returns false once stopping: the caller receives no more.
   */
  write(batch: Batch): boolean {
    if (this.reason !== null) return false;
    if (batch.length >= this.remaining) batch.truncate(this.remaining);
    this.writer.write(batch);
    this.remaining -= batch.length;
    if (this.remaining === 0) this.stop(`after ${this.written} packets (-c)`);
    return this.reason === null;
  }

  stop(reason: string): void {
    if (this.reason !== null) return;
    this.reason = reason;
    this.resolve(reason);
  }

  fail(e: Error): void {
    this._failure ??= e;
    this.stop(`by an error: ${e.message}`);
  }
}

/** A socket that delivers packets to a Recorder. */
export interface Receiver {
  /** Binds and starts delivering; resolves with the bound address for the start line. Rejects with UserError (e.g. port in use). */
  open(recorder: Recorder): Promise<string>;
  /** Stops receiving and closes the socket; resolves once nothing more will be delivered. */
  close(): Promise<void>;
  /** Counter lines, without the tool's name. */
  summary(): string[];
}

/** A progress line at most this often, and only when a counter changed. */
const PROGRESS_MS = 10_000;

/**
 * Runs one receiver until SIGINT/SIGTERM, -c or a failure, and leaves a
 * complete pcap file: the file is written synchronously packet by packet, and
 * closed only after the socket, so no packet arrives after it. Progress and
 * summary go to `err`. Resolves with the exit status (0).
 */
export async function runReceiver(
  name: string,
  opts: ReceiverOptions,
  nanos: boolean,
  receiver: Receiver,
  /** Aborted (SIGINT/SIGTERM, by the command): stop, its reason saying why. */
  stop: AbortSignal,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  // Created before binding so that a bad path fails fast; removed again if binding fails, since then it holds only our header.
  const writer = new PcapFileWriter(opts.output, receiverPcapFormat(nanos));
  const recorder = new Recorder(writer, opts.count);
  let address: string;
  try {
    address = await receiver.open(recorder);
  } catch (e) {
    writer.close();
    rmSync(opts.output, { force: true });
    throw e;
  }

  const onStop = (): void => recorder.stop(String(stop.reason));
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  const report = (): string => `${name}: ${receiver.summary().join(`\n${name}: `)}\n`;
  let last = '';
  const progress = setInterval(() => {
    const line = report();
    if (line !== last) err.write((last = line));
  }, PROGRESS_MS);
  progress.unref();
  err.write(`${name}: listening on ${address}, writing ${opts.output}\n`);

  const reason = await recorder.stopped;
  clearInterval(progress);
  try {
    await receiver.close();
  } finally {
    writer.close();
    stop.removeEventListener('abort', onStop);
  }
  err.write(`${name}: stopped ${reason}\n${report()}`);
  if (recorder.failure !== null) throw recorder.failure;
  return 0;
}

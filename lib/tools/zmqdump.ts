/**
 * zmqdump: the receiving end of pktminerg's ZeroMQ exporter (spec §5.4),
 * in place of the reference's recvzmq.py (§11.5), which reads only the
 * legacy version 1. Takes batches of versions 1 and 2 on a PULL socket and
 * writes the original frames, MPLS label removed, to one pcap file.
 */
import { Pull } from 'zeromq';
import { CorruptError, isDecodeError, describeErrno, UserError } from '../errors.js';
import { LINKTYPE_ETHERNET, PacketBatch, type Batch } from '../packet.js';
import { MPLS_ENTRY_LEN, mplsDirection } from '../proto/mpls.js';
import { ZMQ_BATCH_VERSION_LEGACY, ZMQ_RECORD_HEADER_LEN, decodeZmqBatch, labelEntry, unlabelFrame } from '../proto/zmq-batch.js';
import { checkReceiverArgs, parseToolArgs, runReceiver, type Receiver, type ReceiverOptions, type Recorder, type ToolSpec } from './receiver.js';

/** As recvzmq.py: the queue may grow while the file is written rather than make the senders drop whole batches. */
const RECEIVE_HWM = 2_000_000;
/** One bad-message line at most this often, so that a misconfigured sender cannot flood stderr. */
const BAD_REPORT_MS = 10_000;
const DIRECTION_CODES = 16;

/**
 * Turns batch messages into Packets and counts them. Pure: a message is
 * taken whole or not at all, so a bad record never leaves half a batch in
 * the file.
 */
export class ZmqUnbatcher {
  batches = 0;
  packets = 0;
  badMessages = 0;
  /** Received packets by the direction code in their MPLS label (0 none, 1 in, 2 out, 15 unknown). */
  readonly byDirection: number[] = new Array<number>(DIRECTION_CODES).fill(0);
  /** Received version 1 packets, which carry no label. */
  unlabelled = 0;

  /**
   * Replaces the content of `out` with the packets of one message (its
   * ZeroMQ parts; the exporter sends one); throws TruncatedError or
   * CorruptError, counted, for a bad message.
   */
  unbatch(parts: Buffer[], out: Batch): void {
    out.truncate(0);
    try {
      if (parts.length !== 1) throw new CorruptError(`ZeroMQ message of ${parts.length} parts (expected 1)`, 0);
      const msg = parts[0]!;
      const batch = decodeZmqBatch(msg);
      const legacy = batch.version === ZMQ_BATCH_VERSION_LEGACY;
      batch.records.forEach((r, i) => {
        const at = (): number => r.data.byteOffset - msg.byteOffset - ZMQ_RECORD_HEADER_LEN;
        if (r.tsUsec >= 1e6) throw new CorruptError(`ZeroMQ record ${i} with ${r.tsUsec} microseconds`, at());
        // v1 carries the frame as captured; v2 the labelled frame, with 4 more in both lengths for the label.
        const frame = legacy ? r.data : unlabelFrame(r.data);
        const wirelen = frame === r.data ? r.wirelen : r.wirelen - MPLS_ENTRY_LEN;
        // The sender caps the data (N is 16 bits) but not the lengths: caplen is what the record holds.
        if (wirelen < frame.length) throw new CorruptError(`ZeroMQ record ${i} with wire length ${r.wirelen} below its captured length`, at());
        out.add(frame, 0, frame.length, wirelen, r.tsSec, r.tsUsec * 1000, LINKTYPE_ETHERNET);
      });
      // Counted only now that the whole message is good.
      this.batches++;
      this.packets += out.length;
      if (legacy) this.unlabelled += out.length;
      else for (const r of batch.records) this.byDirection[mplsDirection(labelEntry(r.data))]!++;
    } catch (e) {
      out.truncate(0);
      if (isDecodeError(e)) this.badMessages++;
      throw e;
    }
  }
}

export class ZmqReceiver implements Receiver {
  private socket: Pull | null = null;
  private loop: Promise<void> = Promise.resolve();
  private recorder: Recorder | null = null;
  private readonly unbatcher = new ZmqUnbatcher();
  private lastBadReport = -Infinity;
  private badSinceReport = 0;

  constructor(
    private readonly opts: ReceiverOptions,
    private readonly err: NodeJS.WritableStream,
    private readonly name: string,
  ) {}

  async open(recorder: Recorder): Promise<string> {
    this.recorder = recorder;
    const endpoint = `tcp://${this.opts.bind ?? '*'}:${this.opts.port}`;
    // linger 0: messages still queued at close are dropped at once instead of holding the process.
    const socket = new Pull({ receiveHighWaterMark: RECEIVE_HWM, linger: 0 });
    try {
      await socket.bind(endpoint);
    } catch (e) {
      socket.close();
      throw new UserError(`cannot listen on ${endpoint}: ${describeErrno(e)}`);
    }
    this.socket = socket;
    this.loop = this.receive(socket, recorder).catch((e: Error) => recorder.fail(e));
    return socket.lastEndpoint ?? endpoint;
  }

  private async receive(socket: Pull, recorder: Recorder): Promise<void> {
    const batch = new PacketBatch();
    // The iterator ends when close() closes the socket.
    for await (const frames of socket) {
      if (recorder.stopping) return;
      try {
        this.unbatcher.unbatch(frames, batch);
      } catch (e) {
        if (!isDecodeError(e)) throw e;
        this.reportBad(e.message);
        continue;
      }
      if (!recorder.write(batch)) return;
    }
  }

  /** The first bad message at once, later ones at most every BAD_REPORT_MS with how many were not shown. */
  private reportBad(message: string): void {
    const now = Date.now();
    if (now - this.lastBadReport < BAD_REPORT_MS) {
      this.badSinceReport++;
      return;
    }
    const more = this.badSinceReport > 0 ? ` (and ${this.badSinceReport} more since the last report)` : '';
    this.err.write(`${this.name}: bad message: ${message}${more}\n`);
    this.lastBadReport = now;
    this.badSinceReport = 0;
  }

  async close(): Promise<void> {
    this.socket?.close();
    this.socket = null;
    await this.loop;
  }

  summary(): string[] {
    const u = this.unbatcher;
    const d = u.byDirection;
    const other = d.reduce((sum, n, code) => (code > 2 ? sum + n : sum), 0);
    return [
      `${u.batches} batches, ${u.packets} packets received, ${u.badMessages} bad messages, ${this.recorder?.written ?? 0} written`,
      `received by direction: none ${d[0]}, in ${d[1]}, out ${d[2]}, other ${other}, unlabelled (v1) ${u.unlabelled}`,
    ];
  }
}

/** The whole tool, from argv to exit status. */
export async function zmqdump(argv: string[], spec: ToolSpec, stop: AbortSignal): Promise<number> {
  const args = await parseToolArgs(argv, spec);
  if (args === null) return 0;
  const opts = checkReceiverArgs(args, null);
  return runReceiver(spec.name, opts, false, new ZmqReceiver(opts, process.stderr, spec.name), stop);
}

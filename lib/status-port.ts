/**
 * The status port (`--control PORT`, spec §9): a ZeroMQ REP socket on
 * 127.0.0.1 only that answers each request with the process totals over all
 * channels, read from their snapshots at the moment of the request. Unlike
 * the reference it answers every request (a bad one gets the error reply of
 * proto/status.ts), since a REP socket that does not answer cannot receive
 * again; and it is opened at start-up like the channels: a port that cannot
 * be bound stops the process with one line.
 */
import type { Reply } from 'zeromq';
import type { ChannelOptions } from './config.js';
import { forwarded, type ChannelSnapshot } from './channel.js';
import { UserError } from './errors.js';
import { RateLimitedLog, type Logger } from './log.js';
import { decodeStatusRequest, encodeStatusError, encodeStatusResponse, StatusErrors, type StatusValues } from './proto/status.js';
import { zeromq } from './zeromq.js';

/**
 * ZeroMQ drops the connection of a peer that sends more (no answer then):
 * any local user can connect, and a request is 16 bytes, so nobody gets to
 * make a root process buffer megabytes.
 */
export const MAX_REQUEST_BYTES = 4096;

/**
 * The one port of the process. `--control` is a group option (as in the
 * reference), but the port serves the totals of all groups, so groups may
 * repeat the same port or leave it off; two different ports are refused
 * (the reference silently used the first).
 */
export function statusPortOf(groups: ChannelOptions[]): number {
  let port = 0;
  let from = 0;
  for (const g of groups) {
    if (g.control === 0) continue;
    if (port !== 0 && g.control !== port) {
      throw new UserError(`groups ${from} and ${g.index} give different --control ports (${port}, ${g.control}): one status port serves the whole process`);
    }
    port = g.control;
    from ||= g.index;
  }
  return port;
}

/** Process totals (spec §9): first packet the earliest, last packet the latest, everything else summed over channels. */
export function processTotals(snapshots: ChannelSnapshot[]): StatusValues {
  let first = 0;
  let last = 0;
  const v = { capturedBytes: 0n, capturedPackets: 0n, captureDrops: 0n, forwardedBytes: 0n, forwardedPackets: 0n };
  for (const s of snapshots) {
    if (s.firstPacketSec > 0 && (first === 0 || s.firstPacketSec < first)) first = s.firstPacketSec;
    last = Math.max(last, s.lastPacketSec);
    const f = forwarded(s);
    v.capturedBytes += BigInt(s.captured.bytes);
    v.capturedPackets += BigInt(s.captured.packets);
    v.captureDrops += BigInt(s.kernel.dropped);
    v.forwardedBytes += BigInt(f.bytes);
    v.forwardedPackets += BigInt(f.packets);
  }
  return { firstPacketSec: first, lastPacketSec: last, ...v };
}

export class StatusPort {
  private socket: Reply | null = null;
  private serving: Promise<void> = Promise.resolve();
  private readonly refusals: RateLimitedLog;

  constructor(readonly port: number, private readonly totals: () => StatusValues, private readonly log: Logger) {
    this.refusals = new RateLimitedLog(log);
  }

  /** Binds tcp://127.0.0.1:PORT and starts answering; throws UserError when the port cannot be bound. */
  async open(): Promise<void> {
    const address = `tcp://127.0.0.1:${this.port}`;
    // linger 0: an answer to a client that has gone must not hold up the exit.
    const socket = new (zeromq().Reply)({ linger: 0, maxMessageSize: MAX_REQUEST_BYTES });
    try {
      await socket.bind(address);
    } catch (e) {
      socket.close();
      throw new UserError(`--control ${this.port}: cannot listen on ${address}: ${(e as Error).message}`);
    }
    this.socket = socket;
    this.log.info(`status port listening on ${address}`);
    this.serving = this.serve(socket);
  }

  private async serve(socket: Reply): Promise<void> {
    try {
      for (;;) {
        await socket.send(this.answer(await socket.receive()));
      }
    } catch (e) {
      // close() ends the loop through a rejected receive; anything else would leave the port dead, so say so.
      if (!socket.closed) {
        this.log.error(`status port: ${(e as Error).message}; no longer answering`);
        socket.close();
      }
    }
  }

  /** The status, or an error reply (proto/status.ts) for anything that is not one valid 16-byte frame. */
  private answer(frames: Buffer[]): Buffer {
    if (frames.length !== 1) {
      this.refusals.error('request', `status port: refused a request of ${frames.length} frames`);
      return encodeStatusError({ error: StatusErrors.size, magicOrder: 'le', queryId: 0 });
    }
    const d = decodeStatusRequest(frames[0]!);
    if (d.ok) return encodeStatusResponse(d, this.totals());
    this.refusals.error('request', `status port: refused a request: ${d.reason}`);
    return encodeStatusError(d);
  }

  /** Stops answering and releases the port. */
  async close(): Promise<void> {
    this.socket?.close();
    await this.serving;
  }
}

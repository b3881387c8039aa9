/**
 * `--mbps` (spec §4.2): a dropping limiter, never a delay. Time is the
 * frames' capture timestamps, not the wall clock, so replaying a file limits
 * exactly as a live capture would. Bytes are counted as the forwarder will
 * put them on the wire (§5.2-5.4).
 */
import { StageCounters } from '../counters.js';
import type { Batch } from '../packet.js';
import type { CountingStage } from './batch-stage.js';
import { GRE_HEADER_LEN } from '../proto/gre.js';
import { UDP_HEADER_LEN } from '../proto/ipv4.js';
import { VXLAN_HEADER_LEN } from '../proto/vxlan.js';

export type ForwardTransport = 'gre' | 'vxlan' | 'zmq';

/** The summary's name for the frames `--mbps` dropped. */
export const THROTTLE_DROP = 'throttled';

/** A frame this far ahead of its budget is dropped. */
const MAX_AHEAD_US = 100_000;
/** A frame this far behind its budget restarts the window (the link was idle). */
const IDLE_RESTART_US = 1_000_000;
/** Outer IPv4 payload per fragment, and the Ethernet + IPv4 headers each fragment costs. */
const FRAGMENT_PAYLOAD = 1480;
const FRAGMENT_OVERHEAD = 14 + 20;

function tunnelled(payload: number): number {
  return payload + FRAGMENT_OVERHEAD * Math.ceil(payload / FRAGMENT_PAYLOAD);
}

const ACCOUNT: Readonly<Record<ForwardTransport, (caplen: number) => number>> = {
  gre: (c) => tunnelled(c + GRE_HEADER_LEN),
  vxlan: (c) => tunnelled(c + UDP_HEADER_LEN + VXLAN_HEADER_LEN),
  zmq: (c) => c,
};

/** Bytes one frame of `caplen` captured bytes costs the budget when forwarded over `transport`. */
export function accountedBytes(transport: ForwardTransport, caplen: number): number {
  return ACCOUNT[transport](caplen);
}

export class Throttle {
  /** Chosen once: the per-packet path does not switch on the transport (STYLE 11). */
  private readonly account: (caplen: number) => number;
  /**
   * An explicit flag rather than the reference's "start_us 0 = unset": with
   * timestamps at the epoch (synthetic captures) that sentinel never stops
   * being unset and nothing is ever limited.
   */
  private started = false;
  private startUs = 0;
  private bytes = 0;

  constructor(private readonly mbps: number, transport: ForwardTransport) {
    if (!(mbps > 0)) throw new RangeError(`Throttle needs mbps > 0, got ${mbps}`);
    this.account = ACCOUNT[transport];
  }

  /** True when the frame (captured at tsSec.tsNsec, caplen bytes) fits the budget (and is then accounted); false when it must be dropped. */
  admit(tsSec: number, tsNsec: number, caplen: number): boolean {
    const t = tsSec * 1e6 + Math.floor(tsNsec / 1000);
    if (!this.started) {
      this.started = true;
      this.startUs = t;
    } else {
      // bytes / (mbps / 8) written as bytes * 8 / mbps: one rounding instead
      // of two, so floor() cannot fall one µs short on an exact quotient.
      const due = this.startUs + Math.floor((this.bytes * 8) / this.mbps);
      // §4.2 says "t < due and due − t > 100 ms"; the second implies the first.
      if (due - t > MAX_AHEAD_US) return false;
      if (t > due + IDLE_RESTART_US) {
        this.startUs = t;
        this.bytes = 0;
      }
    }
    this.bytes += this.account(caplen);
    return true;
  }
}

/**
 * The throttle stage: refused frames leave the batch and are counted in the
 * stage's counters. mbps <= 0 (no limit) gives a no-op function.
 */
export function makeThrottleStage(mbps: number, transport: ForwardTransport): CountingStage {
  const counters = new StageCounters(THROTTLE_DROP);
  if (mbps <= 0) return { fn: () => {}, counters };
  const throttle = new Throttle(mbps, transport);
  // One closure per stage, not per packet.
  const admit = (i: number, b: Batch): boolean => throttle.admit(b.tsSec[i]!, b.tsNsec[i]!, b.caplen[i]!);
  const fn = (batch: Batch): void => {
    counters.dropped += batch.retain(admit);
  };
  return { fn, counters };
}

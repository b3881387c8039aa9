/**
 * The periodic statistics line (spec §8.2), one per channel every
 * `--stats-interval` seconds, through the log4js category `stats` so that a
 * log configuration can send it to a file of its own. The reference's
 * columns come first, unchanged, for tools that parse them:
 *
 *   first_sec,pkt_sec,ps_recv,ps_drop,ps_ifdrop,0,,uptime_s,bps,pps,,captured,forwarded:captured-forwarded,
 *
 * then ours: what each sink wrote or sent, and every drop reason that has
 * counted something. A header line precedes the first line and every 20th,
 * as the reference's does. Unlike the reference, a line is written on a
 * timer, also while no packet arrives (a quiet link is news too).
 */
import { forwarded, type ChannelSnapshot } from './channel.js';
import type { Logger } from './log.js';

export const STATS_HEADER = 'first_time,pkt_time,ps_recv,ps_drop,ps_ifdrop,filter_drop,,live_time,bps,pps,,recvd_num,total_send:send_drop';
const HEADER_EVERY = 20;

/** One line for `cur`; `prev` is the same channel `elapsedSec` earlier (null for the first line: rates 0). */
export function formatStatsLine(prev: ChannelSnapshot | null, cur: ChannelSnapshot, elapsedSec: number, uptimeSec: number): string {
  const rate = (now: number, then: number): number => (prev === null || elapsedSec <= 0 ? 0 : Math.round((now - then) / elapsedSec));
  const bps = rate(cur.captured.bytes * 8, (prev?.captured.bytes ?? 0) * 8);
  const pps = rate(cur.captured.packets, prev?.captured.packets ?? 0);
  const sent = forwarded(cur).packets;
  const k = cur.kernel;
  const reference = `${cur.firstPacketSec},${cur.lastPacketSec},${k.received},${k.dropped},${k.interfaceDropped},0,,${Math.round(uptimeSec)},${bps},${pps},,${cur.captured.packets},${sent}:${cur.captured.packets - sent},`;
  const sinks = cur.sinks.map((s) => `${s.label} ${s.packets}`).join(', ');
  const drops = cur.drops.filter((d) => d.packets > 0).map((d) => `${d.reason} ${d.packets}`);
  return `${reference} sinks: ${sinks}; dropped: ${drops.length ? drops.join(', ') : 'none'}`;
}

/** Writes the lines of `channels()` every `intervalSec` until stop(); the clock and timer can be replaced in tests. */
export class StatsReporter {
  private timer: NodeJS.Timeout | null = null;
  private readonly started: number;
  private last: { at: number; snapshots: Map<number, ChannelSnapshot> } | null = null;
  private lines = 0;

  constructor(
    private readonly channels: () => ChannelSnapshot[],
    private readonly log: Logger,
    private readonly intervalSec: number,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  start(): void {
    this.timer = setInterval(() => this.report(), this.intervalSec * 1000);
    // The statistics never keep a finished process alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One line per channel now (the timer calls it; so may a test). */
  report(): void {
    const at = this.now();
    const snapshots = this.channels();
    const elapsed = this.last === null ? 0 : (at - this.last.at) / 1000;
    for (const s of snapshots) {
      if (this.lines++ % HEADER_EVERY === 0) this.log.info(`# [${new Date(at).toISOString()}] ${STATS_HEADER}`);
      this.log.info(`[-${String(s.index).padStart(2, '0')}-] ${formatStatsLine(this.last?.snapshots.get(s.index) ?? null, s, elapsed, (at - this.started) / 1000)}`);
    }
    this.last = { at, snapshots: new Map(snapshots.map((s) => [s.index, s])) };
  }
}

/**
 * The live counter on a terminal, like dumpcap's `Packets: N`: one status line
 * on standard error, rewritten in place a few times a second:
 *
 *   Packets: 1234 captured, 1200 to dump, 1200 to gre, 34 dropped
 *
 * Only when standard error is a terminal and -q was not given: services,
 * pipes and log files never see it.
 *
 * Log lines must not be garbled by it, and they are written by log4js through
 * whichever appender the user configured (stderr, or `console`, which is
 * stdout). So rather than knowing the appenders, the status line owns the
 * terminal's streams while it is shown: every write to a terminal stream
 * first erases it, and the next tick draws it again below what was written.
 * Writes to a terminal are synchronous in Node, so the erase always lands
 * just before the text it makes room for.
 */
import type { ChannelSnapshot } from './channel.js';

/** At most this often: dumpcap updates about as often; more would only flicker. */
export const STATUS_PERIOD_MS = 250;

/** Return to column 0 and clear to the end of the line (ECMA-48 EL). */
const ERASE = '\r\x1b[K';

/**
 * The status text for the channels' totals, summed over channels; sinks by label, in first-seen
 * order; dropped: every drop reason and the kernel's drops.
 */
export function statusText(snapshots: ChannelSnapshot[]): string {
  let captured = 0;
  let dropped = 0;
  const sinks = new Map<string, number>();
  for (const s of snapshots) {
    captured += s.captured.packets;
    dropped += s.kernel.dropped + s.kernel.interfaceDropped;
    for (const d of s.drops) dropped += d.packets;
    for (const k of s.sinks) sinks.set(k.label, (sinks.get(k.label) ?? 0) + k.packets);
  }
  return [`Packets: ${captured} captured`, ...[...sinks].map(([label, n]) => `${n} to ${label}`), `${dropped} dropped`].join(', ');
}

type Write = NodeJS.WriteStream['write'];

/**
 * Shows the status line on `out` until the returned function is called,
 * which erases it and gives the streams back; a no-op when `out` is not a
 * terminal or `quiet`. `text` is read at every tick. `others`: further
 * streams whose writes must erase the line first when they are terminals
 * (stdout: log4js's console appender).
 */
export function startStatusLine(text: () => string, quiet: boolean, out: NodeJS.WriteStream = process.stderr, others: NodeJS.WriteStream[] = [process.stdout]): () => void {
  if (quiet || !out.isTTY) return () => {};
  const write = out.write.bind(out) as (s: string) => boolean;
  let shown = '';
  const erase = (): void => {
    if (shown === '') return;
    shown = '';
    write(ERASE);
  };
  const patched = [out, ...others.filter((s) => s.isTTY && s !== out)].map((stream) => {
    const original = stream.write;
    stream.write = function (this: NodeJS.WriteStream, ...args: Parameters<Write>) {
      erase();
      return (original as (...a: Parameters<Write>) => boolean).apply(this, args);
    } as Write;
    return { stream, original };
  });
  const draw = (): void => {
    // Wider than the terminal, the line would wrap and \r would return to its last row only.
    const line = text().slice(0, Math.max(0, (out.columns || 80) - 1));
    if (line === shown) return;
    write(ERASE + line);
    shown = line;
  };
  const timer = setInterval(draw, STATUS_PERIOD_MS);
  timer.unref();
  // An exit that does not pass through stop (a second Ctrl-C) still leaves a clean line for the shell prompt.
  process.on('exit', erase);
  return () => {
    clearInterval(timer);
    process.off('exit', erase);
    erase();
    for (const { stream, original } of patched) stream.write = original;
  };
}

/**
 * The log entries the next metrics report carries to the manager (spec
 * §10.4 Report `logs`): what the daemon and its captures logged at INFO and
 * above since the last report that the manager accepted. The reference threw
 * them away before every report; here a report that fails keeps them for the
 * next one, up to a bound, and what the bound drops is counted in an entry.
 */
import type { Logger } from '../log.js';
import { epoch, type ReportLog } from './models.js';

/** A day of a busy daemon at one report a minute would not reach it; a manager outage might. */
export const MAX_REPORT_LOGS = 1000;

export type ReportLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export class ReportLogBuffer {
  private entries: ReportLog[] = [];
  private dropped = 0;

  constructor(private readonly max = MAX_REPORT_LOGS, private readonly now: () => number = Date.now) {}

  add(level: ReportLevel, details: string): void {
    if (level === 'DEBUG') return;
    const t = epoch(this.now());
    this.entries.push({ logTimestamp: t.s, logMicroTimestamp: t.us, logLevel: level, logDetails: details });
    this.trim();
  }

  /** The entries for a report, oldest first; the buffer is empty until `restore`. */
  take(): ReportLog[] {
    const out = this.entries;
    if (this.dropped > 0) {
      const t = epoch(this.now());
      out.unshift({ logTimestamp: t.s, logMicroTimestamp: t.us, logLevel: 'WARN', logDetails: `${this.dropped} earlier log entries were dropped: the manager did not take reports` });
      this.dropped = 0;
    }
    this.entries = [];
    return out;
  }

  /** A report that did not reach the manager: its entries go before the newer ones. */
  restore(sent: ReportLog[]): void {
    this.entries = [...sent, ...this.entries];
    this.trim();
  }

  private trim(): void {
    const over = this.entries.length - this.max;
    if (over > 0) {
      this.entries.splice(0, over);
      this.dropped += over;
    }
  }
}

/** A logger that also puts INFO and above into the next report. */
export function reportingLogger(log: Logger, buffer: ReportLogBuffer): Logger {
  return {
    debug: (m) => log.debug(m),
    info: (m) => (log.info(m), buffer.add('INFO', m)),
    warn: (m) => (log.warn(m), buffer.add('WARN', m)),
    error: (m) => (log.error(m), buffer.add('ERROR', m)),
  };
}

/**
 * log4js set-up. The configuration file is, in order: `--log-config FILE`,
 * the PKTMINERG_LOG_CONFIG environment variable, `logconfig.json` at the top
 * of the package (console on stderr + a size-rolling pktminerg.log).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import log4js from 'log4js';
import { UserError } from './errors.js';

/** What the library logs through: a log4js logger, or a prefixing wrapper around one. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const DEFAULT_LOG_CONFIG = fileURLToPath(new URL('../../logconfig.json', import.meta.url));
export const LOG_CONFIG_ENV = 'PKTMINERG_LOG_CONFIG';

export function configureLogging(path: string | null): void {
  const file = path ?? process.env[LOG_CONFIG_ENV] ?? DEFAULT_LOG_CONFIG;
  let config: log4js.Configuration;
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as log4js.Configuration;
    log4js.configure(config);
  } catch (e) {
    throw new UserError(`cannot use log configuration ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
}

export function getLogger(category = 'pktminerg'): Logger {
  return log4js.getLogger(category);
}

/** A logger whose lines start with `prefix`, e.g. a channel's `[-01-] ` (spec §8.1). */
export function prefixedLogger(log: Logger, prefix: string): Logger {
  return {
    debug: (m) => log.debug(prefix + m),
    info: (m) => log.info(prefix + m),
    warn: (m) => log.warn(prefix + m),
    error: (m) => log.error(prefix + m),
  };
}

/** Flushes file appenders; call before exiting. */
export function shutdownLogging(): Promise<void> {
  return new Promise((resolve) => log4js.shutdown(() => resolve()));
}

/** Logs at most one line per `periodMs` per key, with the count of lines held back. */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; held: number }>();
  constructor(private readonly log: Logger, private readonly periodMs = 10_000) {}

  error(key: string, message: string): void {
    const now = Date.now();
    const s = this.last.get(key);
    if (s && now - s.at < this.periodMs) {
      s.held++;
      return;
    }
    const held = s?.held ?? 0;
    this.last.set(key, { at: now, held: 0 });
    this.log.error(held ? `${message} (${held} more like this since the last report)` : message);
  }
}

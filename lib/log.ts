/**
 * log4js set-up. The configuration file is, in order: `--log-config FILE`,
 * the PKTMINERG_LOG_CONFIG environment variable, `logconfig.json` at the top
 * of the package (standard error only: a default log file in the working
 * directory followed planted links and stopped users who cannot write there).
 *
 * log4js opens its files following links, so a file appender is accepted
 * only in a directory nobody but the agent's user or root can write to, and
 * not if the file is a link (README "Logging").
 */
import { lstatSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import log4js from 'log4js';
import { describeErrno, UserError } from './errors.js';
import { euid, untrustedDirectory } from './trusted-path.js';

/** What the library logs through: a log4js logger, or a prefixing wrapper around one. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const DEFAULT_LOG_CONFIG = fileURLToPath(new URL('../../logconfig.json', import.meta.url));
export const LOG_CONFIG_ENV = 'PKTMINERG_LOG_CONFIG';

/** `stdoutTaken`: standard output carries data (`-w -`); appenders writing there are refused. */
/** What configureLogging was last given, so that reopenLogging can do it again. */
let configuredWith: { path: string | null; stdoutTaken: boolean } | null = null;

export function configureLogging(path: string | null, stdoutTaken = false): void {
  configuredWith = { path, stdoutTaken };
  const file = path ?? process.env[LOG_CONFIG_ENV] ?? DEFAULT_LOG_CONFIG;
  let config: log4js.Configuration;
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as log4js.Configuration;
  } catch (e) {
    throw new UserError(`cannot use log configuration ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  for (const appender of Object.values(config.appenders ?? {}) as { type?: unknown; filename?: unknown }[]) {
    if (typeof appender.filename === 'string') checkLogFile(file, appender.filename);
    // log4js's console appender is console.log, i.e. standard output too.
    if (stdoutTaken && (appender.type === 'stdout' || appender.type === 'console')) {
      throw new UserError(`log configuration ${file}: its '${appender.type}' appender writes to standard output, which -w - uses for packets; log to stderr or a file`);
    }
  }
  try {
    log4js.configure(config);
  } catch (e) {
    throw new UserError(`cannot use log configuration ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
}

function checkLogFile(config: string, filename: string): void {
  const path = resolve(filename);
  const refuse = (why: string): UserError => new UserError(`log configuration ${config}: refusing log file ${path}: ${why}`);
  let why: string | null;
  try {
    why = untrustedDirectory(statSync(dirname(path)), 'no other writers');
  } catch (e) {
    throw refuse(`its directory: ${describeErrno(e)}`);
  }
  if (why) throw refuse(`its directory ${dirname(path)}: ${why}`);
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st?.isSymbolicLink()) throw refuse('it is a symbolic link');
  if (st && st.uid !== euid()) throw refuse(`owned by uid ${st.uid}, not by the agent's user`);
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

/**
 * SIGHUP, after logrotate moved the files: closes every appender and opens
 * them again from the same configuration, so new lines go to new files at the
 * configured paths (checked again as at start-up). Capture is not touched;
 * only log lines written during the switch may be lost.
 */
export async function reopenLogging(): Promise<void> {
  if (configuredWith === null) return;
  await shutdownLogging();
  configureLogging(configuredWith.path, configuredWith.stdoutTaken);
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

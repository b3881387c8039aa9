/**
 * The one top-level catch every command shares: user errors and decode
 * errors become one line on stderr and exit status 1; anything else is a bug
 * and keeps its stack trace.
 */
import { UserError, isDecodeError } from '../lib/errors.js';
import { libpcapVersion } from '../lib/native/addon.js';
import { PACKAGE_VERSION } from '../lib/version.js';

/**
 * SIGINT and SIGTERM as an AbortSignal, whose reason says which (`by SIGTERM`): the receiving tools
 * stop on it; the process-wide handlers belong here, in the command, not in lib/.
 */
export function stopOnSignals(): AbortSignal {
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => stop.abort(`by ${sig}`));
  return stop.signal;
}

export function runCli(name: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      if (e instanceof UserError || isDecodeError(e)) process.stderr.write(`${name}: ${e.message}\n`);
      else process.stderr.write(`${name}: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

/** `-v`: the reference's version line, naming this implementation, its Node and the libpcap inside the addon. */
export function writeVersion(name: string): void {
  const libpcap = libpcapVersion();
  process.stdout.write(`~ ${name} version ${PACKAGE_VERSION} (packet-agent, node ${process.version}, ${libpcap ? `libpcap ${libpcap}` : 'no native addon'})\n`);
}

/** As daemons do: SIGHUP reopens the log files (for logrotate) instead of ending the process. */
export function reopenLogsOnSighup(name: string): void {
  // Imported when needed: the commands that call this have log4js loaded already, the tools that share this file never load it.
  process.on('SIGHUP', () => {
    import('../lib/log.js')
      .then((log) => log.reopenLogging())
      .catch((e: Error) => process.stderr.write(`${name}: SIGHUP: cannot reopen the log files: ${e.message}\n`));
  });
}

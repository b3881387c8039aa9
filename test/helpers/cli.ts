/** Runs the built CLIs as child processes, the way users run them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = join(ROOT, 'fixtures');

/** A log4js configuration with the default layout on stderr only: no log files from tests. */
export const STDERR_LOG_CONFIG = join(mkdtempSync(join(tmpdir(), 'pa-log-')), 'log.json');
writeFileSync(
  STDERR_LOG_CONFIG,
  JSON.stringify({
    appenders: { console: { type: 'stderr', layout: { type: 'pattern', pattern: '[%d{yyyy-MM-dd hh:mm:ss}][%p] %m' } } },
    categories: { default: { appenders: ['console'], level: 'info' } },
  }),
);

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(command: string, args: string[], opts: { stdin?: 'pipe' | 'ignore'; env?: NodeJS.ProcessEnv; cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [join(ROOT, 'dist', 'cli', `${command}.js`), ...args], {
    stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, TZ: 'UTC', PKTMINERG_LOG_CONFIG: STDERR_LOG_CONFIG, ...opts.env },
    cwd: opts.cwd ?? tmpdir(),
  });
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

export function runCli(command: string, args: string[], opts: Parameters<typeof startCli>[2] = {}): Promise<CliResult> {
  return collect(startCli(command, args, opts));
}

/**
 * Child Node processes for the addon's tests: what must happen in a process of its own (another
 * namespace or user, --expose-gc, worker threads, an exception that might be fatal) runs as an ES
 * module written to a temporary file, which gets the addon module's path as its first argument.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

export const ADDON_MODULE = join(ROOT, 'dist', 'lib', 'native', 'addon.js');
/** For scripts that read the batch buffers (readCaptureBatch into a PacketBatch): `await import(${JSON.stringify(...)})`. */
export const CAPTURE_BATCH_MODULE = join(ROOT, 'dist', 'lib', 'proto', 'capture-batch.js');
export const PACKET_MODULE = join(ROOT, 'dist', 'lib', 'packet.js');

export interface ScriptOptions {
  /** A command the script runs under: ['ip', 'netns', 'exec', ns], ['runuser', '-u', 'nobody', '--']. */
  prefix?: string[];
  nodeFlags?: string[];
  stdin?: string;
}

export interface ScriptResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runScript(script: string, args: string[], opts: ScriptOptions = {}): Promise<ScriptResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pa-addon-'));
  // Readable by another user (runuser -u nobody).
  chmodSync(dir, 0o755);
  const file = join(dir, 'script.mjs');
  writeFileSync(file, script, { mode: 0o644 });
  const [command, ...rest] = [...(opts.prefix ?? []), process.execPath, ...(opts.nodeFlags ?? []), file, ADDON_MODULE, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(command!, rest, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.stdin.end(opts.stdin ?? '');
    child.on('error', reject);
    child.on('close', (code, signal) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs the script; resolves with its stdout parsed as JSON, rejects unless it exits 0. */
export async function runJson(script: string, args: string[], opts: ScriptOptions = {}): Promise<unknown> {
  const r = await runScript(script, args, opts);
  if (r.code !== 0) throw new Error(`script exited ${r.code ?? r.signal}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Script text: `sockets()` gives the set of 'socket:[inode]' links of the process's descriptors. */
export const SOCKETS_FN = `
import { readdirSync as readdir_, readlinkSync as readlink_ } from 'node:fs';
function sockets() {
  const links = new Set();
  for (const fd of readdir_('/proc/self/fd')) {
    try {
      const link = readlink_('/proc/self/fd/' + fd);
      if (link.startsWith('socket:')) links.add(link);
    } catch {
      // the directory's own descriptor, gone by now
    }
  }
  return links;
}
`;

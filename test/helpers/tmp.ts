/**
 * Temporary directories for tests, removed when the test process exits,
 * however its tests ended (a directory a test still uses while it runs must
 * not go earlier; node --test runs each file in its own process).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

export function tmp(prefix = 'pa-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

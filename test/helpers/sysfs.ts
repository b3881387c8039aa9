/** A fake /sys/class/net: a directory tree with the attribute files the kernel shows for each interface. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export function writeTree(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** One interface's files, each ending in a newline as sysfs writes them. */
export function fakeNic(name: string, ifindex: number, flags: string, operstate: string, address: string, mtu: number): Record<string, string> {
  return {
    [`${name}/ifindex`]: `${ifindex}\n`,
    [`${name}/flags`]: `${flags}\n`,
    [`${name}/operstate`]: `${operstate}\n`,
    [`${name}/address`]: `${address}\n`,
    [`${name}/mtu`]: `${mtu}\n`,
  };
}

/** A temporary tree holding `files`, removed when `t` ends. */
export function fakeSysNet(t: TestContext, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'pa-sysnet-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeTree(root, files);
  return root;
}

/**
 * A libvirt guest as the agent sees it: its live XML in /run/libvirt/qemu,
 * written by the test. The file, and the directories when they were absent,
 * are removed when the test ends.
 */
import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

const RUN_DIR = '/run/libvirt/qemu';

/** Returns a function that (re)writes guest `name`'s live XML with its first NIC on `tap`, MAC `mac`. */
export function fakeGuest(t: TestContext, name: string): (tap: string, mac: string) => void {
  const made: string[] = [];
  for (const d of ['/run/libvirt', RUN_DIR]) {
    if (!existsSync(d)) {
      mkdirSync(d);
      made.unshift(d);
    }
  }
  const xml = join(RUN_DIR, `${name}.xml`);
  t.after(() => {
    rmSync(xml, { force: true });
    for (const d of made) rmdirSync(d);
  });
  return (tap, mac) =>
    writeFileSync(xml, `<domstatus><domain type='kvm' id='7'><name>${name}</name><devices><interface type='bridge'><mac address='${mac}'/><target dev='${tap}'/></interface></devices></domain></domstatus>\n`);
}

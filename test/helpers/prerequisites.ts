/**
 * What the suite needs besides Node and the npm packages: root (network
 * namespaces, raw sockets, live capture) and the programs below. A missing
 * one is reported by name with the Debian package that provides it; no test
 * passes or skips quietly without it.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Each program the tests run, and the Debian package (as .ci/run installs it) that provides it. */
const PROGRAMS: { program: string; pkg: string }[] = [
  { program: 'ip', pkg: 'iproute2' },
  { program: 'tcpdump', pkg: 'tcpdump' },
  { program: 'tcpreplay', pkg: 'tcpreplay' },
  { program: 'tcprewrite', pkg: 'tcpreplay' },
  { program: 'groff', pkg: 'groff-base' },
  { program: 'script', pkg: 'bsdutils' },
  { program: 'systemd-analyze', pkg: 'systemd' },
  { program: 'openssl', pkg: 'openssl' },
  { program: 'nft', pkg: 'nftables' },
  { program: 'python3', pkg: 'python3' },
  { program: 'x86_64-w64-mingw32-gcc', pkg: 'mingw-w64' },
  { program: 'x86_64-w64-mingw32-dlltool', pkg: 'mingw-w64' },
];

export const PREREQUISITE_PACKAGES = [...new Set(PROGRAMS.map((p) => p.pkg))];

export const isRoot = (): boolean => process.getuid?.() === 0;

/** Found the way execFileSync and spawn look a program up: an executable file in a PATH directory. */
function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** What this machine lacks, e.g. ["tcpreplay (apt-get install tcpreplay)"]; empty when the whole suite can run. */
export function missingPrerequisites(): string[] {
  const missing = isRoot() ? [] : ['root (the live tests build network namespaces and capture packets)'];
  for (const { program, pkg } of PROGRAMS) if (!onPath(program)) missing.push(`${program} (apt-get install ${pkg})`);
  return missing;
}

/** Throws one line naming everything missing: a live suite then fails at once, with the reason, instead of on its first spawn. */
export function assertPrerequisites(): void {
  const missing = missingPrerequisites();
  if (missing.length > 0) throw new Error(`missing: ${missing.join(', ')}`);
}

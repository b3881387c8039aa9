/** The recorded adapter lists of fixtures/windows-adapters/ (its README.md), as the addon's adapters() returns them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdapterLists } from '../../lib/windows-adapters.js';
import { FIXTURES } from './cli.js';

export function adapterLists(name: 'chinese-desktop' | 'duplicates'): AdapterLists {
  const json = JSON.parse(readFileSync(join(FIXTURES, 'windows-adapters', `${name}.json`), 'utf8')) as {
    pcap: AdapterLists['pcap'];
    system: (Omit<AdapterLists['system'][number], 'mac'> & { mac: string | null })[];
  };
  return { pcap: json.pcap, system: json.system.map((s) => ({ ...s, mac: s.mac === null ? null : Buffer.from(s.mac.replace(/:/g, ''), 'hex') })) };
}

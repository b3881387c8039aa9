process.env.TZ = 'UTC'; // names carry local time; pin it so the expected names below hold

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { listDumpFiles } from '../../lib/sinks/dump-directory.js';
import { checkDumpName, defaultDumpName, DumpNames } from '../../lib/sinks/dump-name.js';

const T = 1700000007; // 2023-11-14 22:13:27 UTC

test('golden names: every conversion, %% and %{source}, the .k suffix, directories', () => {
  const n = new DumpNames('%{source}/%Y-%m-%d/%H%M%S_%s_100%%_%{source}.pcap', 'eth0');
  assert.equal(n.name(T, 0), 'eth0/2023-11-14/221327_1700000007_100%_eth0.pcap');
  assert.equal(n.name(T, 3), 'eth0/2023-11-14/221327_1700000007_100%_eth0.3.pcap');
  // Local time, like tcpdump -G: a zero-padded month, day and hour.
  assert.equal(new DumpNames('%Y%m%d%H.pcap', 'x').name(Date.UTC(2024, 0, 2, 3) / 1000, 0), '2024010203.pcap');
  assert.equal(new DumpNames(defaultDumpName(0), 'x').name(T, 2), 'pktminerg_dump.2.pcap');
  assert.equal(new DumpNames(defaultDumpName(60), 'x').name(1700000000, 1), '2023111422/pktminerg_dump_20231114221320.1.pcap');
});

test('templates that could leave the source directory, or name no pcap file, are refused naming the flag', () => {
  const refused: [string, RegExp][] = [
    ['/tmp/x.pcap', /is absolute/],
    ['../x.pcap', /must stay inside the source directory/],
    ['a/../../x.pcap', /must stay inside the source directory/],
    ['./x.pcap', /must stay inside the source directory/],
    ['a//x.pcap', /empty path component/],
    ['x.pcap/', /must end in a name ending in \.pcap/],
    ['x.txt', /must end in a name ending in \.pcap/],
    ['a/.pcap', /must end in a name ending in \.pcap/],
    ['.pcap', /must end in a name ending in \.pcap/],
    ['x_%F.pcap', /'%F' in 'x_%F\.pcap' is not one of %Y %m %d %H %M %S %s %% %\{source\}/],
    ['x_%{iface}.pcap', /'%\{' in/],
    ['x%.pcap', /'%\.' in/],
    ['x.pcap%', /'%' at the end|must end in/],
  ];
  for (const [template, why] of refused) {
    assert.throws(() => checkDumpName('--dump-name', template), (e: Error) => e.name === 'UserError' && e.message.startsWith('--dump-name: ') && why.test(e.message), template);
  }
  assert.equal(checkDumpName('--dump-name', 'a/b/%{source}_%s.pcap'), 'a/b/%{source}_%s.pcap');
});

test('the pattern matches every name the template generates, and foreign names not', () => {
  const n = new DumpNames('%Y%m%d%H/%{source}_%Y%m%d%H%M%S.pcap', 'a+b');
  for (const k of [0, 1, 12]) assert.ok(n.sortKey(n.name(T, k)), n.name(T, k));
  const foreign = [
    '2023111422/a+b_20231114221327.0.pcap', // k is never 0 ...
    '2023111422/a+b_20231114221327.01.pcap', // ... nor zero-padded
    '2023111422/a+b_20231114221327.x.pcap',
    '2023111422/a+b_20231114221327.pcap.txt',
    '2023111422/aab_20231114221327.pcap', // the source name is a literal, not a regex
    '2023111421/a+b_20231114221327.pcap', // the hour directory must repeat the file's hour
    '2023111422/a+b_2023111422132.pcap',
    '2023111422/a+b_202311142213270.pcap',
    'a+b_20231114221327.pcap',
    '2023111422/sub/a+b_20231114221327.pcap',
  ];
  for (const name of foreign) assert.equal(n.sortKey(name), null, name);
  assert.deepEqual(n.componentPatterns.map((p) => p.test('2023111422')), [true, false]);
  // %s writes no leading zero, so a zero-padded number is someone else's.
  const epoch = new DumpNames('x_%s.pcap', 'c');
  assert.ok(epoch.sortKey(epoch.name(T, 0)));
  assert.equal(epoch.sortKey('x_01700000007.pcap'), null);
});

test('retention lists our files oldest first by their time, then k, whatever the order of the fields in the name', () => {
  // Day before month: text order would put December's file first.
  const n = new DumpNames('%d.%m.%Y/%H%M%S.pcap', 'x');
  const dir = mkdtempSync(join(tmpdir(), 'dump-name-'));
  const names = [n.name(T + 86400 * 20, 0), n.name(T, 2), n.name(T, 0), n.name(T + 1, 0), n.name(T, 10)];
  for (const name of names) {
    mkdirSync(join(dir, dirname(name)), { recursive: true });
    writeFileSync(join(dir, name), 'x');
  }
  writeFileSync(join(dir, '14.11.2023', 'notes.pcap'), 'not ours');
  assert.deepEqual(
    listDumpFiles(dir, n).map((f) => f.name),
    ['221327.pcap', '221327.2.pcap', '221327.10.pcap', '221328.pcap'].map((f) => join('14.11.2023', f)).concat(join('04.12.2023', '221327.pcap')),
  );
});

test('suffixOf recognises exactly a base name and its .k files', () => {
  assert.equal(DumpNames.suffixOf('d.pcap', 'd.pcap'), 0);
  assert.equal(DumpNames.suffixOf('d.pcap', 'd.7.pcap'), 7);
  for (const other of ['d.0.pcap', 'd.07.pcap', 'dd.pcap', 'd.1.pcap.x', 'd..pcap', 'e.1.pcap']) assert.equal(DumpNames.suffixOf('d.pcap', other), null, other);
});

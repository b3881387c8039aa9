/**
 * `--config FILE`: the groups as JSON go through the same parser as the command line (lib/args.ts);
 * the file's shape, size and trust are checked first, each fault one exact line naming the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandLine } from '../../lib/args.js';
import { UserError } from '../../lib/errors.js';

/** A configuration file (root's or ours, 0644 under the usual umask) holding `doc`, as JSON unless already text. */
function configFile(doc: unknown, mode = 0o644): string {
  const file = join(mkdtempSync(join(tmpdir(), 'pa-config-')), 'capture.json');
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  chmodSync(file, mode);
  return file;
}

const viaConfig = (doc: unknown) => parseCommandLine(['--config', configFile(doc)]);

/** `argv` is refused with exactly `message`, one line. */
function refused(argv: string[], message: string): void {
  assert.throws(() => parseCommandLine(argv), (e: unknown) => e instanceof UserError && e.message === message, message);
}

test('the same groups on the command line and via --config give deep-equal options', () => {
  const lines = [
    '-f x.pcap --dump d --interval 15 -W 4',
    '-i eth0 -k 12 -r 10.1.1.1 --control 20000 -b 512 tcp port 80',
    '-c 0123456789ab -i eth1 --dump /var/cap --interval 60',
    '-f - -r 10.1.1.1,10.1.1.2 -z 5555 --zmq_hwm 7 --slice 128 --dir host_10.0.0.5_and_port_80',
    '--pcapfile - --write -',
  ];
  for (const line of lines) {
    assert.deepEqual(viaConfig({ groups: [line.split(' ')] }), parseCommandLine(line.split(' ')), line);
  }
  // Several groups and global options: the quoted form's channels, numbered alike.
  const quoted = parseCommandLine(['--stats-interval', '30', '-q', ...lines.slice(0, 3)]);
  assert.deepEqual(viaConfig({ options: ['--stats-interval', '30', '-q'], groups: lines.slice(0, 3).map((l) => l.split(' ')) }), quoted);
  assert.deepEqual(quoted.channels.map((c) => c.index), [1, 2, 3]);
});

test('every string is one argument: values keep their spaces and quotes', () => {
  const group = ['-i', 'eth0', '-k', '12', '-r', '10.1.1.1', '--expression', 'tcp port 80 and host "a b"', '--dump', '/var/cap dir', '-w', "it's here.pcap"];
  const [c] = viaConfig({ groups: [group] }).channels;
  assert.equal(c!.expression, 'tcp port 80 and host "a b"');
  assert.equal(c!.dump!.dir, '/var/cap dir');
  assert.equal(c!.write, "it's here.pcap");
  // The plain command-line form (no quoted groups) reads the same argv elements the same way.
  assert.deepEqual(viaConfig({ groups: [group] }).channels, parseCommandLine(group).channels);
});

test("the brief's example document: global options and two groups", () => {
  const cmd = viaConfig({
    options: ['--stats-interval', '30', '--log-config', '/etc/packet-agent/log.json'],
    groups: [
      ['-i', 'eth0', '-k', '12', '-r', '10.1.1.1', '--expression', 'tcp port 80 and host "a b"', '--control', '20000', '-b', '512'],
      ['-c', '0123456789ab', '-i', 'eth1', '--dump', '/var/cap dir', '--interval', '60'],
    ],
  });
  assert.equal(cmd.statsInterval, 30);
  assert.equal(cmd.logConfig, '/etc/packet-agent/log.json');
  assert.deepEqual(cmd.channels.map((c) => [c.index, c.source]), [
    [1, { kind: 'interface', name: 'eth0' }],
    [2, { kind: 'container', id: '0123456789ab', iface: 'eth1' }],
  ]);
  assert.deepEqual(cmd.channels[0]!.forward, { transport: 'gre', remotes: ['10.1.1.1'], key: 12 });
  assert.equal(cmd.channels[0]!.bufferMiB, 512);
  assert.equal(cmd.channels[0]!.control, 20000);
  assert.deepEqual(cmd.channels[1]!.dump, { dir: '/var/cap dir', intervalSec: 60, maxFiles: 0, maxBytes: 0 });
});

test("global options on the command line win over the file's; flags from either count; options may be left out", () => {
  const file = configFile({ options: ['--stats-interval=30', '--metrics', '9100', '-q'], groups: [['-f', 'x', '--dump', 'd']] });
  const both = parseCommandLine(['--stats-interval', '5', '--config', file, '--log-config', 'l.json']);
  assert.equal(both.statsInterval, 5);
  assert.deepEqual(both.metrics, { host: '127.0.0.1', port: 9100 });
  assert.equal(both.quiet, true);
  assert.equal(both.logConfig, 'l.json');
  assert.equal(viaConfig({ groups: [['-f', 'x', '--dump', 'd']] }).statsInterval, 60);
});

test('a file of exactly 1 MiB is read', () => {
  const doc = JSON.stringify({ groups: [['-f', 'x', '--dump', 'd']] });
  assert.equal(viaConfig(doc.padEnd(1 << 20, ' ')).channels.length, 1);
});

test('the command line names the group of an unknown option too, when there are several', () => {
  refused(['-f a --dump d', '-f b --dump d --bogus'], 'group 2: Unknown argument: bogus (try --help)');
});

const faults: [what: string, doc: unknown, message: (file: string) => string][] = [
  ['not JSON', 'not json', (f) => `config ${f}: not JSON: Unexpected token 'o', "not json" is not valid JSON`],
  ['not JSON, quoted across lines', '{"groups":\n\n}', (f) => `config ${f}: not JSON: Unexpected token '}', "{"groups": }" is not valid JSON`],
  ['empty', '', (f) => `config ${f}: not JSON: Unexpected end of JSON input`],
  ['a number for a string', { groups: [['-f', 'x'], ['-f', 'y', '-k', 12]] }, (f) => `config ${f}: groups[1][3]: Invalid input: expected string, received number`],
  ['a string for a group', { groups: ['-f x --dump d'] }, (f) => `config ${f}: groups[0]: Invalid input: expected array, received string`],
  ['no groups', { options: ['-q'] }, (f) => `config ${f}: groups: Invalid input: expected array, received undefined`],
  ['an empty list of groups', { groups: [] }, (f) => `config ${f}: groups: at least one group`],
  ['an unknown key', { groups: [['-f', 'x']], group: [] }, (f) => `config ${f}: Unrecognized key: "group"`],
  ['not an object', [['-f', 'x']], (f) => `config ${f}: Invalid input: expected object, received array`],
  ['several faults', { options: [1], groups: [[2, 3], [4]] }, (f) => `config ${f}: options[0]: Invalid input: expected string, received number; groups[0][0]: Invalid input: expected string, received number; groups[0][1]: Invalid input: expected string, received number; and 1 more`],
  ['a NUL in an argument', { groups: [['-f', 'x', '--dump', 'a\0b']] }, (f) => `config ${f}: groups[0][3]: a NUL character cannot be in an argument`],
  ['257 groups', { groups: Array.from({ length: 257 }, () => ['-f', 'x', '--dump', 'd']) }, (f) => `config ${f}: groups: at most 256 groups`],
  ['1025 tokens in a group', { groups: [['-f', 'x', '--dump', 'd'], Array(1025).fill('-p')] }, (f) => `config ${f}: groups[1]: at most 1024 tokens`],
  ['more than 1 MiB', JSON.stringify({ groups: [['-f', 'x', '--dump', 'd']] }).padEnd((1 << 20) + 1, ' '), (f) => `config ${f}: larger than 1 MiB`],
  ['a group option among the options', { options: ['-i', 'eth0'], groups: [['-f', 'x']] }, (f) => `config ${f}: options: '-i' is not a global option (a group's options go in "groups")`],
  ['a global option without its value', { options: ['--metrics'], groups: [['-f', 'x']] }, (f) => `config ${f}: options: --metrics needs a value`],
  ['--config in the file', { options: ['--config', '/etc/other.json'], groups: [['-f', 'x']] }, (f) => `config ${f}: options: --config cannot name another configuration`],
  ['a bad value in group 2', { groups: [['-f', 'x', '--dump', 'd'], ['-f', 'y', '-r', '10.1.1.1', '-k', 'foo']] }, (f) => `config ${f}: group 2: -k/--keybit: 'foo' is not an integer in 0..4294967295 (try --help)`],
  ['an unknown option in the only group', { groups: [['-f', 'x', '--dump', 'd', '--bogus']] }, (f) => `config ${f}: group 1: Unknown argument: bogus (try --help)`],
  ['a group that does nothing', { groups: [['-f', 'x']] }, (f) => `config ${f}: group 1: nothing to do: give --dump DIR or -w FILE to record, or -r IP to forward (try --help)`],
  ['a bad global option value', { options: ['--stats-interval', 'often'], groups: [['-f', 'x', '--dump', 'd']] }, () => "--stats-interval: 'often' is not an integer in 0..86400 (try --help)"],
];
for (const [what, doc, message] of faults) {
  test(`--config refuses ${what} with one exact line`, () => {
    const file = configFile(doc);
    refused(['--config', file], message(file));
  });
}

test('--config with a group on the command line is a usage error; --config needs a value', () => {
  const file = configFile({ groups: [['-f', 'x', '--dump', 'd']] });
  refused(['--config', file, '-f', 'x.pcap', '--dump', 'd'], `--config: the groups come from ${file}, not from the command line ('-f x.pcap --dump d') (try --help)`);
  refused(['-q', '-f a --dump d', '--config', file], `--config: the groups come from ${file}, not from the command line ('-f a --dump d') (try --help)`);
  refused(['--config'], '--config needs a value (try --help)');
});

test("trust: FILE is refused when it is a link, not a regular file, someone else's, or writable by group or others", () => {
  const doc = { groups: [['-f', 'x', '--dump', 'd']] };
  const good = configFile(doc);
  const link = `${good}.link`;
  symlinkSync(good, link);
  refused(['--config', link], `config ${link}: refused: it is a symbolic link`);
  for (const mode of [0o664, 0o646, 0o666]) {
    const file = configFile(doc, mode);
    refused(['--config', file], `config ${file}: refused: group or others can write to it`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'pa-config-'));
  refused(['--config', dir], `config ${dir}: refused: not a regular file`);
  const missing = join(dir, 'missing.json');
  refused(['--config', missing], `config ${missing}: no such file or directory`);
  // Read-only for group and others is fine, as is a file only its owner may read.
  assert.equal(parseCommandLine(['--config', configFile(doc, 0o400)]).channels.length, 1);
});

test('trust: a file owned by another user is refused (as root, who can give it away)', { skip: process.geteuid?.() !== 0 && 'needs root' }, () => {
  const file = configFile({ groups: [['-f', 'x', '--dump', 'd']] });
  chownSync(file, 12345, 12345);
  refused(['--config', file], `config ${file}: refused: owned by uid 12345, not by the agent's user or root`);
});

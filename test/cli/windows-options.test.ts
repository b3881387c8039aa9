/** The command line on Windows (platform injected): Linux-only options refused in one line, -i takes adapter names, -S accepted without effect. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine } from '../../lib/args.js';
import { checkGroup } from '../../lib/config.js';
import { UserError } from '../../lib/errors.js';

const onWindows = (argv: string[]) => parseCommandLine(argv, 'win32');
const oneLine = (re: RegExp) => (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n');

test('the Linux-only options are refused on Windows, one line naming the flag', () => {
  const id = '3f1a5b7c9d2e4f6a8b0c1d3e5f7a9b2c4d6e8f0a1b3c5d7e9f2a4b6c8d0e1f3a';
  const cases: [string[], RegExp][] = [
    [['-c', id, '-w', 'x.pcap'], /^-c\/--container is not supported on Windows \(containers are Linux network namespaces\) \(try --help\)$/],
    [['-m', 'web1', '-w', 'x.pcap'], /^-m\/--kvm is not supported on Windows/],
    [['-i', '以太网', '-r', '10.1.1.1', '-B', 'eth1'], /^-B\/--bind_device is not supported on Windows/],
    [['-i', '以太网', '-r', '10.1.1.1', '-M', 'do'], /^-M\/--pmtudisc_option is not supported on Windows/],
    [['-i', '以太网', '-r', '10.1.1.1', '--tx', 'packet'], /^--tx is not supported on Windows \(AF_PACKET is Linux\)/],
    [['-i', '以太网', '-w', 'x.pcap', '-p'], /^-p\/--priority is not supported on Windows/],
    [['-i', '以太网', '-w', 'x.pcap', '--cpu', '1'], /^--cpu is not supported on Windows/],
    [['-Z', 'nobody', '-i', '以太网', '-w', 'x.pcap'], /^-Z\/--user is not supported on Windows/],
    [['-i 以太网 -w x.pcap', '-i 以太网 -w y.pcap --cpu 0'], /^group 2: --cpu is not supported on Windows/],
  ];
  for (const [argv, re] of cases) assert.throws(() => onWindows(argv), oneLine(re), argv.join(' '));
  // The same lines are accepted on Linux (the platform is what refuses them).
  assert.equal(parseCommandLine(['-i', 'eth0', '-w', 'x.pcap', '-p', '--cpu', '1'], 'linux').channels[0]!.cpu, 1);
  assert.equal(checkGroup({ interface: 'eth0', write: 'x', priority: false, _: [] }, 1, 'win32')[0]!.priority, false);
});

test('-i on Windows takes friendly names with spaces and any script, and NPF names; Linux keeps its interface-name rule', () => {
  for (const name of ['以太网', '本地连接 2', 'vEthernet (Default Switch)', '\\Device\\NPF_{4B1A8C2E-7D3F-4E21-9A6B-2C5D8E9F0A11}']) {
    assert.deepEqual(onWindows(['-i', name, '-r', '10.1.1.1']).channels[0]!.source, { kind: 'interface', name });
  }
  assert.throws(() => parseCommandLine(['-i', '本地连接 2', '-w', 'x'], 'linux'), oneLine(/cannot be a Linux interface name/));
  assert.throws(() => onWindows(['-i', 'a\tb', '-w', 'x']), oneLine(/cannot be a Windows adapter name/));
  // --config carries a name with a space inside a group of several (the quoted-group form splits at spaces).
});

test('-S/--interface_csets: gb2312 and utf8 are accepted and change nothing (argv is already Unicode in Node); others are refused', () => {
  for (const cset of ['gb2312', 'utf8']) {
    const [c] = onWindows(['-i', '本地连接 2', '-S', cset, '-w', 'x.pcap']).channels;
    assert.deepEqual(c!.source, { kind: 'interface', name: '本地连接 2' }, cset);
    assert.deepEqual(c, onWindows(['-i', '本地连接 2', '-w', 'x.pcap']).channels[0]);
    assert.deepEqual(onWindows([`--interface_csets=${cset}`, '-i', '以太网', '-w', 'x']).channels[0]!.source, { kind: 'interface', name: '以太网' });
  }
  assert.throws(() => onWindows(['-i', '以太网', '-S', 'big5', '-w', 'x']), oneLine(/^-S\/--interface_csets: 'big5' must be gb2312 or utf8/));
});

/**
 * Strategy → pktminerg groups (spec §10.5): the reference's examples as
 * golden argument lists, and what this implementation does differently
 * (one process per strategy, a reserve per process, reasons for skipping).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine } from '../../lib/args.js';
import type { Agent, PacketAgentData } from '../../lib/daemon/models.js';
import { SPEC_EXAMPLE_STRATEGY } from '../helpers/cpm.js';
import { bufferBudget, channelArgs, commonArgs, groupTargets, planCaptures, PROCESS_RESERVE_MIB } from '../../lib/daemon/strategy.js';

const NONE = new Set<string>();

/** The reference's group for one target: source, then getChannelArg, then createParams. */
function referenceGroup(s: PacketAgentData, target: string[], port: number, buffer: number): string[] {
  const channel = s.packetChannelType as 'GRE';
  return [...target, ...channelArgs(s, channel, 0, '/usr/local/bin/uuid'), ...commonArgs(s, channel, port, buffer, [])];
}

test('the example strategy of spec §10.5 item 7 gives the reference argument list, element for element', () => {
  const s: PacketAgentData = SPEC_EXAMPLE_STRATEGY;
  // The reference's group string, split where pktminerg split it, except the expression, which is one element here.
  const expected = '-i eth0 -k 12 -r 10.1.1.1 --expression @ --control 20000 -b 512 --slice 128 --mbps 100 --dir host_10.0.0.5_and_port_80'
    .split(' ')
    .map((w) => (w === '@' ? 'tcp port 80' : w));
  assert.deepEqual(referenceGroup(s, groupTargets({ kind: 'interface', names: ['eth0'] })[0]!, 20000, 512), expected);
});

test("the reference's unit test of createParams: ' --expression host 10.1.1.12 --control 1268 -b 256'", () => {
  assert.deepEqual(commonArgs({ interfaceNames: ['eth0'], bpf: 'host 10.1.1.12' }, 'GRE', 1268, 256, []), ['--expression', 'host 10.1.1.12', '--control', '1268', '-b', '256']);
});

test('with memLimit 512 and one strategy, -b leaves the process reserve out (the reference gave all 512 to the buffer)', () => {
  const agent: Agent = { memLimit: 512, strategy: [{ interfaceNames: ['eth0'], packetChannelType: 'GRE', address: '10.1.1.1' }] };
  const plan = planCaptures(agent, NONE);
  assert.equal(plan.bufferMiB, 512 - PROCESS_RESERVE_MIB);
  assert.deepEqual(plan.captures[0]!.groups(20000), [['-i', 'eth0', '-k', '4294967295', '-r', '10.1.1.1', '--control', '20000', '-b', '416']]);
  assert.deepEqual(plan.problems, []);
});

test('bufferBudget: 256 without a limit; shared by the groups; refused with the reason when the limit cannot hold them', () => {
  assert.deepEqual(bufferBudget(0, 5, 3), { bufferMiB: 256 });
  assert.deepEqual(bufferBudget(1000, 4, 2), { bufferMiB: Math.floor((1000 - 2 * PROCESS_RESERVE_MIB) / 4) });
  assert.deepEqual(bufferBudget(100000, 1, 1), { bufferMiB: 2047 });
  assert.deepEqual(bufferBudget(100, 3, 2), {
    problem: `memLimit 100 MiB cannot hold 2 capture process(es) (${PROCESS_RESERVE_MIB} MiB each) and buffers for 3 target(s); nothing started`,
  });
});

test('channel arguments: GRE, ZMQ, VXLAN v1/v2 and FILE with and without a service tag', () => {
  const u = '/usr/local/bin/uuid';
  assert.deepEqual(channelArgs({}, 'GRE', 0, u), ['-k', '4294967295']);
  assert.deepEqual(channelArgs({ hasServiceTag: false, serviceTag: 9 }, 'GRE', 0, u), ['-k', '4294967295']);
  assert.deepEqual(channelArgs({ hasServiceTag: true, serviceTag: 9, port: 5555 }, 'ZMQ', 0, u), ['-k', '9', '-z', '5555']);
  assert.deepEqual(channelArgs({ port: 5555 }, 'ZMQ', 0, '/var/lib/pa/uuid'), ['-k', '4294967295', '-z', '5555', '--uuid-file', '/var/lib/pa/uuid']);
  assert.deepEqual(channelArgs({ port: 4789 }, 'VXLAN', 0, u), ['--vni1', '16777215', '-x', '4789']);
  assert.deepEqual(channelArgs({ port: 4789, apiVersion: 'v1', hasServiceTag: true, serviceTag: 7 }, 'VXLAN', 0, u), ['--vni1', '7', '-x', '4789']);
  // v2: domain << 8 | flag << 7 | point << 2, per group index, defaults 1, 0, 1.
  const v2: PacketAgentData = { port: 4789, apiVersion: 'v2', observationDomainIds: [5, 6], observationPointIds: [3], extensionFlag: 1 };
  assert.deepEqual(channelArgs(v2, 'VXLAN', 0, u), ['--vni2', String((5 << 8) | (1 << 7) | (3 << 2)), '-x', '4789']);
  assert.deepEqual(channelArgs(v2, 'VXLAN', 1, u), ['--vni2', String((6 << 8) | (1 << 7) | (1 << 2)), '-x', '4789']);
  assert.deepEqual(channelArgs({ port: 4789, apiVersion: 'v2', observationDomainIds: [0xffffffff] }, 'VXLAN', 0, u), ['--vni2', String(0xffffff04), '-x', '4789']);
  assert.deepEqual(channelArgs({ dumpDir: '/var/cap dir' }, 'FILE', 0, u), ['--dump', '/var/cap dir', '--interval', '60', '-k', '4294967295']);
});

test('targets: containers first, ID_if1_if2 as one group per interface, then interfaces, then running guests only', () => {
  const s: PacketAgentData = { containerIds: ['abc', 'def_eth0_eth1'], interfaceNames: ['eth9'], packetChannelType: 'GRE', address: '10.0.0.1' };
  const plan = planCaptures({ strategy: [s, { instanceNames: ['vm1', 'vm2'], packetChannelType: 'GRE', address: '10.0.0.1' }] }, new Set(['vm2']));
  assert.deepEqual(
    plan.captures[0]!.groups(1).map((g) => g.slice(0, 4)),
    [
      ['-c', 'abc', '-k', '4294967295'],
      ['-c', 'def', '-i', 'eth0'],
      ['-c', 'def', '-i', 'eth1'],
    ],
  );
  assert.deepEqual(plan.captures[1]!.groups(2).map((g) => g.slice(0, 2)), [['-m', 'vm2']]);
  // A guest starting changes the identity of that strategy's process only.
  const later = planCaptures({ strategy: [s, { instanceNames: ['vm1', 'vm2'], packetChannelType: 'GRE', address: '10.0.0.1' }] }, new Set(['vm1', 'vm2']));
  assert.equal(later.captures[0]!.identity, plan.captures[0]!.identity);
  assert.notEqual(later.captures[1]!.identity, plan.captures[1]!.identity);
});

test('groupTargets: an ID_if1_if2 container is passed as the manager wrote it, scheme and case kept; pktminerg checks it', () => {
  assert.deepEqual(groupTargets({ kind: 'container', names: ['containerd://ABC_eth0_eth1', 'docker://Def', 'x_'] }), [
    ['-c', 'containerd://ABC', '-i', 'eth0'],
    ['-c', 'containerd://ABC', '-i', 'eth1'],
    ['-c', 'docker://Def'],
    ['-c', 'x', '-i', ''],
  ]);
});

test('strategies that cannot run are skipped with their reason; the others still run', () => {
  const ok: PacketAgentData = { interfaceNames: ['eth0'], packetChannelType: 'GRE', address: '10.0.0.1' };
  const plan = planCaptures(
    {
      strategy: [
        { ...ok, packetChannelType: 'SFLOW' },
        { ...ok, packetChannelType: 'ZMQ' },
        { ...ok, address: undefined },
        { ...ok, packetChannelType: 'FILE', address: undefined },
        { packetChannelType: 'GRE', address: '10.0.0.1' },
        { ...ok, instanceNames: ['vm1'], interfaceNames: undefined },
        { ...ok, startup: '--slice "128' },
        { ...ok, capTime: 1 },
      ],
    },
    NONE,
  );
  assert.deepEqual(plan.problems, [
    "strategy 1: packetChannelType 'SFLOW' is not GRE, ZMQ, VXLAN or FILE; skipped",
    'strategy 2: ZMQ without a port; skipped (the reference sent to port 0)',
    'strategy 3: GRE without an address; skipped',
    'strategy 4: FILE without a dumpDir; skipped',
    'strategy 5: no containerIds, interfaceNames or instanceNames; skipped',
    'strategy 6: none of its guests (vm1) is running; nothing to capture yet',
    'strategy 7: startup: unterminated " at character 9; skipped',
    'strategy 8: capTime applies to VXLAN only; ignored for GRE',
  ]);
  assert.deepEqual(plan.captures.map((c) => c.strategy), [8]);
  assert.ok(!plan.captures[0]!.groups(1)[0]!.includes('--capTime'));
});

test('a BPF with quotes, a dump path with spaces and quoted startup words reach pktminerg intact, and its parser accepts them', () => {
  const s: PacketAgentData = {
    interfaceNames: ['eth0'],
    packetChannelType: 'FILE',
    dumpDir: '/var/cap dir/x',
    dumpInterval: 15,
    bpf: 'ether host 00:11:22:33:44:55 and not (port 22)',
    startup: `--snaplen 96 --dump-name 'cap %Y.pcap'`,
    sliceLen: 200,
  };
  const [group] = planCaptures({ strategy: [s] }, NONE).captures[0]!.groups(20001);
  assert.deepEqual(group, [
    '-i', 'eth0', '--dump', '/var/cap dir/x', '--interval', '15', '-k', '4294967295',
    '--expression', 'ether host 00:11:22:33:44:55 and not (port 22)', '--control', '20001', '-b', '256', '--slice', '200',
    '--snaplen', '96', '--dump-name', 'cap %Y.pcap',
  ]);
  // The same tokens on pktminerg's command line (one group) give these options.
  const [channel] = parseCommandLine(group!).channels;
  assert.equal(channel!.expression, 'ether host 00:11:22:33:44:55 and not (port 22)');
  assert.equal(channel!.dump?.dir, '/var/cap dir/x');
});

/** The one reader of interfaces in sysfs, on a fake /sys/class/net, and the addresses by interface name. */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { addressesByName, classicFlags, readSysfsInterface, sysfsInterfaces, type SysfsInterface } from '../lib/net-interfaces.js';
import { fakeNic, fakeSysNet } from './helpers/sysfs.js';

function tree(t: TestContext): string {
  return fakeSysNet(t, {
    ...fakeNic('eth0', 2, '0x1003', 'up', '02:AB:CD:EF:00:01', 1500),
    ...fakeNic('lo', 1, '0x9', 'unknown', '00:00:00:00:00:00', 65536),
    ...fakeNic('tun0', 3, '0x1091', 'unknown', '', 1420),
    bonding_masters: '\n',
  });
}

describe('readSysfsInterface', () => {
  it('every attribute: ifindex, flags (0x hex), operstate, address in lower case, mtu', (t) => {
    const root = tree(t);
    assert.deepEqual(readSysfsInterface('eth0', root), { name: 'eth0', ifindex: 2, flags: 0x1003, operstate: 'up', address: '02:ab:cd:ef:00:01', mtu: 1500 });
    assert.deepEqual(readSysfsInterface('tun0', root), { name: 'tun0', ifindex: 3, flags: 0x1091, operstate: 'unknown', address: '', mtu: 1420 });
  });

  it('null for no such interface, a file beside them, and one removed while read', (t) => {
    const root = tree(t);
    assert.equal(readSysfsInterface('nothere', root), null);
    assert.equal(readSysfsInterface('bonding_masters', root), null);
    rmSync(join(root, 'eth0', 'mtu'));
    assert.equal(readSysfsInterface('eth0', root), null);
  });

  it('a value that is not a number is an error naming the file', (t) => {
    const root = tree(t);
    writeFileSync(join(root, 'lo', 'ifindex'), 'one\n');
    assert.throws(() => readSysfsInterface('lo', root), { message: `${join(root, 'lo', 'ifindex')}: "one" is not a number` });
  });
});

describe('sysfsInterfaces', () => {
  it('the interfaces include accepts, skipping what is not one; the others are not read', (t) => {
    const root = tree(t);
    assert.deepEqual(sysfsInterfaces(() => true, root).map((n) => n.name).sort(), ['eth0', 'lo', 'tun0']);
    writeFileSync(join(root, 'lo', 'mtu'), 'lots\n');
    assert.deepEqual(sysfsInterfaces((name) => name === 'eth0', root).map((n) => n.name), ['eth0']);
    assert.throws(() => sysfsInterfaces(() => true, root), /"lots" is not a number/);
  });
});

describe('classicFlags', () => {
  const nic = (flags: number, operstate: string): SysfsInterface => ({ name: 'x', ifindex: 1, flags, operstate, address: '', mtu: 1500 });
  it('RUNNING when up and operationally up or unknown; 16 bits', () => {
    assert.equal(classicFlags(nic(0x1003, 'up')), 4163);
    assert.equal(classicFlags(nic(0x9, 'unknown')), 73);
    assert.equal(classicFlags(nic(0x1003, 'down')), 0x1003);
    assert.equal(classicFlags(nic(0x1003, 'dormant')), 0x1003);
    assert.equal(classicFlags(nic(0x1002, 'up')), 0x1002, 'not up: never running');
    assert.equal(classicFlags(nic(0x40081, 'unknown')), 0xc1, 'IFF_ECHO (1 << 18) is cut');
  });
});

describe('addressesByName', () => {
  it('an alias label (eth0:1) is an address of eth0; interfaces in the order given', () => {
    const labels = { lo: [{ address: '127.0.0.1' }, { address: '::1' }], eth0: [{ address: '10.0.0.1' }, { address: 'fe80::1' }], 'eth0:1': [{ address: '10.0.0.9' }], eth1: [] };
    assert.deepEqual([...addressesByName(labels)], [
      ['lo', ['127.0.0.1', '::1']],
      ['eth0', ['10.0.0.1', 'fe80::1', '10.0.0.9']],
      ['eth1', []],
    ]);
  });
});

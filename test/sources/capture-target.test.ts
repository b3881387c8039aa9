/** Host, container and guest targets with fake system views: what each look reports, and when it looks again. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LinkEntry } from '../../lib/native/addon.js';
import { ContainerTarget, hostLink, KvmTarget } from '../../lib/sources/capture-target.js';
import type { KvmNic } from '../../lib/sources/kvm.js';
import { fakeNic, fakeSysNet } from '../helpers/sysfs.js';

const ID = 'ab'.repeat(32);
const MAC = Buffer.from('02aabbccddee', 'hex');

/** A container runtime as the target sees it: one init process with one namespace, or none. */
class FakeRuntime {
  clock = 0;
  scans = 0;
  pid: number | null = 100;
  inode = 5000;
  interfaces: LinkEntry[] = [{ name: 'eth0', ifindex: 3, up: true, mac: MAC, addresses: ['10.0.0.5'] }];
  find(id: string) {
    this.scans++;
    return this.pid === null ? null : { pid: this.pid, id };
  }
  netnsInode(pid: number) {
    return pid === this.pid ? this.inode : null;
  }
  links(netns: string): LinkEntry[] {
    assert.equal(netns, `/proc/${this.pid}/ns/net`);
    return this.interfaces;
  }
  now() {
    return this.clock;
  }
}

function containerTarget(rt: FakeRuntime): ContainerTarget {
  return new ContainerTarget(ID, 'eth0', { find: (id) => rt.find(id), netnsInode: (pid) => rt.netnsInode(pid), links: (ns) => rt.links(ns), now: () => rt.now() });
}

describe('ContainerTarget', () => {
  it('a running container: its interface, in its namespace, with its MAC and addresses; named by id prefix and interface', () => {
    const rt = new FakeRuntime();
    const t = containerTarget(rt);
    const l = t.look();
    assert.deepEqual([l.state, l.device, l.netns, l.instance], ['up', 'eth0', '/proc/100/ns/net', '5000:3']);
    assert.equal(l.mac, MAC);
    assert.deepEqual(l.addresses('eth0'), ['10.0.0.5']);
    assert.equal(l.addresses('eth9'), undefined);
    assert.equal(t.name, `${ID.slice(0, 12)}_eth0`);
    assert.equal(t.label, `container ${ID.slice(0, 12)} (pid 100) eth0`);
  });

  it('while it runs, /proc is scanned once, not at every look', () => {
    const rt = new FakeRuntime();
    const t = containerTarget(rt);
    for (let i = 0; i < 20; i++) t.look();
    assert.equal(rt.scans, 1);
  });

  it('stopped: absent, and looked for again at most once a second', () => {
    const rt = new FakeRuntime();
    rt.pid = null;
    const t = containerTarget(rt);
    for (let i = 0; i < 4; i++) {
      assert.deepEqual([t.look().state, t.look().why], ['absent', 'container not running']);
      rt.clock += 250;
    }
    assert.equal(rt.scans, 1);
    rt.clock += 1;
    t.look();
    assert.equal(rt.scans, 2);
  });

  it('restarted (new process, new namespace): a new instance, so the source reopens there', () => {
    const rt = new FakeRuntime();
    const t = containerTarget(rt);
    const before = t.look().instance;
    rt.pid = 200;
    rt.inode = 6000;
    const after = t.look();
    assert.notEqual(after.instance, before);
    assert.deepEqual([after.state, after.netns], ['up', '/proc/200/ns/net']);
  });

  it('its interface down, or missing', () => {
    const rt = new FakeRuntime();
    const t = containerTarget(rt);
    rt.interfaces = [{ ...rt.interfaces[0]!, up: false }];
    assert.deepEqual([t.look().state, t.look().why], ['down', 'interface is down']);
    rt.interfaces = [];
    assert.deepEqual([t.look().state, t.look().why], ['absent', 'no interface eth0 in the container']);
  });
});

describe('KvmTarget', () => {
  it("the guest's current tap is opened; --dir auto gets the guest's MAC; a restart onto another tap is a new instance", () => {
    let nic: KvmNic | null = { tap: 'lo', mac: MAC };
    const t = new KvmTarget('web1', { resolve: () => nic, now: () => 0 });
    const l = t.look();
    // `lo` stands in for a tap: any interface of ours works the same.
    assert.deepEqual([l.state, l.device, l.netns], ['up', 'lo', null]);
    assert.equal(l.mac, MAC);
    nic = { tap: 'nosuchtap0', mac: MAC };
    const moved = t.look();
    assert.notEqual(moved.instance, l.instance);
    assert.deepEqual([moved.state, moved.why], ['absent', 'no tap nosuchtap0']);
    assert.equal(t.name, 'web1');
    assert.equal(t.label, 'guest web1 (nosuchtap0)');
  });

  it('not running: absent, and resolved again at most once a second (the fallback runs virsh)', () => {
    let clock = 0;
    let calls = 0;
    const t = new KvmTarget('web1', { resolve: () => (calls++, null), now: () => clock });
    for (let i = 0; i < 4; i++, clock += 250) assert.equal(t.look().state, 'absent');
    assert.equal(calls, 1);
    clock += 1;
    t.look();
    assert.equal(calls, 2);
  });
});

describe("hostLink: an interface of the agent's own namespace, from sysfs", () => {
  it('up, down, absent; re-created is a new instance; its MAC as 6 bytes', (t) => {
    const root = fakeSysNet(t, { ...fakeNic('eth0', 2, '0x1003', 'up', '02:AB:CD:EF:00:01', 1500), ...fakeNic('eth1', 3, '0x1002', 'down', '02:ab:cd:ef:00:02', 1500), bonding_masters: '\n' });
    const eth0 = hostLink('eth0', root);
    assert.deepEqual([eth0.state, eth0.why, eth0.instance, eth0.device, eth0.netns, eth0.mac], ['up', '', '2', 'eth0', null, Buffer.from('02abcdef0001', 'hex')]);
    const eth1 = hostLink('eth1', root);
    assert.deepEqual([eth1.state, eth1.why, eth1.instance], ['down', 'interface is down', '3']);
    for (const name of ['eth9', 'bonding_masters']) {
      const l = hostLink(name, root);
      assert.deepEqual([l.state, l.why, l.instance, l.mac], ['absent', 'no such interface', '', null], name);
    }
    writeFileSync(join(root, 'eth0', 'ifindex'), '7\n');
    assert.equal(hostLink('eth0', root).instance, '7');
    writeFileSync(join(root, 'eth0', 'flags'), 'garbage\n');
    assert.equal(hostLink('eth0', root).state, 'absent', 'a value that cannot be read: going away');
    assert.deepEqual(hostLink('any', root).state, 'up');
  });
});

/**
 * The host's interfaces: a fake sysfs tree for the flags, this host checked
 * against `ip -j address`, and a network namespace built by the test with
 * known interfaces, listed by a Node process started inside it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import { hostInterfaces, type NetworkInterface } from '../../lib/daemon/host-interfaces.js';
import { until } from '../helpers/cgroups.js';
import { ROOT } from '../helpers/cli.js';
import { deleteNetns, ip, macOf, netnsAvailable } from '../helpers/netns.js';
import { fakeNic, fakeSysNet } from '../helpers/sysfs.js';

/** Interface flag bits by the names `ip` prints (linux/if.h). */
const BITS: Record<string, number> = {
  UP: 0x1, BROADCAST: 0x2, DEBUG: 0x4, LOOPBACK: 0x8, POINTOPOINT: 0x10, NOTRAILERS: 0x20, NOARP: 0x80, PROMISC: 0x100,
  ALLMULTI: 0x200, MASTER: 0x400, SLAVE: 0x800, MULTICAST: 0x1000, PORTSEL: 0x2000, AUTOMEDIA: 0x4000, DYNAMIC: 0x8000,
};

/** SIOCGIFFLAGS from `ip`'s names: ip prints no RUNNING, but NO-CARRIER for an interface that is up and not running. */
function flagsOf(names: string[]): number {
  const running = names.includes('UP') && !names.includes('NO-CARRIER') ? 0x40 : 0;
  return names.reduce((f, n) => f | (BITS[n] ?? 0), running);
}

interface IpAddress {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  address?: string;
  addr_info: { local: string }[];
}

/** What `ip -j address` says of the interfaces, in the form hostInterfaces gives, addresses sorted. */
function fromIp(args: string[] = []): NetworkInterface[] {
  const links = JSON.parse(execFileSync('ip', [...args, '-j', 'address', 'show']).toString()) as IpAddress[];
  return links
    .map((l) => ({ index: l.ifindex, name: l.ifname, flags: flagsOf(l.flags), inetAddresses: l.addr_info.map((a) => a.local).sort(), mac: l.address ?? '', mtu: l.mtu }))
    .sort((a, b) => a.index - b.index);
}

const sortedAddresses = (list: NetworkInterface[]): NetworkInterface[] => list.map((n) => ({ ...n, inetAddresses: [...n.inetAddresses].sort() }));

describe('hostInterfaces on a fake /sys/class/net', () => {
  function fakeTree(t: TestContext): string {
    return fakeSysNet(t, {
      ...fakeNic('zz-up', 2, '0x1003', 'up', '02:AB:CD:EF:00:01', 1500),
      ...fakeNic('aa-down', 3, '0x1002', 'down', '02:ab:cd:ef:00:02', 1500),
      ...fakeNic('no-cable', 4, '0x1003', 'down', '02:ab:cd:ef:00:03', 9000),
      ...fakeNic('dormant', 5, '0x1003', 'dormant', '02:ab:cd:ef:00:04', 1500),
      ...fakeNic('loop', 6, '0x9', 'unknown', '00:00:00:00:00:00', 65536),
      ...fakeNic('can', 7, '0x40081', 'unknown', '', 72),
      bonding_masters: '\n',
    });
  }

  it('adds RUNNING only when up and operationally up or unknown, keeps 16 bits, sorts by index, skips a file', (t) => {
    const nic = (index: number, name: string, flags: number, mac: string, mtu: number): NetworkInterface => ({ index, name, flags, inetAddresses: [], mac, mtu });
    assert.deepEqual(hostInterfaces(null, fakeTree(t)), [
      nic(2, 'zz-up', 4163, '02:ab:cd:ef:00:01', 1500),
      nic(3, 'aa-down', 4098, '02:ab:cd:ef:00:02', 1500),
      nic(4, 'no-cable', 4099, '02:ab:cd:ef:00:03', 9000),
      nic(5, 'dormant', 4099, '02:ab:cd:ef:00:04', 1500),
      nic(6, 'loop', 73, '00:00:00:00:00:00', 65536),
      // UP|NOARP|RUNNING; IFF_ECHO (1 << 18) is above the classic 16 bits.
      nic(7, 'can', 0xc1, '', 72),
    ]);
  });

  it('the registration JSON, byte for byte: fields in the order of spec §10.4', (t) => {
    assert.equal(
      JSON.stringify(hostInterfaces(['zz-up', 'loop'], fakeTree(t))),
      '[{"index":2,"name":"zz-up","flags":4163,"inetAddresses":[],"mac":"02:ab:cd:ef:00:01","mtu":1500},{"index":6,"name":"loop","flags":73,"inetAddresses":[],"mac":"00:00:00:00:00:00","mtu":65536}]',
    );
  });

  it('include keeps the named interfaces in index order; unknown names are left out', (t) => {
    assert.deepEqual(
      hostInterfaces(['loop', 'nothere', 'zz-up'], fakeTree(t)).map((n) => n.name),
      ['zz-up', 'loop'],
    );
    assert.deepEqual(hostInterfaces([], fakeTree(t)), []);
    // What is not included is not read: a broken value there is no error.
    const root = fakeTree(t);
    writeFileSync(join(root, 'can', 'mtu'), 'lots\n');
    assert.deepEqual(hostInterfaces(['loop'], root).map((n) => n.name), ['loop']);
  });

  it('an unreadable value is an error naming the file', (t) => {
    const root = fakeTree(t);
    writeFileSync(join(root, 'loop', 'mtu'), 'lots\n');
    assert.throws(() => hostInterfaces(null, root), { message: `${join(root, 'loop', 'mtu')}: "lots" is not a number` });
  });
});

describe('hostInterfaces on this host', () => {
  it('lo is index 1, flags 73 (UP|LOOPBACK|RUNNING), mtu 65536, 127.0.0.1 and ::1', () => {
    const lo = hostInterfaces(['lo'])[0];
    const ipv6 = existsSync('/proc/net/if_inet6') && /\blo$/m.test(readFileSync('/proc/net/if_inet6', 'latin1'));
    assert.deepEqual({ ...lo, inetAddresses: [...lo!.inetAddresses].sort() }, {
      index: 1, name: 'lo', flags: 73, inetAddresses: ipv6 ? ['127.0.0.1', '::1'] : ['127.0.0.1'], mac: '00:00:00:00:00:00', mtu: 65536,
    });
  });

  it('every interface, also those without addresses, as `ip -j address` shows them', () => {
    const list = hostInterfaces(null);
    assert.deepEqual(sortedAddresses(list), fromIp());
    for (const n of list) for (const a of n.inetAddresses) assert.ok(!a.includes('%'), a);
  });
});

describe('hostInterfaces in a network namespace', { skip: !netnsAvailable() && 'needs root' }, () => {
  it('lo, a veth pair up with an alias label, one up without carrier and one down, as a Node process inside lists them', async (t) => {
    const ns = `pa${process.pid}if`;
    t.after(() => deleteNetns(ns));
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    for (const dev of ['v0', 'v1']) ip('-n', ns, 'link', 'set', dev, 'addrgenmode', 'none'); // no link-local address to predict
    ip('-n', ns, 'addr', 'add', '10.253.7.1/24', 'dev', 'v0');
    ip('-n', ns, 'addr', 'add', '10.253.7.9/24', 'dev', 'v0', 'label', 'v0:1');
    ip('-n', ns, 'addr', 'add', 'fd00:5041::1/64', 'dev', 'v0', 'nodad');
    for (const dev of ['v0', 'v1']) ip('-n', ns, 'link', 'set', dev, 'up');
    // A second pair with one end up and one down: up without carrier, and down.
    ip('-n', ns, 'link', 'add', 'd0', 'address', '02:aa:bb:cc:dd:ee', 'mtu', '9000', 'type', 'veth', 'peer', 'name', 'd1');
    ip('-n', ns, 'link', 'set', 'd0', 'up');
    // The kernel settles a carrier change (operstate) a moment later.
    await until('both veth ends are operationally up', () => ['v0', 'v1'].every((dev) => readOperstate(ns, dev) === 'UP'));

    const module = pathToFileURL(join(ROOT, 'dist', 'lib', 'daemon', 'host-interfaces.js')).href;
    const script = `import { hostInterfaces } from '${module}'; console.log(JSON.stringify([hostInterfaces(null), hostInterfaces(['d0', 'lo', 'nothere'])]));`;
    const [all, some] = JSON.parse(execFileSync('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', script]).toString()) as NetworkInterface[][];

    const index = Object.fromEntries(fromIp(['-n', ns]).map((n) => [n.name, n.index]));
    const lo = { index: 1, name: 'lo', flags: 73, inetAddresses: ['127.0.0.1', '::1'], mac: '00:00:00:00:00:00', mtu: 65536 };
    // UP|BROADCAST|MULTICAST: up, but not RUNNING without a carrier.
    const d0 = { index: index.d0!, name: 'd0', flags: 4099, inetAddresses: [], mac: '02:aa:bb:cc:dd:ee', mtu: 9000 };
    const want = [
      lo,
      { index: index.v0!, name: 'v0', flags: 4163, inetAddresses: ['10.253.7.1', '10.253.7.9', 'fd00:5041::1'], mac: macOf(ns, 'v0'), mtu: 1500 },
      { index: index.v1!, name: 'v1', flags: 4163, inetAddresses: [], mac: macOf(ns, 'v1'), mtu: 1500 },
      d0,
      { index: index.d1!, name: 'd1', flags: 4098, inetAddresses: [], mac: macOf(ns, 'd1'), mtu: 1500 },
    ].sort((a, b) => a.index - b.index);
    assert.deepEqual(sortedAddresses(all!), want);
    assert.deepEqual(sortedAddresses(all!), fromIp(['-n', ns]), 'as ip sees them');
    assert.deepEqual(sortedAddresses(some!), [lo, d0]);
  });
});

function readOperstate(ns: string, dev: string): string {
  const [link] = JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'link', 'show', 'dev', dev]).toString()) as { operstate: string }[];
  return link!.operstate;
}

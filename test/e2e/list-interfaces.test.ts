/**
 * `pktminerg -D` against what iproute2 says: inside a namespace the test
 * builds (veths up and down, IPv4 and IPv6 addresses), every interface with
 * its kernel index and state; a container the test plays (a namespace, a
 * process in it, a docker-named cgroup) and a guest (a libvirt live XML file)
 * are listed too, in the text and the --json forms.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import type { Listing } from '../../lib/list-interfaces.js';
import { runCli, startProcess, waitForStderr } from '../helpers/cli.js';
import { makeCgroup, moveInto, v2Root } from '../helpers/cgroups.js';
import { deleteNetns, ip, netnsAvailable } from '../helpers/netns.js';
import { fakeGuest } from '../helpers/libvirt.js';
import { assertPrerequisites } from '../helpers/prerequisites.js';

let made = 0;

/** A namespace with lo and a veth pair, a0 (up, IPv4 + IPv6) to b0 (down). */
function namespace(t: TestContext): string {
  const ns = `pald${process.pid}x${made++}`;
  ip('netns', 'add', ns);
  t.after(() => deleteNetns(ns));
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  ip('-n', ns, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0');
  ip('-n', ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'a0');
  ip('-n', ns, 'addr', 'add', '2001:db8::1/64', 'dev', 'a0', 'nodad');
  ip('-n', ns, 'link', 'set', 'a0', 'up');
  return ns;
}

/** `ip -o link`: index, name (without `@peer`) and whether the UP flag is set, by name. */
function ipLinks(ns: string): Map<string, { index: number; up: boolean }> {
  const text = execFileSync('ip', ['-n', ns, '-o', 'link', 'show']).toString();
  const links = new Map<string, { index: number; up: boolean }>();
  for (const line of text.split('\n').filter((l) => l !== '')) {
    const m = /^(\d+): ([^:@]+)(?:@[^:]+)?: <([^>]*)>/.exec(line);
    assert.ok(m, `unexpected ip -o link line: ${line}`);
    links.set(m[2]!, { index: Number(m[1]), up: m[3]!.split(',').includes('UP') });
  }
  return links;
}

describe('-D, --list-interfaces', { skip: !netnsAvailable() && 'needs root' }, () => {
  test('before', () => assertPrerequisites());

  test('lists every interface of the namespace as ip -o link shows it: index, name, state; then any; addresses', async (t) => {
    const ns = namespace(t);
    const r = await runCli(t, 'pktminerg', ['-D'], { netns: ns });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    const expected = [...ipLinks(ns)].sort((a, b) => a[1].index - b[1].index);
    assert.equal(expected.length, 3);
    const listed = lines.slice(0, expected.length).map((l) => /^(\d+)\.(\S+) \[(Up|Down)\]/.exec(l)?.slice(1));
    assert.deepEqual(
      listed,
      expected.map(([name, l]) => [String(l.index), name, l.up ? 'Up' : 'Down']),
    );
    assert.equal(lines[expected.length], 'any (all interfaces, Linux cooked frames) [Up]');
    const a0 = lines.find((l) => /^\d+\.a0 /.test(l));
    // No link-local address: b0 is down, so a0 has no carrier.
    assert.match(a0!, /^\d+\.a0 \[Up\] 192\.0\.2\.1, 2001:db8::1$/);
    assert.match(lines.find((l) => /^\d+\.b0 /.test(l))!, /^\d+\.b0 \[Down\]$/);
  });

  test('--json: one document; the interfaces match ip -o link, with MACs and addresses', async (t) => {
    const ns = namespace(t);
    const r = await runCli(t, 'pktminerg', ['--list-interfaces', '--json'], { netns: ns });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as Listing;
    assert.deepEqual(Object.keys(doc), ['interfaces', 'containers', 'guests']);
    const links = ipLinks(ns);
    const real = doc.interfaces.filter((i) => i.index !== null);
    assert.deepEqual(
      real.map((i) => [i.name, i.index, i.up]),
      [...links].sort((a, b) => a[1].index - b[1].index).map(([name, l]) => [name, l.index, l.up]),
    );
    assert.deepEqual(doc.interfaces.at(-1), { index: null, name: 'any', up: true, mac: null, addresses: [] });
    const [link] = JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'link', 'show', 'dev', 'a0']).toString()) as { address: string }[];
    const a0 = real.find((i) => i.name === 'a0')!;
    assert.equal(a0.mac, link!.address);
    assert.deepEqual(a0.addresses.slice(0, 2), ['192.0.2.1', '2001:db8::1']);
  });

  test('a running container (found by its cgroup) and a KVM guest (live XML) are listed, with the container\'s interfaces', async (t) => {
    const id = randomBytes(32).toString('hex');
    const ns = `palc${process.pid}x${made++}`;
    ip('netns', 'add', ns);
    t.after(() => deleteNetns(ns));
    ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0');
    ip('-n', ns, 'addr', 'add', '198.51.100.7/24', 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    const init = startProcess(t, 'sh', ['-c', 'echo ready >&2; exec sleep 300'], { netns: ns });
    await waitForStderr(init, /ready/);
    moveInto(makeCgroup(t, v2Root(), `docker-${id}.scope`), init);

    const guest = `pa-list-${process.pid}`;
    fakeGuest(t, guest)('vnet77', '52:54:00:12:34:56');

    const text = await runCli(t, 'pktminerg', ['-D']);
    assert.equal(text.code, 0, text.stderr);
    const inside = ipLinks(ns);
    const expected = [...inside]
      .sort((a, b) => a[1].index - b[1].index)
      .map(([name, l]) => `${l.index}.${name} [${l.up ? 'Up' : 'Down'}]${name === 'eth0' ? ' 198.51.100.7' : ''}`);
    assert.equal(expected.length, 3);
    assert.ok(text.stdout.split('\n').includes(`container ${id.slice(0, 12)} pid ${init.pid}: ${expected.join('; ')}`), text.stdout);
    assert.match(text.stdout, new RegExp(`^guest ${guest}: tap vnet77, guest MAC 52:54:00:12:34:56$`, 'm'));

    const json = await runCli(t, 'pktminerg', ['-D', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout) as Listing;
    const c = doc.containers.find((x) => x.id === id);
    assert.ok(c, json.stdout);
    assert.equal(c.pid, init.pid);
    const eth0 = c.interfaces?.find((i) => i.name === 'eth0');
    const [link] = JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'link', 'show', 'dev', 'eth0']).toString()) as { address: string }[];
    assert.deepEqual(eth0, { index: inside.get('eth0')!.index, name: 'eth0', up: true, mac: link!.address, addresses: ['198.51.100.7'] });
    assert.deepEqual(doc.guests.find((g) => g.name === guest), { name: guest, tap: 'vnet77', mac: '52:54:00:12:34:56' });
  });
});

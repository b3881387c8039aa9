/**
 * Containers and guests for real, played by the test: a "container" is a
 * network namespace with a veth whose other end is in a peer namespace (the
 * host side, where tcpreplay sends), a long-running process inside it, moved
 * into a cgroup named the way docker names its own. A "guest" is a veth named
 * like a tap and a libvirt live XML file naming it. Everything is removed
 * when each test ends, however it ends.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { collect, runCli, startCli, waitForSize, waitForStderr } from '../helpers/cli.js';
import { readPcapFile } from '../helpers/capture-files.js';
import { until } from '../helpers/cgroups.js';
import { fakeGuest } from '../helpers/libvirt.js';
import { deleteNetns, ip, macOf, netnsAvailable, replay } from '../helpers/netns.js';
import { assertPrerequisites } from '../helpers/prerequisites.js';
import { fakeContainer, network, noIpv6, SAMPLE, sameFrames, startInit } from '../helpers/containers.js';
import { tmp } from '../helpers/tmp.js';

const LIVE = { timeout: 60_000 };

describe('containers (-c) and guests (-m), played by the test', { skip: !netnsAvailable() && 'needs root' }, () => {
  test('before', () => assertPrerequisites());

  for (const form of ['full id', 'docker://id', '12-digit prefix'] as const) {
    test(`-c with the ${form}: the dump holds exactly the frames replayed into the container's eth0`, LIVE, async (t) => {
      const c = await fakeContainer(t);
      const arg = form === 'full id' ? c.id : form === 'docker://id' ? `docker://${c.id}` : c.id.slice(0, 12);
      const out = tmp();
      const agent = startCli(t, 'pktminerg', ['-c', arg, '--dump', out, '--count', '8']);
      const done = collect(agent);
      await waitForStderr(agent, new RegExp(`capturing on container ${c.id.slice(0, 12)} \\(pid ${c.init.pid}\\) eth0`));
      replay(c.host, 'h0', SAMPLE);
      const r = await done;
      assert.equal(r.code, 0, r.stderr);
      await sameFrames(t, SAMPLE, join(out, `${c.id.slice(0, 12)}_eth0`, 'pktminerg_dump.pcap'));
    });
  }

  test('a Kubernetes pod container (containerd, systemd driver: kubepods…/cri-containerd-<id>.scope), named as Kubernetes reports it', LIVE, async (t) => {
    const uid = randomBytes(16).toString('hex');
    const c = await fakeContainer(t, ['eth0'], (id) => `kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uid}.slice/cri-containerd-${id}.scope`);
    const out = tmp();
    const agent = startCli(t, 'pktminerg', ['-c', `containerd://${c.id}`, '--dump', out, '--count', '8']);
    const done = collect(agent);
    await waitForStderr(agent, /capturing on container/);
    replay(c.host, 'h0', SAMPLE);
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`captured 8 packets \\(5496 bytes\\) on container ${c.id.slice(0, 12)} \\(pid ${c.init.pid}\\) eth0`));
    await sameFrames(t, SAMPLE, join(out, `${c.id.slice(0, 12)}_eth0`, 'pktminerg_dump.pcap'));
  });

  test("the manager's ID_eth0_eth1: one channel per interface, each dump its own", LIVE, async (t) => {
    const c = await fakeContainer(t, ['eth0', 'eth1']);
    const out = tmp();
    const agent = startCli(t, 'pktminerg', ['-c', `${c.id}_eth0_eth1`, '--dump', out, '--count', '8']);
    const done = collect(agent);
    await waitForStderr(agent, /\[-02-\] capturing on container .* eth1/);
    replay(c.host, 'h0', SAMPLE);
    replay(c.host, 'h1', SAMPLE);
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    for (const dev of ['eth0', 'eth1']) await sameFrames(t, SAMPLE, join(out, `${c.id.slice(0, 12)}_${dev}`, 'pktminerg_dump.pcap'));
  });

  test("--expression 'host nic.eth0' means the container's address, not the host's", LIVE, async (t) => {
    const c = await fakeContainer(t);
    const agent = startCli(t, 'pktminerg', ['-c', c.id, '--dump', tmp(), '--expression', 'host', 'nic.eth0']);
    await waitForStderr(agent, new RegExp(`capturing on container .* eth0 with filter '\\(host 10\\.254\\.${c.n}\\.1\\)'`));
  });

  test('--dir auto inside a container: frames from the container\'s MAC are out, the others in', LIVE, async (t) => {
    const c = await fakeContainer(t);
    const mine = join(tmp(), 'mine.pcap');
    execFileSync('tcprewrite', [`--enet-smac=${macOf(c.ns, 'eth0')}`, `--infile=${SAMPLE}`, `--outfile=${mine}`], { stdio: 'ignore' });
    const out = join(tmp(), 'zmq.pcap');
    const rx = startCli(t, 'zmqdump', ['--port', '0', '--bind', '127.0.0.1', '-o', out]);
    const rxDone = collect(rx);
    const port = (await waitForStderr(rx, /listening on \S*?127\.0\.0\.1:(\d+)/))[1]!;
    const agent = startCli(t, 'pktminerg', ['-c', c.id, '--dir', 'auto', '-r', '127.0.0.1', '-z', port, '--count', '16', '--uuid-file', '/nonexistent']);
    const done = collect(agent);
    await waitForStderr(agent, /capturing on container/);
    replay(c.host, 'h0', mine);
    replay(c.host, 'h0', SAMPLE);
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /zmq: delivered 16 packets/);
    await waitForSize(out, 24 + 16 * 16 + 2 * 5496);
    rx.kill('SIGTERM');
    const z = await rxDone;
    assert.match(z.stderr, /16 packets received/);
    assert.match(z.stderr, /received by direction: none 0, in 8, out 8,/);
  });

  test('--workers 2 inside a container: both threads capture the container\'s eth0, every frame forwarded once (ZMQ), counted once', LIVE, async (t) => {
    const c = await fakeContainer(t);
    const out = join(tmp(), 'zmq.pcap');
    const rx = startCli(t, 'zmqdump', ['--port', '0', '--bind', '127.0.0.1', '-o', out]);
    const rxDone = collect(rx);
    const port = (await waitForStderr(rx, /listening on \S*?127\.0\.0\.1:(\d+)/))[1]!;
    const agent = startCli(t, 'pktminerg', ['-c', c.id, '--workers', '2', '-r', '127.0.0.1', '-z', port, '--uuid-file', '/nonexistent']);
    const done = collect(agent);
    // Both lines, in whichever order the threads log them.
    await waitForStderr(agent, /worker (\d)\/2: capturing on container[\s\S]*worker (?!\1)\d\/2: capturing on container/);
    replay(c.host, 'h0', SAMPLE);
    // The 8 frames of sample.pcap (5496 bytes), each with a 16-byte record header, after the file header.
    await waitForSize(out, 24 + 8 * 16 + 5496);
    agent.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /captured 8 packets/);
    assert.match(r.stderr, /zmq: delivered 8 packets/);
    rx.kill('SIGTERM');
    const z = await rxDone;
    assert.match(z.stderr, /8 packets received/);
    // Each flow keeps its order on its thread; across the two threads the order may change.
    const frames = async (path: string): Promise<string[]> => (await readPcapFile(path)).records.map((r) => r.data.toString('hex')).sort();
    assert.deepEqual(await frames(out), await frames(SAMPLE));
  });

  test('a restarted container (new process, new namespace, same id): capture resumes in a new dump file, nothing before it lost', LIVE, async (t) => {
    const c = await fakeContainer(t);
    const out = tmp();
    const agent = startCli(t, 'pktminerg', ['-c', c.id, '--dump', out]);
    const done = collect(agent);
    await waitForStderr(agent, /capturing on container/);
    const dir = join(out, `${c.id.slice(0, 12)}_eth0`);
    replay(c.host, 'h0', SAMPLE);
    await waitForSize(join(dir, 'pktminerg_dump.pcap'), 24 + 8 * 16 + 5496);
    // The container stops: its process exits and its namespace goes away.
    const stopped = waitForStderr(agent, /stopped|waiting for container/);
    c.init.kill('SIGKILL');
    deleteNetns(c.ns);
    await stopped;
    // The namespace (and with it the veth pair) goes once the agent has let go of it.
    await until('the old veth is gone', () => {
      try {
        ip('-n', c.host, 'link', 'show', 'h0');
        return false;
      } catch {
        return true;
      }
    });
    // ...and starts again under the same id.
    network(t, c.ns, c.host, ['eth0'], c.n);
    const started = Date.now();
    const init = await startInit(t, c.ns, c.cgroup);
    await waitForStderr(agent, new RegExp(`capturing on container ${c.id.slice(0, 12)} \\(pid ${init.pid}\\) eth0`));
    t.diagnostic(`capture resumed ${Date.now() - started} ms after the new container process started`);
    replay(c.host, 'h0', SAMPLE);
    await waitForSize(join(dir, 'pktminerg_dump.1.pcap'), 24 + 8 * 16 + 5496);
    agent.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /captured 16 packets/);
    await sameFrames(t, SAMPLE, join(dir, 'pktminerg_dump.pcap'));
    await sameFrames(t, SAMPLE, join(dir, 'pktminerg_dump.1.pcap'));
  });

  test('an unknown container is waited for, said once; bad forms are one line and exit 1', LIVE, async (t) => {
    const ghost = randomBytes(32).toString('hex');
    const agent = startCli(t, 'pktminerg', ['-c', ghost, '--dump', tmp()]);
    const done = collect(agent);
    await waitForStderr(agent, /waiting for container/);
    await new Promise((r) => setTimeout(r, 1500));
    agent.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.match(/waiting for container/g)?.length, 1, r.stderr);
    for (const [args, message] of [
      [['-c', 'abc;rm -rf /', '--dump', tmp()], /^pktminerg: -c\/--container: /],
      [['-c', ghost, '-f', SAMPLE, '--dump', tmp()], /^pktminerg: choose one capture source, not -f and -c\/--container \(try --help\)$/],
      [['-c', ghost, '-m', 'web1', '--dump', tmp()], /^pktminerg: choose one capture source, not -c\/--container and -m\/--kvm \(try --help\)$/],
      [['-c', `${ghost}_eth0`, '-i', 'eth1', '--dump', tmp()], /^pktminerg: -c\/--container: name the interfaces either in the id/],
    ] as const) {
      const bad = await runCli(t, 'pktminerg', [...args]);
      assert.equal(bad.code, 1, bad.stderr);
      assert.match(bad.stderr.trim(), message);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    }
  });

  test('-m: a guest on a tap (its libvirt live XML), --dir auto by the guest MAC, and a restart onto another tap', LIVE, async (t) => {
    const ns = `pam${process.pid}`;
    const host = `${ns}h`;
    for (const n of [ns, host]) {
      ip('netns', 'add', n);
      t.after(() => deleteNetns(n));
    }
    const tap = (name: string, peer: string): void => {
      ip('-n', ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', peer, 'netns', host);
      noIpv6(ns, name);
      noIpv6(host, peer);
      ip('-n', ns, 'link', 'set', name, 'up');
      ip('-n', host, 'link', 'set', peer, 'up');
    };
    tap('vnet40', 'g0');
    tap('vnet41', 'g1');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    const guestMac = macOf(host, 'g0');
    const guest = `pa-test-${process.pid}`;
    const writeXml = fakeGuest(t, guest);
    const liveXml = (tap: string): void => writeXml(tap, guestMac);
    liveXml('vnet40');
    const mine = join(tmp(), 'mine.pcap');
    execFileSync('tcprewrite', [`--enet-smac=${guestMac}`, `--infile=${SAMPLE}`, `--outfile=${mine}`], { stdio: 'ignore' });
    const out = tmp();
    const zmq = join(tmp(), 'zmq.pcap');
    const rx = startCli(t, 'zmqdump', ['--port', '0', '--bind', '127.0.0.1', '-o', zmq], { netns: ns });
    const rxDone = collect(rx);
    const port = (await waitForStderr(rx, /listening on \S*?127\.0\.0\.1:(\d+)/))[1]!;
    const agent = startCli(t, 'pktminerg', ['-m', guest, '--dir', 'auto', '--dump', out, '-r', '127.0.0.1', '-z', port, '--uuid-file', '/nonexistent'], { netns: ns });
    const done = collect(agent);
    await waitForStderr(agent, new RegExp(`capturing on guest ${guest} \\(vnet40\\)`));
    replay(host, 'g0', mine);
    const dir = join(out, guest);
    await waitForSize(join(dir, 'pktminerg_dump.pcap'), 24 + 8 * 16 + 5496);
    // The guest restarts onto another tap.
    liveXml('vnet41');
    await waitForStderr(agent, new RegExp(`capturing on guest ${guest} \\(vnet41\\)`));
    replay(host, 'g1', SAMPLE);
    await waitForSize(join(dir, 'pktminerg_dump.1.pcap'), 24 + 8 * 16 + 5496);
    agent.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /captured 16 packets/);
    assert.deepEqual(readdirSync(dir).sort(), ['pktminerg_dump.1.pcap', 'pktminerg_dump.pcap']);
    assert.equal((await readPcapFile(join(dir, 'pktminerg_dump.1.pcap'))).records.length, 8);
    // Sent by the guest (its MAC as source) → out; the plain sample, to it → in.
    assert.match(r.stderr, /zmq: delivered 16 packets/);
    await waitForSize(zmq, 24 + 16 * 16 + 2 * 5496);
    rx.kill('SIGTERM');
    assert.match((await rxDone).stderr, /received by direction: none 0, in 8, out 8,/);
  });
});

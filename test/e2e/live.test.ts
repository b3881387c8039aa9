/**
 * Live capture for real: fixtures replayed with tcpreplay into one end of a
 * veth pair, pktminerg capturing on the other end, inside network namespaces
 * made (and deleted) by the test.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { collect, FIXTURES, runCli, startCli, startProcess, type CliResult, waitForSize, waitForStderr } from '../helpers/cli.js';
import { readPcapFile } from '../helpers/capture-files.js';
import { deleteNetns, ip, macOf, netnsAvailable, replay } from '../helpers/netns.js';
import { assertPrerequisites } from '../helpers/prerequisites.js';
import { tmp } from '../helpers/tmp.js';

const XML = join(FIXTURES, 'xml.pcap');
const SAMPLE = join(FIXTURES, 'sample.pcap');
/** Each test's own limit: a hung one fails, its processes are killed (startCli), and the run goes on. */
const LIVE = { timeout: 60_000 };
const NS = `pal${process.pid}`;
const PEER = `${NS}p`;

/** A veth pair `a`/`b` in namespace `ns`, up, without IPv6 (its router solicitations would be captured too). */
function veth(a: string, b: string, ns = NS, peerNs = ns): void {
  ip('-n', ns, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b, 'netns', peerNs);
  for (const [n, dev] of [[ns, a], [peerNs, b]] as const) {
    execFileSync('ip', ['netns', 'exec', n, 'sysctl', '-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`]);
    ip('-n', n, 'link', 'set', dev, 'up');
  }
}

function pktminerg(t: TestContext, args: string[]): ChildProcess {
  return startCli(t, 'pktminerg', args, { netns: NS });
}

async function equal(t: TestContext, a: string, b: string): Promise<void> {
  const r = await runCli(t, 'pcapcompare', [a, b]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
}

/** The packets tcpdump keeps from `file` with `expr`, as a pcap file. */
function tcpdumpFilter(file: string, expr: string): string {
  const out = join(tmp(), 'expected.pcap');
  execFileSync('tcpdump', ['-r', file, '-w', out, expr], { stdio: 'ignore' });
  return out;
}

describe('live capture in network namespaces', { skip: !netnsAvailable() && 'needs root' }, () => {
  before(() => {
    assertPrerequisites();
    ip('netns', 'add', NS);
    ip('netns', 'add', PEER);
    ip('-n', NS, 'link', 'set', 'lo', 'up');
  });
  after(() => {
    for (const ns of [NS, PEER]) deleteNetns(ns);
  });

  test('tcpreplay into a veth: the dump holds exactly the replayed frames, in order', LIVE, async (t) => {
    veth('r0', 'r1');
    const out = tmp();
    const agent = pktminerg(t, ['-i', 'r1', '--dump', out, '--count', '1200']);
    const done = collect(agent);
    await waitForStderr(agent, /capturing on r1/);
    replay(NS, 'r0', XML);
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /captured 1200 packets .*; kernel: 1200 received by filter, 0 dropped \(ring full\), 0 dropped by interface/);
    await equal(t, XML, join(out, 'r1', 'pktminerg_dump.pcap'));
  });

  test('--expression selects what tcpdump selects with the same expression', LIVE, async (t) => {
    veth('e0', 'e1');
    const expr = 'tcp and port 22 or arp';
    const expected = tcpdumpFilter(XML, expr);
    const n = (await readPcapFile(expected)).records.length;
    assert.ok(n > 0 && n < 1200);
    const out = tmp();
    const agent = pktminerg(t, ['-i', 'e1', '--dump', out, '--count', String(n), '--expression', ...expr.split(' ')]);
    const done = collect(agent);
    await waitForStderr(agent, /capturing on e1 with filter 'tcp and port 22 or arp'/);
    replay(NS, 'e0', XML);
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    await equal(t, expected, join(out, 'e1', 'pktminerg_dump.pcap'));
  });

  test('host nic.<if> stands for the addresses of that interface', LIVE, async (t) => {
    veth('h0', 'h1');
    // An address of the capture itself, on our own veth: the frames are not for h1's MAC, so nothing answers.
    ip('-n', NS, 'addr', 'add', '172.16.11.180/32', 'dev', 'h1');
    const expected = tcpdumpFilter(XML, 'host 172.16.11.180');
    const n = (await readPcapFile(expected)).records.length;
    const out = tmp();
    const agent = pktminerg(t, ['-i', 'h1', '--dump', out, '--count', String(n), 'host', 'nic.h1']);
    const done = collect(agent);
    await waitForStderr(agent, /capturing on h1 with filter '\(host 172\.16\.11\.180\)'/);
    replay(NS, 'h0', XML);
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    await equal(t, expected, join(out, 'h1', 'pktminerg_dump.pcap'));
  });

  test('a bad filter or an unknown nic.<if>: one line, exit 1', LIVE, async (t) => {
    veth('b0', 'b1');
    const bad = await collect(pktminerg(t, ['-i', 'b1', '--dump', tmp(), '--expression', 'tcp', 'port', 'eighty']));
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /filter 'tcp port eighty'/);
    const nic = await collect(pktminerg(t, ['-i', 'b1', '--dump', tmp(), 'host', 'nic.nosuch0']));
    assert.equal(nic.code, 1);
    assert.match(nic.stderr, /^pktminerg: filter: host nic\.nosuch0: no interface named 'nosuch0'$/m);
  });

  test('an absent interface is waited for; capture starts when it appears', LIVE, async (t) => {
    const out = tmp();
    const agent = pktminerg(t, ['-i', 'late1', '--dump', out, '--count', '8']);
    const done = collect(agent);
    await waitForStderr(agent, /waiting for late1: no such interface/);
    await sleep(600);
    assert.equal(agent.exitCode, null, 'still running');
    veth('late0', 'late1');
    await waitForStderr(agent, /capturing on late1/);
    replay(NS, 'late0', SAMPLE);
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    await equal(t, SAMPLE, join(out, 'late1', 'pktminerg_dump.pcap'));
  });

  test('interface down then up: capture resumes, the dump continues in a new file, counters survive', LIVE, async (t) => {
    veth('f0', 'f1');
    const out = tmp();
    const agent = pktminerg(t, ['-i', 'f1', '--dump', out]);
    const done = collect(agent);
    await waitForStderr(agent, /capturing on f1/);
    const dir = join(out, 'f1');
    // Frame for frame the dump is as long as the replayed file (only the timestamp unit differs).
    const size = statSync(SAMPLE).size;
    replay(NS, 'f0', SAMPLE);
    await waitForSize(join(dir, 'pktminerg_dump.pcap'), size);
    ip('-n', NS, 'link', 'set', 'f1', 'down');
    await waitForStderr(agent, /waiting for f1: interface is down/);
    ip('-n', NS, 'link', 'set', 'f1', 'up');
    await waitForStderr(agent, /capturing on f1/); // logged() sees only what comes after it is called
    replay(NS, 'f0', SAMPLE);
    await waitForSize(join(dir, 'pktminerg_dump.1.pcap'), size);
    agent.kill('SIGTERM');
    const r: CliResult = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /captured 16 packets/);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort(), ['pktminerg_dump.1.pcap', 'pktminerg_dump.pcap']);
    await equal(t, SAMPLE, join(dir, 'pktminerg_dump.pcap'));
    await equal(t, SAMPLE, join(dir, 'pktminerg_dump.1.pcap'));
  });

  test('two groups on two interfaces in one process, each dump exact', LIVE, async (t) => {
    veth('m0', 'm1');
    veth('n0', 'n1');
    const out = tmp();
    const agent = pktminerg(t, [`-i m1 --dump ${out} --count 1200`, `-i n1 --dump ${out} --count 8`]);
    const done = collect(agent);
    await waitForStderr(agent, /capturing on m1[\s\S]*capturing on n1|capturing on n1[\s\S]*capturing on m1/);
    replay(NS, 'm0', XML);
    replay(NS, 'n0', SAMPLE);
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    await equal(t, XML, join(out, 'm1', 'pktminerg_dump.pcap'));
    await equal(t, SAMPLE, join(out, 'n1', 'pktminerg_dump.pcap'));
  });

  test('loop avoidance: forwarding out of the captured interface does not capture the forwarded packets', LIVE, async (t) => {
    veth('l1', 'l0', NS, PEER);
    ip('-n', NS, 'addr', 'add', '10.253.7.1/29', 'dev', 'l1');
    ip('-n', PEER, 'addr', 'add', '10.253.7.2/29', 'dev', 'l0');
    ip('-n', NS, 'neigh', 'replace', '10.253.7.2', 'lladdr', macOf(PEER, 'l0'), 'dev', 'l1', 'nud', 'permanent');
    const agent = pktminerg(t, ['-i', 'l1', '-r', '10.253.7.2']);
    const done = collect(agent);
    await waitForStderr(agent, /capturing on l1 with filter 'not host 10\.253\.7\.2'/);
    replay(PEER, 'l0', SAMPLE);
    await sleep(1000);
    agent.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /captured 8 packets/);
    assert.match(r.stderr, /gre: sent 8 datagrams/);
  });

  test('--dir auto: frames from the interface\'s own MAC are out, the others in (seen in the GRE keys)', LIVE, async (t) => {
    veth('a1', 'a0', NS, PEER);
    ip('-n', NS, 'addr', 'add', '10.253.8.1/29', 'dev', 'a1');
    ip('-n', PEER, 'addr', 'add', '10.253.8.2/29', 'dev', 'a0');
    ip('-n', NS, 'neigh', 'replace', '10.253.8.2', 'lladdr', macOf(PEER, 'a0'), 'dev', 'a1', 'nud', 'permanent');
    // sample.pcap as if a1 had sent it: the same 8 frames with a1's MAC as source.
    const mine = join(tmp(), 'mine.pcap');
    execFileSync('tcprewrite', [`--enet-smac=${macOf(NS, 'a1')}`, `--infile=${SAMPLE}`, `--outfile=${mine}`], { stdio: 'ignore' });
    const wire = join(tmp(), 'wire.pcap');
    const capture = startProcess(t, 'tcpdump', ['-i', 'a0', '--immediate-mode', '-U', '-n', '-w', wire, 'ip proto 47'], { netns: PEER });
    const captured = collect(capture);
    await waitForStderr(capture, /listening on/);
    const agent = pktminerg(t, ['-i', 'a1', '--dir', 'auto', '-r', '10.253.8.2', '-k', '1', '--count', '16']);
    const done = collect(agent);
    await waitForStderr(agent, /capturing on a1/);
    replay(PEER, 'a0', mine);
    replay(PEER, 'a0', SAMPLE);
    const r = await done;
    await sleep(300);
    capture.kill('SIGTERM');
    await captured;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /gre: sent 16 datagrams/);
    const g = await runCli(t, 'gredump', ['-f', wire, '-o', join(tmp(), 'inner.pcap')]);
    assert.match(g.stderr, /16 written: 0 no direction, 8 in, 8 out/);
  });

  test('-i any (Linux cooked frames) forwarded over ZMQ arrives as Ethernet; the dump keeps the cooked frames', LIVE, async (t) => {
    veth('y0', 'y1', PEER, NS);
    const out = join(tmp(), 'zmq.pcap');
    const rx = startCli(t, 'zmqdump', ['--port', '5601', '--bind', '127.0.0.1', '-o', out], { netns: NS });
    const rxDone = collect(rx);
    await waitForStderr(rx, /listening/i);
    const dump = tmp();
    // The forwarded batches cross lo to 127.0.0.1, which the automatic filter keeps out of the capture.
    const agent = pktminerg(t, ['-i', 'any', '-r', '127.0.0.1', '-z', '5601', '--count', '8', '--dump', dump, '--uuid-file', '/nonexistent']);
    const done = collect(agent);
    await waitForStderr(agent, /capturing on any/);
    replay(PEER, 'y0', SAMPLE);
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /zmq: delivered 8 packets/);
    const { records: sent } = await readPcapFile(SAMPLE);
    // Cooked capture records the source MAC, not the destination: receivers see zeros there.
    const expected = sent.map((p) => Buffer.concat([Buffer.alloc(6), p.data.subarray(6)]).toString('hex'));
    await waitForSize(out, 24 + expected.reduce((n, f) => n + 16 + f.length / 2, 0));
    rx.kill('SIGTERM');
    await rxDone;
    assert.deepEqual((await readPcapFile(out)).records.map((p) => p.data.toString('hex')), expected);
    const dumped = await readPcapFile(join(dump, 'any', 'pktminerg_dump.pcap'));
    assert.equal(dumped.header.linktype, 113);
    assert.deepEqual(dumped.records.map((p) => p.data.subarray(16).toString('hex')), sent.map((p) => p.data.subarray(14).toString('hex')));
  });
});

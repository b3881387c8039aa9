/**
 * `--workers 2` for real: a fixture of 20 TCP flows replayed with tcpreplay
 * into a veth, pktminerg capturing its peer on two threads and forwarding
 * GRE to a receiver in another namespace, in namespaces made (and deleted)
 * by the test. Every replayed frame must arrive once, each flow in its
 * order, and the summary must count each frame once; also across an
 * interface flap (down and up, deleted and made again), after which each
 * worker joins the fanout group again.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { collect, FIXTURES, runCli, startCli, waitForSize, waitForStderr } from '../helpers/cli.js';
import { recordGre } from '../helpers/gre-wire.js';
import { readPcapFile } from '../helpers/capture-files.js';
import { createPair, ip, netnsAvailable, replay, type Pair } from '../helpers/netns.js';
import { assertPrerequisites } from '../helpers/prerequisites.js';
import { parseExposition, sampleValue } from '../helpers/prometheus.js';
import { tmp } from '../helpers/tmp.js';

/** 913 frames of 20 TCP flows (HTTP between 119.130.141.207 and 58.49.108.208:80). */
const HTTP = join(FIXTURES, 'http_sample.pcap');
const HTTP_FRAMES = 913;
const LIVE = { timeout: 60_000 };

/** The frame's flow, both directions together: addresses and TCP/UDP ports of an untagged IPv4 frame ('' otherwise). */
function flowOf(data: Buffer): string {
  if (data.length < 38 || data.readUInt16BE(12) !== 0x0800) return '';
  const ihl = (data[14]! & 0x0f) * 4;
  const a = `${data.subarray(26, 30).join('.')}:${data.readUInt16BE(14 + ihl)}`;
  const b = `${data.subarray(30, 34).join('.')}:${data.readUInt16BE(16 + ihl)}`;
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}

/** Each flow's frames (hex), in the order of the file. */
async function framesByFlow(path: string): Promise<Map<string, string[]>> {
  const flows = new Map<string, string[]>();
  for (const r of (await readPcapFile(path)).records) {
    const data = r.data.subarray(0, r.caplen);
    const key = flowOf(data);
    flows.set(key, [...(flows.get(key) ?? []), data.toString('hex')]);
  }
  return flows;
}

describe('--workers 2: one interface captured on two threads', { skip: !netnsAvailable() && 'needs root' }, () => {
  let net: Pair;
  before(() => {
    assertPrerequisites();
    net = createPair();
  });
  after(() => net?.destroy());

  /** A veth pair inside namespace a, up, without IPv6 (its router solicitations would be captured too). */
  function veth(x: string, y: string): void {
    ip('-n', net.a, 'link', 'add', x, 'type', 'veth', 'peer', 'name', y);
    for (const dev of [x, y]) {
      execFileSync('ip', ['netns', 'exec', net.a, 'sysctl', '-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`]);
      ip('-n', net.a, 'link', 'set', dev, 'up');
    }
  }

  test('GRE: every replayed frame arrives once, each flow in order; the summary and the metrics endpoint count each once', LIVE, async (t: TestContext) => {
    veth('w0', 'w1');
    const gre = await recordGre(t, net);
    const agent = startCli(t, 'pktminerg', ['-q', '-i', 'w1', '--workers', '2', '-r', net.addrB, '-k', '7', '--metrics', '127.0.0.1:0'], { netns: net.a });
    const done = collect(agent);
    // The endpoint listens before the channel opens.
    const url = (await waitForStderr(agent, /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)[\s\S]*worker 2\/2: capturing on w1 with filter 'not host /))[1]!;
    replay(net.a, 'w0', HTTP);
    await sleep(1500); // the kernel hands over the last blocks after their 100 ms timeout; GRE crosses the veth
    // The endpoint is in the agent's namespace: scraped from there, by node itself (no curl needed).
    const scrape = `fetch(${JSON.stringify(url)}).then((r) => r.text()).then((text) => process.stdout.write(text))`;
    const metrics = parseExposition(execFileSync('ip', ['netns', 'exec', net.a, process.execPath, '-e', scrape], { encoding: 'utf8' }));
    const ch = { channel: '1', source: 'w1' };
    assert.equal(sampleValue(metrics, 'pktminerg_captured_packets_total', ch), HTTP_FRAMES, 'the workers\' counts merged');
    assert.equal(sampleValue(metrics, 'pktminerg_sink_packets_total', { ...ch, sink: 'gre' }), HTTP_FRAMES);
    agent.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    // One channel, counted once: as with one worker.
    assert.match(r.stderr, new RegExp(`\\[-01-\\] captured ${HTTP_FRAMES} packets \\(750197 bytes\\) on w1; kernel: ${HTTP_FRAMES} received by filter, 0 dropped \\(ring full\\), 0 dropped by interface\\n`));
    // By default as whole frames, but for the first datagram after each worker's route look-up (one a second).
    const kernelPath = new RegExp(`\\[-01-\\] gre: sent ${HTTP_FRAMES} datagrams \\(${net.addrB.replace(/\./g, '\\.')} ${HTTP_FRAMES} packets \\d+ bytes\\), (\\d+) of them through the kernel's IP output\\n`).exec(r.stderr);
    assert.ok(kernelPath !== null && Number(kernelPath[1]) >= 2 && Number(kernelPath[1]) <= 10, r.stderr);
    assert.match(r.stderr, /\[-01-\] dropped: direction unknown 0, throttled 0, link type not carried as Ethernet 0\n/);
    assert.equal(r.stderr.match(/\] captured /g)?.length, 1, 'one summary for the channel');
    // Both workers had a share (20 flows: all on one worker has a chance of 2^-19).
    const shares = /workers' shares: 1: (\d+) packets, 2: (\d+) packets/.exec(r.stderr);
    assert.ok(shares, r.stderr);
    assert.equal(Number(shares[1]) + Number(shares[2]), HTTP_FRAMES);
    assert.ok(Number(shares[1]) > 0 && Number(shares[2]) > 0, shares[0]);
    const gredump = await gre.finish();
    assert.equal(gredump.code, 0, gredump.stderr);
    assert.match(gredump.stderr, new RegExp(`${HTTP_FRAMES} written`));
    // Across flows the two threads interleave as they like; within a flow the order is the wire's.
    const sent = await framesByFlow(HTTP);
    const received = await framesByFlow(gre.out);
    assert.deepEqual([...received.keys()].sort(), [...sent.keys()].sort());
    for (const [flow, frames] of sent) assert.deepEqual(received.get(flow), frames, `flow ${flow}`);
  });

  test('ZMQ: each worker its own sink and message pool (the collector fetched on its own thread): every frame arrives once, each flow in order', LIVE, async (t: TestContext) => {
    veth('z0', 'z1');
    const out = join(tmp(), 'zmq.pcap');
    const rx = startCli(t, 'zmqdump', ['--port', '5560', '--bind', net.addrB, '-o', out], { netns: net.b });
    const rxDone = collect(rx);
    await waitForStderr(rx, /listening|bound/i);
    const agent = startCli(t, 'pktminerg', ['-q', '-i', 'z1', '--workers', '2', '-r', net.addrB, '-z', '5560', '-k', '7'], { netns: net.a });
    const done = collect(agent);
    await waitForStderr(agent, /worker 2\/2: capturing on z1 /);
    replay(net.a, 'z0', HTTP);
    await sleep(1500); // the kernel hands over the last blocks after their 100 ms timeout
    agent.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`\\[-01-\\] captured ${HTTP_FRAMES} packets `));
    assert.match(r.stderr, new RegExp(`zmq: delivered ${HTTP_FRAMES} packets`), r.stderr);
    const sent = await framesByFlow(HTTP);
    const records = (await readPcapFile(HTTP)).records;
    await waitForSize(out, 24 + records.reduce((n, rec) => n + 16 + rec.caplen, 0));
    rx.kill('SIGTERM');
    await rxDone;
    const received = await framesByFlow(out);
    assert.deepEqual([...received.keys()].sort(), [...sent.keys()].sort());
    for (const [flow, frames] of sent) assert.deepEqual(received.get(flow), frames, `flow ${flow}`);
  });

  test('an interface flap, down and up and then deleted and made again: both workers wait, capture again in one fanout group, every frame arrives once', { timeout: 90_000 }, async (t: TestContext) => {
    veth('v0', 'v1');
    const gre = await recordGre(t, net);
    const agent = startCli(t, 'pktminerg', ['-q', '-i', 'v1', '--workers', '2', '-r', net.addrB, '-k', '7'], { netns: net.a });
    const done = collect(agent);
    /** Both workers' log lines saying `what`, in either order (waitForStderr sees only what comes after it is called). */
    const bothWorkers = (what: string): Promise<RegExpExecArray> =>
      waitForStderr(agent, new RegExp(`worker 1/2: ${what}[\\s\\S]*worker 2/2: ${what}|worker 2/2: ${what}[\\s\\S]*worker 1/2: ${what}`));
    await bothWorkers('capturing on v1');
    const round = async (): Promise<void> => {
      replay(net.a, 'v0', HTTP);
      await sleep(1500); // the last blocks' 100 ms timeout, then GRE across the veth
    };
    await round();

    let waiting = bothWorkers('waiting for v1: interface is down');
    ip('-n', net.a, 'link', 'set', 'v1', 'down');
    await waiting;
    let capturing = bothWorkers('capturing on v1');
    ip('-n', net.a, 'link', 'set', 'v1', 'up');
    await capturing;
    await round();

    // Made again, the interface has another ifindex: each worker joins a group anew on it.
    waiting = bothWorkers('waiting for v1: no such interface');
    ip('-n', net.a, 'link', 'del', 'v0');
    await waiting;
    capturing = bothWorkers('capturing on v1');
    veth('v0', 'v1');
    await capturing;
    await round();

    agent.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`\\[-01-\\] captured ${3 * HTTP_FRAMES} packets \\(${3 * 750197} bytes\\) on v1;`));
    assert.match(r.stderr, new RegExp(`\\[-01-\\] gre: sent ${3 * HTTP_FRAMES} datagrams `));
    const gredump = await gre.finish();
    assert.equal(gredump.code, 0, gredump.stderr);
    // Each flow three times over, in the wire's order each time: the rounds are seconds apart.
    const sent = await framesByFlow(HTTP);
    const received = await framesByFlow(gre.out);
    assert.deepEqual([...received.keys()].sort(), [...sent.keys()].sort());
    for (const [flow, frames] of sent) assert.deepEqual(received.get(flow), [...frames, ...frames, ...frames], `flow ${flow}`);
  });

  test('a worker that cannot open capture fails the start-up with one line, and no thread is left', LIVE, async (t: TestContext) => {
    veth('b0', 'b1');
    const r = await collect(startCli(t, 'pktminerg', ['-i', 'b1', '--workers', '3', '-r', net.addrB, '--expression', 'tcp', 'port', 'eighty'], { netns: net.a }));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^pktminerg: filter '.*tcp port eighty.*': /m);
  });

  test('refused in one line where several workers cannot work: --dump, -f', LIVE, async (t: TestContext) => {
    const dump = await runCli(t, 'pktminerg', ['-i', 'lo', '--workers', '2', '--dump', tmp()]);
    assert.equal(dump.code, 1);
    assert.match(dump.stderr, /^pktminerg: --workers 2: --dump writes one ordered set of files, which one worker can write and several cannot; record with --workers 1 \(or a separate group\) \(try --help\)\n$/);
    const file = await runCli(t, 'pktminerg', ['-f', HTTP, '--workers', '2', '-r', '127.0.0.1']);
    assert.equal(file.code, 1);
    assert.match(file.stderr, /^pktminerg: --workers 2: a file \(-f\) is read in order by one reader/);
  });
});

/**
 * pktminerg → GRE / VXLAN / ZMQ → the matching receiving tool → pcapcompare,
 * across a veth pair between two network namespaces made for the test.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { collect, FIXTURES, runCli, startCli, type CliResult, waitForSize, waitForStderr } from '../helpers/cli.js';
import { recordGre } from '../helpers/gre-wire.js';
import { buildPcap, readPcapFile } from '../helpers/capture-files.js';
import { createPair, ip, macOf, netnsAvailable, type Pair } from '../helpers/netns.js';
import { assertPrerequisites } from '../helpers/prerequisites.js';
import { tmp } from '../helpers/tmp.js';

const XML = join(FIXTURES, 'xml.pcap');
/** Each test's own limit: a hung one fails, its processes are killed (startCli), and the run goes on. */
const LIVE = { timeout: 60_000 };

/**
 * Runs pktminerg in namespace `ns` on `input`, fed through stdin in slices: a
 * file read at full speed sends bursts of thousands of frames, more than a
 * veth's backlog (net.core.netdev_max_backlog, 1000) takes on a busy machine.
 */
async function agentOn(t: TestContext, net: Pair, input: string, args: string[], sliceDelayMs = 10): Promise<CliResult> {
  const child = startCli(t, 'pktminerg', ['-f', '-', ...args], { netns: net.a, stdin: 'pipe' });
  const done = collect(child);
  const bytes = readFileSync(input);
  for (let off = 0; off < bytes.length; off += 32768) {
    child.stdin!.write(bytes.subarray(off, off + 32768));
    await sleep(sliceDelayMs);
  }
  child.stdin!.end();
  return done;
}

async function compare(t: TestContext, a: string, b: string, timestamps: boolean): Promise<CliResult> {
  return runCli(t, 'pcapcompare', ['--lpcap', a, '--rpcap', b, ...(timestamps ? ['--timestamps'] : [])]);
}

/** The IPv4/IPv6 frames of a capture: what the ZMQ transport carries. */
async function ipOnly(path: string): Promise<string> {
  const { header, records } = await readPcapFile(path);
  const kept = records.filter((r) => [0x0800, 0x86dd].includes(r.data.readUInt16BE(12)));
  const out = join(tmp(), 'ip-only.pcap');
  writeFileSync(out, buildPcap({ snaplen: header.snaplen, nanos: header.nanos }, kept.map((r) => ({ tsSec: r.tsSec, tsFrac: r.tsFrac, data: r.data.subarray(0, r.caplen), wirelen: r.wirelen }))));
  return out;
}

/** A few frames, one of them far above the veth MTU, so the kernel fragments its GRE datagram. */
function jumboFrames(): { tsSec: number; tsFrac: number; data: Buffer }[] {
  return [60, 1514, 9000, 3000, 64].map((len, i) => {
    const data = Buffer.alloc(len, i + 1);
    data.writeUInt16BE(0x0800, 12);
    return { tsSec: 1700000000 + i, tsFrac: 1000 * i, data };
  });
}

function jumboPcap(): string {
  const path = join(tmp(), 'jumbo.pcap');
  writeFileSync(path, buildPcap({ snaplen: 65535 }, jumboFrames()));
  return path;
}

/** 2 000 frames of 60 to 1 400 bytes, then the jumbo ones: with --tx packet all but three go as whole frames. */
function mixedPcap(): string {
  const frames = Array.from({ length: 2000 }, (_, i) => {
    const data = Buffer.alloc(60 + ((i * 337) % 1341), i & 0xff);
    data.writeUInt16BE(0x0800, 12);
    data.writeUInt32BE(i, 14);
    return { tsSec: 1690000000 + Math.floor(i / 1000), tsFrac: i % 1000, data };
  });
  const path = join(tmp(), 'mixed.pcap');
  writeFileSync(path, buildPcap({ snaplen: 65535 }, [...frames, ...jumboFrames()]));
  return path;
}

/** Ip OutRequests of namespace `ns` (/proc/net/snmp): the datagrams its kernel's IP output was given. */
function ipOutRequests(ns: string): number {
  const lines = execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp']).toString().split('\n').filter((l) => l.startsWith('Ip: '));
  const [names, values] = lines.map((l) => l.split(' '));
  return Number(values![names!.indexOf('OutRequests')]);
}

describe('forwarding end to end in network namespaces', { skip: !netnsAvailable() && 'needs root' }, () => {
  let net: Pair;
  before(() => {
    assertPrerequisites();
    net = createPair();
  });
  after(() => net?.destroy());

  /**
   * Runs a receiver, then the agent on `input`. The receiver stops at `packets` (-c), or, given
   * `bytes`, once its output has that size: a ZeroMQ receiver that hangs up at once would leave
   * the agent's last batches unconfirmed (README, "ZeroMQ delivery").
   */
  async function roundTrip(
    t: TestContext,
    receiver: { command: string; args: string[]; ready: RegExp },
    agentArgs: string[],
    input: string,
    packets: number,
    bytes?: number,
  ): Promise<{ out: string; agent: CliResult; recv: CliResult }> {
    const out = join(tmp(), 'out.pcap');
    const rx = startCli(t, receiver.command, [...receiver.args, '-o', out, ...(bytes === undefined ? ['-c', String(packets)] : [])], { netns: net.b });
    const rxDone = collect(rx);
    await waitForStderr(rx, receiver.ready);
    const agent = await agentOn(t, net, input, agentArgs);
    assert.equal(agent.code, 0, agent.stderr);
    if (bytes !== undefined) {
      await waitForSize(out, bytes);
      rx.kill('SIGTERM');
    }
    // A receiver short of its -c count is stopped, so the comparison can say what is missing.
    const timeout = setTimeout(() => rx.kill('SIGTERM'), 15_000);
    const recv = await rxDone;
    clearTimeout(timeout);
    return { out, agent, recv };
  }

  /**
   * GRE is recorded with tcpdump and decoded with `gredump -f`: a burst of
   * 2 000 fragments overflows what `cap` (gredump -i) can take in one go
   * (README, "Limits of the capture binding").
   */
  async function greRoundTrip(t: TestContext, agentArgs: string[], input: string, sliceDelayMs?: number): Promise<{ out: string; agent: CliResult; gredump: CliResult }> {
    const gre = await recordGre(t, net);
    const agent = await agentOn(t, net, input, agentArgs, sliceDelayMs);
    assert.equal(agent.code, 0, agent.stderr);
    await sleep(500); // the last fragments cross the veth
    const gredump = await gre.finish();
    assert.equal(gredump.code, 0, gredump.stderr);
    return { out: gre.out, agent, gredump };
  }

  test('GRE: xml.pcap arrives bit for bit (1514-byte frames are fragmented on the way); by default as whole frames, nothing in the IP output being set up', LIVE, async (t) => {
    const { out, agent, gredump } = await greRoundTrip(t, ['-r', net.addrB, '-k', '12'], XML);
    assert.match(agent.stderr, /gre: sent 1200 datagrams/);
    assert.match(agent.stderr, new RegExp(`gre to ${net.addrB}: whole frames out of veth0 through AF_PACKET \\(--tx auto\\)`));
    assert.match(gredump.stderr, /1200 written/);
    const cmp = await compare(t, XML, out, false);
    assert.equal(cmp.code, 0, cmp.stdout + cmp.stderr);
  });

  test('GRE --tx ip: frames of 3000 and 9000 bytes are reassembled by gredump', LIVE, async (t) => {
    const input = jumboPcap();
    const { out, agent, gredump } = await greRoundTrip(t, ['-r', net.addrB, '--tx', 'ip'], input);
    assert.doesNotMatch(agent.stderr, /AF_PACKET|through the kernel's IP output/, 'no frame path, nothing to say of it');
    assert.match(gredump.stderr, /2 reassembled|[1-9]\d* reassembled/);
    const cmp = await compare(t, input, out, false);
    assert.equal(cmp.code, 0, cmp.stdout + cmp.stderr);
  });

  test("GRE --tx packet: frames arrive bit for bit past the kernel's IP output, which fragments only the three over the MTU", LIVE, async (t) => {
    const input = mixedPcap();
    const before = ipOutRequests(net.a);
    const { out, agent, gredump } = await greRoundTrip(t, ['-r', net.addrB, '-k', '12', '--tx', 'packet'], input);
    const kernel = ipOutRequests(net.a) - before;
    assert.match(agent.stderr, new RegExp(`gre to ${net.addrB}: whole frames out of veth0 through AF_PACKET`));
    // 3 over the MTU and the first after the route look-up (a look-up a second later may add one): the
    // summary counts what the namespace's IP output counts.
    const counted = Number(/gre: sent 2005 datagrams \(.*\), (\d+) of them through the kernel's IP output/.exec(agent.stderr)?.[1]);
    assert.ok(counted >= 4 && counted <= 5, agent.stderr);
    assert.equal(kernel, counted, "Ip: OutRequests of the agent's namespace");
    assert.match(gredump.stderr, /2005 written/);
    const cmp = await compare(t, input, out, false);
    assert.equal(cmp.code, 0, cmp.stdout + cmp.stderr);
  });

  test("GRE --tx packet with no neighbour entry yet: the kernel's IP output resolves it, then whole frames take over; every frame arrives", LIVE, async (t) => {
    // The pair's neighbours are static (createPair); here the agent's side starts without one.
    ip('-n', net.a, 'neigh', 'del', net.addrB, 'dev', net.ifA);
    t.after(() => ip('-n', net.a, 'neigh', 'replace', net.addrB, 'lladdr', macOf(net.b, net.ifB), 'dev', net.ifA, 'nud', 'permanent'));
    const input = mixedPcap();
    // ~1.8 s of input: the route is looked up again after a second.
    const { out, agent, gredump } = await greRoundTrip(t, ['-r', net.addrB, '--tx', 'packet'], input, 40);
    const lines = agent.stderr.split('\n');
    const waiting = lines.findIndex((l) => l.includes(`gre to ${net.addrB}: through the kernel's IP output: no neighbour entry for ${net.addrB} on veth0 yet`));
    const frames = lines.findIndex((l) => l.includes(`gre to ${net.addrB}: whole frames out of veth0 through AF_PACKET`));
    assert.ok(waiting >= 0 && frames > waiting, agent.stderr);
    const counted = Number(/gre: sent 2005 datagrams \(.*\), (\d+) of them through the kernel's IP output/.exec(agent.stderr)?.[1]);
    assert.ok(counted > 3 && counted < 2005, `${counted} through the kernel: some before the neighbour was known, not all`);
    assert.match(gredump.stderr, /2005 written/);
    const cmp = await compare(t, input, out, false);
    assert.equal(cmp.code, 0, cmp.stdout + cmp.stderr);
  });

  test("GRE by default with a netfilter chain in the agent's namespace: every datagram through the kernel's IP output, where the chain counts it", LIVE, async (t) => {
    const nft = (...args: string[]): string => execFileSync('ip', ['netns', 'exec', net.a, 'nft', ...args], { encoding: 'latin1' });
    nft('add table inet pa_test');
    t.after(() => nft('delete table inet pa_test'));
    nft('add chain inet pa_test out { type filter hook output priority 0 ; }');
    nft('add rule inet pa_test out meta l4proto gre counter');
    const input = mixedPcap();
    const { out, agent, gredump } = await greRoundTrip(t, ['-r', net.addrB, '-k', '12'], input);
    assert.match(agent.stderr, new RegExp(`gre to ${net.addrB}: through the kernel's IP output: netfilter has 1 IPv4 base chain \\(nft list chains\\) \\(--tx auto\\)`));
    assert.doesNotMatch(agent.stderr, /AF_PACKET/);
    assert.match(agent.stderr, /gre: sent 2005 datagrams \(.*\), 2005 of them through the kernel's IP output/);
    assert.equal(Number(/counter packets (\d+)/.exec(nft('list chain inet pa_test out'))?.[1]), 2005, 'the chain saw every datagram');
    assert.match(gredump.stderr, /2005 written/);
    const cmp = await compare(t, input, out, false);
    assert.equal(cmp.code, 0, cmp.stdout + cmp.stderr);
  });

  test('VXLAN v1 with the capTime trailer: frames and timestamps arrive exactly', LIVE, async (t) => {
    const { out, agent, recv } = await roundTrip(
      t,
      { command: 'vxlandump', args: ['--port', '4789', '--bind', net.addrB, '--vni', '12', '--capTime'], ready: /listening/i },
      ['-r', net.addrB, '-n', '12', '--capTime', '1'],
      XML,
      1200,
    );
    assert.equal(recv.code, 0, recv.stderr);
    assert.match(agent.stderr, /vxlan: sent 1200 datagrams/);
    const cmp = await compare(t, XML, out, true);
    assert.equal(cmp.code, 0, cmp.stdout + cmp.stderr);
  });

  test('VXLAN --tx packet with the capTime trailer: frames and timestamps arrive exactly, the long ones fragmented by the kernel in order', LIVE, async (t) => {
    const { out, agent, recv } = await roundTrip(
      t,
      { command: 'vxlandump', args: ['--port', '4789', '--bind', net.addrB, '--vni', '12', '--capTime'], ready: /listening/i },
      ['-r', net.addrB, '-n', '12', '--capTime', '1', '--tx', 'packet'],
      XML,
      1200,
    );
    assert.equal(recv.code, 0, recv.stderr);
    assert.match(agent.stderr, /vxlan: sent 1200 datagrams/);
    assert.match(agent.stderr, /vxlan to .*: whole frames out of veth0/);
    const cmp = await compare(t, XML, out, true);
    assert.equal(cmp.code, 0, cmp.stdout + cmp.stderr);
  });

  test('VXLAN v2 with directions from --dir', LIVE, async (t) => {
    const { out, recv } = await roundTrip(
      t,
      { command: 'vxlandump', args: ['--port', '4800', '--bind', net.addrB], ready: /listening/i },
      ['-r', net.addrB, '--vni2', '260', '-x', '4800', '--dir', 'host_10.200.175.83'],
      join(FIXTURES, 'sample.pcap'),
      8,
    );
    assert.equal(recv.code, 0, recv.stderr);
    const cmp = await compare(t, join(FIXTURES, 'sample.pcap'), out, false);
    assert.equal(cmp.code, 0, cmp.stdout + cmp.stderr);
  });

  test('ZMQ with a dump on the same channel: both equal the input, timestamps included', LIVE, async (t) => {
    const dump = tmp();
    const expected = await ipOnly(XML);
    const { out, agent, recv } = await roundTrip(
      t,
      { command: 'zmqdump', args: ['--port', '5555', '--bind', net.addrB], ready: /listening|bound/i },
      ['-r', net.addrB, '-z', '5555', '-k', '12', '--dump', dump],
      XML,
      1185,
      statSync(expected).size,
    );
    assert.equal(recv.code, 0, recv.stderr);
    assert.match(agent.stderr, /zmq: delivered 1185 packets/);
    // The MPLS label replaces the EtherType; receivers restore IPv4/IPv6 only, so the 5 ARP and 10 LLC frames are counted, not sent.
    assert.match(agent.stderr, /zmq: not IPv4\/IPv6 \(the ZMQ format cannot restore its EtherType\) 15/);
    const cmp = await compare(t, expected, out, true);
    assert.equal(cmp.code, 0, cmp.stdout + cmp.stderr);
    assert.ok(readFileSync(join(dump, 'stdin', 'pktminerg_dump.pcap')).equals(readFileSync(XML)), 'the dump is not touched by the MPLS relabelling');
  });

  test('a file of many reads to ZMQ and a dump at once: read buffers, batches and message buffers are reused, and both outputs equal the input', LIVE, async (t) => {
    // xml.pcap 25 times (~37 MB, ~140 reads of 256 KiB), each copy 100 s after the last so that ZeroMQ
    // batches end at each copy: messages of 1 MiB (lent from the pool) and smaller ones (copied). A read
    // buffer, batch or message buffer used again while a sink still read it would damage frames in
    // one output or the other.
    const { header, records } = await readPcapFile(XML);
    const copies = 25;
    const frames = Array.from({ length: copies }, (_, k) =>
      records.map((r) => ({ tsSec: r.tsSec + 100 * k, tsFrac: r.tsFrac, data: r.data.subarray(0, r.caplen), wirelen: r.wirelen })),
    ).flat();
    const input = join(tmp(), 'xml-x25.pcap');
    writeFileSync(input, buildPcap({ snaplen: header.snaplen, nanos: header.nanos }, frames));
    const expected = await ipOnly(input);
    const dump = tmp();
    const out = join(tmp(), 'out.pcap');
    const rx = startCli(t, 'zmqdump', ['--port', '5556', '--bind', net.addrB, '-o', out], { netns: net.b });
    const rxDone = collect(rx);
    await waitForStderr(rx, /listening|bound/i);
    // Read at full speed: ZeroMQ runs over TCP, which no burst overflows.
    const agent = await collect(startCli(t, 'pktminerg', ['-f', input, '-r', net.addrB, '-z', '5556', '-k', '12', '--dump', dump], { netns: net.a }));
    assert.equal(agent.code, 0, agent.stderr);
    assert.match(agent.stderr, new RegExp(`zmq: delivered ${1185 * copies} packets`));
    await waitForSize(out, statSync(expected).size);
    rx.kill('SIGTERM');
    await rxDone;
    const cmp = await compare(t, expected, out, true);
    assert.equal(cmp.code, 0, cmp.stdout + cmp.stderr);
    assert.ok(readFileSync(join(dump, 'xml-x25', 'pktminerg_dump.pcap')).equals(readFileSync(input)), 'the dump is the input, byte for byte');
  });

  test('ZMQ receiver absent, then present: batches refused meanwhile are counted, later ones arrive', LIVE, async (t) => {
    const out = join(tmp(), 'late.pcap');
    const agent = startCli(t, 'pktminerg', ['-f', '-', '-r', net.addrB, '-z', '5556'], { netns: net.a, stdin: 'pipe' });
    const agentDone = collect(agent);
    const xml = readFileSync(XML);
    agent.stdin!.write(readFileSync(join(FIXTURES, 'sample.pcap'))); // 8 packets, nobody listening
    await sleep(4500); // past the start-up wait for receivers: the age timer flushes them into a refusal
    const rx = startCli(t, 'zmqdump', ['--port', '5556', '--bind', net.addrB, '-o', out], { netns: net.b });
    const rxDone = collect(rx);
    await waitForStderr(rx, /listening|bound/i);
    await sleep(1500); // ZeroMQ reconnects every 100 ms
    agent.stdin!.end(xml.subarray(24)); // 1200 more records of the same link type
    const a = await agentDone;
    const expected = await ipOnly(XML);
    await waitForSize(out, statSync(expected).size);
    rx.kill('SIGTERM');
    const r = await rxDone;
    assert.equal(a.code, 0, a.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.match(a.stderr, /captured 1208 packets/);
    assert.match(a.stderr, /zmq: receiver slow or absent \(ZeroMQ queue full\) 8/);
    assert.match(a.stderr, /zmq: delivered 1185 packets/);
    const cmp = await compare(t, expected, out, true);
    assert.equal(cmp.code, 0, cmp.stdout + cmp.stderr);
  });

  test('an unreachable remote does not hold back the other one', LIVE, async (t) => {
    const { out, agent } = await greRoundTrip(t, ['-r', `${net.absent},${net.addrB}`], XML);
    assert.match(agent.stderr, new RegExp(`${net.addrB.replace(/\./g, '\\.')} 1200 packets`));
    const cmp = await compare(t, XML, out, false);
    assert.equal(cmp.code, 0, cmp.stdout + cmp.stderr);
  });

  test('ZMQ receiver too slow: batches over the high-water mark are dropped and counted, the rest arrive', LIVE, async (t) => {
    const out = join(tmp(), 'slow.pcap');
    const rx = startCli(t, 'zmqdump', ['--port', '5557', '--bind', net.addrB, '-o', out], { netns: net.b });
    const rxDone = collect(rx);
    await waitForStderr(rx, /listening/i);
    rx.kill('SIGSTOP'); // connected, but reads nothing: TCP and the ZeroMQ queue fill up
    const agent = startCli(t, 'pktminerg', ['-f', '-', '-r', net.addrB, '-z', '5557', '--zmq_hwm', '2'], { netns: net.a, stdin: 'pipe' });
    const agentDone = collect(agent);
    const xml = readFileSync(XML);
    const refused = new Promise<void>((resolve) => agent.stderr!.on('data', (d: Buffer) => /receiver slow or absent/.test(String(d)) && resolve()));
    agent.stdin!.write(xml);
    for (let i = 1; i < 60; i++) agent.stdin!.write(xml.subarray(24)); // 72 000 packets, ~90 MB
    await refused;
    rx.kill('SIGCONT');
    agent.stdin!.end();
    const a = await agentDone;
    assert.equal(a.code, 0, a.stderr);
    await sleep(1000);
    rx.kill('SIGTERM');
    const r = await rxDone;
    const delivered = Number(/zmq: delivered (\d+) packets/.exec(a.stderr)?.[1]);
    const dropped = Number(/zmq: receiver slow or absent \(ZeroMQ queue full\) (\d+)/.exec(a.stderr)?.[1]);
    assert.ok(dropped > 0, a.stderr);
    assert.equal(delivered + dropped, 60 * 1185, 'every IP packet is either delivered or counted as dropped');
    assert.match(r.stderr, new RegExp(`${delivered} packets received`), 'everything delivered arrives');
  });

  test('ZMQ receiver stalled until after the agent stops: what it never took is counted as dropped, not as delivered', LIVE, async (t) => {
    const out = join(tmp(), 'stalled.pcap');
    const rx = startCli(t, 'zmqdump', ['--port', '5558', '--bind', net.addrB, '-o', out], { netns: net.b });
    const rxDone = collect(rx);
    await waitForStderr(rx, /listening/i);
    const agent = startCli(t, 'pktminerg', ['-f', '-', '-r', net.addrB, '-z', '5558', '--zmq_hwm', '2'], { netns: net.a, stdin: 'pipe' });
    const agentDone = collect(agent);
    await waitForStderr(agent, /zmq: connected/);
    rx.kill('SIGSTOP'); // connected and handshaken, then it reads nothing: TCP and the ZeroMQ queue fill up
    const xml = readFileSync(XML);
    agent.stdin!.write(xml);
    for (let i = 1; i < 40; i++) agent.stdin!.write(xml.subarray(24)); // 48 000 packets
    agent.stdin!.end();
    const a = await agentDone;
    assert.equal(a.code, 0, a.stderr);
    // Only now the receiver reads what its kernel holds for it.
    rx.kill('SIGCONT');
    await sleep(1000);
    rx.kill('SIGTERM');
    const r = await rxDone;
    const count = (re: RegExp): number => Number(re.exec(a.stderr)?.[1] ?? 0);
    const delivered = count(/zmq: delivered (\d+) packets/);
    const full = count(/zmq: receiver slow or absent \(ZeroMQ queue full\) (\d+)/);
    const notDelivered = count(/zmq: not delivered when the sink closed \(receiver too slow\) (\d+)/);
    const received = Number(/(\d+) packets received/.exec(r.stderr)?.[1]);
    t.diagnostic(`delivered ${delivered}, queue full ${full}, not delivered at close ${notDelivered}, received ${received}`);
    assert.ok(notDelivered > 0, a.stderr);
    assert.equal(delivered + full + notDelivered, 40 * 1185, 'every IP packet is delivered or counted as dropped');
    assert.ok(received >= delivered, `received ${received} < delivered ${delivered}: a "delivered" packet was lost`);
    assert.ok(received <= delivered + notDelivered, `received ${received}: more than was ever queued`);
  });

  test('--mbps thins out forwarding only; the dump on the same channel stays complete', LIVE, async (t) => {
    const dump = tmp();
    const agent = await runCli(t, 'pktminerg', ['-f', XML, '-r', net.addrB, '--mbps', '1', '--dump', dump], { netns: net.a });
    assert.equal(agent.code, 0, agent.stderr);
    const sent = Number(/gre: sent (\d+) datagrams/.exec(agent.stderr)?.[1]);
    const throttled = Number(/throttled (\d+)/.exec(agent.stderr)?.[1]);
    assert.ok(throttled > 0 && sent > 0, agent.stderr);
    assert.equal(sent + throttled, 1200);
    assert.ok(readFileSync(join(dump, 'xml', 'pktminerg_dump.pcap')).equals(readFileSync(XML)));
  });

  test('-M do refuses to fragment: oversized datagrams are counted as EMSGSIZE, the others sent', LIVE, async (t) => {
    const agent = await runCli(t, 'pktminerg', ['-f', jumboPcap(), '-r', net.addrB, '-M', 'do', '-B', net.ifA], { netns: net.a });
    assert.equal(agent.code, 0, agent.stderr);
    assert.match(agent.stderr, /gre: sent 2 datagrams/);
    assert.match(agent.stderr, /gre: EMSGSIZE 3/);
  });

  test('VXLAN to a closed port (the receiver answers ICMP port unreachable): the agent carries on and exits 0', LIVE, async (t) => {
    const agent = await agentOn(t, net, join(FIXTURES, 'sample.pcap'), ['-r', net.addrB, '-n', '7', '-x', '4799']);
    assert.equal(agent.code, 0, agent.stderr);
    assert.match(agent.stderr, /vxlan: sent 8 datagrams/);
  });

  test('-B with a device that does not exist: one line, exit 1', LIVE, async (t) => {
    const agent = await runCli(t, 'pktminerg', ['-f', XML, '-r', net.addrB, '-B', 'nosuchdev0'], { netns: net.a });
    assert.equal(agent.code, 1);
    assert.match(agent.stderr, /^pktminerg: -B nosuchdev0: .+$/m);
    assert.doesNotMatch(agent.stderr, /\n\s+at /);
  });
});

/**
 * probedaemon end to end: a test manager playing CPM (test/helpers/cpm.ts),
 * the daemon and its pktminerg for real, a container played by the test
 * (a network namespace and a cgroup, test/helpers/containers.ts) named by
 * the manager in its ID_if form, tcpreplay into it, GRE to the host's
 * loopback recorded by tcpdump and decoded by gredump.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test, type TestContext } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { collect, runCli, startCli, startProcess, STDERR_LOG_CONFIG, waitForStderr } from '../helpers/cli.js';
import { readPcapFile } from '../helpers/capture-files.js';
import { fakeContainer, SAMPLE, sameFrames } from '../helpers/containers.js';
import { startTestManager, type RecordedRequest } from '../helpers/cpm.js';
import { netnsAvailable, replay } from '../helpers/netns.js';
import { assertPrerequisites } from '../helpers/prerequisites.js';
import { tmp } from '../helpers/tmp.js';
import { PROCESS_RESERVE_MIB } from '../../lib/daemon/strategy.js';


/** The sample's 8 frames: what each replay must show in the manager's metrics. */
const SAMPLE_PACKETS = 8;

interface Report {
  pid?: number;
  metrics?: { capPackets: number; capBytes: number; fwdPackets: number; capBuff: number; cpuLoad: number; memUse: number };
  logs: { logLevel: string; logDetails: string }[];
}

const isMetrics = (r: RecordedRequest): boolean => r.method === 'POST' && /\/sync\/metrics$/.test(r.path);
const isRegister = (r: RecordedRequest): boolean => r.method === 'POST' && /\/api\/v1\/daemons$/.test(r.path);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Everything the daemon wrote on stderr so far, and a wait for a line of it (earlier ones count too). */
function stderrOf(child: ChildProcess): { text: () => string; waitFor: (re: RegExp, ms?: number) => Promise<RegExpExecArray> } {
  let text = '';
  child.stderr!.on('data', (d: Buffer) => (text += d));
  return {
    text: () => text,
    async waitFor(re, ms = 20_000) {
      for (let waited = 0; ; waited += 50) {
        const m = re.exec(text);
        if (m) return m;
        if (waited > ms) throw new Error(`no ${re} within ${ms} ms in:\n${text}`);
        await sleep(50);
      }
    },
  };
}

/** tcpdump on the host's loopback for the GRE of key `key`: started, and stopped into a pcap of the inner frames. */
async function greOnLoopback(t: TestContext, key: number): Promise<() => Promise<string>> {
  const dir = tmp();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const wire = join(dir, 'wire.pcap');
  // GRE with a key: flags 0x2000, protocol 0x6558; the key is the 4 bytes after them.
  const capture = startProcess(t, 'tcpdump', ['-i', 'lo', '-n', '-U', '--immediate-mode', '-w', wire, `ip proto 47 and ip[24:4] = ${key}`]);
  const captured = collect(capture);
  await waitForStderr(capture, /listening on/);
  return async () => {
    await sleep(300);
    capture.kill('SIGTERM');
    await captured;
    const out = join(dir, 'inner.pcap');
    const r = await runCli(t, 'gredump', ['-f', wire, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    return out;
  };
}

describe('probedaemon with a test manager, a container and GRE', { skip: !netnsAvailable() && 'needs root' }, () => {
  test('before', () => assertPrerequisites());

  test('register → strategy → replayed traffic arrives → metrics count it → new version restarts with new options → 500 re-registers → SIGTERM ends all', { timeout: 120_000 }, async (t) => {
    const c = await fakeContainer(t);
    const manager = await startTestManager(t);
    const state = tmp();
    t.after(() => rmSync(state, { recursive: true, force: true }));
    const uuidFile = join(state, 'uuid');
    const key = 4000 + (process.pid % 1000);
    const strategy = { containerIds: [`${c.id}_eth0`], packetChannelType: 'GRE', address: '127.0.0.1', hasServiceTag: true, serviceTag: key, bpf: 'ip or arp' };
    manager.syncInterval = 1;
    manager.setAgent({ memLimit: 0, strategy: [strategy] });

    let gre = await greOnLoopback(t, key);
    const daemon = startCli(t, 'probedaemon', ['--manager', manager.url, '--platformId', 'test-platform', '--name', 'e2e', '--labels', 'a,b', '--uuid-file', uuidFile, '--query', '21000,21010', '--log-config', STDERR_LOG_CONFIG]);
    const done = collect(daemon);
    const log = stderrOf(daemon);

    // Registration: the Daemon object of spec §10.4, and the manager's paUUID written for ZeroMQ captures.
    const reg = await manager.waitFor(isRegister, 10_000);
    const body = reg.json as Record<string, unknown>;
    assert.equal(body.platformId, 'test-platform');
    assert.equal(body.name, 'e2e');
    assert.deepEqual(body.labels, [{ value: 'a' }, { value: 'b' }]);
    assert.equal(body.apiVersion, 'v1');
    assert.equal(body.syncMode, 'pull');
    assert.ok((body.networkInterfaces as { name: string }[]).some((i) => i.name === 'lo'));
    await log.waitFor(/registered with .* as daemon 1/);
    assert.equal(readFileSync(uuidFile, 'latin1'), manager.paUUID);

    // The strategy runs: pktminerg's own lines come through the daemon's log.
    await log.waitFor(/strategy 1: pktminerg: .*capturing on container/);
    const first = await log.waitFor(/strategy 1: started pktminerg \(pid (\d+)\): "-c [0-9a-f]{64} -i eth0 -k (\d+) -r 127\.0\.0\.1 --expression 'ip or arp' --control 21000 -b 256"/, 1000);
    assert.equal(first[2], String(key));
    const pid1 = Number(first[1]);
    replay(c.host, 'h0', SAMPLE);
    const report = await manager.waitFor((r) => isMetrics(r) && (r.json as Report).metrics?.capPackets === SAMPLE_PACKETS, 20_000);
    const m = (report.json as Report).metrics!;
    assert.equal(m.fwdPackets, SAMPLE_PACKETS);
    assert.equal(m.capBuff, 256);
    assert.ok(m.memUse > 10e6, `memUse ${m.memUse}`);
    assert.equal((report.json as Report).pid, pid1);
    await sameFrames(t, SAMPLE, await gre());
    // The logs since the previous report go with it (the reference dropped them).
    const logs = manager.requests.filter(isMetrics).flatMap((r) => (r.json as Report).logs.map((l) => l.logDetails));
    assert.ok(logs.some((l) => /started pktminerg/.test(l)), logs.join('\n'));

    // A new version with another slice and filter: the capture restarts with them.
    gre = await greOnLoopback(t, key);
    manager.setAgent({ memLimit: 0, strategy: [{ ...strategy, sliceLen: 64, bpf: 'ip' }] });
    const second = await log.waitFor(/started pktminerg \(pid (\d+)\): [^\n]* --expression ip --control 2100\d -b 256 --slice 64"/);
    const pid2 = Number(second[1]);
    await log.waitFor(new RegExp(`stopped pktminerg \\(pid ${pid1}\\)`));
    assert.ok(!alive(pid1));
    await log.waitFor(new RegExp(`pktminerg: [^\\n]*capturing on container[^]*capturing on container`));
    replay(c.host, 'h0', SAMPLE);
    await manager.waitFor((r) => isMetrics(r) && (r.json as Report).pid === pid2 && (r.json as Report).metrics?.capPackets === SAMPLE_PACKETS, 20_000);
    const sliced = await readPcapFile(await gre());
    assert.equal(sliced.records.length, SAMPLE_PACKETS);
    assert.ok(sliced.records.every((r) => r.caplen <= 64), 'frames cut to 64 bytes');

    // 500: the daemon registers again, and the capture keeps running meanwhile.
    const registrations = manager.requests.filter(isRegister).length;
    manager.answerNext('strategy', { status: 500, body: 'storm' }, 3);
    await manager.waitFor((r) => isRegister(r) && manager.requests.filter(isRegister).length > registrations, 20_000);
    await log.waitFor(/registered with .* as daemon 2/);
    // Registering anew, the daemon names the id it had, as the reference did.
    assert.equal((manager.requests.filter(isRegister)[registrations]!.json as { id?: number }).id, 1);
    assert.ok(alive(pid2), 'the capture survived the re-registration');

    // SIGTERM: every capture stops, and the daemon exits 0 within the stop timeout.
    const t0 = Date.now();
    daemon.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Date.now() - t0 < 16_000);
    assert.ok(!alive(pid2), 'the capture is gone');
    assert.match(r.stderr, new RegExp(`stopped pktminerg \\(pid ${pid2}\\)`));
  });

  test("the manager's cpuLimit and memLimit: the capture runs in the daemon's cgroup with them; a bad value is refused with its reason; the cgroup goes with the daemon", { timeout: 60_000 }, async (t) => {
    const manager = await startTestManager(t);
    manager.syncInterval = 1;
    const state = tmp();
    t.after(() => rmSync(state, { recursive: true, force: true }));
    const strategy = { interfaceNames: ['lo'], packetChannelType: 'FILE', dumpDir: join(state, 'dump'), bpf: 'udp port 9' };
    manager.setAgent({ cpuLimit: 0.5, memLimit: 512, strategy: [strategy] });
    const daemon = startCli(t, 'probedaemon', ['--manager', manager.url, '--platformId', 'p', '--uuid-file', join(state, 'uuid'), '--query', '21020,21030', '--log-config', STDERR_LOG_CONFIG]);
    const done = collect(daemon);
    const log = stderrOf(daemon);
    // This host has cgroup v1 cpu and memory hierarchies (the v2 one has no controllers): v1 is what can be tried here.
    const applied = await log.waitFor(/limits applied in cgroup v1 (\S+) \+ (\S+): cpuLimit 0\.5 CPU, memLimit 512 MiB/);
    const [cpuDir, memoryDir] = [applied[1]!, applied[2]!];
    assert.ok(cpuDir.endsWith(`/probedaemon-captures-${daemon.pid}`), cpuDir);
    const started = await log.waitFor(/started pktminerg \(pid (\d+)\): "-i lo --dump \S+ --interval 60 -k 4294967295 --expression 'udp port 9' --control 2102\d -b (\d+)"/);
    assert.equal(started[2], String(512 - PROCESS_RESERVE_MIB));
    const pid = Number(started[1]);
    await log.waitFor(/pktminerg: \[-01-\] capturing on lo/);
    assert.equal(readFileSync(join(cpuDir, 'cpu.cfs_quota_us'), 'latin1').trim(), '50000');
    assert.equal(readFileSync(join(cpuDir, 'cpu.cfs_period_us'), 'latin1').trim(), '100000');
    assert.equal(readFileSync(join(memoryDir, 'memory.limit_in_bytes'), 'latin1').trim(), String(512 * 1024 * 1024));
    for (const dir of [cpuDir, memoryDir]) assert.ok(readFileSync(join(dir, 'cgroup.procs'), 'latin1').split('\n').includes(String(pid)), `${pid} in ${dir}`);

    // Below the kernel's smallest quota: refused with the reason, the capture keeps running without the limit.
    manager.setAgent({ cpuLimit: 0.001, memLimit: 512, strategy: [strategy] });
    await log.waitFor(/limits cpuLimit 0\.001, memLimit 512: cpuLimit 0\.001 is below 0\.01 CPU[^\n]*; the captures run without limits/);
    await log.waitFor(/limits applied in cgroup v1 [^\n]*cpuLimit 0\.001 CPU/);
    assert.equal(readFileSync(join(cpuDir, 'cpu.cfs_quota_us'), 'latin1').trim(), '-1');
    assert.ok(alive(pid), 'the same capture runs on');

    daemon.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(cpuDir) && !existsSync(memoryDir), 'the cgroup is removed');
  });
});

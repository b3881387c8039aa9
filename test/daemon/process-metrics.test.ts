/** CPU, memory and traffic of a capture process, read from fake and real /proc and from a real pktminerg. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { Reply } from 'zeromq';
import { CpuMeter, queryStatusPort, readProcStat, readRssBytes } from '../../lib/daemon/process-metrics.js';
import { encodeStatusError, StatusErrors } from '../../lib/proto/status.js';
import { FIXTURES, freePort, startCli, waitForStderr } from '../helpers/cli.js';

function tmpDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'pa-proc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A /proc/<pid>/stat line: a command name with spaces and parentheses,
 * utime/stime/cutime/cstime (fields 14–17) and starttime (field 22) as given.
 */
function statLine(pid: number, t: { utime: number; stime: number; cutime: number; cstime: number; start: number }): string {
  // fields:   3 4 5    6    7 8  9       10  11 12 13 14        15        16         17         18 19 20 21 22
  return `${pid} ((a) b (c)) S 1 ${pid} ${pid} 0 -1 4194560 812 0 3 0 ${t.utime} ${t.stime} ${t.cutime} ${t.cstime} 20 0 1 0 ${t.start} 11063296 210 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n`;
}

/** A fake /proc holding process 4321 and an uptime. */
function fakeProc(t: TestContext, stat: Parameters<typeof statLine>[1], uptime: string): string {
  const root = tmpDir(t);
  mkdirSync(join(root, '4321'));
  writeFileSync(join(root, '4321', 'stat'), statLine(4321, stat));
  writeFileSync(join(root, 'uptime'), uptime);
  return root;
}

/** A child killed when the test ends. */
function child(t: TestContext, command: string, args: string[]): ChildProcess {
  const c = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(async () => {
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = once(c, 'exit');
    c.kill('SIGKILL');
    await exited;
  });
  return c;
}

/** The pid of a process that has exited and been reaped. */
async function gonePid(): Promise<number> {
  const c = spawn('true');
  await once(c, 'exit');
  return c.pid!;
}

describe('readProcStat', () => {
  it('reads fields 14–17 and 22 after the last ")" of a command name with spaces and parentheses', (t) => {
    const root = fakeProc(t, { utime: 150, stime: 50, cutime: 7, cstime: 3, start: 12345 }, '200.00 300.00\n');
    assert.deepEqual(readProcStat(4321, root), { ticks: 210, startTicks: 12345 });
  });

  it('a cut-off line is an error naming the file and field', (t) => {
    const root = fakeProc(t, { utime: 1, stime: 1, cutime: 0, cstime: 0, start: 1 }, '1.00 1.00\n');
    writeFileSync(join(root, '4321', 'stat'), '4321 ((a) b (c)) S 1 4321 4321 0 -1 4194560 812 0 3 0 15');
    assert.throws(() => readProcStat(4321, root), { message: `${join(root, '4321', 'stat')}: field 15 is undefined, not a number` });
  });

  it('a real process: its own start time, as /proc/self/stat says, and ticks that grow', () => {
    const own = readFileSync('/proc/self/stat', 'latin1');
    const start = Number(own.slice(own.lastIndexOf(')') + 2).split(' ')[22 - 3]);
    const s = readProcStat(process.pid);
    assert.ok(s !== null);
    assert.equal(s.startTicks, start);
    assert.ok(s.ticks > 0, String(s.ticks));
  });

  it('a process that is gone: null', async () => {
    const pid = await gonePid();
    assert.equal(readProcStat(pid), null);
    assert.equal(readRssBytes(pid), null);
    assert.equal(new CpuMeter().sample(pid), null);
  });
});

describe('readRssBytes', () => {
  it('VmRSS kB × 1024; a zombie (no VmRSS line) has 0', (t) => {
    const root = tmpDir(t);
    mkdirSync(join(root, '7'));
    writeFileSync(join(root, '7', 'status'), 'Name:\tpktminerg\nVmPeak:\t  999999 kB\nVmRSS:\t   12345 kB\nRssAnon:\t    8000 kB\n');
    assert.equal(readRssBytes(7, root), 12345 * 1024);
    writeFileSync(join(root, '7', 'status'), 'Name:\tpktminerg\nState:\tZ (zombie)\n');
    assert.equal(readRssBytes(7, root), 0);
  });

  it('a real process: within a few MiB of what Node says of itself', () => {
    const rss = readRssBytes(process.pid);
    const node = process.memoryUsage.rss();
    assert.ok(rss !== null && Math.abs(rss - node) < 8 * 1024 * 1024, `${rss} vs ${node}`);
  });
});

describe('CpuMeter', () => {
  it('first sample: since the process started; then since the previous sample; a new start time is a new process', (t) => {
    // Started 50 s after boot (5000 ticks), now 150 s: 2500 ticks = 25 s of CPU over 100 s.
    const root = fakeProc(t, { utime: 2000, stime: 400, cutime: 60, cstime: 40, start: 5000 }, '150.00 280.00\n');
    const meter = new CpuMeter(root);
    assert.equal(meter.sample(4321, 1_000_000), 0.25);
    // 100 more ticks (1 s of CPU) over 2 s.
    writeFileSync(join(root, '4321', 'stat'), statLine(4321, { utime: 2080, stime: 420, cutime: 60, cstime: 40, start: 5000 }));
    assert.equal(meter.sample(4321, 1_002_000), 0.5);
    // No time passed: 0, and the next sample still measures from the last one with time (1 s more CPU over 4 s).
    writeFileSync(join(root, '4321', 'stat'), statLine(4321, { utime: 2180, stime: 420, cutime: 60, cstime: 40, start: 5000 }));
    assert.equal(meter.sample(4321, 1_002_000), 0);
    assert.equal(meter.sample(4321, 1_006_000), 0.25);
    // Same pid, started at 140 s: 200 ticks over its 10 s.
    writeFileSync(join(root, '4321', 'stat'), statLine(4321, { utime: 200, stime: 0, cutime: 0, cstime: 0, start: 14000 }));
    assert.equal(meter.sample(4321, 1_007_000), 0.2);
    // retainOnly() without it: the next sample is a first sample again.
    meter.retainOnly(new Set([1]));
    assert.equal(meter.sample(4321, 1_009_000), 0.2);
  });

  it('a real busy loop loads about one CPU', async (t) => {
    const busy = child(t, process.execPath, ['-e', 'process.stdout.write("go\\n"); for (const end = Date.now() + 20000; Date.now() < end;);']);
    await once(busy.stdout!, 'data');
    const meter = new CpuMeter();
    assert.ok(meter.sample(busy.pid!) !== null);
    await new Promise((r) => setTimeout(r, 300));
    const load = meter.sample(busy.pid!);
    assert.ok(load !== null && load >= 0.5 && load <= 1.2, `load ${load}`);
  });

  it('a real sleeping process loads almost nothing', async (t) => {
    const idle = child(t, 'sleep', ['60']);
    await once(idle, 'spawn');
    const meter = new CpuMeter();
    meter.sample(idle.pid!);
    await new Promise((r) => setTimeout(r, 300));
    const load = meter.sample(idle.pid!);
    assert.ok(load !== null && load < 0.05, `load ${load}`);
  });
});


/** A REP socket on a free port, closed when the test ends, that answers with `answer` or never answers. */
async function fakeStatusPort(t: TestContext, answer: Buffer | null): Promise<number> {
  const rep = new Reply({ linger: 0 });
  await rep.bind('tcp://127.0.0.1:*');
  t.after(() => rep.close());
  if (answer !== null) {
    void (async () => {
      try {
        for (;;) {
          await rep.receive();
          await rep.send(answer);
        }
      } catch {
        // closed when the test ends
      }
    })();
  }
  return Number(/:(\d+)$/.exec(rep.lastEndpoint!)![1]);
}

/** The records of a little-endian pcap file: count and bytes captured. */
function pcapTotals(file: Buffer): { packets: number; bytes: number; first: number; last: number } {
  let packets = 0;
  let bytes = 0;
  const times: number[] = [];
  for (let offset = 24; offset < file.length; offset += 16 + file.readUInt32LE(offset + 8)) {
    packets++;
    bytes += file.readUInt32LE(offset + 8);
    times.push(file.readUInt32LE(offset));
  }
  return { packets, bytes, first: Math.min(...times), last: Math.max(...times) };
}

describe('queryStatusPort', () => {
  it('asks a real pktminerg: the exact packets and bytes of sample.pcap', { timeout: 30_000 }, async (t) => {
    const port = await freePort();
    const dump = tmpDir(t);
    // Reading standard input, kept open: it runs until the test kills it.
    const agent = startCli(t, 'pktminerg', ['-f', '-', '--dump', dump, '--control', String(port)], { stdin: 'pipe' });
    await waitForStderr(agent, /status port listening on tcp:\/\/127\.0\.0\.1:\d+/);
    assert.deepEqual(await queryStatusPort(port), {
      firstPacketSec: 0, lastPacketSec: 0, capturedBytes: 0n, capturedPackets: 0n, captureDrops: 0n, forwardedBytes: 0n, forwardedPackets: 0n,
    });

    const sample = readFileSync(join(FIXTURES, 'sample.pcap'));
    const want = pcapTotals(sample);
    assert.equal(want.packets, 8, 'fixtures/README.md: 8 packets');
    agent.stdin!.write(sample);
    let values = await queryStatusPort(port);
    for (let i = 0; values.capturedPackets < 8n && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      values = await queryStatusPort(port);
    }
    assert.equal(values.capturedPackets, 8n);
    assert.equal(values.capturedBytes, BigInt(want.bytes));
    assert.equal(values.firstPacketSec, want.first);
    assert.equal(values.lastPacketSec, want.last);
    assert.equal(values.captureDrops, 0n);
  });

  it('a port that never answers: rejects after the timeout with one line, and leaves no socket open', async (t) => {
    const port = await fakeStatusPort(t, null);
    const started = performance.now();
    await assert.rejects(queryStatusPort(port, 1000), { message: `status port tcp://127.0.0.1:${port}: no answer within 1000 ms` });
    const took = performance.now() - started;
    assert.ok(took >= 950 && took < 1500, `took ${took} ms`);
    const fds = readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 20; i++) await assert.rejects(queryStatusPort(port, 20), /no answer within 20 ms/);
    // A socket left open holds 3 descriptors: 20 would add 60. Others may close meanwhile (an earlier test's child), so no exact count.
    const after = readdirSync('/proc/self/fd').length;
    assert.ok(after < fds + 10, `every socket closed: ${fds} descriptors before, ${after} after`);
  });

  it('nobody listening: the same timeout', async () => {
    const port = await freePort();
    await assert.rejects(queryStatusPort(port, 300), { message: `status port tcp://127.0.0.1:${port}: no answer within 300 ms` });
  });

  it('an answer that is not a status: one line with the decoder\'s reason', async (t) => {
    const short = await fakeStatusPort(t, Buffer.from('hello'));
    await assert.rejects(queryStatusPort(short), {
      message: `status port tcp://127.0.0.1:${short}: truncated status reply at byte offset 0: need 16 bytes, have 5`,
    });
    const refused = await fakeStatusPort(t, encodeStatusError({ error: StatusErrors.action, magicOrder: 'le', queryId: 0 }));
    await assert.rejects(queryStatusPort(refused), {
      message: `status port tcp://127.0.0.1:${refused}: status port refused the request (error 0x80000004) at byte offset 8`,
    });
  });

  it('a port number out of range: one line, no socket', async () => {
    await assert.rejects(queryStatusPort(70000), { message: 'status port tcp://127.0.0.1:70000: not a TCP port' });
  });
});

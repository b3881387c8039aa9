/**
 * --cpu (lib/native/affinity.c, lib/cpu.ts): every thread of the process on
 * the CPU asked for — threads that existed before and threads started after —
 * and one line, exit 1, for a CPU the process cannot have. Pinning changes the
 * process that calls it, so everything but the argument checks runs in a child.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadAddon } from '../../lib/native/addon.js';
import { FIXTURES, runCli, startCli, waitForStderr } from '../helpers/cli.js';
import { runJson } from './scripts.js';

/** The CPUs in a Cpus_allowed_list value ("0-3,6"). */
function cpuList(text: string): number[] {
  return text.split(',').flatMap((part) => {
    const [a, b = a] = part.split('-').map(Number) as [number, number?];
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

const allowedList = (statusFile: string): string => /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(statusFile, 'utf8'))![1]!;
const ALLOWED = cpuList(allowedList('/proc/self/status'));
/** The CPUs the kernel was configured with, as glibc's sysconf(_SC_NPROCESSORS_CONF) counts them. */
const CONFIGURED = readdirSync('/sys/devices/system/cpu').filter((f) => /^cpu\d+$/.test(f)).length;
// With one CPU, "pinned to it" is also where every thread already was.
const ONE_CPU = ALLOWED.length < 2 ? 'needs two CPUs this process may run on' : false;

type CodedError = Error & { code?: string };

test('setAffinity: a CPU number that is not a whole number from 0 to the last CPU configured is a RangeError naming cpu', () => {
  const addon = loadAddon();
  for (const v of [-1, 1.5, NaN, Infinity, CONFIGURED, 1024, 4095, 2 ** 31]) {
    assert.throws(() => addon.setAffinity(v), (e: CodedError) => e instanceof RangeError && e.code === 'RANGE' && e.message.startsWith('cpu '), String(v));
  }
  assert.throws(() => addon.setAffinity('0' as unknown as number), TypeError);
  // Refused before anything changed: this process still has every CPU it had.
  assert.deepEqual(cpuList(allowedList('/proc/self/status')), ALLOWED);
});

/** Script: starts a worker thread, pins to argv[3], starts another, reports every task's CPU list. */
const PIN_SCRIPT = `
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
const { loadAddon } = await import(process.argv[2]);
const worker = () => new Worker('setInterval(() => {}, 1000)', { eval: true });
const before = worker();
await new Promise((r) => before.once('online', r));
loadAddon().setAffinity(Number(process.argv[3]));
const after = worker();
await new Promise((r) => after.once('online', r));
const list = (f) => /^Cpus_allowed_list:\\s*(\\S+)$/m.exec(readFileSync(f, 'utf8'))[1];
const tasks = readdirSync('/proc/self/task').map((t) => list('/proc/self/task/' + t + '/status'));
process.stdout.write(JSON.stringify({ process: list('/proc/self/status'), tasks }));
process.exit(0);
`;

test('setAffinity pins every thread, those started before it and those started after', { skip: ONE_CPU }, async () => {
  const cpu = ALLOWED[ALLOWED.length - 1]!;
  const r = (await runJson(PIN_SCRIPT, [String(cpu)])) as { process: string; tasks: string[] };
  assert.equal(r.process, String(cpu));
  // Node's own threads, two workers and their helpers: well over the main thread alone.
  assert.ok(r.tasks.length >= 4, `only ${r.tasks.length} tasks`);
  assert.deepEqual(new Set(r.tasks), new Set([String(cpu)]));
});

test('setAffinity: a CPU of this machine outside the set the process may use is refused with code AFFINITY', { skip: ONE_CPU }, async () => {
  const [first, other] = [ALLOWED[0]!, ALLOWED[1]!];
  const script = `
const { loadAddon } = await import(process.argv[2]);
try { loadAddon().setAffinity(${other}); } catch (e) { process.stdout.write(JSON.stringify({ code: e.code, message: e.message })); }
`;
  const r = (await runJson(script, [], { prefix: ['taskset', '-c', String(first)] })) as { code?: string; message?: string };
  assert.equal(r.code, 'AFFINITY');
  assert.equal(r.message, `CPU ${other} is not one this process may run on (allowed: ${first})`);
});

test('pktminerg --cpu N: the process and every one of its threads run on CPU N only', { skip: ONE_CPU }, async (t) => {
  const cpu = ALLOWED[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'pa-cpu-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Standard input left open: the agent waits for a capture file header and stays up.
  const child = startCli(t, 'pktminerg', ['-f', '-', '--cpu', String(cpu), '--dump', dir], { stdin: 'pipe' });
  await waitForStderr(child, /reading standard input/);
  const proc = `/proc/${child.pid!}`;
  assert.equal(allowedList(`${proc}/status`), String(cpu));
  const tasks = readdirSync(`${proc}/task`);
  assert.ok(tasks.length > 1, 'Node runs more than one thread');
  for (const task of tasks) assert.equal(allowedList(`${proc}/task/${task}/status`), String(cpu), `task ${task}`);
});

test('pktminerg --cpu with a CPU that does not exist: one line, exit 1', async (t) => {
  const r = await runCli(t, 'pktminerg', ['-f', '-', '--cpu', '4095', '--dump', tmpdir()]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `pktminerg: --cpu 4095: no such CPU on this machine (cpu must be a whole number from 0 to ${CONFIGURED - 1}, not 4095)\n`);
});

test('pktminerg: groups asking for different CPUs are refused; the same CPU twice is not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pa-cpu-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const group = (cpu: number, n: number): string => `-f ${join(FIXTURES, 'sample.pcap')} --cpu ${cpu} --dump ${join(dir, String(n))}`;
  const r = await runCli(t, 'pktminerg', [group(0, 1), group(1, 2)]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'pktminerg: groups 1 and 2 ask for different CPUs (--cpu 0 and --cpu 1): all groups run in one process, pinned to one CPU\n');
  const cpu = ALLOWED[0]!;
  const same = await runCli(t, 'pktminerg', [group(cpu, 1), group(cpu, 2)]);
  assert.equal(same.code, 0, same.stderr);
});

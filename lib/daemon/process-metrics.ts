/**
 * What the daemon reports of a running capture process (spec §10.8): CPU
 * time from /proc/<pid>/stat, resident memory from /proc/<pid>/status,
 * traffic from its status port (§9). Unlike the reference, CPU is not
 * sampled twice one second apart, blocking the daemon meanwhile: a sample
 * measures since the previous sample of the same process.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Request } from 'zeromq';
import { decodeStatusResponse, encodeStatusRequest, type StatusValues } from '../proto/status.js';

/**
 * The unit of the times in /proc/<pid>/stat. It is USER_HZ, not the
 * kernel's HZ: the kernel converts, so that sysconf(_SC_CLK_TCK) is a
 * constant of the ABI, 100 on every architecture Node runs on (only alpha
 * and the removed ia64 differed). The reference assumes 100 too.
 */
export const USER_HZ = 100;

export interface ProcStat {
  /** utime + stime + cutime + cstime (fields 14–17), in USER_HZ ticks. */
  ticks: number;
  /** starttime (field 22): ticks after boot. Tells a process from a later one with the same pid. */
  startTicks: number;
}

function checkPid(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${pid} is not a process id`);
}

/** A /proc file's text, or null when the process is gone (ESRCH: it exited while being read). */
function readProcFile(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return null;
    throw e;
  }
}

export function readProcStat(pid: number, procRoot = '/proc'): ProcStat | null {
  checkPid(pid);
  const path = join(procRoot, String(pid), 'stat');
  const text = readProcFile(path);
  if (text === null) return null;
  // Field 2 is the command name in parentheses, and the name itself may hold spaces and ')': field 3 starts after the last ')'.
  const close = text.lastIndexOf(')');
  const fields = close === -1 ? [] : text.slice(close + 1).trim().split(' ');
  const field = (n: number): number => {
    const v = fields[n - 3];
    if (v === undefined || !/^-?\d+$/.test(v)) throw new Error(`${path}: field ${n} is ${JSON.stringify(v)}, not a number`);
    return Number(v);
  };
  return { ticks: field(14) + field(15) + field(16) + field(17), startTicks: field(22) };
}

/** Resident memory (VmRSS) in bytes; null when the process is gone. */
export function readRssBytes(pid: number, procRoot = '/proc'): number | null {
  checkPid(pid);
  const text = readProcFile(join(procRoot, String(pid), 'status'));
  if (text === null) return null;
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(text);
  // A zombie has no VmRSS line: its memory is freed already.
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** Seconds since boot, the clock starttime counts in. */
function uptimeSec(procRoot: string): number {
  const text = readFileSync(join(procRoot, 'uptime'), 'latin1');
  const sec = Number(text.split(' ')[0]);
  if (!Number.isFinite(sec)) throw new Error(`${join(procRoot, 'uptime')}: ${JSON.stringify(text)} is not an uptime`);
  return sec;
}

/** CPU load of processes, each sample measured since the previous one of the same process. */
export class CpuMeter {
  private readonly last = new Map<number, ProcStat & { atMs: number }>();

  constructor(private readonly procRoot = '/proc') {}

  /**
   * CPUs used (0.25 = a quarter of one CPU) by `pid` since its previous
   * sample, or since it started for the first; null when it is gone.
   * `nowMs` is any monotonic clock in ms, the same for every call.
   */
  sample(pid: number, nowMs: number = performance.now()): number | null {
    const stat = readProcStat(pid, this.procRoot);
    if (stat === null) {
      this.last.delete(pid);
      return null;
    }
    const prev = this.last.get(pid);
    // A different start time is a new process that got the same pid.
    const same = prev !== undefined && prev.startTicks === stat.startTicks;
    const ticks = same ? stat.ticks - prev.ticks : stat.ticks;
    const elapsedSec = same ? (nowMs - prev.atMs) / 1000 : uptimeSec(this.procRoot) - stat.startTicks / USER_HZ;
    // No time has passed (two samples within a clock tick): 0, as the reference says, and the next sample measures from the earlier one.
    if (elapsedSec <= 0) return 0;
    this.last.set(pid, { ...stat, atMs: nowMs });
    return ticks / USER_HZ / elapsedSec;
  }

  /** Drops what is remembered of every process but `pids` (the others ended; a new process may get their pids). */
  retainOnly(pids: ReadonlySet<number>): void {
    for (const pid of this.last.keys()) if (!pids.has(pid)) this.last.delete(pid);
  }
}

let lastQueryId = 0;

/** Sends one request and waits for the answer, within `timeoutMs` in all. */
async function exchange(socket: Request, request: Buffer, timeoutMs: number): Promise<Buffer[]> {
  const deadline = performance.now() + timeoutMs;
  try {
    await socket.send(request);
    socket.receiveTimeout = Math.max(1, Math.ceil(deadline - performance.now()));
    return await socket.receive();
  } catch (e) {
    // ZeroMQ's timeout is EAGAIN ("Socket temporarily unavailable").
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN') throw new Error(`no answer within ${timeoutMs} ms`);
    throw e;
  }
}

/**
 * One status query to a capture process's `--control` port on 127.0.0.1
 * (REQ, linger 0, as the reference's daemon asks). Rejects with one line
 * when no answer comes within `timeoutMs` or the answer is not a status.
 */
export async function queryStatusPort(port: number, timeoutMs = 1000): Promise<StatusValues> {
  const address = `tcp://127.0.0.1:${port}`;
  const fail = (reason: string): Error => new Error(`status port ${address}: ${reason}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw fail('not a TCP port');
  const queryId = (lastQueryId = (lastQueryId + 1) >>> 0);
  // linger 0: a request nobody took must not hold up the daemon's exit.
  const socket = new Request({ linger: 0, sendTimeout: timeoutMs, receiveTimeout: timeoutMs });
  let frames: Buffer[];
  try {
    socket.connect(address);
    frames = await exchange(socket, encodeStatusRequest(queryId), timeoutMs);
  } catch (e) {
    throw fail((e as Error).message);
  } finally {
    socket.close();
  }
  if (frames.length !== 1) throw fail(`an answer of ${frames.length} frames`);
  let answer: ReturnType<typeof decodeStatusResponse>;
  try {
    answer = decodeStatusResponse(frames[0]!);
  } catch (e) {
    throw fail((e as Error).message);
  }
  if (answer.queryId !== queryId) throw fail(`answer to query ${answer.queryId}, asked ${queryId}`);
  return answer.values;
}

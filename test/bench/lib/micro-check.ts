/**
 * The CI performance check of the hot paths (micro-check.test.ts), and what
 * `npm run bench:baseline` (micro-baseline.ts) records for it.
 *
 * A case's speed is never compared in ns/packet across runs or machines:
 * every run also measures referenceCase (plain JS, no packet-agent code), and
 * a case is judged by its ratio ns(case) / ns(reference). micro-baseline.json
 * holds the ratio of each checked case measured on the development machine;
 * the check fails when a ratio grows beyond ALLOWED_FACTOR times the recorded
 * one.
 *
 * Against noise (other processes on a 2-vCPU machine):
 *  - time is the process's CPU time, not wall time;
 *  - each case is measured in a fresh node process of its own
 *    (micro-measure.js, with --single-threaded-gc so that all the GC work is
 *    on the measured thread), with only the reference beside it: the JIT
 *    then sees one case's types, as in a single run of micro.ts --only;
 *  - the case and the reference run in many short rounds, interleaved, and
 *    each keeps its best (minimum) round: others only ever add time;
 *  - a case over the limit is measured again in a new process (twice at
 *    most) and keeps its better ratio: a real regression fails every time.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { microCases, referenceCase, type Case } from './micro-cases.js';

/** The cases the check covers: decode, encode, VXLAN check, ZMQ build. */
export const CHECKED_CASES = [
  'decode-xml',
  'decode-small64',
  'decode-live',
  'pcap-encode',
  'pcap-encode-headers',
  'gre-encode',
  'vxlan-v1-check',
  'vxlan-encode',
  'zmq-build',
] as const;

/** A case fails when its ratio to the reference exceeds this many times the recorded ratio. */
export const ALLOWED_FACTOR = 2;

export const CHECK_BATCH = 512;

export interface MeasureOptions {
  /** Run each case this long (CPU time) before the first round; also sizes the rounds. */
  warmupMs: number;
  rounds: number;
  /** About how long (CPU time) one round of one case lasts. */
  roundMs: number;
}

/** What the test and the baseline script both use: ~1.1 s of CPU per case. */
export const CHECK_MEASURE: MeasureOptions = { warmupMs: 150, rounds: 20, roundMs: 20 };

/** Measurements of a case over the limit, in all (each in a new process). */
export const CHECK_ATTEMPTS = 3;

export const BASELINE_FILE = fileURLToPath(new URL('../../../../test/bench/micro-baseline.json', import.meta.url));
const MEASURE_SCRIPT = fileURLToPath(new URL('../micro-measure.js', import.meta.url));
/** V8 options of the measuring process. */
export const MEASURE_NODE_OPTIONS = ['--single-threaded-gc'];

/** Best ns/packet of one case and of the reference measured beside it. */
export interface CaseTiming {
  ns: number;
  referenceNs: number;
}

/** Per case id. */
export type Measurement = Record<string, CaseTiming>;

export interface BaselineEntry {
  name: string;
  /** ns(case) / ns(reference), the number the check compares. */
  ratio: number;
  /** For reading only: ns/packet when recorded. */
  ns_per_pkt: number;
  /** For reading only: lowest and highest ratio over the recording's repetitions. */
  ratio_range: [number, number];
}

export interface Baseline {
  comment: string;
  recorded: string;
  node: string;
  cpu: string;
  batch: number;
  reference_ns_per_pkt: number;
  cases: Record<string, BaselineEntry>;
}

/** Cases `ids` plus the reference, ready to measure. */
export function checkCases(ids: readonly string[] = CHECKED_CASES): { reference: Case; cases: Case[] } {
  const all = microCases(CHECK_BATCH);
  const cases = ids.map((id) => {
    const c = all.find((x) => x.id === id);
    if (!c) throw new Error(`micro-check: no micro-benchmark case "${id}" in lib/micro-cases.ts`);
    return c;
  });
  return { reference: referenceCase(CHECK_BATCH), cases };
}

/** CPU time of this process (all its threads: the garbage collector's helpers too), in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Timed {
  c: Case;
  /** Iterations of one round: about roundMs of CPU time. */
  iterations: number;
  best: number;
}

/** Runs `c` for about `ms` of CPU time; returns how many iterations that took. */
function warmUp(c: Case, ms: number): number {
  let iterations = 0;
  const t0 = cpuMs();
  do {
    c.run();
    iterations++;
  } while (cpuMs() - t0 < ms);
  return iterations;
}

function nsPerPacketOfRound(t: Timed): number {
  const t0 = cpuMs();
  for (let i = 0; i < t.iterations; i++) t.c.run();
  return ((cpuMs() - t0) * 1e6) / (t.iterations * t.c.packets);
}

/**
 * Best (minimum) ns/packet of each case over o.rounds rounds; every round runs
 * the reference and then each case once, so that all of them see the same
 * spells of load. Time is this process's CPU time, not wall time: while
 * other processes hold the CPU, the clock does not run (what they still
 * cost, shared caches and memory bandwidth, the minimum and the ratio to the
 * reference absorb).
 */
export function measureBest(reference: Case, cases: Case[], o: MeasureOptions = CHECK_MEASURE): Measurement {
  const all: Timed[] = [reference, ...cases].map((c) => {
    const n = warmUp(c, o.warmupMs);
    return { c, iterations: Math.max(1, Math.round((n * o.roundMs) / o.warmupMs)), best: Infinity };
  });
  for (let r = 0; r < o.rounds; r++) {
    for (const t of all) t.best = Math.min(t.best, nsPerPacketOfRound(t));
  }
  const referenceNs = all[0]!.best;
  return Object.fromEntries(all.slice(1).map((t) => [t.c.id, { ns: t.best, referenceNs }]));
}

/** measureBest of the case `id` and the reference in a new node process (micro-measure.js). */
export function measureInChild(id: string): Measurement {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // else micro-measure.js, run under node --test, does nothing
  const out = execFileSync(process.execPath, [...MEASURE_NODE_OPTIONS, MEASURE_SCRIPT, id], { encoding: 'utf8', env });
  return JSON.parse(out) as Measurement;
}

/** Each case in a process of its own, one after the other. */
export function measureEachInChild(ids: readonly string[]): Measurement {
  return Object.assign({}, ...ids.map((id) => measureInChild(id))) as Measurement;
}

const ratioOf = (t: CaseTiming): number => t.ns / t.referenceNs;

/** Per case, the timing with the better (lower) ratio to its reference. */
export function bestOf(a: Measurement, b: Measurement): Measurement {
  const out: Measurement = { ...a };
  for (const [id, t] of Object.entries(b)) if (!out[id] || ratioOf(t) < ratioOf(out[id])) out[id] = t;
  return out;
}

export interface CaseVerdict {
  id: string;
  measuredNs: number;
  /** The recorded ratio times the reference measured beside the case: what the case "should" take here. */
  baselineNs: number;
  /** measuredNs / baselineNs. */
  factor: number;
  ok: boolean;
  line: string;
}

export interface Comparison {
  ok: boolean;
  verdicts: CaseVerdict[];
  /** One line per failing case. */
  failures: string[];
}

/** Judges a measurement against the recorded ratios. A case without a recorded ratio fails. */
export function compareToBaseline(m: Measurement, baseline: Baseline, allowed = ALLOWED_FACTOR): Comparison {
  const verdicts: CaseVerdict[] = [];
  for (const [id, { ns: measuredNs, referenceNs }] of Object.entries(m)) {
    const entry = baseline.cases[id];
    if (!entry || !(entry.ratio > 0)) {
      verdicts.push({
        id,
        measuredNs,
        baselineNs: NaN,
        factor: NaN,
        ok: false,
        line: `${id}: ${measuredNs.toFixed(1)} ns/pkt measured, no baseline in micro-baseline.json (run npm run bench:baseline)`,
      });
      continue;
    }
    const baselineNs = entry.ratio * referenceNs;
    const factor = measuredNs / baselineNs;
    const ok = factor <= allowed;
    verdicts.push({
      id,
      measuredNs,
      baselineNs,
      factor,
      ok,
      line:
        `${id}: ${measuredNs.toFixed(1)} ns/pkt measured, ${baselineNs.toFixed(1)} ns/pkt baseline, ` +
        `${factor.toFixed(2)}× the baseline (allowed ${allowed}×)${ok ? '' : ' — TOO SLOW'}`,
    });
  }
  const failures = verdicts.filter((v) => !v.ok).map((v) => v.line);
  return { ok: failures.length === 0, verdicts, failures };
}

/**
 * The whole check: every checked case in a process of its own, then the ones
 * over the limit again (CHECK_ATTEMPTS in all), each keeping its best ratio.
 */
export function runCheck(baseline: Baseline, log: (line: string) => void = () => {}): Comparison {
  let m = measureEachInChild(CHECKED_CASES);
  let c = compareToBaseline(m, baseline);
  for (let attempt = 2; !c.ok && attempt <= CHECK_ATTEMPTS; attempt++) {
    const again = c.verdicts.filter((v) => !v.ok && Number.isFinite(v.factor));
    if (again.length === 0) break;
    for (const v of again) log(`over the limit, measuring again (${attempt}/${CHECK_ATTEMPTS}): ${v.line}`);
    m = bestOf(m, measureEachInChild(again.map((v) => v.id)));
    c = compareToBaseline(m, baseline);
  }
  return c;
}

export function readBaseline(file = BASELINE_FILE): Baseline {
  return JSON.parse(readFileSync(file, 'utf8')) as Baseline;
}

export function writeBaseline(b: Baseline, file = BASELINE_FILE): void {
  // ratio_range pairs on one line each
  const text = JSON.stringify(b, null, 2).replace(/\[\s+([-\d.e]+),\s+([-\d.e]+)\s+\]/g, '[$1, $2]');
  writeFileSync(file, `${text}\n`);
}

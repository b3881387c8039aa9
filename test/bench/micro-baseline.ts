/**
 * Rewrites test/bench/micro-baseline.json, the ratios the CI check
 * (micro-check.test.ts) compares against: `npm run bench:baseline`.
 * Not a test (see micro.ts); does nothing under node --test.
 *
 *   node dist/test/bench/micro-baseline.js [--repeats 5] [--dry-run]
 *
 * Runs the check's own measurement (lib/micro-check.ts: each case in a new
 * node process, beside the reference workload) --repeats times and records,
 * per checked case, the median of its ratios to the reference: V8 does not
 * compile a case the same way in every process, and one process's ratio
 * can be 25-50 % off another's. Run it on a machine as quiet as you can
 * get, after a change that makes a hot path faster or slower on purpose.
 */
import { cpus } from 'node:os';
import {
  BASELINE_FILE,
  CHECKED_CASES,
  CHECK_BATCH,
  checkCases,
  measureEachInChild,
  writeBaseline,
  type Baseline,
  type Measurement,
} from './lib/micro-check.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));
const ratio = (m: Measurement, id: string): number => m[id]!.ns / m[id]!.referenceNs;

function main(): void {
  if (process.env.NODE_TEST_CONTEXT) {
    process.stdout.write('micro-baseline skipped under node --test (run: npm run bench:baseline)\n');
    return;
  }
  const argv = process.argv.slice(2);
  let repeats = 5;
  let dryRun = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--repeats') repeats = Number(argv[++i]);
    else if (argv[i] === '--dry-run') dryRun = true;
    else {
      process.stderr.write(`unknown option ${argv[i]}\n`);
      process.exit(2);
    }
  }
  if (!(Number.isInteger(repeats) && repeats >= 1)) {
    process.stderr.write('bad --repeats\n');
    process.exit(2);
  }
  const { cases } = checkCases();
  const runs: Measurement[] = [];
  for (let r = 0; r < repeats; r++) {
    const m = measureEachInChild(CHECKED_CASES);
    runs.push(m);
    process.stdout.write(
      `repeat ${r + 1}/${repeats}: ratios ${cases.map((c) => `${c.id} ${ratio(m, c.id).toFixed(3)}`).join(', ')}\n`,
    );
  }
  const baseline: Baseline = {
    comment:
      'Ratios ns(case)/ns(reference) of the hot paths, checked by test/bench/micro-check.test.ts (fails above 2x). ' +
      'Rewrite with npm run bench:baseline; see test/bench/README.md.',
    recorded: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} x${cpus().length}`,
    batch: CHECK_BATCH,
    reference_ns_per_pkt: round(median(runs.flatMap((m) => Object.values(m).map((t) => t.referenceNs))), 2),
    cases: {},
  };
  const width = Math.max(...cases.map((c) => c.id.length));
  for (const c of cases) {
    const ratios = runs.map((m) => ratio(m, c.id));
    baseline.cases[c.id] = {
      name: c.name,
      ratio: round(median(ratios), 3),
      ns_per_pkt: round(median(runs.map((m) => m[c.id]!.ns)), 1),
      ratio_range: [round(Math.min(...ratios), 3), round(Math.max(...ratios), 3)],
    };
    const e = baseline.cases[c.id]!;
    process.stdout.write(
      `${c.id.padEnd(width)}  ratio ${e.ratio.toFixed(3).padStart(7)}  (${e.ratio_range[0].toFixed(3)}–${e.ratio_range[1].toFixed(3)})  ${e.ns_per_pkt.toFixed(1).padStart(6)} ns/pkt\n`,
    );
  }
  if (dryRun) process.stdout.write('--dry-run: micro-baseline.json left as it is\n');
  else {
    writeBaseline(baseline);
    process.stdout.write(`wrote ${BASELINE_FILE}\n`);
  }
}

main();

/**
 * Micro-benchmarks of the pure per-packet parts of the pipeline, in packets/s.
 * The cases themselves are in lib/micro-cases.ts (shared with micro-check.test.ts).
 * Not a test: the name does not end in .test.ts, and since `node --test dist/test/` still runs
 * every .js under that directory, it returns at once when NODE_TEST_CONTEXT is set.
 *
 *   node dist/test/bench/micro.js [--ms 1000] [--warmup-ms 300] [--batch 512]
 *                                 [--only REGEX] [--json FILE] [--label TEXT]
 *
 * Each case runs its body (one batch, or one whole input for the decoders)
 * for --warmup-ms, then for at least --ms, and prints one line:
 *   micro <case> <packets/s> <ns per packet> (<packets per iteration>)
 * With --json, one JSON line per case is appended (rows with "prim": "micro",
 * read by test/bench/summarize.py). --only matches a case's name or its id
 * (lib/micro-cases.ts, e.g. vxlan-v1-check).
 */
import { appendFileSync } from 'node:fs';
import { microCases, sinkValue, type Case } from './lib/micro-cases.js';

interface Options {
  ms: number;
  warmupMs: number;
  batch: number;
  only: RegExp | null;
  json: string | null;
  label: string;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { ms: 1000, warmupMs: 300, batch: 512, only: null, json: null, label: 'packet-agent' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--ms') o.ms = Number(v);
    else if (a === '--warmup-ms') o.warmupMs = Number(v);
    else if (a === '--batch') o.batch = Number(v);
    else if (a === '--only') o.only = new RegExp(v ?? '', 'i');
    else if (a === '--json') o.json = v ?? null;
    else if (a === '--label') o.label = v ?? o.label;
    else {
      process.stderr.write(`unknown option ${a}\n`);
      process.exit(2);
    }
    i++;
  }
  if (!(o.batch >= 1 && o.ms > 0 && o.warmupMs >= 0)) {
    process.stderr.write('bad --ms / --warmup-ms / --batch\n');
    process.exit(2);
  }
  return o;
}

// ---------- the harness ----------

interface Result {
  name: string;
  pps: number;
  nsPerPkt: number;
  iterations: number;
  packetsPerIteration: number;
}

function measure(c: Case, o: Options): Result {
  const now = (): number => performance.now();
  let t = now();
  const warmEnd = t + o.warmupMs;
  do c.run();
  while (now() < warmEnd);
  let iterations = 0;
  const t0 = now();
  do {
    c.run();
    iterations++;
    t = now();
  } while (t - t0 < o.ms);
  const seconds = (t - t0) / 1000;
  const pps = (iterations * c.packets) / seconds;
  return { name: c.name, pps, nsPerPkt: 1e9 / pps, iterations, packetsPerIteration: c.packets };
}

function main(): void {
  // `node --test dist/test/` (npm test) runs every .js under the directory, not only *.test.js:
  // under the test runner this file does nothing instead of spending ~16 s benchmarking.
  if (process.env.NODE_TEST_CONTEXT) {
    process.stdout.write('micro-benchmarks skipped under node --test (run: node dist/test/bench/micro.js)\n');
    return;
  }
  const o = parseOptions(process.argv.slice(2));
  const selected = microCases(o.batch).filter((c) => !o.only || o.only.test(c.name) || o.only.test(c.id));
  const width = Math.max(...selected.map((c) => c.name.length));
  process.stdout.write(`micro-benchmarks: node ${process.version}, ${o.warmupMs} ms warm-up + ${o.ms} ms each\n`);
  for (const c of selected) {
    const r = measure(c, o);
    process.stdout.write(
      `micro  ${r.name.padEnd(width)}  ${(r.pps / 1e6).toFixed(2).padStart(8)} Mpkt/s  ${r.nsPerPkt.toFixed(1).padStart(7)} ns/pkt\n`,
    );
    if (o.json) {
      const row = {
        prim: 'micro',
        case: r.name,
        label: o.label,
        node: process.version,
        date: new Date().toISOString(),
        pps: Math.round(r.pps),
        ns_per_pkt: Number(r.nsPerPkt.toFixed(2)),
        iterations: r.iterations,
        packets_per_iteration: r.packetsPerIteration,
        metrics: ['pps', 'ns_per_pkt'],
      };
      appendFileSync(o.json, `${JSON.stringify(row)}\n`);
    }
  }
  if (sinkValue() === -1) process.stdout.write('\n'); // keeps the cases' results observable
}

main();

/**
 * One measurement of the CI performance check (lib/micro-check.ts): the given
 * micro-benchmark cases (ids from lib/micro-cases.ts; default: the checked
 * ones) and the reference workload, as JSON on stdout. micro-check.test.ts
 * and micro-baseline.ts run it in a new process per case:
 *
 *   node --single-threaded-gc dist/test/bench/micro-measure.js vxlan-v1-check
 *
 * Not a test (see micro.ts); does nothing under node --test.
 */
import { sinkValue } from './lib/micro-cases.js';
import { CHECKED_CASES, CHECK_MEASURE, checkCases, measureBest } from './lib/micro-check.js';

function main(): void {
  if (process.env.NODE_TEST_CONTEXT) {
    process.stdout.write('micro-measure skipped under node --test\n');
    return;
  }
  const ids = process.argv.slice(2);
  const { reference, cases } = checkCases(ids.length > 0 ? ids : CHECKED_CASES);
  const m = measureBest(reference, cases, CHECK_MEASURE);
  process.stdout.write(`${JSON.stringify(m)}\n`);
  if (sinkValue() === -1) process.stdout.write('\n'); // keeps the cases' results observable
}

main();

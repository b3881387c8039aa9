/**
 * Performance regression check of the hot paths (decode, encode, VXLAN check,
 * ZMQ build): each case's ns/packet, as a ratio to a plain-JS reference
 * workload measured in the same run, must stay within 2× of the ratio in
 * micro-baseline.json. How and why: lib/micro-check.ts; re-record with
 * `npm run bench:baseline` (test/bench/README.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALLOWED_FACTOR,
  CHECK_BATCH,
  bestOf,
  compareToBaseline,
  readBaseline,
  runCheck,
  type Baseline,
  type Measurement,
} from './lib/micro-check.js';

// ---------- the comparison itself, with made-up numbers ----------

const recorded: Baseline = {
  comment: 'test',
  recorded: '2026-12-01T00:00:00.000Z',
  node: 'v20',
  cpu: 'test',
  batch: CHECK_BATCH,
  reference_ns_per_pkt: 100,
  cases: {
    'vxlan-v1-check': { name: 'VXLAN check', ratio: 0.5, ns_per_pkt: 50, ratio_range: [0.5, 0.5] },
    'zmq-build': { name: 'ZMQ', ratio: 1.2, ns_per_pkt: 120, ratio_range: [1.2, 1.2] },
  },
};

/** The recorded case times `slowdown`, on a machine `machine` times slower than the recording one. */
function measured(slowdown: Record<string, number>, machine = 1): Measurement {
  const referenceNs = 100 * machine;
  return {
    'vxlan-v1-check': { ns: 0.5 * referenceNs * (slowdown['vxlan-v1-check'] ?? 1), referenceNs },
    'zmq-build': { ns: 1.2 * referenceNs * (slowdown['zmq-build'] ?? 1), referenceNs },
  };
}

test('micro-check: a case 2.2× slower than its baseline fails, with one line naming it', () => {
  const c = compareToBaseline(measured({ 'vxlan-v1-check': 2.2 }), recorded);
  assert.equal(c.ok, false);
  assert.equal(c.failures.length, 1);
  assert.equal(
    c.failures[0],
    'vxlan-v1-check: 110.0 ns/pkt measured, 50.0 ns/pkt baseline, 2.20× the baseline (allowed 2×) — TOO SLOW',
  );
  assert.equal(c.verdicts.find((v) => v.id === 'zmq-build')!.ok, true);
});

test('micro-check: 1.5× slower passes; so does everything 3× slower when the reference is 3× slower too', () => {
  assert.equal(compareToBaseline(measured({ 'vxlan-v1-check': 1.5, 'zmq-build': 1.5 }), recorded).ok, true);
  assert.equal(compareToBaseline(measured({}, 3), recorded).ok, true);
  assert.equal(compareToBaseline(measured({ 'zmq-build': 0.4 }), recorded).ok, true, 'faster is never a failure');
  // ...but a slower case on a slower machine is still caught.
  const c = compareToBaseline(measured({ 'zmq-build': 2.2 }, 3), recorded);
  assert.deepEqual(c.failures, ['zmq-build: 792.0 ns/pkt measured, 360.0 ns/pkt baseline, 2.20× the baseline (allowed 2×) — TOO SLOW']);
});

test('micro-check: a case without a recorded ratio fails and says how to record one', () => {
  const m = measured({});
  m['new-case'] = { ns: 10, referenceNs: 100 };
  const c = compareToBaseline(m, recorded);
  assert.deepEqual(c.failures, [
    'new-case: 10.0 ns/pkt measured, no baseline in micro-baseline.json (run npm run bench:baseline)',
  ]);
});

test('micro-check: bestOf keeps each case its better ratio to its own reference', () => {
  const a = measured({ 'vxlan-v1-check': 2.2 }); // slow case
  const b = measured({ 'zmq-build': 2.2 }, 2); // another run, the machine busier
  const best = bestOf(a, b);
  assert.equal(compareToBaseline(best, recorded).ok, true);
  assert.deepEqual(best['vxlan-v1-check'], { ns: 100, referenceNs: 200 });
  assert.deepEqual(best['zmq-build'], { ns: 120, referenceNs: 100 });
  // A real 2.2× regression stays one, however often it is measured.
  assert.equal(compareToBaseline(bestOf(a, measured({ 'vxlan-v1-check': 2.2 }, 3)), recorded).ok, false);
});

// ---------- the real measurement ----------

test(`micro-check: hot paths within ${ALLOWED_FACTOR}× of micro-baseline.json, relative to a reference measured beside them`, { timeout: 120_000 }, (t) => {
  const baseline = readBaseline();
  assert.equal(baseline.batch, CHECK_BATCH, 'micro-baseline.json was recorded with another batch size: run npm run bench:baseline');
  const c = runCheck(baseline, (line) => t.diagnostic(line));
  t.diagnostic(`baseline recorded ${baseline.recorded} on ${baseline.cpu}, node ${baseline.node}`);
  for (const v of c.verdicts) t.diagnostic(v.line);
  if (!c.ok) {
    assert.fail(
      `${c.failures.length} hot path(s) slower than ${ALLOWED_FACTOR}× their baseline (ns/pkt relative to the reference workload):\n` +
        c.failures.join('\n'),
    );
  }
});

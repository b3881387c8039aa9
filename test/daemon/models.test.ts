/**
 * What the manager sends is checked before use (spec §10.4): the
 * reference's field rules, the reasons for a rejection, and a fuzz run of
 * mutated answers that the checks and the planner must survive.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../helpers/capture-files.js';
import { SPEC_EXAMPLE_STRATEGY } from '../helpers/cpm.js';
import { checkJson } from '../../lib/checked-json.js';
import { AgentSchema, MAX_STRATEGIES, RegistrationAnswerSchema, type Agent } from '../../lib/daemon/models.js';
import { planCaptures } from '../../lib/daemon/strategy.js';

const EXAMPLE = {
  id: 3,
  name: 'agent',
  cpuLimit: 0.5,
  memLimit: 1024,
  version: 7,
  syncInterval: 10,
  strategy: [
    { ...SPEC_EXAMPLE_STRATEGY, interfaceNames: ['eth0', ''], applicationName: 'accepted, unused' },
    { containerIds: ['0123456789ab_eth0_eth1'], packetChannelType: 'VXLAN', address: '10.1.1.2', port: 4789, apiVersion: 'v2', observationDomainIds: [2], observationPointIds: [3] },
  ],
};

test('an answer as the manager sends it checks; empty target names are dropped; null and "" count as unset', () => {
  const r = checkJson(AgentSchema, JSON.stringify({ ...EXAMPLE, cpuLimit: null, startTimestamp: 1, strategy: [{ ...EXAMPLE.strategy[0], bpf: '', address: null }] }));
  assert.ok(r.ok, !r.ok ? r.problem : '');
  const s = r.value.strategy![0]!;
  assert.deepEqual(s.interfaceNames, ['eth0']);
  assert.equal(s.bpf, undefined);
  assert.equal(s.address, undefined);
  assert.equal(r.value.cpuLimit, undefined);
  assert.equal(r.value.version, 7);
});

test('a wrong type, a number out of range, a huge array or bad JSON is rejected with a line naming where', () => {
  const bad = (body: unknown): string => {
    const r = checkJson(AgentSchema, typeof body === 'string' ? body : JSON.stringify(body));
    assert.equal(r.ok, false);
    return (r as { problem: string }).problem;
  };
  assert.equal(bad({ ...EXAMPLE, version: '7' }), 'version: Invalid input: expected number, received string');
  assert.equal(bad({ ...EXAMPLE, strategy: [{ ...EXAMPLE.strategy[0], port: 1.5 }] }), 'strategy[0].port: Invalid input: expected int, received number');
  assert.equal(bad({ ...EXAMPLE, strategy: [{ ...EXAMPLE.strategy[0], serviceTag: -1 }] }), 'strategy[0].serviceTag: Too small: expected number to be >=0');
  assert.equal(bad({ ...EXAMPLE, strategy: Array(MAX_STRATEGIES + 1).fill(EXAMPLE.strategy[0]) }), `strategy: Too big: expected array to have <=${MAX_STRATEGIES} items`);
  assert.equal(bad({ ...EXAMPLE, strategy: [{ interfaceNames: Array(100000).fill('eth0') }] }), 'strategy[0].interfaceNames: Too big: expected array to have <=256 items');
  assert.match(bad('{"version": 7,'), /^not JSON: /);
  assert.equal(bad('[]'), 'Invalid input: expected object, received array');
  assert.equal(
    bad({ strategy: [{ port: 'a', sliceLen: 'b', capTime: 'c', bpf: 1 }] }),
    'strategy[0].port: Invalid input: expected number, received string; strategy[0].bpf: Invalid input: expected string, received number; strategy[0].sliceLen: Invalid input: expected number, received string; and 1 more',
  );
});

test('a registration answer needs an id; a paUUID must be a UUID, since pktminerg reads it as one', () => {
  assert.deepEqual(checkJson(RegistrationAnswerSchema, '{"id": 4, "paUUID": "0123abcd-0000-1111-2222-333344445555", "name": "x"}'), {
    ok: true,
    value: { id: 4, paUUID: '0123abcd-0000-1111-2222-333344445555' },
  });
  assert.deepEqual(checkJson(RegistrationAnswerSchema, '{"name": "x"}'), { ok: false, problem: 'id: Invalid input: expected number, received undefined' });
  assert.deepEqual(checkJson(RegistrationAnswerSchema, '{"id": 4, "paUUID": "../../etc/passwd"}'), { ok: false, problem: 'paUUID: not a UUID (8-4-4-4-12 hex digits)' });
});

/** One random change to a JSON value: a field removed, retyped, made huge or nested. */
function mutate(v: unknown, rnd: () => number, depth = 0): unknown {
  const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]!;
  if (Array.isArray(v) && v.length && rnd() < 0.7) {
    const i = Math.floor(rnd() * v.length);
    return v.map((x, j) => (j === i ? mutate(x, rnd, depth + 1) : x));
  }
  if (v && typeof v === 'object' && !Array.isArray(v) && rnd() < 0.8) {
    const o = { ...(v as Record<string, unknown>) };
    const keys = Object.keys(o);
    const k = pick(keys.length ? keys : ['x']);
    if (rnd() < 0.15) delete o[k];
    else o[k] = mutate(o[k], rnd, depth + 1);
    return o;
  }
  return pick<unknown>([
    null,
    '',
    'GRE',
    'VXLAN',
    'ZMQ',
    'FILE',
    "a'b\"c d",
    -1,
    0,
    1.5,
    2 ** 31,
    2 ** 53,
    -(2 ** 63),
    Number.MAX_VALUE,
    true,
    false,
    [],
    {},
    ['eth0', '', 'x'.repeat(300)],
    Array(300).fill('eth0'),
    depth < 3 ? [v, v] : 0,
    'x'.repeat(70000),
  ]);
}

test('fuzz: 5000 mutated strategy and registration answers never throw; what checks can be planned without throwing', () => {
  const rnd = seededRandom(11);
  let accepted = 0;
  for (let i = 0; i < 5000; i++) {
    const body = mutate(EXAMPLE, rnd);
    const text = rnd() < 0.05 ? JSON.stringify(body).slice(0, Math.floor(rnd() * 200)) : JSON.stringify(body);
    const r = checkJson(AgentSchema, text);
    checkJson(RegistrationAnswerSchema, text);
    if (!r.ok) {
      assert.equal(typeof r.problem, 'string');
      assert.ok(!r.problem.includes('\n'), r.problem);
      continue;
    }
    accepted++;
    const plan = planCaptures(r.value as Agent, new Set(['vm1']));
    for (const c of plan.captures) for (const g of c.groups(20000)) assert.ok(g.every((w) => typeof w === 'string'));
  }
  // Both sides of the check were exercised.
  assert.ok(accepted > 500 && accepted < 4900, `accepted ${accepted}`);
});

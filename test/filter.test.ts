import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCaptureFilter, expandNicHosts } from '../lib/filter.js';
import { UserError } from '../lib/errors.js';

const nics: Record<string, string[]> = { eth0: ['10.0.0.5', 'fe80::1'], lo: ['127.0.0.1'], bare: [] };
const resolve = (n: string) => nics[n];

const cases: [string, string[], string][] = [
  ['', [], ''],
  ['tcp port 80', [], 'tcp port 80'],
  ['', ['10.1.1.1'], 'not host 10.1.1.1'],
  ['tcp port 80', ['10.1.1.1', '10.1.1.2'], '(tcp port 80) and not host 10.1.1.1 and not host 10.1.1.2'],
  ['tcp or udp', ['10.1.1.1', '10.1.1.1'], '(tcp or udp) and not host 10.1.1.1'],
  ['tcp and host nic.eth0', [], 'tcp and (host 10.0.0.5 or host fe80::1)'],
  ['not host nic.lo', ['10.1.1.1'], '(not (host 127.0.0.1)) and not host 10.1.1.1'],
  ['src host nic.eth0 and port 22', [], '(src host 10.0.0.5 or src host fe80::1) and port 22'],
];
for (const [expr, remotes, want] of cases) {
  test(`filter: '${expr}' with remotes [${remotes}]`, () => {
    assert.equal(buildCaptureFilter(expr, remotes, resolve), want);
  });
}

test('nic.<if> that does not exist, or has no address: one-line UserError', () => {
  assert.throws(() => expandNicHosts('host nic.nosuch', resolve), (e: unknown) => e instanceof UserError && /no interface named 'nosuch'/.test(e.message));
  assert.throws(() => expandNicHosts('host nic.bare', resolve), (e: unknown) => e instanceof UserError && /has no address/.test(e.message));
});

test('the real interface list: lo has 127.0.0.1', () => {
  assert.match(expandNicHosts('host nic.lo'), /host 127\.0\.0\.1/);
});

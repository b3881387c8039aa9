/** `-c` values and the CPM manager's ID_if1_if2 form, before anything is looked up. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContainerRef, splitCpmContainer, type ContainerRef } from '../lib/container-ref.js';
import { UserError } from '../lib/errors.js';

const A = '3f1a5b7c9d2e4f6a8b0c1d3e5f7a9b2c4d6e8f0a1b3c5d7e9f2a4b6c8d0e1f3a';

describe('parseContainerRef', () => {
  const accepted: [string, ContainerRef][] = [
    [A, { id: A, ifaces: [] }],
    [A.slice(0, 12), { id: A.slice(0, 12), ifaces: [] }],
    [A.toUpperCase(), { id: A, ifaces: [] }],
    [`docker://${A}`, { id: A, ifaces: [] }],
    [`containerd://${A}`, { id: A, ifaces: [] }],
    [`cri-o://${A.slice(0, 20)}`, { id: A.slice(0, 20), ifaces: [] }],
    [`${A}_eth0`, { id: A, ifaces: ['eth0'] }],
    [`${A.slice(0, 12)}_eth0_net1.100`, { id: A.slice(0, 12), ifaces: ['eth0', 'net1.100'] }],
    [`containerd://${A}_eth0_eth1`, { id: A, ifaces: ['eth0', 'eth1'] }],
  ];
  for (const [text, ref] of accepted) {
    it(`accepts ${text}`, () => assert.deepEqual(parseContainerRef(text), ref));
  }

  const refused: [string, RegExp][] = [
    ['', /empty container id/],
    ['docker://', /empty container id/],
    ['_eth0', /empty container id/],
    [`${A};reboot`, /may only contain/],
    [`${A} eth0`, /may only contain/],
    [`$(id)`, /may only contain/],
    [`${A}\n`, /may only contain/],
    [`k8s://${A}`, /unknown scheme "k8s"/],
    [`Docker://${A}`, /unknown scheme "Docker"/],
    [`://${A}`, /unknown scheme ""/],
    ['3f1a5b7c9d2', /11 hex digits; give 12 to 64/],
    [`${A}0`, /65 hex digits; give 12 to 64/],
    ['webserver-01', /not a container id .*names are not resolved/],
    [`${A.slice(0, 20)}xyz`, /not a container id/],
    [`docker://../../${A}`, /not a container id/],
    [`${A}:eth0`, /not a container id/],
    [`${A}_`, /"" cannot be a Linux interface name/],
    [`${A}__eth0`, /"" cannot be a Linux interface name/],
    [`${A}_eth0/../x`, /cannot be a Linux interface name/],
    [`${A}_eth0:1`, /cannot be a Linux interface name/],
    [`${A}_..`, /cannot be a Linux interface name/],
    [`${A}_abcdefghijklmnop`, /cannot be a Linux interface name/],
    [`${A}_eth0_eth1_eth0`, /names interface "eth0" twice/],
  ];
  for (const [text, why] of refused) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseContainerRef(text),
        (e: unknown) => e instanceof UserError && e.message.startsWith('-c/--container: ') && !e.message.includes('\n') && why.test(e.message),
      );
    });
  }
});

describe('splitCpmContainer', () => {
  it('the container as written (scheme and case kept), then one interface per `_`', () => {
    assert.deepEqual(splitCpmContainer(A), { container: A, ifaces: [] });
    assert.deepEqual(splitCpmContainer(`containerd://${A.toUpperCase()}_eth0_net1.100`), { container: `containerd://${A.toUpperCase()}`, ifaces: ['eth0', 'net1.100'] });
  });

  it('refuses nothing: what is wrong is left for parseContainerRef to say', () => {
    assert.deepEqual(splitCpmContainer(''), { container: '', ifaces: [] });
    assert.deepEqual(splitCpmContainer('_'), { container: '', ifaces: [''] });
    assert.deepEqual(splitCpmContainer('web 1_eth0;reboot'), { container: 'web 1', ifaces: ['eth0;reboot'] });
  });
});

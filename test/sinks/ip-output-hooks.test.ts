/** --tx auto's reading of what the kernel's IP output would do (the counts themselves: test/native/ip-output-hooks.test.ts). */
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { test } from 'node:test';
import { ipOutputInUse, ownCgroupDir, type IpOutputHooks } from '../../lib/sinks/ip-output-hooks.js';

const { EACCES, ENOSYS, EPERM, EPROTONOSUPPORT } = constants.errno;
const NONE: IpOutputHooks = { nftChains: 0, xfrmPolicies: 0, cgroupPrograms: 0, legacyTables: [] };

test('nothing set up, or a kind the kernel cannot have (no netfilter netlink, no bpf(2)): null', () => {
  assert.equal(ipOutputInUse(NONE), null);
  assert.equal(ipOutputInUse({ nftChains: -EPROTONOSUPPORT, xfrmPolicies: -EPROTONOSUPPORT, cgroupPrograms: -ENOSYS, legacyTables: [] }), null);
});

test('each kind set up is a reason, all of them named', () => {
  assert.equal(ipOutputInUse({ ...NONE, nftChains: 1 }), 'netfilter has 1 IPv4 base chain (nft list chains)');
  assert.equal(ipOutputInUse({ ...NONE, legacyTables: ['filter'] }), 'iptables-legacy has the table filter');
  assert.equal(
    ipOutputInUse({ nftChains: 3, xfrmPolicies: 2, cgroupPrograms: 2, legacyTables: ['filter', 'nat'] }),
    "netfilter has 3 IPv4 base chains (nft list chains); iptables-legacy has the tables filter, nat; 2 outbound IPsec policies (ip xfrm policy); 2 BPF programs on this cgroup's sockets (bpftool cgroup tree)",
  );
});

test('a count that cannot be read counts as in use', () => {
  assert.equal(ipOutputInUse({ ...NONE, nftChains: -EPERM }), "netfilter's chains cannot be listed (EPERM)");
  assert.equal(ipOutputInUse({ ...NONE, xfrmPolicies: -EACCES }), 'IPsec policies cannot be counted (EACCES)');
  assert.equal(ipOutputInUse({ ...NONE, cgroupPrograms: -EPERM }), "this cgroup's BPF programs cannot be listed (EPERM)");
});

test("the agent's cgroup directory: its v2 path under the mount; none without a v2 hierarchy", () => {
  const self = '4:memory:/a\n0::/system.slice/packet-agent.service\n';
  assert.equal(ownCgroupDir(self, '/sys/fs/cgroup'), '/sys/fs/cgroup/system.slice/packet-agent.service');
  assert.equal(ownCgroupDir('0::/\n', '/sys/fs/cgroup/unified'), '/sys/fs/cgroup/unified/');
  assert.equal(ownCgroupDir('4:memory:/a\n', '/sys/fs/cgroup/unified'), '/sys/fs/cgroup/unified', 'no 0:: line: the root');
  assert.equal(ownCgroupDir(self, null), null);
});

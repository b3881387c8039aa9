/** `-D`'s gathering and text form against a fake system view (the real one: test/e2e/list-interfaces.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatListing, gatherListing, type ListingDeps } from '../lib/list-interfaces.js';
import type { LinkEntry } from '../lib/native/addon.js';
import { joinAdapters } from '../lib/windows-adapters.js';
import { adapterLists } from './helpers/windows-adapters.js';

const A = '3f1a5b7c9d2e4f6a8b0c1d3e5f7a9b2c4d6e8f0a1b3c5d7e9f2a4b6c8d0e1f3a';
const B = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
const C = '0123456789ab0123456789ab0123456789ab0123456789ab0123456789ab0123';
const link = (ifindex: number, name: string, up: boolean, addresses: string[] = [], mac: Buffer | null = null): LinkEntry => ({ ifindex, name, up, mac, addresses });

const deps: ListingDeps = {
  links: (netns) => {
    if (netns === null) return [link(4, 'eth0', true, ['192.0.2.2', 'fe80::1'], Buffer.from('02fc00000001', 'hex')), link(1, 'lo', true, ['127.0.0.1', '::1']), link(2, 'ifb0', false)];
    if (netns === '/proc/100/ns/net') return [link(1, 'lo', false), link(7, 'eth0', true, ['10.0.0.2'])];
    throw Object.assign(new Error(`cannot enter ${netns}: Operation not permitted`), { code: 'NETNS' });
  },
  containers: () => [
    { id: A, pid: 100 },
    { id: B, pid: 200 },
    { id: C, pid: 300 },
  ],
  guests: () => [
    { name: 'bad1', nic: null, problem: '-m/--kvm: the guest\'s MAC "52:54" is not six hex bytes like 52:54:00:aa:bb:cc (guest bad1, from x)' },
    { name: 'db-2', nic: null },
    { name: 'web1', nic: { tap: 'vnet3', mac: Buffer.from('525400aabbcc', 'hex') } },
  ],
  // Container B's namespace cannot be entered (no CAP_SYS_ADMIN); C stopped during the listing.
  running: (pid) => pid !== 300,
  windowsAdapters: () => {
    throw new Error('not Windows');
  },
};

test('the text form: interfaces by ifindex, any, containers (stopped ones left out), guests', () => {
  assert.deepEqual(formatListing(gatherListing(deps)), [
    '1.lo [Up] 127.0.0.1, ::1',
    '2.ifb0 [Down]',
    '4.eth0 [Up] 192.0.2.2, fe80::1',
    'any (all interfaces, Linux cooked frames) [Up]',
    `container ${A.slice(0, 12)} pid 100: 1.lo [Down]; 7.eth0 [Up] 10.0.0.2`,
    `container ${B.slice(0, 12)} pid 200: interfaces not readable (cannot enter /proc/200/ns/net: Operation not permitted)`,
    'guest bad1: -m/--kvm: the guest\'s MAC "52:54" is not six hex bytes like 52:54:00:aa:bb:cc (guest bad1, from x)',
    'guest db-2: no NIC with a tap',
    'guest web1: tap vnet3, guest MAC 52:54:00:aa:bb:cc',
  ]);
});

test('the JSON shape: MACs as text, null where there is none, problem only when there is one', () => {
  const l = JSON.parse(JSON.stringify(gatherListing(deps))) as ReturnType<typeof gatherListing>;
  assert.deepEqual(l.interfaces[2], { index: 4, name: 'eth0', up: true, mac: '02:fc:00:00:00:01', addresses: ['192.0.2.2', 'fe80::1'] });
  assert.deepEqual(l.interfaces[3], { index: null, name: 'any', up: true, mac: null, addresses: [] });
  assert.deepEqual(l.containers[1], { id: B, pid: 200, interfaces: null, problem: 'cannot enter /proc/200/ns/net: Operation not permitted' });
  assert.equal(l.containers.length, 2);
  assert.deepEqual(l.guests.slice(1), [
    { name: 'db-2', tap: null, mac: null },
    { name: 'web1', tap: 'vnet3', mac: '52:54:00:aa:bb:cc' },
  ]);
});

test('Windows: the adapters Npcap opens, numbered in its order, with the friendly name and the state; no containers, guests or any', () => {
  const fail = () => {
    throw new Error('not on Windows');
  };
  const windows: ListingDeps = { links: fail, containers: fail, guests: fail, running: fail, windowsAdapters: () => joinAdapters(adapterLists('chinese-desktop')) };
  const listing = gatherListing(windows, 'win32');
  assert.deepEqual(formatListing(listing), [
    '1.\\Device\\NPF_{4B1A8C2E-7D3F-4E21-9A6B-2C5D8E9F0A11} "以太网" (Intel(R) Ethernet Connection (7) I219-V) [Up] fe80::1c2d:3e4f:5a6b:7c8d, 192.168.1.23',
    '2.\\Device\\NPF_{9E3F2D1C-5B4A-4C3D-8E2F-1A0B9C8D7E6F} "本地连接 2" (Realtek PCIe GbE Family Controller) [Down: disconnected (no cable or no link)] fe80::b0c1:d2e3:f405:1627, 169.254.22.39',
    '3.\\Device\\NPF_{D0C1B2A3-9485-4766-A5B4-C3D2E1F00918} "VMware Network Adapter VMnet8" (VMware Virtual Ethernet Adapter for VMnet8) [Up] 192.168.120.1',
    '4.\\Device\\NPF_{7A6B5C4D-3E2F-4A1B-9C8D-7E6F5A4B3C2D} (Intel(R) Wireless-AC 9560 160MHz) [Down: disabled]',
    '5.\\Device\\NPF_Loopback (Adapter for loopback traffic capture) [Up]',
  ]);
  assert.deepEqual(JSON.parse(JSON.stringify(listing.interfaces[0])), {
    index: 1,
    name: '\\Device\\NPF_{4B1A8C2E-7D3F-4E21-9A6B-2C5D8E9F0A11}',
    up: true,
    mac: 'f8:b1:56:aa:10:23',
    addresses: ['fe80::1c2d:3e4f:5a6b:7c8d', '192.168.1.23'],
    friendlyName: '以太网',
    description: 'Intel(R) Ethernet Connection (7) I219-V',
    state: 'up',
  });
  assert.deepEqual([listing.containers, listing.guests], [[], []]);
});

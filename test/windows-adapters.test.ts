/** -i on Windows: joining Npcap's and Windows's adapter lists, and resolving a name, on the lists of fixtures/windows-adapters/. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../lib/errors.js';
import { HostTarget, interfaceTarget, WindowsAdapterTarget } from '../lib/sources/capture-target.js';
import { adapterDirName, checkAdapterName, joinAdapters, resolveAdapter, unavailable, type WindowsAdapter } from '../lib/windows-adapters.js';
import { adapterLists } from './helpers/windows-adapters.js';

const chinese = joinAdapters(adapterLists('chinese-desktop'));
const duplicates = joinAdapters(adapterLists('duplicates'));
const ETHERNET = '\\Device\\NPF_{4B1A8C2E-7D3F-4E21-9A6B-2C5D8E9F0A11}';
const LOCAL2 = '\\Device\\NPF_{9E3F2D1C-5B4A-4C3D-8E2F-1A0B9C8D7E6F}';
const WIRELESS = '\\Device\\NPF_{7A6B5C4D-3E2F-4A1B-9C8D-7E6F5A4B3C2D}';

const resolve = (value: string, list: WindowsAdapter[] = chinese) => resolveAdapter('-i', value, list);

test('joined by GUID: pcap devices in Npcap order, then the adapters only Windows lists', () => {
  assert.deepEqual(
    chinese.map((a) => [a.name, a.friendlyName, a.state]),
    [
      [ETHERNET, '以太网', 'up'],
      [LOCAL2, '本地连接 2', 'disconnected (no cable or no link)'],
      ['\\Device\\NPF_{D0C1B2A3-9485-4766-A5B4-C3D2E1F00918}', 'VMware Network Adapter VMnet8', 'up'],
      [WIRELESS, null, 'disabled'],
      ['\\Device\\NPF_Loopback', null, 'up'],
      [null, '蓝牙网络连接', 'down'],
      [null, 'Loopback Pseudo-Interface 1', 'up'],
    ],
  );
  const [eth] = chinese;
  assert.equal(eth!.guid, '{4B1A8C2E-7D3F-4E21-9A6B-2C5D8E9F0A11}');
  assert.deepEqual(eth!.addresses, ['fe80::1c2d:3e4f:5a6b:7c8d', '192.168.1.23']);
  assert.equal(eth!.mac!.toString('hex'), 'f8b156aa1023');
  assert.equal(eth!.up, true);
});

test('a Chinese friendly name, one with a space, the NPF name, the GUID alone: the same adapter each time', () => {
  assert.equal(resolve('以太网')!.name, ETHERNET);
  assert.equal(resolve('本地连接 2')!.name, LOCAL2);
  assert.equal(resolve(ETHERNET)!.friendlyName, '以太网');
  for (const guid of ['{4B1A8C2E-7D3F-4E21-9A6B-2C5D8E9F0A11}', '4b1a8c2e-7d3f-4e21-9a6b-2c5d8e9f0a11', '\\Device\\NPF_{4b1a8c2e-7d3f-4e21-9a6b-2c5d8e9f0a11}']) {
    assert.equal(resolve(guid)!.name, ETHERNET, guid);
  }
  assert.equal(resolve('\\Device\\NPF_Loopback')!.description, 'Adapter for loopback traffic capture');
});

test('a friendly name in another case, when only one adapter has it', () => {
  assert.equal(resolve('vmware network adapter vmnet8')!.friendlyName, 'VMware Network Adapter VMnet8');
  assert.equal(resolve('wi-fi', [duplicates[2]!])!.friendlyName, 'Wi-Fi');
});

test('no adapter by that name: null (the capture waits for it); a GUID inside other text is not a GUID', () => {
  for (const value of ['以太网 3', '以太', 'eth0', 'x{4B1A8C2E-7D3F-4E21-9A6B-2C5D8E9F0A11}', '4B1A8C2E']) assert.equal(resolve(value), null, value);
});

test('adapters that are not up are named with their state; one Npcap cannot open says so', () => {
  assert.equal(unavailable(resolve('以太网')!), null);
  assert.equal(unavailable(resolve('本地连接 2')!), `adapter "本地连接 2" (${LOCAL2}) is disconnected (no cable or no link)`);
  assert.equal(unavailable(resolve(WIRELESS)!), `adapter ${WIRELESS} is disabled`);
  assert.equal(unavailable(resolve('蓝牙网络连接')!), 'adapter "蓝牙网络连接" ({11223344-5566-4778-899A-ABBCCDDEEFF0}) is not one Npcap captures on (is the Npcap driver bound to it?)');
});

test('a name two adapters share is refused in one line listing both; an exact match beats a case-insensitive one', () => {
  const ambiguous = (value: string, re: RegExp) =>
    assert.throws(() => resolve(value, duplicates), (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'), value);
  ambiguous('Ethernet', /^-i "Ethernet" names 2 adapters: "Ethernet" \(\\Device\\NPF_\{0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9\}\), "Ethernet" \(\\Device\\NPF_\{5D4C3B2A-1F0E-4D9C-8B7A-695847362514\}\); give the \\Device\\NPF_\{GUID\} name$/);
  ambiguous('ethernet', /names 2 adapters/);
  ambiguous('wi-fi', /^-i "wi-fi" names 2 adapters: "Wi-Fi" \(.*\), "WI-FI" \(.*\);/);
  assert.equal(resolve('Wi-Fi', duplicates)!.description, 'Intel(R) Wi-Fi 6 AX201 160MHz');
  assert.equal(resolve('WI-FI', duplicates)!.description, 'TP-Link Wireless USB Adapter');
  assert.equal(resolve('\\Device\\NPF_{5D4C3B2A-1F0E-4D9C-8B7A-695847362514}', duplicates)!.addresses[0], '10.0.1.5');
  assert.equal(resolve('vEthernet (Default Switch)', duplicates)!.addresses[0], '172.28.64.1');
});

test('checkAdapterName takes what Windows can name an adapter, and a dump directory is made of it', () => {
  for (const name of ['以太网', '本地连接 2', 'vEthernet (Default Switch)', ETHERNET]) assert.equal(checkAdapterName('-i/--interface', name), name);
  for (const name of ['', 'a\nb', 'x'.repeat(257)]) assert.throws(() => checkAdapterName('-i/--interface', name), /^UserError: -i\/--interface: .* cannot be a Windows adapter name/);
  assert.equal(adapterDirName('本地连接 2'), '本地连接 2');
  assert.equal(adapterDirName(ETHERNET), 'NPF_{4B1A8C2E-7D3F-4E21-9A6B-2C5D8E9F0A11}');
  assert.equal(adapterDirName('a:b/c*?'), 'a_b_c__');
  assert.equal(adapterDirName('..'), '_');
});

test('WindowsAdapterTarget: up, down with the reason, absent; the list is read again after 5 s, following a re-plugged cable', () => {
  let now = 0;
  let reads = 0;
  let list = chinese;
  const target = new WindowsAdapterTarget('本地连接 2', { adapters: () => (reads++, list), now: () => now });
  assert.equal(target.name, '本地连接 2');
  let link = target.look();
  assert.deepEqual([link.state, link.why, link.device, link.netns], ['down', `adapter "本地连接 2" (${LOCAL2}) is disconnected (no cable or no link)`, LOCAL2, null]);
  assert.equal(target.label, `本地连接 2 (${LOCAL2})`);
  assert.deepEqual(link.addresses('以太网'), ['fe80::1c2d:3e4f:5a6b:7c8d', '192.168.1.23']);
  list = chinese.map((a) => (a.name === LOCAL2 ? { ...a, up: true, state: 'up' } : a));
  now = 4999;
  assert.equal(target.look().state, 'down');
  now = 5000;
  link = target.look();
  assert.deepEqual([link.state, link.why, link.instance, reads], ['up', '', LOCAL2, 2]);
  assert.equal(link.mac!.toString('hex'), '00e04c680102');
  const gone = new WindowsAdapterTarget('以太网 3', { adapters: () => chinese, now: () => 0 });
  assert.deepEqual([gone.look().state, gone.look().why], ['absent', 'no such adapter']);
  const bluetooth = new WindowsAdapterTarget('蓝牙网络连接', { adapters: () => chinese, now: () => 0 });
  assert.equal(bluetooth.look().state, 'absent');
  const ambiguous = new WindowsAdapterTarget('Ethernet', { adapters: () => duplicates, now: () => 0 });
  assert.throws(() => ambiguous.look(), /names 2 adapters/);
});

test('-i makes a Windows adapter target on Windows only', () => {
  assert.ok(interfaceTarget('以太网', 'win32') instanceof WindowsAdapterTarget);
  assert.ok(interfaceTarget('eth0', 'linux') instanceof HostTarget);
});

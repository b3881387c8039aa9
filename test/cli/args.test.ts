import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine, splitGroups } from '../../lib/args.js';
import { checkInterfaceName, parseSize } from '../../lib/config.js';
import { UserError } from '../../lib/errors.js';

const one = (line: string) => parseCommandLine(line.split(' ')).channels[0]!;

test('plain unquoted form is one group; quoted elements are groups', () => {
  assert.deepEqual(splitGroups(['-f', 'a.pcap', '--dump', 'd']).groups, [['-f', 'a.pcap', '--dump', 'd']]);
  assert.deepEqual(splitGroups(['-f a.pcap --dump d1', '-f  b.pcap --dump d2']).groups, [
    ['-f', 'a.pcap', '--dump', 'd1'],
    ['-f', 'b.pcap', '--dump', 'd2'],
  ]);
  // A filter word with spaces does not start with '-': still the plain form.
  assert.deepEqual(splitGroups(['-f', 'a', '--dump', 'd', '--expression', 'tcp port 80']).groups.length, 1);
  const g = splitGroups(['--log-config', 'x.json', '-v', '-f a --dump d']);
  assert.deepEqual(g.globals, ['--log-config', 'x.json', '-v']);
  assert.throws(() => splitGroups(['-f a --dump d', 'stray']), /not a group/);
});

test('defaults follow the reference except snaplen (whole frames), control (off), timeout (100 ms) and buffer (32 MiB)', () => {
  const o = one('-f x.pcap --dump d');
  assert.deepEqual(o.source, { kind: 'file', path: 'x.pcap' });
  assert.equal(o.snaplen, 0);
  assert.equal(o.control, 0);
  assert.equal(o.timeoutMs, 100);
  assert.equal(o.bufferMiB, 32);
  assert.deepEqual(o.dump, { dir: 'd', intervalSec: 0, maxFiles: 0, maxBytes: 0 });
  assert.equal(o.forward, null);
  assert.equal(o.dir, null);
  assert.equal(o.index, 1);
});

test('every option of a group is parsed into typed options', () => {
  const o = one('-f - --count 10 -s 128 --slice 64 -r 10.1.1.1 --mbps 2.5 --dir host_10.0.0.5 --dump /tmp/d --interval 15 --dump-max-files 4 --dump-max-size 100M -p');
  assert.equal(o.count, 10);
  assert.equal(o.snaplen, 128);
  assert.equal(o.slice, 64);
  assert.equal(o.mbps, 2.5);
  assert.equal(o.dir, 'host_10.0.0.5');
  assert.deepEqual(o.dump, { dir: '/tmp/d', intervalSec: 15, maxFiles: 4, maxBytes: 100 * 1048576 });
  assert.equal(o.priority, true);
});

test('transports: GRE by default, ZMQ with -z, VXLAN v1/v2', () => {
  assert.deepEqual(one('-f x -r 10.1.1.1,10.1.1.2 -k 12').forward, { transport: 'gre', remotes: ['10.1.1.1', '10.1.1.2'], key: 12 });
  assert.deepEqual(one('-f x -r 10.1.1.1').forward, { transport: 'gre', remotes: ['10.1.1.1'], key: 0xffffffff });
  assert.deepEqual(one('-f x -r 10.1.1.1 -z 5555 --zmq_hwm 7 -k 0x10').forward, { transport: 'zmq', remotes: ['10.1.1.1'], key: 16, port: 5555, hwm: 7, uuidFile: '/usr/local/bin/uuid' });
  assert.deepEqual(one('-f x -r 10.1.1.1 -n 12 --capTime 1').forward, { transport: 'vxlan', remotes: ['10.1.1.1'], vni: 12, version: 1, port: 4789, capTime: true });
  assert.deepEqual(one('-f x -r 10.1.1.1 --vni2 260 -x 5000').forward, { transport: 'vxlan', remotes: ['10.1.1.1'], vni: 260, version: 2, port: 5000, capTime: false });
});

test('BPF words: --expression and bare words are joined', () => {
  assert.equal(one('-f x --dump d --expression tcp port 80').expression, 'tcp port 80');
  assert.equal(one('-f x --dump d tcp and port 80').expression, 'tcp and port 80');
});

test('multi-group: each group is one channel, numbered', () => {
  const c = parseCommandLine(['-f a.pcap --dump d1', '-f b.pcap --dump d2 --interval 5']).channels;
  assert.equal(c.length, 2);
  assert.equal(c[1]!.index, 2);
  assert.equal(c[1]!.dump!.intervalSec, 5);
});

const bad: [string, RegExp][] = [
  ['-f x --dump d --bogus', /Unknown argument: bogus/],
  ['-f x -r 10.1.1', /-r\/--remoteip: '10.1.1' is not an IPv4 address/],
  ['-f x -r 10.1.1.1,', /is not an IPv4 address/],
  ['-f x -r 300.1.1.1', /not an IPv4 address/],
  ['-f x', /nothing to do/],
  ['--dump d', /no capture source/],
  ['-f x -i eth0 --dump d', /choose one capture source/],
  ['-f x --dump d --interval -1', /--interval: '-1' is not an integer/],
  ['-f x --dump d --interval abc', /--interval/],
  ['-f x --interval 15', /--interval needs --dump/],
  ['-f x --dump d --dump-max-files 3', /need --interval/],
  ['-f x --dump d --interval 5 --dump-max-files 1', /--dump-max-files/],
  ['-f x --dump d --interval 5 --dump-max-size 12Q', /--dump-max-size: '12Q' is not a size/],
  ['-f x --dump d --slice -5', /--slice/],
  ['-f x --dump d --mbps -1', /--mbps/],
  ['-f x --dump d -s 999999', /-s\/--snaplen/],
  ['-f x --dump d -M sometimes', /-M\/--pmtudisc_option: 'sometimes'/],
  ['-f x --dump d -S latin1', /-S\/--interface_csets/],
  ['-f x --dump d --capTime 1', /--capTime applies to VXLAN/],
  ['-f x -r 10.1.1.1 -z 5555 -n 1', /choose one transport/],
  ['-f x -z 5555 --dump d', /-z needs -r/],
  ['-f x -r 10.1.1.1 -n 16777216', /-n\/--vni1/],
  ['-f x -r 10.1.1.1 -k 4294967296', /-k\/--keybit/],
  ['-f x --dump d --dump e', /--dump given more than once/],
  ['-i eth0 -r 10.1.1.1 --nofilter', /--nofilter needs -B/],
  ['-f x -r 10.1.1.1 -z 5555 -B eth0', /apply to GRE and VXLAN forwarding only/],
  ['-f x --dump d -M do', /apply to GRE and VXLAN forwarding only/],
  ['-f x -r 10.1.1.1 --tx raw', /^--tx: 'raw' must be auto, ip or packet/],
  ['-f x -r 10.1.1.1 -z 5555 --tx packet', /^--tx packet applies to GRE and VXLAN forwarding only/],
  ['-i eth0 -r 10.1.1.1 --nofilter -B eth0', /must differ/],
  ['-f x --dump d --dir ', /--dir/],
  // Interface names the kernel's dev_valid_name() refuses: -i would also be a directory under --dump.
  ['-i ../x --dump d', /^-i\/--interface: "\.\.\/x" cannot be a Linux interface name/],
  ['-i .. --dump d', /-i\/--interface: "\.\."/],
  ['-i . --dump d', /-i\/--interface: "\."/],
  ['-i eth0:1 --dump d', /-i\/--interface: "eth0:1"/],
  ['-i abcdefghijklmnop --dump d', /-i\/--interface: "abcdefghijklmnop" cannot be .*1\.\.15 bytes/],
  ['--container 0123456789ab -i a/b --dump d', /-i\/--interface: "a\/b"/],
  ['-i eth0 -r 10.1.1.1 -B ../eth1', /^-B\/--bind_device: "\.\.\/eth1" cannot be/],
  ['-i eth0 -r 10.1.1.1 -B abcdefghijklmnop', /-B\/--bind_device/],
  // The ring size crosses into C as an int of bytes.
  ['-i eth0 --dump d -b 2048', /-b\/--buffsize: '2048' is not an integer in 1\.\.2047 \(MiB; the kernel ring size is a C int of bytes\)/],
  ['-i eth0 --dump d -b 4096', /-b\/--buffsize/],
  ['-i eth0 --dump d -b 0', /-b\/--buffsize/],
  ['-f x --dump d --slice 1', /--slice: 1 would cut into the 14-byte Ethernet header/],
  ['-f x --dump d --slice 13', /--slice: 13 would cut/],
  ['-f x -r 10.1.1.1,10.1.1.1', /-r\/--remoteip: 10\.1\.1\.1 given twice/],
  ['-f x -r 10.1.1.1,10.1.1.2,10.1.1.1', /given twice/],
  ['-f x -r 0.0.0.0', /-r\/--remoteip: 0\.0\.0\.0 is in 0\.0\.0\.0\/8/],
  ['-f x -r 0.1.2.3', /0\.1\.2\.3 is in 0\.0\.0\.0\/8/],
  ['-f x -r 255.255.255.255', /255\.255\.255\.255 is the limited broadcast address/],
  ['-f x -r 224.0.0.1', /224\.0\.0\.1 is multicast/],
  ['-f x -r 10.1.1.1,239.255.255.255', /239\.255\.255\.255 is multicast/],
  ['-f x -r 240.0.0.1', /240\.0\.0\.1 is reserved \(240\.0\.0\.0\/4, class E\)/],
  ['-f x --dump d --mbps 5', /^--mbps limits forwarding; this group has no -r \(try --help\)$/],
  ['-f x --dump d --mbps 0.001', /--mbps limits forwarding/],
];
for (const [line, re] of bad) {
  test(`rejected with a clear message: ${line}`, () => {
    assert.throws(() => parseCommandLine(line.split(' ')), (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'));
  });
}

test('boundaries that pass: -b 2047, --slice 0 and 14, loopback and unicast remotes, --mbps 0 without -r', () => {
  assert.equal(one('-i eth0 --dump d -b 2047').bufferMiB, 2047);
  assert.equal(one('-i eth0 --dump d -b 1').bufferMiB, 1);
  assert.equal(one('-f x --dump d --slice 0').slice, 0);
  assert.equal(one('-f x --dump d --slice 14').slice, 14);
  assert.deepEqual([one('-f x -r 10.1.1.1').tx, one('-f x -r 10.1.1.1 -n 5 --tx packet').tx, one('-f x -r 10.1.1.1 --tx ip').tx], ['auto', 'packet', 'ip']);
  assert.deepEqual(one('-f x -r 127.0.0.1,127.0.0.2,1.0.0.0,223.255.255.255').forward?.remotes, ['127.0.0.1', '127.0.0.2', '1.0.0.0', '223.255.255.255']);
  assert.equal(one('-f x --dump d --mbps 0').mbps, 0);
  assert.equal(one('-f x -r 10.1.1.1 --mbps 5').mbps, 5);
});

test('interface names: the kernel rule (dev_valid_name), for -i, -i in a container and -B', () => {
  for (const name of ['eth0', 'any', 'abcdefghijklmno', 'br-ex', 'br_ex', 'veth.100', '...', 'é']) {
    assert.equal(checkInterfaceName('-i/--interface', name), name, name);
  }
  assert.deepEqual(one('-i abcdefghijklmno --dump d').source, { kind: 'interface', name: 'abcdefghijklmno' });
  assert.deepEqual(one('--container 0123456789AB -i eth1 --dump d').source, { kind: 'container', id: '0123456789ab', iface: 'eth1' });
  assert.equal(one('-i eth0 -r 10.1.1.1 -B eth1').bindDevice, 'eth1');
  // 15 bytes counted in UTF-8, as the kernel counts them; 0xA0 is white space to the kernel's isspace().
  for (const name of ['', 'a b', 'a\tb', 'a\nb', 'a\0b', 'éééééééé', '\u00e0', 'x/y', 'x:y']) {
    assert.throws(() => checkInterfaceName('-B/--bind_device', name), (e: unknown) => e instanceof UserError && e.message.startsWith('-B/--bind_device: ') && !e.message.includes('\n'), JSON.stringify(name));
  }
});

test('group errors name the group in multi-group form', () => {
  assert.throws(() => parseCommandLine(['-f a --dump d', '-f b --slice x --dump d']), /^UsageError: group 2: --slice/);
});

test('help, version and no groups', () => {
  assert.equal(parseCommandLine(['--help']).help, true);
  assert.equal(parseCommandLine(['-v']).version, true);
  assert.throws(() => parseCommandLine([]), /no capture group/);
});

test('sizes', () => {
  assert.equal(parseSize('x', '1048576'), 1048576);
  assert.equal(parseSize('x', '500K'), 512000);
  assert.equal(parseSize('x', '2G'), 2 * 2 ** 30);
  assert.throws(() => parseSize('x', '0M'), UserError);
});

test("-c is the container: the manager's ID_eth0_eth1 makes one channel per interface, numbered on from the group's", () => {
  const id = 'ab'.repeat(32);
  const c = parseCommandLine(['-f x.pcap --dump d', `-c containerd://${id}_eth0_eth1 --dump e`]).channels;
  assert.deepEqual(
    c.map((ch) => [ch.index, ch.source]),
    [
      [1, { kind: 'file', path: 'x.pcap' }],
      [2, { kind: 'container', id, iface: 'eth0' }],
      [3, { kind: 'container', id, iface: 'eth1' }],
    ],
  );
  assert.equal(one(`-c ${id.slice(0, 12)} --dump d`).source.kind, 'container');
  assert.deepEqual(one(`-m web1 --dump d`).source, { kind: 'kvm', domain: 'web1' });
  assert.equal(one('-f x.pcap --count 7 --dump d').count, 7);
  assert.throws(() => one(`-c ${id}_eth0 -i eth1 --dump d`), /name the interfaces either in the id/);
  assert.throws(() => one('-m web;1 --dump d'), /^UsageError: -m\/--kvm: /);
});

test('command-line errors point to --help, as tcpdump usage errors do; other errors do not', () => {
  for (const line of ['--nosuch', '-f x.pcap', '-f x.pcap --dump d --slice 5', '-f x.pcap -i eth0 --dump d']) {
    assert.throws(() => parseCommandLine(line.split(' ')), (e: unknown) => e instanceof UserError && e.message.endsWith(' (try --help)'), line);
  }
  assert.throws(() => parseCommandLine([]), { message: 'no capture group given (try --help)' });
});

test('-w FILE and -w -: a sink of its own, one plain file (no dump rotation or retention)', () => {
  assert.equal(one('-f x -w out.pcap').write, 'out.pcap');
  assert.equal(one('-f x --write -').write, '-');
  assert.equal(one('-f x --dump d').write, null);
  assert.equal(one('-f x -w - --dump d --interval 5').dump?.intervalSec, 5, '--interval with --dump still rotates the dump');
  assert.throws(() => one('-f x -w'), /-w\/--write: empty file name/);
  assert.throws(() => one('-f x -w out.pcap --dump-max-files 3'), /--dump-max-files needs --dump DIR \(-w writes one file, without rotation or retention\)/);
  assert.throws(() => one('-f x'), /nothing to do: give --dump DIR or -w FILE to record, or -r IP to forward/);
});

test("a lone '-' is the value of a long option as of a short one (standard input and output)", () => {
  assert.deepEqual(one('--pcapfile - --dump d').source, { kind: 'file', path: '-' });
  assert.equal(one('--pcapfile - --write -').write, '-');
});

test('-D/--list-interfaces, --json and -q/--quiet are global flags; -D needs no group; --json only with -D', () => {
  for (const flag of ['-D', '--list-interfaces']) {
    const c = parseCommandLine([flag]);
    assert.equal(c.listInterfaces, true);
    assert.equal(c.json, false);
    assert.deepEqual(c.channels, []);
  }
  assert.equal(parseCommandLine(['--json', '-D']).json, true);
  assert.throws(() => parseCommandLine(['--json', '-f', 'a.pcap', '--dump', 'd']), (e: unknown) => e instanceof UserError && /--json goes with -D/.test(e.message));
  for (const flag of ['-q', '--quiet']) {
    const c = parseCommandLine([flag, '-f', 'a.pcap', '--dump', 'd']);
    assert.equal(c.quiet, true);
    assert.equal(c.channels.length, 1);
  }
  assert.equal(parseCommandLine(['-f', 'a.pcap', '--dump', 'd']).quiet, false);
  // As a quoted group's neighbour too.
  assert.equal(parseCommandLine(['-q', '-f a.pcap --dump d1', '-f b.pcap --dump d2']).channels.length, 2);
});

test('-C SIZE: a bare number is millions of bytes as tcpdump -C, units as --dump-max-size; it allows retention without --interval', () => {
  assert.equal(one('-f x --dump d -C 100').dump!.maxFileBytes, 100_000_000);
  assert.equal(one('-f x --dump d --dump-file-size 500K').dump!.maxFileBytes, 512_000);
  assert.equal(one('-f x --dump d -C 4096B').dump!.maxFileBytes, 4096);
  assert.deepEqual(one('-f x --dump d -C 1G -W 5 --dump-max-size 10G').dump, { dir: 'd', intervalSec: 0, maxFiles: 5, maxBytes: 10 * 2 ** 30, maxFileBytes: 2 ** 30 });
  assert.equal(one('-f x --dump d --interval 60 -C 2M').dump!.maxFileBytes, 2 * 2 ** 20);
});

test('-W N is --dump-max-files N; --dump-name keeps its template', () => {
  assert.equal(one('-f x --dump d --interval 5 -W 3').dump!.maxFiles, 3);
  assert.equal(one('-f x --dump d --dump-name %{source}/%Y%m%d/%H%M%S.pcap').dump!.nameTemplate, '%{source}/%Y%m%d/%H%M%S.pcap');
  assert.equal(one('-f x --dump d').dump!.nameTemplate, undefined);
});

const badDump: [string, RegExp][] = [
  ['-f x --dump d -C 0', /^-C\/--dump-file-size: '0' is not a file size of at least 1K/],
  ['-f x --dump d -C 100B', /^-C\/--dump-file-size: '100B' is not a file size of at least 1K/],
  ['-f x --dump d -C 12Q', /^-C\/--dump-file-size: '12Q' is not a size/],
  ['-f x --dump d -C -5', /-C\/--dump-file-size/],
  ['-f x -C 100', /^--dump-file-size needs --dump DIR/],
  ['-f x -r 10.1.1.1 --dump-name x.pcap', /^--dump-name needs --dump DIR/],
  ['-f x --dump d -W 3', /^-W\/--dump-max-files and --dump-max-size need --interval N > 0 or -C SIZE/],
  ['-f x --dump d --dump-max-size 1G', /need --interval N > 0 or -C SIZE/],
  ['-f x --dump d -C 1M -W 1', /^--dump-max-files: '1' is not an integer in 2\.\./],
  ['-f x --dump d --interval 5 -W 3 --dump-max-files 3', /--dump-max-files given more than once/],
  ['-f x --dump d --dump-name ../x.pcap', /^--dump-name: '\.\.\/x\.pcap' must stay inside the source directory/],
  ['-f x --dump d --dump-name /x.pcap', /^--dump-name: '\/x\.pcap' is absolute/],
  ['-f x --dump d --dump-name x_%j.pcap', /^--dump-name: '%j' in 'x_%j\.pcap' is not one of/],
  ['-f x --dump d --dump-name x.pcapng', /^--dump-name: 'x\.pcapng' must end in a name ending in \.pcap/],
];
for (const [line, re] of badDump) {
  test(`refused: ${line}`, () => {
    assert.throws(() => one(line), (e: Error) => e instanceof UserError && re.test(e.message));
  });
}

test('--metrics [ADDR:]PORT: a global option with a value, in either form; loopback unless an address is given', () => {
  assert.deepEqual(splitGroups(['--metrics', '9100', '-f', 'a', '--dump', 'd']).globals, ['--metrics', '9100']);
  assert.deepEqual(splitGroups(['--metrics=[::1]:9100', '-f a --dump d']).globals, ['--metrics', '[::1]:9100']);
  assert.throws(() => splitGroups(['-f', 'a', '--metrics']), /^UserError: --metrics needs a value$/);
  const metrics = (value: string) => parseCommandLine(['--metrics', value, '-f', 'a', '--dump', 'd']).metrics;
  assert.equal(parseCommandLine(['-f', 'a', '--dump', 'd']).metrics, null);
  const good: [string, { host: string; port: number }][] = [
    ['9100', { host: '127.0.0.1', port: 9100 }],
    ['0.0.0.0:9100', { host: '0.0.0.0', port: 9100 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
    ['[::1]:65535', { host: '::1', port: 65535 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
  ];
  for (const [value, address] of good) assert.deepEqual(metrics(value), address, value);
  const bad: [string, RegExp][] = [
    ['65536', /--metrics 65536: expected \[ADDR:\]PORT with PORT 0\.\.65535/],
    ['http', /expected \[ADDR:\]PORT/],
    ['10.0.0.1:', /expected \[ADDR:\]PORT/],
    ['::1:9100', /'::1' is not an IPv4 address or localhost \(IPv6 goes in brackets: \[::1\]:9100\)/],
    ['[10.0.0.1]:9100', /'10\.0\.0\.1' is not an IPv6 address/],
    ['example.com:9100', /'example\.com' is not an IPv4 address or localhost/],
    // The one IPv4 reader of every option (proto/ipv4.ts parseIPv4): no leading zeros, no octet above 255.
    ['10.0.0.01:9100', /'10\.0\.0\.01' is not an IPv4 address or localhost/],
    ['10.0.0.256:9100', /'10\.0\.0\.256' is not an IPv4 address or localhost/],
  ];
  for (const [value, re] of bad) assert.throws(() => metrics(value), (e: Error) => e instanceof UserError && re.test(e.message) && e.message.endsWith('(try --help)'), value);
});

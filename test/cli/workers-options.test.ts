/** `--workers N`: parsed per group, 1 by default, refused in one line where several capture threads cannot work. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine } from '../../lib/args.js';
import { UsageError } from '../../lib/errors.js';

const parse = (line: string, platform: NodeJS.Platform = 'linux') => parseCommandLine(line.split(' '), platform);
const oneLine = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test(e.message) && !e.message.includes('\n');

test('--workers: 1 unless given; 2..64 on live capture with forwarding; per group', () => {
  assert.equal(parse('-i eth0 -r 10.1.1.1').channels[0]!.workers, 1);
  assert.equal(parse('-i eth0 -r 10.1.1.1 --workers 2').channels[0]!.workers, 2);
  assert.equal(parse('-i eth0 -r 10.1.1.1 -z 5555 --workers 64').channels[0]!.workers, 64);
  assert.equal(parse('-i eth0 -r 10.1.1.1 --workers=3 --vni1 7').channels[0]!.workers, 3);
  // -c ID_if1_if2 makes a channel per interface, each with its own workers.
  const id = '3f1a5b7c9d2e4f6a8b0c1d3e5f7a9b2c4d6e8f0a1b3c5d7e9f2a4b6c8d0e1f3a';
  assert.deepEqual(parse(`-c ${id}_eth0_eth1 -r 10.1.1.1 --workers 2`).channels.map((c) => c.workers), [2, 2]);
  assert.deepEqual(parse('-m web1 -r 10.1.1.1 --workers 2').channels.map((c) => c.workers), [2]);
  const two = parseCommandLine(['-i eth0 -r 10.1.1.1 --workers 4', '-i eth1 -w x.pcap']);
  assert.deepEqual(two.channels.map((c) => c.workers), [4, 1]);
  // One worker is today's channel: everything it allows stays allowed.
  assert.equal(parse('-f x.pcap --dump d --count 5 --workers 1').channels[0]!.workers, 1);
  assert.equal(parse('-i eth0 -w x.pcap --workers 1', 'win32').channels[0]!.workers, 1);
});

test('--workers: not a whole number in 1..64 is refused naming the range', () => {
  for (const v of ['0', '65', '-1', '1.5', 'two']) {
    assert.throws(() => parse(`-i eth0 -r 10.1.1.1 --workers ${v}`), oneLine(/^--workers: '.*' is not an integer in 1\.\.64 \(try --help\)$/), v);
  }
  assert.throws(() => parse('-i eth0 -r 10.1.1.1 --workers 0'), oneLine(/^--workers: '0' is not an integer in 1\.\.64/));
  assert.throws(() => parse('-i eth0 -r 10.1.1.1 --workers 65'), oneLine(/^--workers: '65' is not an integer in 1\.\.64/));
  assert.throws(() => parse('-i eth0 -r 10.1.1.1 --workers 1.5'), oneLine(/^--workers: '1\.5' is not an integer in 1\.\.64/));
  assert.throws(() => parse('-i eth0 -r 10.1.1.1 --workers 2 --workers 3'), oneLine(/^--workers given more than once/));
});

test('--workers N > 1 where it cannot work: one line saying why, exit 1', () => {
  const cases: [string, RegExp][] = [
    ['-f x.pcap -r 10.1.1.1 --workers 2', /^--workers 2: a file \(-f\) is read in order by one reader; several workers need live capture/],
    ['-i eth0 --dump d --workers 2', /^--workers 2: --dump writes one ordered set of files/],
    ['-i eth0 -r 10.1.1.1 --dump d --workers 2', /^--workers 2: --dump writes one ordered set of files/],
    ['-i eth0 -w x.pcap --workers 2', /^--workers 2: -w writes one ordered file/],
    ['-i eth0 -r 10.1.1.1 --count 10 --workers 2', /^--workers 2: --count stops the channel at an exact number/],
    ['-i eth0 -r 10.1.1.1 --mbps 10 --workers 2', /^--workers 2: --mbps is one rate limit for the channel/],
    ['-i eth0 -r 10.1.1.1 --cpu 1 --workers 2', /^--workers 2: --cpu pins the whole process to one CPU/],
    ['-Z nobody -i eth0 -r 10.1.1.1 --workers 2', /^-Z\/--user with --workers 2: the capture threads could not reopen capture/],
  ];
  for (const [line, re] of cases) assert.throws(() => parse(line), oneLine(re), line);
  assert.throws(() => parse('-i 以太网 -r 10.1.1.1 --workers 2', 'win32'), oneLine(/^--workers 2: several capture threads need Linux PACKET_FANOUT; on Windows give --workers 1/));
  // In a group of several, the group is named.
  assert.throws(() => parseCommandLine(['-i eth0 -r 10.1.1.1', '-i eth1 --dump d --workers 2']), oneLine(/^group 2: --workers 2: --dump/));
});

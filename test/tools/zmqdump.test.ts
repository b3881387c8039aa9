import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pull, Push } from 'zeromq';
import { FIXTURES, runCli, startReceiver, waitForSize } from '../helpers/cli.js';
import { readPcapFile } from '../helpers/capture-files.js';
import { DIR_IN, DIR_NONE, DIR_OUT, LINKTYPE_ETHERNET } from '../../lib/packet.js';
import { ZmqBatchBuilder } from '../../lib/proto/zmq-batch.js';
import { ZmqUnbatcher } from '../../lib/tools/zmqdump.js';
import { PacketBatch } from '../../lib/packet.js';
import { batchOf, packet, packetsOf } from '../helpers/packets.js';
import { loadAddon } from '../../lib/native/addon.js';

const { zmqAppend } = loadAddon();

const dir = mkdtempSync(join(tmpdir(), 'zmqdump-'));
let outputs = 0;
const output = (): string => join(dir, `out-${++outputs}.pcap`);
const UUID = Buffer.from('123e4567e89b12d3a456426614174000', 'hex');
const { records: SAMPLE } = await readPcapFile(join(FIXTURES, 'sample.pcap'));

interface Frame {
  tsSec: number;
  tsUsec: number;
  data: Buffer;
  /** Defaults to data.length. */
  wirelen?: number;
}

const ipv4 = (i: number): Frame => ({ tsSec: SAMPLE[i]!.tsSec, tsUsec: SAMPLE[i]!.tsFrac, data: SAMPLE[i]!.data });

/** The sample frame with an 802.1Q tag (VLAN 100) before its EtherType. */
function tagged(i: number): Frame {
  const f = SAMPLE[i]!.data;
  const data = Buffer.concat([f.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 0x64]), f.subarray(12)]);
  return { tsSec: 1529488756, tsUsec: 250_000, data };
}

/** Ethernet + IPv6 header (UDP, 8 payload bytes) + payload, cut short of its wire length. */
function ipv6(): Frame {
  const data = Buffer.concat([
    Buffer.from('0a0b0c0d0e0f00112233445586dd', 'hex'),
    Buffer.from('6000000000081140', 'hex'),
    Buffer.alloc(32, 0xfe),
    Buffer.from('1f9012b500080000', 'hex'),
  ]);
  return { tsSec: 1529488756, tsUsec: 999_999, data, wirelen: data.length + 100 };
}

/** One v2 message of `frames` (IP frames, within two capture seconds of the first: the builder's rules). */
function v2Batch(frames: [Frame, number][]): Buffer {
  const b = new ZmqBatchBuilder(12, UUID, zmqAppend);
  const batch = batchOf(frames.map(([f]) => packet(f.tsSec, f.tsUsec * 1000, f.data.length, f.wirelen ?? f.data.length, f.data, LINKTYPE_ETHERNET)));
  frames.forEach(([, direction], i) => (batch.direction[i] = direction));
  assert.equal(b.add(batch), frames.length);
  assert.equal(b.count, frames.length, 'IP frames only: the builder carries no others');
  return b.finish();
}

/** Legacy 0.3.6 batch: version 1, count, keybit; records N, seconds, µs, caplen, wire length, frame. */
function v1Batch(frames: Frame[]): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(1, 0);
  header.writeUInt16BE(frames.length, 2);
  header.writeUInt32BE(12, 4);
  const parts: Buffer[] = [header];
  for (const f of frames) {
    const r = Buffer.alloc(18);
    r.writeUInt16BE(f.data.length, 0);
    r.writeUInt32BE(f.tsSec, 2);
    r.writeUInt32BE(f.tsUsec, 6);
    r.writeUInt32BE(f.data.length, 10);
    r.writeUInt32BE(f.wirelen ?? f.data.length, 14);
    parts.push(r, f.data);
  }
  return Buffer.concat(parts);
}

/** A PUSH socket connected to the tool, closed when the test ends. */
function pusher(t: TestContext, port: number): Push {
  const push = new Push({ linger: 0 });
  t.after(() => push.close());
  push.connect(`tcp://127.0.0.1:${port}`);
  return push;
}

function assertFrames(got: { tsSec: number; tsFrac: number; caplen: number; wirelen: number; data: Buffer }[], want: Frame[]): void {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => {
    const w = want[i]!;
    assert.ok(g.data.equals(w.data), `frame ${i}: ${g.data.toString('hex')}\n != ${w.data.toString('hex')}`);
    assert.deepEqual([g.tsSec, g.tsFrac, g.caplen, g.wirelen], [w.tsSec, w.tsUsec, w.data.length, w.wirelen ?? w.data.length], `frame ${i}`);
  });
}

test('ZmqUnbatcher: each message replaces the batch content; a bad message leaves it empty and counts nothing else', () => {
  const u = new ZmqUnbatcher();
  const out = new PacketBatch(1);
  out.add(Buffer.alloc(20), 0, 20, 20, 1, 0, LINKTYPE_ETHERNET);
  const v2 = [ipv4(0), tagged(1), ipv6()];
  u.unbatch([v2Batch(v2.map((f, i) => [f, i] as [Frame, number]))], out);
  const got = packetsOf(out);
  assert.equal(got.length, 3, 'the packet there before is gone');
  got.forEach((p, i) => {
    const w = v2[i]!;
    assert.ok(p.data.equals(w.data), `frame ${i}`);
    assert.deepEqual([p.tsSec, p.tsNsec, p.caplen, p.wirelen, p.linktype], [w.tsSec, w.tsUsec * 1000, w.data.length, w.wirelen ?? w.data.length, LINKTYPE_ETHERNET]);
  });
  assert.deepEqual([u.batches, u.packets, u.unlabelled, u.byDirection.slice(0, 3)], [1, 3, 0, [1, 1, 1]]);

  u.unbatch([v1Batch([ipv4(2), ipv4(3)])], out);
  assert.deepEqual(packetsOf(out).map((p) => p.data), [SAMPLE[2]!.data, SAMPLE[3]!.data]);
  assert.deepEqual([u.batches, u.packets, u.unlabelled], [2, 5, 2]);

  const good = v2Batch([[ipv4(0), 0], [ipv4(1), 0]]);
  const bad = Buffer.from(good);
  bad.writeUInt32BE(5_000_000, bad.length - (18 + SAMPLE[1]!.data.length + 4) + 6); // the second record's µs
  assert.throws(() => u.unbatch([bad], out), /microseconds/);
  assert.equal(out.length, 0, 'no half message');
  assert.throws(() => u.unbatch([good, good], out), /2 parts/);
  assert.equal(out.length, 0);
  assert.deepEqual([u.batches, u.packets, u.badMessages, u.byDirection[0]], [2, 5, 2, 1]);
});

test('v2 (IPv4, 802.1Q, IPv6, directions 0/1/2), legacy v1 and a corrupt message; SIGTERM leaves a complete file', { timeout: 30_000 }, async (t) => {
  const out = output();
  const { child, port, done } = await startReceiver(t, 'zmqdump', ['-o', out]);
  const push = pusher(t, port);
  const first: [Frame, number][] = [
    [ipv4(0), DIR_NONE],
    [tagged(1), DIR_IN],
    [ipv6(), DIR_OUT],
    [ipv4(2), DIR_IN],
  ];
  const legacy = [ipv4(3), tagged(4)];
  const last: [Frame, number][] = [[ipv4(5), DIR_OUT]];
  await push.send(v2Batch(first));
  const corrupt = v2Batch(last);
  corrupt.writeUInt16BE(2, 2); // claims two records, holds one
  await push.send(corrupt);
  await push.send(Buffer.from([0, 7, 0, 0])); // unknown version
  await push.send(v1Batch(legacy));
  await push.send(v2Batch(last));
  const want = [...first.map(([f]) => f), ...legacy, ...last.map(([f]) => f)];
  await waitForSize(out, 24 + want.reduce((n, f) => n + 16 + f.data.length, 0));
  child.kill('SIGTERM');
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  // The first bad message is reported; the second, within the rate limit, only counted.
  assert.equal(r.stderr.match(/bad message:/g)?.length, 1, r.stderr);
  assert.match(r.stderr, /zmqdump: bad message: truncated ZeroMQ record 1 header at byte offset \d+/);
  assert.match(r.stderr, /zmqdump: stopped by SIGTERM\n/);
  assert.match(r.stderr, /zmqdump: 3 batches, 7 packets received, 2 bad messages, 7 written\n/);
  assert.match(r.stderr, /zmqdump: received by direction: none 1, in 2, out 2, other 0, unlabelled \(v1\) 2\n$/);

  const { header, records } = await readPcapFile(out);
  assert.equal(header.nanos, false);
  assert.equal(header.linktype, 1);
  assertFrames(records, want);
});

test('-c 3 stops in the middle of a batch with exactly 3 packets and exits by itself', { timeout: 30_000 }, async (t) => {
  const out = output();
  const { port, done } = await startReceiver(t, 'zmqdump', ['-c', '3', '-o', out]);
  const push = pusher(t, port);
  const frames: [Frame, number][] = [0, 1, 2, 3, 4].map((i) => [ipv4(i), i % 3]);
  await push.send(v2Batch(frames.slice(0, 2)));
  await push.send(v2Batch(frames.slice(2)));
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /zmqdump: stopped after 3 packets \(-c\)\n/);
  assert.match(r.stderr, /zmqdump: 2 batches, 5 packets received, 0 bad messages, 3 written\n/);
  const { records } = await readPcapFile(out);
  assertFrames(records, frames.slice(0, 3).map(([f]) => f));
});

test('a non-IP frame keeps its label: it cannot be identified, so it is written as received', { timeout: 30_000 }, async (t) => {
  const out = output();
  const { child, port, done } = await startReceiver(t, 'zmqdump', ['-o', out]);
  const arp: Frame = { tsSec: 1700000002, tsUsec: 5, data: Buffer.concat([Buffer.from('ffffffffffff00112233445508060001', 'hex'), Buffer.alloc(44)]) };
  // As the reference sends it (our builder leaves non-IP frames out): the EtherType replaced by the label.
  const labelled = Buffer.concat([arp.data.subarray(0, 12), Buffer.from('8847 8800c1ff', 'hex'), arp.data.subarray(14)]);
  const header = Buffer.alloc(24 + 18);
  header.writeUInt16BE(2, 0); // version
  header.writeUInt16BE(1, 2); // one record
  header.writeUInt32BE(12, 4); // keybit
  UUID.copy(header, 8);
  header.writeUInt16BE(labelled.length, 24); // N
  header.writeUInt32BE(arp.tsSec, 26);
  header.writeUInt32BE(arp.tsUsec, 30);
  header.writeUInt32BE(labelled.length, 34); // caplen + 4
  header.writeUInt32BE(labelled.length, 38); // wire length + 4
  const message = Buffer.concat([header, labelled]);
  pusher(t, port).send(message);
  await waitForSize(out, 24 + 16 + labelled.length);
  child.kill('SIGTERM');
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  const { records } = await readPcapFile(out);
  assertFrames(records, [{ tsSec: arp.tsSec, tsUsec: arp.tsUsec, data: labelled }]);
  assert.equal(labelled.readUInt16BE(12), 0x8847);
});

test('port in use: one line, exit 1, no output file left', { timeout: 30_000 }, async (t) => {
  const busy = new Pull({ linger: 0 });
  t.after(() => busy.close());
  await busy.bind('tcp://127.0.0.1:0');
  const port = /:(\d+)$/.exec(busy.lastEndpoint!)![1];
  const out = output();
  const r = await runCli(t, 'zmqdump', ['--port', port!, '--bind', '127.0.0.1', '-o', out]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `zmqdump: cannot listen on tcp://127.0.0.1:${port}: address already in use\n`);
  assert.equal(existsSync(out), false);
});

test('--port is required', async (t) => {
  const r = await runCli(t, 'zmqdump', ['-o', output()]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'zmqdump: --port is required\n');
});

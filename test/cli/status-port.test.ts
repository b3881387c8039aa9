/**
 * The status port of a running pktminerg, queried by a client written from
 * the spec's table (§9) rather than with lib/proto/status.ts.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type TestContext } from 'node:test';
import { Reply, Request } from 'zeromq';
import { seededRandom } from '../helpers/capture-files.js';
import { collect, FIXTURES, freePort, runCli, startCli, startReceiver, waitForStderr } from '../helpers/cli.js';

const MAGIC = 0x504d3230;
type Order = 'le' | 'be';


function u32(values: number[], order: Order): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => (order === 'le' ? b.writeUInt32LE(v, i * 4) : b.writeUInt32BE(v, i * 4)));
  return b;
}

/** The request of the table: magic, length 16, action, query id. */
const request = (order: Order, queryId: number, action = 1): Buffer => u32([MAGIC, 16, action, queryId], order);

interface Status {
  magic: number;
  length: number;
  action: number;
  queryId: number;
  version: number;
  first: number;
  last: number;
  padding: number;
  capBytes: bigint;
  capPackets: bigint;
  capDrops: bigint;
  fwdBytes: bigint;
  fwdPackets: bigint;
}

/** The 72-byte response of the table, read at its offsets. */
function parseStatus(b: Buffer, order: Order): Status {
  assert.equal(b.length, 72, b.toString('hex'));
  const u = (o: number): number => (order === 'le' ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const q = (o: number): bigint => (order === 'le' ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  return {
    magic: u(0), length: u(4), action: u(8), queryId: u(12), version: u(16), first: u(20), last: u(24), padding: u(28),
    capBytes: q(32), capPackets: q(40), capDrops: q(48), fwdBytes: q(56), fwdPackets: q(64),
  };
}

/** A REQ socket that gives up on an answer after 3 s, closed when the test ends. */
function client(t: TestContext, port: number): Request {
  const req = new Request({ linger: 0, receiveTimeout: 3000, sendTimeout: 3000 });
  req.connect(`tcp://127.0.0.1:${port}`);
  t.after(() => req.close());
  return req;
}

async function ask(req: Request, message: Buffer | Buffer[]): Promise<Buffer> {
  await req.send(message);
  const [answer, ...more] = await req.receive();
  assert.equal(more.length, 0, 'one frame');
  return answer!;
}

/** The first `n` records of sample.pcap as a pcap stream, with what the port should report of them. */
function samplePackets(n: number): { stream: Buffer; bytes: number; first: number; last: number } {
  const file = readFileSync(join(FIXTURES, 'sample.pcap'));
  assert.equal(file.readUInt32LE(0), 0xa1b2c3d4, 'little-endian µs pcap');
  let offset = 24;
  let bytes = 0;
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const caplen = file.readUInt32LE(offset + 8);
    times.push(file.readUInt32LE(offset));
    bytes += caplen;
    offset += 16 + caplen;
  }
  return { stream: file.subarray(0, offset), bytes, first: Math.min(...times), last: Math.max(...times) };
}

/** Starts pktminerg reading standard input (kept open: it keeps running) with --control on a free port. */
async function agent(t: TestContext, extra: string[] = []): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const dump = mkdtempSync(join(tmpdir(), 'pa-status-'));
  const child = startCli(t, 'pktminerg', ['-f', '-', '--dump', dump, '--control', String(port), ...extra], { stdin: 'pipe' });
  await waitForStderr(child, /status port listening on tcp:\/\/127\.0\.0\.1:\d+/);
  return { child, port };
}

/** Queries until `done(status)` holds (packets are read and forwarded asynchronously), at most 15 s. */
async function queryUntil(req: Request, done: (s: Status) => boolean): Promise<Status> {
  for (let i = 0; ; i++) {
    const s = parseStatus(await ask(req, request('le', i)), 'le');
    if (done(s)) return s;
    assert.ok(i < 150, `status never reached the expected values: ${JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('answers both byte orders with the totals of what was captured and forwarded, current at each query', { timeout: 60_000 }, async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'pa-status-')), 'zmq.pcap');
  const receiver = await startReceiver(t, 'zmqdump', ['-o', out]);
  const { child, port } = await agent(t, ['-r', '127.0.0.1', '-z', String(receiver.port)]);
  const result = collect(child);
  const req = client(t, port);

  // Before any packet: zeros, and already a complete answer.
  const empty = parseStatus(await ask(req, request('le', 7)), 'le');
  assert.deepEqual(
    { ...empty },
    { magic: MAGIC, length: 72, action: 1, queryId: 7, version: 1, first: 0, last: 0, padding: 0, capBytes: 0n, capPackets: 0n, capDrops: 0n, fwdBytes: 0n, fwdPackets: 0n },
  );

  const sample = samplePackets(8);
  child.stdin!.write(sample.stream);
  const s = await queryUntil(req, (x) => x.capPackets === 8n && x.fwdPackets === 8n);
  assert.equal(s.capBytes, BigInt(sample.bytes));
  assert.equal(s.first, sample.first);
  assert.equal(s.last, sample.last);
  assert.equal(s.capDrops, 0n, 'a file has no kernel drops');

  // The same, asked in the byte order of the reference's header comment, comes back in that order.
  const beBytes = await ask(req, request('be', 0x01020304));
  assert.deepEqual(beBytes.subarray(0, 4), Buffer.from([0x50, 0x4d, 0x32, 0x30]));
  const be = parseStatus(beBytes, 'be');
  assert.deepEqual({ ...be, queryId: 0 }, { ...s, queryId: 0 });
  assert.equal(be.queryId, 0x01020304);
  // Little-endian, the reference's order: the magic's bytes are 30 32 4D 50.
  assert.deepEqual((await ask(req, request('le', 1))).subarray(0, 4), Buffer.from([0x30, 0x32, 0x4d, 0x50]));

  // The forwarded bytes are what the zmq sink reports when it stops.
  child.stdin!.end();
  const r = await result;
  assert.equal(r.code, 0, r.stderr);
  const m = /zmq: delivered 8 packets \(127\.0\.0\.1 8 packets (\d+) bytes\)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.equal(s.fwdBytes, BigInt(m[1]!));
});

test('thousands of malformed requests each get an answer; the process lives on and still answers correctly', { timeout: 60_000 }, async (t) => {
  const { child, port } = await agent(t);
  const sample = samplePackets(8);
  child.stdin!.write(sample.stream);
  const req = client(t, port);
  const rand = seededRandom(2024);
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  const started = Date.now();
  let valid = 0;
  for (let i = 0; i < 3000; i++) {
    const order: Order = rand() < 0.5 ? 'le' : 'be';
    const kind = rand();
    let message: Buffer | Buffer[];
    if (kind < 0.3) message = bytes(Math.floor(rand() * 40));
    else if (kind < 0.4) message = bytes(Math.floor(rand() * 4000));
    // A real header with random length, action and id: reaches the checks after the magic.
    else if (kind < 0.8) message = u32([MAGIC, rand() < 0.5 ? 16 : Math.floor(rand() * 80), Math.floor(rand() * 4), Math.floor(rand() * 2 ** 32)], order);
    else if (kind < 0.9) message = [request(order, i), bytes(Math.floor(rand() * 20))];
    else message = Buffer.concat([request(order, i), bytes(1 + Math.floor(rand() * 8))]);
    const answer = await ask(req, message);
    const one = Array.isArray(message) ? null : message;
    const u = (o: number): number => (order === 'le' ? one!.readUInt32LE(o) : one!.readUInt32BE(o));
    const isValid = one !== null && one.length === 16 && u(0) === MAGIC && u(4) === 16 && u(8) === 1;
    if (isValid) {
      valid++;
      const s = parseStatus(answer, order);
      assert.equal(s.queryId, u(12));
    } else {
      // The error reply: 16 bytes, length 16, an error code with the high bit set.
      assert.equal(answer.length, 16, `answer to ${Buffer.concat([message].flat()).toString('hex')}`);
      const o: Order = answer.readUInt32LE(0) === MAGIC ? 'le' : 'be';
      assert.equal(o === 'le' ? answer.readUInt32LE(0) : answer.readUInt32BE(0), MAGIC);
      assert.equal(o === 'le' ? answer.readUInt32LE(4) : answer.readUInt32BE(4), 16);
      assert.ok((o === 'le' ? answer.readUInt32LE(8) : answer.readUInt32BE(8)) >= 0x80000001);
    }
  }
  assert.ok(valid > 50, `the fuzz reached valid requests too (${valid})`);
  assert.ok(Date.now() - started < 30_000, 'answered within 30 s');
  assert.equal(child.exitCode, null, 'still running');
  const s = await queryUntil(req, (x) => x.capPackets === 8n);
  assert.equal(s.capBytes, BigInt(sample.bytes));
  assert.equal(s.first, sample.first);
  assert.equal(s.last, sample.last);
});

test('a request larger than the limit is dropped by ZeroMQ without harm: the next client is answered', { timeout: 30_000 }, async (t) => {
  const { port } = await agent(t);
  const big = new Request({ linger: 0, receiveTimeout: 500 });
  big.connect(`tcp://127.0.0.1:${port}`);
  t.after(() => big.close());
  await big.send(Buffer.alloc(100_000));
  await assert.rejects(big.receive(), /timed out|Socket temporarily unavailable/i);
  const s = parseStatus(await ask(client(t, port), request('le', 3)), 'le');
  assert.equal(s.queryId, 3);
});

test('a --control port in use: one line, exit 1', async (t) => {
  const other = new Reply({ linger: 0 });
  await other.bind('tcp://127.0.0.1:*');
  t.after(() => other.close());
  const port = /:(\d+)$/.exec(other.lastEndpoint!)![1]!;
  const r = await runCli(t, 'pktminerg', ['-f', join(FIXTURES, 'sample.pcap'), '--dump', mkdtempSync(join(tmpdir(), 'pa-status-')), '--control', port]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`--control ${port}: cannot listen on tcp://127\\.0\\.0\\.1:${port}: Address already in use`));
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('groups giving different --control ports are refused; the same port twice is one port', async (t) => {
  const sample = join(FIXTURES, 'sample.pcap');
  const dump = (): string => mkdtempSync(join(tmpdir(), 'pa-status-'));
  // A group is one argument, as the reference's command line has them.
  const two = await runCli(t, 'pktminerg', [`-f ${sample} --dump ${dump()} --control 15001`, `-f ${sample} --dump ${dump()} --control 15002`]);
  assert.equal(two.code, 1, two.stderr);
  assert.match(two.stderr, /groups 1 and 2 give different --control ports \(15001, 15002\)/);
  const port = String(await freePort());
  const same = await runCli(t, 'pktminerg', [`-f ${sample} --dump ${dump()} --control ${port}`, `-f ${sample} --dump ${dump()} --control ${port}`]);
  assert.equal(same.code, 0, same.stderr);
  assert.equal(same.stderr.match(/status port listening/g)?.length, 1, same.stderr);
});

/**
 * zmqAppend (lib/native/zmq_records.c) against an oracle written here the
 * plain way, one Buffer.concat per record, on random batches: frames of every
 * kind (IPv4, IPv6, 802.1Q, ARP, too short, longer than N can say) at random
 * places in one buffer, seconds that jump, every direction code, messages small
 * enough that every rule stops it. Also its argument checks: a frame outside
 * `data`, short columns and a bad state are RangeErrors, never a read or
 * write out of bounds (the sanitizer run repeats this file).
 * ZmqBatchBuilder's golden bytes are in test/proto/zmq-batch.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadAddon } from '../../lib/native/addon.js';
import { mplsEntry } from '../../lib/proto/mpls.js';
import { LINKTYPE_ETHERNET, PacketBatch } from '../../lib/packet.js';
import { seededRandom } from '../helpers/capture-files.js';

const HEADER = 24;
const KEYBIT = 0xabc;
const ENTRIES = Uint32Array.from({ length: 16 }, (_, code) => mplsEntry(code, KEYBIT));
const SENTINEL = 0xaa;

type CodedError = Error & { code?: string };

/** What the oracle expects of one packet, given the message so far. */
function oracleRecord(b: PacketBatch, i: number): Buffer | 'short' | 'not-ip' {
  const f = b.frame(i);
  if (f.length < 14) return 'short';
  const typeAt = f.readUInt16BE(12) === 0x8100 ? 16 : 12;
  if (f.length < typeAt + 2) return 'short';
  const type = f.readUInt16BE(typeAt);
  if (type !== 0x0800 && type !== 0x86dd) return 'not-ip';
  const kept = f.subarray(0, Math.min(f.length, 65531));
  const header = Buffer.alloc(18);
  header.writeUInt16BE(kept.length + 4, 0);
  header.writeUInt32BE(b.tsSec[i]! >>> 0, 2);
  header.writeUInt32BE(Math.floor(b.tsNsec[i]! / 1000), 6);
  header.writeUInt32BE((b.caplen[i]! + 4) >>> 0, 10);
  header.writeUInt32BE((b.wirelen[i]! + 4) >>> 0, 14);
  const entry = Buffer.alloc(6);
  entry.writeUInt16BE(0x8847, 0);
  entry.writeUInt32BE(ENTRIES[b.direction[i]! & 0xf]!, 2);
  return Buffer.concat([header, kept.subarray(0, typeAt), entry, kept.subarray(typeAt + 2)]);
}

/** The messages (records only) and drop counts the rules give for the whole batch with messages of `maxBytes`. */
function oracle(b: PacketBatch, maxBytes: number): { messages: Buffer[]; tooShort: number; notIp: number } {
  const messages: Buffer[] = [];
  let records: Buffer[] = [];
  let used = HEADER;
  let first = 0;
  let tooShort = 0;
  let notIp = 0;
  for (let i = 0; i < b.length; i++) {
    const r = oracleRecord(b, i);
    if (r === 'short') tooShort++;
    else if (r === 'not-ip') notIp++;
    else {
      if (records.length > 0 && (used + r.length > maxBytes || b.tsSec[i]! > first + 1)) {
        messages.push(Buffer.concat(records));
        records = [];
        used = HEADER;
      }
      assert.ok(used + r.length <= maxBytes, 'test data: every frame fits an empty message');
      if (records.length === 0) first = b.tsSec[i]!;
      records.push(r);
      used += r.length;
    }
  }
  if (records.length > 0) messages.push(Buffer.concat(records));
  return { messages, tooShort, notIp };
}

/** A random batch of `n` packets whose frames lie in one buffer, with gaps of random bytes between them. */
function randomBatch(rnd: () => number, n: number): PacketBatch {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const frames: Buffer[] = [];
  for (let k = 0; k < n; k++) {
    const kind = pick(['ipv4', 'ipv6', 'tagged-ipv4', 'tagged-arp', 'arp', 'short', 'tagged-short', 'big'] as const);
    const length =
      kind === 'short' ? Math.floor(rnd() * 14) : kind === 'tagged-short' ? 14 + Math.floor(rnd() * 4) : kind === 'big' ? 65520 + Math.floor(rnd() * 40) : 14 + Math.floor(rnd() * 300);
    const f = Buffer.alloc(length);
    for (let j = 0; j < length; j++) f[j] = Math.floor(rnd() * 256);
    const tagged = kind.startsWith('tagged');
    if (length >= 14) f.writeUInt16BE(tagged ? 0x8100 : kind === 'arp' ? 0x0806 : kind === 'ipv6' ? 0x86dd : 0x0800, 12);
    if (tagged && length >= 18) f.writeUInt16BE(kind === 'tagged-arp' ? 0x0806 : 0x0800, 16);
    frames.push(f);
  }
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let at = 0;
  for (const f of frames) {
    const gap = Buffer.alloc(Math.floor(rnd() * 9), 0xee);
    parts.push(gap, f);
    at += gap.length;
    offsets.push(at);
    at += f.length;
  }
  const data = Buffer.concat(parts);
  const b = new PacketBatch(n);
  let sec = 1_700_000_000;
  frames.forEach((f, k) => {
    const r = rnd();
    sec += r < 0.03 ? 2 : r < 0.1 ? 1 : r < 0.12 ? -1 : 0;
    const i = b.add(data, offsets[k]!, f.length, f.length + Math.floor(rnd() * 2000), sec, Math.floor(rnd() * 1e9), LINKTYPE_ETHERNET);
    b.direction[i] = pick([-1, 0, 1, 2, 7, -128, 127]);
  });
  return b;
}

/** Runs zmqAppend over the whole batch as ZmqBatchBuilder does (finish whenever it stops); checks no byte past the records is touched. */
function viaAddon(b: PacketBatch, maxBytes: number): { messages: Buffer[]; tooShort: number; notIp: number } {
  const { zmqAppend } = loadAddon();
  const out = Buffer.alloc(maxBytes);
  const state = new Float64Array(5);
  const messages: Buffer[] = [];
  const finish = (): void => {
    messages.push(Buffer.from(out.subarray(HEADER, state[0]!)));
    assert.ok(out.subarray(state[0]!).every((v) => v === SENTINEL), 'nothing written past the records');
    out.fill(SENTINEL);
    state[0] = HEADER;
    state[1] = 0;
  };
  out.fill(SENTINEL);
  state[0] = HEADER;
  let i = 0;
  while ((i = zmqAppend(out, state, ENTRIES, b.data[0]!, b.offset, b.caplen, b.wirelen, b.tsSec, b.tsNsec, b.direction, i, b.length)) < b.length) {
    assert.ok(state[1]! > 0, 'a stop leaves records to send');
    finish();
  }
  if (state[1]! > 0) finish();
  return { messages, tooShort: state[3]!, notIp: state[4]! };
}

test('zmqAppend writes what the plain oracle writes, record for record, message for message, on random batches', () => {
  const rnd = seededRandom(0x5a17);
  let messages = 0;
  for (let round = 0; round < 40; round++) {
    const b = randomBatch(rnd, 1 + Math.floor(rnd() * 400));
    // Room for the largest frame (65531 + 4 + 18 after the header) and from there to 1 MiB.
    const maxBytes = 65600 + Math.floor(rnd() * (round % 4 === 0 ? 1_000_000 : 8000));
    const got = viaAddon(b, maxBytes);
    const want = oracle(b, maxBytes);
    assert.deepEqual([got.tooShort, got.notIp, got.messages.length], [want.tooShort, want.notIp, want.messages.length], `round ${round}`);
    got.messages.forEach((m, k) => assert.ok(m.equals(want.messages[k]!), `round ${round}, message ${k}`));
    messages += got.messages.length;
  }
  assert.ok(messages > 60, `the rules split the batches (${messages} messages)`);
});

test('zmqAppend: rule 1, at most 65535 records, stops a message that still has room', () => {
  const { zmqAppend } = loadAddon();
  const frame = Buffer.alloc(14);
  frame.writeUInt16BE(0x0800, 12);
  const n = 65537;
  const b = new PacketBatch(n);
  for (let i = 0; i < n; i++) b.add(frame, 0, 14, 14, 1, 0, LINKTYPE_ETHERNET);
  const out = Buffer.alloc(4 << 20);
  const state = Float64Array.of(HEADER, 0, 0, 0, 0);
  assert.equal(zmqAppend(out, state, ENTRIES, frame, b.offset, b.caplen, b.wirelen, b.tsSec, b.tsNsec, b.direction, 0, n), 65535);
  assert.deepEqual([...state], [HEADER + 65535 * 36, 65535, 1, 0, 0]);
});

test('zmqAppend: a frame outside data is a RangeError; the records before it are written and counted', () => {
  const { zmqAppend } = loadAddon();
  const data = Buffer.alloc(100);
  data.writeUInt16BE(0x0800, 12);
  const b = new PacketBatch(3);
  b.add(data, 0, 60, 60, 1, 0, LINKTYPE_ETHERNET);
  b.add(data, 50, 51, 51, 1, 0, LINKTYPE_ETHERNET);
  b.add(data, 0, 60, 60, 1, 0, LINKTYPE_ETHERNET);
  const state = Float64Array.of(HEADER, 0, 0, 0, 0);
  assert.throws(
    () => zmqAppend(Buffer.alloc(4096), state, ENTRIES, data, b.offset, b.caplen, b.wirelen, b.tsSec, b.tsNsec, b.direction, 0, 3),
    (e: CodedError) => e instanceof RangeError && e.code === 'RANGE' && /packet 1: 51 bytes at 50/.test(e.message),
  );
  assert.deepEqual([...state.subarray(0, 2)], [HEADER + 18 + 64, 1]);
  // An offset near 2^32 does not wrap around.
  b.offset[0] = 0xffffffff;
  assert.throws(() => zmqAppend(Buffer.alloc(4096), Float64Array.of(HEADER, 0, 0, 0, 0), ENTRIES, data, b.offset, b.caplen, b.wirelen, b.tsSec, b.tsNsec, b.direction, 0, 1), RangeError);
});

test('zmqAppend: short columns, a start past end, a bad state and wrong types are refused before anything is written', () => {
  const { zmqAppend } = loadAddon();
  const data = Buffer.alloc(64);
  const b = new PacketBatch(2);
  b.add(data, 0, 60, 60, 1, 0, LINKTYPE_ETHERNET);
  const out = Buffer.alloc(4096, SENTINEL);
  const state = (pos = HEADER, records = 0) => Float64Array.of(pos, records, 0, 0, 0);
  const call = (s: Float64Array, over: Partial<Record<'offset' | 'tsSec' | 'direction' | 'entries', unknown>> = {}, start = 0, end = 1) =>
    zmqAppend(
      out,
      s,
      (over.entries ?? ENTRIES) as Uint32Array,
      data,
      (over.offset ?? b.offset) as Uint32Array,
      b.caplen,
      b.wirelen,
      (over.tsSec ?? b.tsSec) as Float64Array,
      b.tsNsec,
      (over.direction ?? b.direction) as Int8Array,
      start,
      end,
    );
  const isRange = (e: CodedError) => e instanceof RangeError && e.code === 'RANGE';
  assert.throws(() => call(state(), {}, 0, 3), isRange, 'columns hold 2 (capacity), not 3');
  assert.throws(() => call(state(), {}, 2, 1), isRange, 'start past end');
  assert.throws(() => call(state(), { entries: new Uint32Array(15) }), isRange, '15 entries');
  for (const [pos, records] of [[4097, 0], [NaN, 0], [-1, 0], [24.5, 0], [HEADER, 65536], [HEADER, -1]]) {
    assert.throws(() => call(state(pos, records)), isRange, `state ${pos}, ${records}`);
  }
  assert.throws(() => call(new Float64Array(4)), isRange, 'state of 4');
  assert.throws(() => call(state(), { offset: new Int32Array(2) }), TypeError);
  assert.throws(() => call(state(), { tsSec: new Uint32Array(2) }), TypeError);
  assert.throws(() => call(state(), { direction: new Uint8Array(2) }), TypeError);
  assert.throws(() => call(new Uint32Array(5) as unknown as Float64Array), TypeError);
  assert.ok(out.every((v) => v === SENTINEL), 'nothing written');
  assert.equal(call(state()), 1, 'the same call with good arguments takes the packet (a 60-byte frame of zeros: not IP, counted)');
});

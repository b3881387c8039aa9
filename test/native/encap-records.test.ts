/**
 * encapAppend (lib/native/encap_records.c) against an oracle written here the plain way, one
 * Buffer.concat per datagram, on random batches: frames of random lengths (some longer than the
 * spec's maxFrame, some empty) at random places in one buffer, every direction code (and -1),
 * random capture times, chunks small enough that both of its limits stop it. The v1 check byte is
 * the receivers' (vxlanCheck). Also its argument checks: a frame outside `data`, a chunk too small
 * for one datagram, a bad spec or state are RangeErrors, never a read or write out of bounds (the
 * sanitizer run repeats this file). The spec's worked examples are in test/proto/gre.test.ts and
 * test/proto/vxlan.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadAddon } from '../../lib/native/addon.js';
import { LINKTYPE_ETHERNET, PacketBatch } from '../../lib/packet.js';
import { vxlanCheck } from '../../lib/proto/vxlan.js';
import { ENCAP_GRE, ENCAP_VXLAN_V1, ENCAP_VXLAN_V2 } from '../../lib/sinks/datagram-sink.js';
import { seededRandom } from '../helpers/capture-files.js';

const { encapAppend, datagramHeadroom: H } = loadAddon();
const SOURCE_PORT = 51234;
const PORT = 4790;

interface Spec {
  kind: number;
  value: number;
  maxFrame: number;
  capTime: boolean;
}
const headersOf = (s: Spec): number => (s.kind === ENCAP_GRE ? 8 : 16);
const overheadOf = (s: Spec): number => headersOf(s) + (s.kind !== ENCAP_GRE && s.capTime ? 8 : 0);
const maxDatagramOf = (s: Spec): number => overheadOf(s) + s.maxFrame;
const specArray = (s: Spec, maxDatagram = maxDatagramOf(s)): Uint32Array =>
  Uint32Array.of(s.kind, s.value >>> 0, s.maxFrame, maxDatagram, SOURCE_PORT, PORT, s.capTime ? 1 : 0);

/** The datagram for packet `i`, as spec §5.2/§5.3 say, one field at a time. */
function oracle(s: Spec, b: PacketBatch, i: number): Buffer {
  const frame = b.frame(i).subarray(0, s.maxFrame);
  const direction = b.direction[i]!;
  if (s.kind === ENCAP_GRE) {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(0x20006558, 0);
    h.writeUInt32BE((s.value | (direction << 28)) >>> 0, 4);
    return Buffer.concat([h, frame]);
  }
  const vxlan = Buffer.alloc(8);
  vxlan[0] = 0x08;
  if (s.kind === ENCAP_VXLAN_V2) vxlan.writeUInt32BE((s.value + direction) >>> 0, 4);
  else {
    const v = s.value & 0xffffff;
    const vni = direction === 0 ? v : ((direction & 0xf) << 20) | (v & 0xfff);
    vxlan.writeUIntBE(vni, 4, 3);
    vxlan[7] = vxlanCheck(vxlan, frame, frame.length);
  }
  const trailer = Buffer.alloc(s.capTime ? 8 : 0);
  if (s.capTime) {
    trailer.writeUInt32BE(b.tsSec[i]! >>> 0, 0);
    trailer.writeUInt32BE(Math.floor(b.tsNsec[i]! / 1000) * 1000, 4);
  }
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(SOURCE_PORT, 0);
  udp.writeUInt16BE(PORT, 2);
  udp.writeUInt16BE(16 + frame.length + trailer.length, 4);
  return Buffer.concat([udp, vxlan, frame, trailer]);
}

/** A batch of `n` random frames lying at random places of one buffer (filled with random bytes). */
function randomBatch(random: () => number, n: number): PacketBatch {
  const data = Buffer.alloc(64 * 1024);
  for (let k = 0; k < data.length; k++) data[k] = Math.floor(random() * 256);
  const b = new PacketBatch(n);
  for (let i = 0; i < n; i++) {
    const caplen = random() < 0.05 ? 0 : Math.floor(random() * 1600);
    const offset = Math.floor(random() * (data.length - caplen));
    b.add(data, offset, caplen, caplen + 4, Math.floor(random() * 2 ** 32), Math.floor(random() * 1e9), LINKTYPE_ETHERNET);
    b.direction[i] = random() < 0.1 ? -1 : Math.floor(random() * 16);
  }
  return b;
}

/** Runs encapAppend over the whole batch in chunks of `outBytes` and `maxDatagrams`, as DatagramSink does: the datagrams. */
function encodeInChunks(s: Spec, b: PacketBatch, outBytes: number, maxDatagrams: number): { datagrams: Buffer[]; chunks: number } {
  const out = Buffer.alloc(outBytes, 0xaa);
  const lengths = new Uint32Array(maxDatagrams);
  const state = new Float64Array(2);
  const spec = specArray(s);
  const datagrams: Buffer[] = [];
  let chunks = 0;
  for (let i = 0; i < b.length; ) {
    state.fill(0);
    i = encapAppend(out, lengths, state, spec, b.data[0]!, b.offset, b.caplen, b.direction, b.tsSec, b.tsNsec, i, b.length);
    chunks++;
    // Each datagram after its headroom.
    let at = 0;
    for (let k = 0; k < state[1]!; k++) {
      at += H;
      datagrams.push(Buffer.from(out.subarray(at, at + lengths[k]!)));
      at += lengths[k]!;
    }
    assert.equal(state[0], at, 'bytes used are the lengths and their headroom');
  }
  return { datagrams, chunks };
}

test('encapAppend writes what the spec says, for every kind, direction and frame length, in chunks cut by both limits', () => {
  const random = seededRandom(7);
  const specs: Spec[] = [
    { kind: ENCAP_GRE, value: 0xffffffff, maxFrame: 1500, capTime: false },
    { kind: ENCAP_GRE, value: 0x0000000c, maxFrame: 900, capTime: false },
    { kind: ENCAP_VXLAN_V1, value: 0xabcdef, maxFrame: 1500, capTime: false },
    { kind: ENCAP_VXLAN_V1, value: 0x1234567, maxFrame: 700, capTime: true },
    { kind: ENCAP_VXLAN_V2, value: 0xfffffffe, maxFrame: 1500, capTime: true },
    { kind: ENCAP_VXLAN_V2, value: 260, maxFrame: 1200, capTime: false },
  ];
  for (const s of specs) {
    const b = randomBatch(random, 300);
    const want = Array.from({ length: b.length }, (_, i) => oracle(s, b, i));
    const label = `kind ${s.kind} value ${s.value} maxFrame ${s.maxFrame} capTime ${s.capTime}`;
    // Roomy; then cut by the byte limit (a few datagrams a chunk); then by the count.
    for (const [outBytes, maxDatagrams, minChunks] of [[1 << 20, 1024, 1], [4 * (H + maxDatagramOf(s)), 1024, 30], [1 << 20, 7, 43]] as const) {
      const { datagrams, chunks } = encodeInChunks(s, b, outBytes, maxDatagrams);
      assert.equal(datagrams.length, b.length, label);
      datagrams.forEach((d, i) => assert.ok(d.equals(want[i]!), `${label}, datagram ${i}: ${d.subarray(0, 24).toString('hex')} != ${want[i]!.subarray(0, 24).toString('hex')}`));
      assert.ok(chunks >= minChunks, `${label}: ${chunks} chunks with ${outBytes} bytes and ${maxDatagrams} datagrams`);
    }
  }
});

test('encapAppend continues a chunk across calls (runs of frames in different buffers), each datagram after its headroom, and leaves the rest alone', () => {
  const s: Spec = { kind: ENCAP_VXLAN_V1, value: 12, maxFrame: 1500, capTime: false };
  const random = seededRandom(11);
  const runs = [randomBatch(random, 5), randomBatch(random, 3)];
  const out = Buffer.alloc(1 << 16, 0xaa);
  const lengths = new Uint32Array(16);
  const state = new Float64Array(2);
  const spec = specArray(s);
  for (const b of runs) assert.equal(encapAppend(out, lengths, state, spec, b.data[0]!, b.offset, b.caplen, b.direction, b.tsSec, b.tsNsec, 0, b.length), b.length);
  const want = runs.flatMap((b) => Array.from({ length: b.length }, (_, i) => oracle(s, b, i)));
  // Each after its headroom, which encapAppend leaves as it was.
  const all = Buffer.concat(want.flatMap((d) => [Buffer.alloc(H, 0xaa), d]));
  assert.equal(state[1], 8);
  assert.equal(state[0], all.length);
  assert.deepEqual([...lengths.subarray(0, 8)], want.map((d) => d.length));
  assert.ok(out.subarray(0, all.length).equals(all));
  assert.ok(out.subarray(all.length).every((x) => x === 0xaa), 'nothing written past the datagrams');
});

test('encapAppend refuses what would read or write out of bounds, with RANGE, the datagrams before counted', () => {
  const s: Spec = { kind: ENCAP_GRE, value: 1, maxFrame: 1500, capTime: false };
  const b = new PacketBatch(4);
  const data = Buffer.alloc(200, 1);
  b.add(data, 0, 60, 60, 1, 0, LINKTYPE_ETHERNET);
  b.add(data, 100, 60, 60, 1, 0, LINKTYPE_ETHERNET);
  b.add(data, 150, 60, 60, 1, 0, LINKTYPE_ETHERNET); // ends at 210: past data
  const out = Buffer.alloc(1 << 16);
  const lengths = new Uint32Array(8);
  const state = new Float64Array(2);
  const call = (o = out, st = state, spec = specArray(s), end = b.length): number =>
    encapAppend(o, lengths, st, spec, data, b.offset, b.caplen, b.direction, b.tsSec, b.tsNsec, 0, end);
  const range = (e: unknown, pattern: RegExp): boolean => (e as Error & { code?: string }).code === 'RANGE' && pattern.test((e as Error).message);
  assert.throws(() => call(), (e) => range(e, /packet 2: a frame lies beyond data/));
  assert.deepEqual([...state], [2 * (H + 68), 2], 'the two datagrams before it are written and counted');
  // A chunk without room for one datagram: no progress is possible, so it is an error, not a 0.
  state.fill(0);
  assert.throws(() => call(Buffer.alloc(H + maxDatagramOf(s) - 1), state, specArray(s), 2), (e) => range(e, /no room for one datagram/));
  assert.throws(() => call(out, state, Uint32Array.of(3, 0, 100, 200, 0, 0, 0), 2), (e) => range(e, /spec/));
  assert.throws(() => call(out, state, Uint32Array.of(ENCAP_GRE, 0, 100, 107, 0, 0, 0), 2), (e) => range(e, /spec/), 'maxDatagram below headers + maxFrame');
  assert.throws(() => call(out, Float64Array.of(out.length + 1, 0), specArray(s), 2), (e) => range(e, /state/));
  assert.throws(() => call(out, Float64Array.of(0, 9), specArray(s), 2), (e) => range(e, /state/), 'more datagrams than lengths hold');
  assert.throws(() => call(out, Float64Array.of(0.5, 0), specArray(s), 2), (e) => range(e, /state/));
  assert.throws(() => encapAppend(out, lengths, state, specArray(s), data, b.offset, b.caplen, b.direction, b.tsSec, b.tsNsec, 0, 5), (e) => range(e, /fewer than 5/));
  assert.throws(
    () => encapAppend(out, lengths, state, specArray(s), data, b.offset, b.caplen, new Int8Array(4) as unknown as Int8Array, b.tsNsec as unknown as Float64Array, b.tsNsec, 0, 2),
    (e) => e instanceof TypeError && /tsSec: wrong type of array/.test(e.message),
  );
});

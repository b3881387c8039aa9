import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CorruptError, isDecodeError, TruncatedError } from '../../lib/errors.js';
import { decodeIPv4, IPv4View } from '../../lib/proto/ipv4.js';
import { IPV4_MAX_DATAGRAM, IPv4Datagram, IPv4Reassembler, type ReassemblyLimits } from '../../lib/proto/ipv4-reassembly.js';
import { seededRandom } from '../helpers/capture-files.js';
import { hex } from '../helpers/hex.js';

const SRC = 0x0a000001;
const DST = 0x0a000002;
const GRE = 47;

function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

interface FragmentSpec {
  id?: number;
  src?: number;
  protocol?: number;
  /** Byte offset of the data in the datagram; a multiple of 8 unless testing errors. */
  offset: number;
  more: boolean;
  data: Buffer;
  /** Options bytes (a multiple of 4). */
  options?: number;
}

/** One IPv4 packet with a correct header checksum. */
function ipPacket(f: FragmentSpec): Buffer {
  const hl = 20 + (f.options ?? 0);
  const b = Buffer.alloc(hl + f.data.length);
  b[0] = 0x40 | (hl / 4);
  b.writeUInt16BE(Math.min(b.length, 0xffff), 2);
  b.writeUInt16BE(f.id ?? 0x1234, 4);
  b.writeUInt16BE((f.more ? 0x2000 : 0) | (f.offset / 8), 6);
  b[8] = 64;
  b[9] = f.protocol ?? GRE;
  b.writeUInt32BE(f.src ?? SRC, 12);
  b.writeUInt32BE(DST, 16);
  if (f.options) b.fill(0x01, 20, hl); // NOP options
  b.writeUInt16BE(checksum(b.subarray(0, hl)), 10);
  f.data.copy(b, hl);
  return b;
}

/** The datagram's payload cut at the given byte offsets (multiples of 8), as packets in order. */
function fragments(payload: Buffer, cuts: number[], extra: Partial<FragmentSpec> = {}): Buffer[] {
  const bounds = [0, ...cuts, payload.length];
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    out.push(ipPacket({ ...extra, offset: bounds[i]!, more: i + 2 < bounds.length, data: payload.subarray(bounds[i]!, bounds[i + 1]!) }));
  }
  return out;
}

function pattern(n: number, seed = 1): Buffer {
  const rnd = seededRandom(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

class Harness {
  readonly r: IPv4Reassembler;
  private readonly v = new IPv4View();
  readonly out = new IPv4Datagram();

  constructor(limits?: ReassemblyLimits) {
    this.r = new IPv4Reassembler(limits);
  }

  /** The payload (copied) when `pkt` completes a datagram, else null. */
  push(pkt: Buffer, now = 0, end = pkt.length): Buffer | null {
    assert.ok(decodeIPv4(pkt, 0, end, this.v), 'test packet is IPv4');
    return this.r.push(this.v, pkt, 0, end, now, this.out) ? Buffer.from(this.out.payload) : null;
  }

  /** Pushes all; returns the payloads completed, in order. */
  pushAll(pkts: Buffer[], now = 0): Buffer[] {
    return pkts.map((p) => this.push(p, now)).filter((x): x is Buffer => x !== null);
  }

  stats(): Record<string, number> {
    return { ...this.r.stats };
  }
}

const ZERO_STATS = {
  fragments: 0,
  reassembled: 0,
  duplicates: 0,
  droppedTimeout: 0,
  droppedOverlap: 0,
  droppedCapacity: 0,
  droppedOversize: 0,
  droppedIncomplete: 0,
};

/** Every permutation of `items`. */
function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

describe('IPv4 reassembly: golden fragments', () => {
  // "GRE!" + 12 bytes, cut after 8 bytes: offset field 1 (× 8) in the second fragment.
  const first = hex(`
    45 00 00 1c   # version 4, IHL 5 | TOS | total length 28 (20 + 8)
    ab cd 20 00   # id 0xabcd | MF, fragment offset 0
    40 2f 00 00   # TTL 64 | protocol 47 GRE | checksum (set below)
    0a 00 00 01   # source 10.0.0.1
    0a 00 00 02   # destination 10.0.0.2
    20 00 65 58 00 00 00 05   # data 0..7: GRE header, key 5
  `);
  const second = hex(`
    45 00 00 22   # total length 34 (20 + 14)
    ab cd 00 01   # id 0xabcd | no MF, fragment offset 1 = byte 8
    40 2f 00 00   # TTL 64 | GRE | checksum (set below)
    0a 00 00 01   # source 10.0.0.1
    0a 00 00 02   # destination 10.0.0.2
    01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e   # data 8..21
  `);
  for (const b of [first, second]) b.writeUInt16BE(checksum(b.subarray(0, 20)), 10);
  const payload = Buffer.concat([first.subarray(20), second.subarray(20)]);

  it('in order: held, then complete with header fields and the joined payload', () => {
    const h = new Harness();
    assert.equal(h.push(first), null);
    assert.equal(h.r.inProgress, 1);
    assert.deepEqual(h.push(second), payload);
    assert.deepEqual(
      { src: h.out.src, dst: h.out.dst, protocol: h.out.protocol, id: h.out.id },
      { src: 0x0a000001, dst: 0x0a000002, protocol: 47, id: 0xabcd },
    );
    assert.equal(h.r.inProgress, 0);
    assert.deepEqual(h.stats(), { ...ZERO_STATS, fragments: 2, reassembled: 1 });
  });

  it('reversed: the last fragment first', () => {
    const h = new Harness();
    assert.equal(h.push(second), null);
    assert.deepEqual(h.push(first), payload);
  });
});

describe('IPv4 reassembly: unfragmented packets', () => {
  it('pass through as a view of the input, no copy', () => {
    const pkt = ipPacket({ offset: 0, more: false, data: pattern(100) });
    const h = new Harness();
    const v = new IPv4View();
    decodeIPv4(pkt, 0, pkt.length, v);
    assert.equal(h.r.push(v, pkt, 0, pkt.length, 0, h.out), true);
    assert.equal(h.out.payload.buffer, pkt.buffer);
    assert.equal(h.out.payload.byteOffset, pkt.byteOffset + 20);
    assert.equal(h.out.payload.length, 100);
    assert.deepEqual(h.stats(), ZERO_STATS);
  });

  it('Total Length cuts off link-layer padding', () => {
    const pkt = Buffer.concat([ipPacket({ offset: 0, more: false, data: Buffer.from('abcd') }), Buffer.alloc(6)]);
    assert.deepEqual(new Harness().push(pkt), Buffer.from('abcd'));
  });

  it('Total Length 0 (TSO capture): the payload runs to the end', () => {
    const pkt = ipPacket({ offset: 0, more: false, data: Buffer.from('abcdef') });
    pkt.writeUInt16BE(0, 2);
    assert.deepEqual(new Harness().push(pkt), Buffer.from('abcdef'));
  });

  it('header at an offset inside a frame', () => {
    const pkt = Buffer.concat([Buffer.alloc(14, 0xee), ipPacket({ offset: 0, more: false, data: Buffer.from('xyz') })]);
    const h = new Harness();
    const v = new IPv4View();
    assert.ok(decodeIPv4(pkt, 14, pkt.length, v));
    assert.equal(h.r.push(v, pkt, 14, pkt.length, 0, h.out), true);
    assert.equal(h.out.payload.toString(), 'xyz');
  });
});

describe('IPv4 reassembly: order', () => {
  const payload = pattern(3000, 7);
  const cuts = [1480, 2960];

  it('in order, three fragments', () => {
    const h = new Harness();
    assert.deepEqual(h.pushAll(fragments(payload, cuts)), [payload]);
    assert.deepEqual(h.stats(), { ...ZERO_STATS, fragments: 3, reassembled: 1 });
  });

  it('reversed', () => {
    const h = new Harness();
    assert.deepEqual(h.pushAll(fragments(payload, cuts).reverse()), [payload]);
  });

  it('every order of four fragments, and the payload buffer is the datagram alone', () => {
    const frags = fragments(payload, [800, 1600, 2400]);
    for (const order of permutations([0, 1, 2, 3])) {
      const h = new Harness();
      const got = order.map((i) => h.push(frags[i]!));
      assert.deepEqual(got.slice(0, 3), [null, null, null], `order ${order}`);
      assert.deepEqual(got[3], payload, `order ${order}`);
      assert.equal(h.out.payload.length, 3000);
    }
  });

  it('two datagrams interleaved, told apart by id, source and protocol', () => {
    const a = fragments(payload, cuts, { id: 1 });
    const b = fragments(pattern(2000, 8), [1000], { id: 2 });
    const c = fragments(pattern(2000, 9), [1000], { id: 1, src: 0x0a000009 });
    const d = fragments(pattern(2000, 10), [1000], { id: 1, protocol: 17 });
    const h = new Harness();
    const got = h.pushAll([a[2]!, b[1]!, c[0]!, d[1]!, a[0]!, b[0]!, c[1]!, d[0]!, a[1]!]);
    assert.deepEqual(got, [pattern(2000, 8), pattern(2000, 9), pattern(2000, 10), payload]);
  });
});

describe('IPv4 reassembly: overlap and duplicates', () => {
  const payload = pattern(48, 3);

  it('an exact duplicate is ignored and counted', () => {
    const f = fragments(payload, [16, 32]);
    const h = new Harness();
    assert.deepEqual(h.pushAll([f[0]!, f[0]!, f[1]!, f[2]!]), [payload]);
    assert.deepEqual(h.stats(), { ...ZERO_STATS, fragments: 4, reassembled: 1, duplicates: 1 });
  });

  it('a duplicate last fragment before the rest still completes', () => {
    const f = fragments(payload, [16]);
    const h = new Harness();
    assert.deepEqual(h.pushAll([f[1]!, f[1]!, f[0]!]), [payload]);
  });

  it('consistent partial overlaps (same bytes) are merged', () => {
    const h = new Harness();
    const got = h.pushAll([
      ipPacket({ offset: 8, more: true, data: payload.subarray(8, 32) }),
      ipPacket({ offset: 0, more: true, data: payload.subarray(0, 16) }),
      ipPacket({ offset: 24, more: false, data: payload.subarray(24) }),
    ]);
    assert.deepEqual(got, [payload]);
    assert.equal(h.r.stats.duplicates, 0);
  });

  it('a fragment inside data already held, same bytes: a duplicate', () => {
    const h = new Harness();
    h.push(ipPacket({ offset: 0, more: true, data: payload.subarray(0, 32) }));
    assert.equal(h.push(ipPacket({ offset: 8, more: true, data: payload.subarray(8, 16) })), null);
    assert.equal(h.r.stats.duplicates, 1);
    assert.deepEqual(h.push(ipPacket({ offset: 32, more: false, data: payload.subarray(32) })), payload);
  });

  it('inconsistent overlap drops the datagram (RFC 5722): later fragments start over and time out', () => {
    const f = fragments(payload, [16, 32]);
    const forged = Buffer.from(payload.subarray(8, 24));
    forged[3] ^= 0xff;
    const h = new Harness({ timeoutSec: 30 });
    assert.equal(h.push(f[0]!), null);
    assert.equal(h.push(ipPacket({ offset: 8, more: true, data: forged })), null);
    assert.equal(h.r.stats.droppedOverlap, 1);
    assert.equal(h.r.inProgress, 0);
    assert.equal(h.push(f[1]!, 1), null);
    assert.equal(h.push(f[2]!, 2), null);
    assert.deepEqual(h.push(ipPacket({ id: 9, offset: 0, more: false, data: Buffer.from('x') }), 40), Buffer.from('x'));
    assert.equal(h.r.stats.droppedTimeout, 1);
    assert.equal(h.r.stats.reassembled, 0);
  });

  it('an overlap that differs only in its last byte is caught', () => {
    const h = new Harness();
    h.push(ipPacket({ offset: 0, more: true, data: payload.subarray(0, 16) }));
    const forged = Buffer.from(payload.subarray(0, 16));
    forged[15] ^= 1;
    assert.equal(h.push(ipPacket({ offset: 0, more: true, data: forged })), null);
    assert.equal(h.r.stats.droppedOverlap, 1);
  });

  it('two last fragments with different ends', () => {
    const h = new Harness();
    h.push(ipPacket({ offset: 16, more: false, data: payload.subarray(16, 32) }));
    assert.equal(h.push(ipPacket({ offset: 32, more: false, data: payload.subarray(32) })), null);
    assert.equal(h.r.stats.droppedOverlap, 1);
  });

  it('data beyond the end already known', () => {
    const h = new Harness();
    h.push(ipPacket({ offset: 16, more: false, data: payload.subarray(16, 24) }));
    assert.equal(h.push(ipPacket({ offset: 16, more: true, data: payload.subarray(16, 32) })), null);
    assert.equal(h.r.stats.droppedOverlap, 1);
  });

  it('a last fragment ending before data already held', () => {
    const h = new Harness();
    h.push(ipPacket({ offset: 24, more: true, data: payload.subarray(24, 40) }));
    assert.equal(h.push(ipPacket({ offset: 8, more: false, data: payload.subarray(8, 16) })), null);
    assert.equal(h.r.stats.droppedOverlap, 1);
  });
});

describe('IPv4 reassembly: bounded memory', () => {
  const payload = pattern(64, 4);
  const f = fragments(payload, [32]);

  it('a datagram not complete within the timeout (capture time) is dropped', () => {
    const h = new Harness({ timeoutSec: 30 });
    assert.equal(h.push(f[0]!, 100), null);
    assert.equal(h.push(f[1]!, 130.5), null);
    assert.equal(h.r.stats.droppedTimeout, 1);
    // The late fragment started a new attempt.
    assert.equal(h.r.inProgress, 1);
  });

  it('completes just inside the timeout', () => {
    const h = new Harness({ timeoutSec: 30 });
    assert.equal(h.push(f[0]!, 100), null);
    assert.deepEqual(h.push(f[1]!, 129.999), payload);
  });

  it('any packet, unfragmented too, advances the clock that expires datagrams', () => {
    const h = new Harness({ timeoutSec: 1 });
    h.push(f[0]!, 0);
    h.push(fragments(payload, [32], { id: 2 })[0]!, 0.5);
    h.push(ipPacket({ id: 3, offset: 0, more: false, data: payload }), 1.2);
    assert.deepEqual([h.r.stats.droppedTimeout, h.r.inProgress], [1, 1]);
    h.push(ipPacket({ id: 3, offset: 0, more: false, data: payload }), 2);
    assert.deepEqual([h.r.stats.droppedTimeout, h.r.inProgress], [2, 0]);
  });

  it('capacity: a new datagram evicts the oldest', () => {
    const h = new Harness({ maxDatagrams: 2 });
    const d = [1, 2, 3].map((id) => fragments(pattern(64, id), [32], { id }));
    for (const x of d) assert.equal(h.push(x[0]!), null);
    assert.deepEqual([h.r.stats.droppedCapacity, h.r.inProgress], [1, 2]);
    assert.deepEqual(h.push(d[2]![1]!), pattern(64, 3));
    assert.deepEqual(h.push(d[1]![1]!), pattern(64, 2));
    // Datagram 1 was evicted: its last fragment starts over.
    assert.equal(h.push(d[0]![1]!), null);
    assert.equal(h.r.stats.reassembled, 2);
  });

  it('finish() counts what is left as incomplete', () => {
    const h = new Harness();
    h.push(f[0]!);
    h.push(fragments(payload, [32], { id: 5 })[1]!);
    h.r.finish();
    assert.deepEqual([h.r.stats.droppedIncomplete, h.r.inProgress], [2, 0]);
  });
});

describe('IPv4 reassembly: size limits', () => {
  it('a 65535-byte datagram (20-byte header + 65515) in 1480-byte fragments, shuffled', () => {
    const payload = pattern(IPV4_MAX_DATAGRAM - 20, 11);
    const cuts: number[] = [];
    for (let o = 1480; o < payload.length; o += 1480) cuts.push(o);
    const frags = fragments(payload, cuts);
    const rnd = seededRandom(5);
    for (let i = frags.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [frags[i], frags[j]] = [frags[j]!, frags[i]!];
    }
    const h = new Harness();
    const got = h.pushAll(frags);
    assert.equal(got.length, 1);
    assert.ok(got[0]!.equals(payload));
    assert.equal(h.r.stats.fragments, cuts.length + 1);
  });

  it('a fragment reaching past 65535 bytes drops the datagram', () => {
    const h = new Harness();
    h.push(ipPacket({ offset: 0, more: true, data: Buffer.alloc(8) }));
    assert.equal(h.push(ipPacket({ offset: 65512, more: false, data: Buffer.alloc(8) })), null);
    assert.deepEqual([h.r.stats.droppedOversize, h.r.inProgress], [1, 0]);
  });

  it('65515 bytes of payload behind a first header with options is 65539 bytes: dropped', () => {
    const payload = pattern(IPV4_MAX_DATAGRAM - 20, 12);
    const h = new Harness();
    assert.equal(h.push(ipPacket({ offset: 0, more: true, data: payload.subarray(0, 32768), options: 4 })), null);
    assert.equal(h.push(ipPacket({ offset: 32768, more: false, data: payload.subarray(32768) })), null);
    assert.equal(h.r.stats.droppedOversize, 1);
  });
});

describe('IPv4 reassembly: typed errors', () => {
  it('Total Length past the captured bytes: TruncatedError', () => {
    const pkt = ipPacket({ offset: 0, more: true, data: Buffer.alloc(16) });
    assert.throws(() => new Harness().push(pkt, 0, 30), TruncatedError);
  });

  it('Total Length below the header: CorruptError', () => {
    const pkt = ipPacket({ offset: 8, more: false, data: Buffer.alloc(16) });
    pkt.writeUInt16BE(12, 2);
    assert.throws(() => new Harness().push(pkt), CorruptError);
  });

  it('a fragment before the last whose length is not a multiple of 8: CorruptError', () => {
    assert.throws(() => new Harness().push(ipPacket({ offset: 0, more: true, data: Buffer.alloc(12) })), CorruptError);
  });

  it('a fragment without data: CorruptError', () => {
    assert.throws(() => new Harness().push(ipPacket({ offset: 8, more: false, data: Buffer.alloc(0) })), CorruptError);
  });

  it('a view that does not match the bytes: CorruptError, not RangeError', () => {
    const pkt = ipPacket({ offset: 0, more: false, data: Buffer.alloc(4) });
    const v = new IPv4View();
    v.l4Offset = 400;
    assert.throws(() => new IPv4Reassembler().push(v, pkt, 0, pkt.length, 0, new IPv4Datagram()), CorruptError);
  });
});

describe('IPv4 reassembly: fuzz', () => {
  it('2500 random fragment streams: clean ones reassemble exactly, damaged ones give only typed errors', () => {
    const rnd = seededRandom(0x5eed);
    const int = (n: number): number => Math.floor(rnd() * n);
    let clean = 0;
    let typedErrors = 0;
    for (let stream = 0; stream < 2500; stream++) {
      const size = rnd() < 0.05 ? 1 + int(65515) : 1 + int(4000);
      const payload = pattern(size, stream + 100);
      const cuts: number[] = [];
      for (let o = 8 * (1 + int(200)); o < size; o += 8 * (1 + int(200))) cuts.push(o);
      let pkts = fragments(payload, cuts, { id: int(65536) });
      for (let i = pkts.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [pkts[i], pkts[j]] = [pkts[j]!, pkts[i]!];
      }
      // A repeated unfragmented packet is a second datagram, not a duplicate.
      if (pkts.length > 1 && rnd() < 0.3) pkts = pkts.flatMap((p) => (rnd() < 0.3 ? [p, p] : [p]));
      const damaged = rnd() < 0.5;
      if (damaged) {
        pkts = pkts.map((p) => {
          const q = Buffer.from(p);
          const kind = int(5);
          if (kind === 0) q[int(Math.min(q.length, 24))] = int(256);
          else if (kind === 1) q.writeUInt16BE(int(65536), 6);
          else if (kind === 2) q.writeUInt16BE(int(65536), 2);
          else if (kind === 3 && q.length > 1) return q.subarray(0, int(q.length));
          else q[int(q.length)] ^= 1 + int(255);
          return q;
        });
        for (let k = int(4); k > 0; k--) pkts.splice(int(pkts.length + 1), 0, pattern(int(80), stream * 7 + k));
      }
      const h = new Harness({ maxDatagrams: 1 + int(4), timeoutSec: 1 + int(5) });
      const v = new IPv4View();
      const completed: Buffer[] = [];
      pkts.forEach((p, i) => {
        if (!decodeIPv4(p, 0, p.length, v)) return;
        try {
          if (h.r.push(v, p, 0, p.length, damaged ? i * rnd() : 0, h.out)) completed.push(Buffer.from(h.out.payload));
        } catch (e) {
          assert.ok(isDecodeError(e), `stream ${stream}: ${(e as Error)?.stack}`);
          typedErrors++;
        }
      });
      for (const c of completed) assert.ok(c.length <= IPV4_MAX_DATAGRAM - 20, `stream ${stream}`);
      if (!damaged) {
        clean++;
        assert.equal(completed.length, 1, `stream ${stream}`);
        assert.ok(completed[0]!.equals(payload), `stream ${stream}`);
      }
    }
    assert.ok(clean > 1000 && typedErrors > 100, `${clean} clean streams, ${typedErrors} typed errors`);
  });
});

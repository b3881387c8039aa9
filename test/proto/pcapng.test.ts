import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CorruptError, TruncatedError, isDecodeError } from '../../lib/errors.js';
import { PacketBatch } from '../../lib/packet.js';
import { PcapngDecoder, type PcapngInterface } from '../../lib/proto/pcapng.js';
import { buildPcapng, seededRandom } from '../helpers/capture-files.js';
import { hex } from '../helpers/hex.js';
import { packetsOf, type TestPacket } from '../helpers/packets.js';

/** Two sections in opposite byte orders, hand-assembled. */
const GOLDEN_PCAPNG = hex(`
  # --- section 1, little-endian ---
  0a0d0d0a  # SHB
  1c000000  # total length 28
  4d3c2b1a  # byte-order magic 0x1A2B3C4D, LE
  0100 0000 # version 1.0
  ffffffffffffffff # section length unknown (-1)
  1c000000  # total length again
  01000000  # IDB
  20000000  # total length 32
  0100 0000 # linktype 1, reserved
  ffff0000  # snaplen 65535
  0900 0100 # option if_tsresol, length 1
  09000000  # 9: 10^-9, padded
  0000 0000 # opt_endofopt
  20000000  # total length again
  06000000  # EPB
  28000000  # total length 40
  00000000  # interface 0
  85573416  # timestamp high 0x16345785
  15cdfbdf  # timestamp low 0xdffbcd15: 1600000000123456789 ns
  05000000  # captured length 5
  3c000000  # original length 60
  deadbeef 01000000 # data, padded to 8
  28000000  # total length again
  ad0b0000  # unknown block type 0xBAD
  10000000  # total length 16
  01020304  # body
  10000000  # total length again
  # --- section 2, big-endian: interfaces start again ---
  0a0d0d0a  # SHB
  0000001c  # total length 28
  1a2b3c4d  # byte-order magic, BE
  0001 0000 # version 1.0
  ffffffffffffffff # section length -1
  0000001c  # total length again
  00000001  # IDB
  00000020  # total length 32
  0071 0000 # linktype 113, reserved
  00000004  # snaplen 4
  0009 0001 # option if_tsresol, length 1
  94000000  # 0x80|20: 2^-20
  0000 0000 # opt_endofopt
  00000020  # total length again
  00000006  # EPB
  00000024  # total length 36
  00000000  # interface 0
  00000000  # timestamp high
  00580001  # timestamp low 5*2^20 + 2^19 + 1 units: 5.500000953674... s
  00000004  # captured length 4
  00000064  # original length 100
  0a0b0c0d  # data
  00000024  # total length again
  00000003  # SPB
  00000018  # total length 24
  00000006  # original length 6
  112233445566 0000 # data, padded to 8
  00000018  # total length again`);

interface Seen {
  tsSec: number;
  tsNsec: number;
  caplen: number;
  wirelen: number;
  data: string;
  linktype: number;
}
const seen = (p: TestPacket): Seen => ({
  tsSec: p.tsSec,
  tsNsec: p.tsNsec,
  caplen: p.caplen,
  wirelen: p.wirelen,
  data: p.data.subarray(0, p.caplen).toString('hex'),
  linktype: p.linktype,
});

/** Decodes every block of `file`; returns the packets (as a batch and as objects) and the interfaces announced. */
function decodeAll(file: Buffer): { packets: TestPacket[]; batch: PacketBatch; ifaces: PcapngInterface[] } {
  const ifaces: PcapngInterface[] = [];
  const dec = new PcapngDecoder((i) => ifaces.push(i));
  const batch = new PacketBatch(1);
  for (let off = 0; off < file.length; off += dec.blockLength(file, off)) {
    const before = batch.length;
    const i = dec.decodeBlock(file, off, batch);
    // A packet block adds one packet and returns its index; any other block adds none and returns -1.
    assert.equal(batch.length, i >= 0 ? before + 1 : before);
    if (i >= 0) assert.equal(i, before);
    else assert.equal(i, -1);
  }
  return { packets: packetsOf(batch), batch, ifaces };
}

describe('PcapngDecoder', () => {
  it('decodes the golden two-section file', () => {
    const { packets, ifaces } = decodeAll(GOLDEN_PCAPNG);
    assert.deepEqual(packets.map(seen), [
      { tsSec: 1600000000, tsNsec: 123456789, caplen: 5, wirelen: 60, data: 'deadbeef01', linktype: 1 },
      // 2^-20 s units: 2^19 + 1 units is 500000953.67... ns, truncated.
      { tsSec: 5, tsNsec: 500000953, caplen: 4, wirelen: 100, data: '0a0b0c0d', linktype: 113 },
      // SPB: no timestamp; captured = min(original 6, block data 8, snaplen 4).
      { tsSec: 0, tsNsec: 0, caplen: 4, wirelen: 6, data: '11223344', linktype: 113 },
    ]);
    assert.deepEqual(ifaces, [
      { linktype: 1, snaplen: 65535, unitsPerSec: 1_000_000_000n },
      { linktype: 113, snaplen: 4, unitsPerSec: 1n << 20n },
    ]);
  });

  it('gives zero-copy views of the block data', () => {
    const { batch } = decodeAll(GOLDEN_PCAPNG);
    assert.equal(batch.data[0], GOLDEN_PCAPNG);
    assert.equal(batch.offset[0], 28 + 32 + 28);
  });

  it('matches what buildPcapng writes', () => {
    const built = buildPcapng([
      { type: 'shb' },
      { type: 'idb', linktype: 1, snaplen: 65535, tsresol: 9 },
      { type: 'epb', ts: 1600000000123456789n, data: hex('deadbeef01'), wirelen: 60 },
      { type: 'other', blockType: 0xbad, body: hex('01020304') },
      { type: 'shb', littleEndian: false },
      { type: 'idb', linktype: 113, snaplen: 4, tsresol: 0x94 },
      { type: 'epb', ts: 0x580001n, data: hex('0a0b0c0d'), wirelen: 100 },
      { type: 'spb', data: hex('112233445566') },
    ]);
    assert.equal(built.toString('hex'), GOLDEN_PCAPNG.toString('hex'));
  });

  it('converts timestamps exactly for 10^-n and truncates finer ones', () => {
    const cases: [number | undefined, bigint, number, number][] = [
      [undefined, 1_500_000_000_654_321n, 1500000000, 654321000], // default 10^-6
      [3, 1_500_000_000_007n, 1500000000, 7000000],
      [0, 42n, 42, 0],
      [9, 999_999_999n, 0, 999999999],
      [12, 1000_123456789_999n, 1000, 123456789], // picoseconds: truncated
      [0x80, 7n, 7, 0], // 2^0
      [0x81, 3n, 1, 500000000], // 2^-1
    ];
    for (const [tsresol, ts, sec, nsec] of cases) {
      const file = buildPcapng([{ type: 'shb' }, { type: 'idb', tsresol }, { type: 'epb', ts, data: hex('00') }]);
      const [p] = decodeAll(file).packets;
      assert.deepEqual([p!.tsSec, p!.tsNsec], [sec, nsec], `tsresol ${tsresol} ts ${ts}`);
    }
  });

  it('keeps interfaces per section: a new section forgets the old ones', () => {
    const file = buildPcapng([
      { type: 'shb' },
      { type: 'idb' },
      { type: 'idb', linktype: 113 },
      { type: 'epb', iface: 1, ts: 0n, data: hex('01') },
      { type: 'shb', littleEndian: false },
      { type: 'idb' },
      { type: 'epb', iface: 1, ts: 0n, data: hex('02') },
    ]);
    assert.throws(() => decodeAll(file), (e: unknown) => e instanceof CorruptError && /undeclared interface 1/.test(e.message));
    assert.equal(decodeAll(file.subarray(0, file.length - 36)).packets[0]!.linktype, 113);
  });

  it('gives an SPB the full data when the interface snaplen is 0', () => {
    const file = buildPcapng([{ type: 'shb' }, { type: 'idb', snaplen: 0 }, { type: 'spb', data: hex('0102030405') }]);
    assert.equal(seen(decodeAll(file).packets[0]!).data, '0102030405');
  });

  it('reads a captured length above the original one, as libpcap does, raising the wire length to it', () => {
    const file = buildPcapng([
      { type: 'shb' },
      { type: 'idb' },
      { type: 'epb', ts: 1n, data: hex('0102030405060708'), wirelen: 7 },
      { type: 'epb', ts: 2n, data: hex('0a0b'), wirelen: 60 },
    ]);
    assert.deepEqual(
      decodeAll(file).packets.map((p) => [p.caplen, p.wirelen, p.data.toString('hex')]),
      [
        [8, 8, '0102030405060708'],
        [2, 60, '0a0b'],
      ],
    );
  });

  describe('rejects damage with CorruptError at the block offset', () => {
    const good = (): Buffer =>
      buildPcapng([{ type: 'shb' }, { type: 'idb' }, { type: 'epb', ts: 1n, data: hex('0102030405060708'), wirelen: 8 }]);
    const EPB = 28 + 20; // offset of the EPB in good()
    const cases: [string, (b: Buffer) => void, RegExp, number][] = [
      ['length not a multiple of 4', (b) => b.writeUInt32LE(42, EPB + 4), /not a multiple of 4/, EPB],
      ['length below 12', (b) => b.writeUInt32LE(8, EPB + 4), /at least 12/, EPB],
      ['trailing length differs', (b) => b.writeUInt32LE(44, b.length - 4), /trailing block length 44 differs from 40/, EPB],
      ['captured length beyond the block', (b) => b.writeUInt32LE(9, EPB + 20), /captured length 9 exceeds its block/, EPB],
      ['bad byte-order magic', (b) => b.writeUInt32LE(0x11223344, 8), /byte-order magic 0x44332211/, 0],
      ['unsupported version', (b) => b.writeUInt16LE(2, 12), /major version 2/, 0],
      ['packet on an undeclared interface', (b) => b.writeUInt32LE(1, EPB + 8), /undeclared interface 1/, EPB],
    ];
    for (const [name, damage, msg, offset] of cases) {
      it(name, () => {
        const b = good();
        damage(b);
        assert.throws(() => decodeAll(b), (e: unknown) => e instanceof CorruptError && msg.test(e.message) && e.offset === offset);
      });
    }

    it('an option overrunning its block', () => {
      const b = buildPcapng([{ type: 'shb' }, { type: 'idb', tsresol: 6 }]);
      b.writeUInt16LE(0x7fff, 28 + 16 + 2); // length of the IDB's first option
      assert.throws(() => decodeAll(b), (e: unknown) => e instanceof CorruptError && /option 9 overruns/.test(e.message) && e.offset === 28);
    });
    it('a block before the first section header', () => {
      const b = good().subarray(28);
      assert.throws(() => new PcapngDecoder().decodeBlock(b, 0, new PacketBatch()), (e: unknown) => e instanceof CorruptError && /before the first section/.test(e.message));
    });
    it('an over-long block length', () => {
      const b = good();
      b.writeUInt32LE(0x7ffffff0, EPB + 4);
      assert.throws(() => decodeAll(b), (e: unknown) => e instanceof CorruptError && /exceeds 16777216/.test(e.message));
    });
  });

  it('reports a short block as TruncatedError with absolute offset', () => {
    const dec = new PcapngDecoder();
    assert.throws(
      () => dec.blockLength(GOLDEN_PCAPNG.subarray(0, 11), 0, 1000),
      (e: unknown) => e instanceof TruncatedError && e.offset === 1000 && e.needed === 12 && e.available === 11,
    );
    assert.throws(
      () => dec.decodeBlock(GOLDEN_PCAPNG.subarray(0, 27), 0, new PacketBatch()),
      (e: unknown) => e instanceof TruncatedError && e.needed === 28 && e.available === 27,
    );
  });

  it('fuzz: random and mutated blocks throw only typed errors', () => {
    const rnd = seededRandom(7);
    const byte = (): number => Math.floor(rnd() * 256);
    const run = (b: Buffer): void => {
      const dec = new PcapngDecoder();
      const out = new PacketBatch(1);
      try {
        for (let off = 0; off < b.length; off += dec.blockLength(b, off)) {
          const p = dec.decodeBlock(b, off, out);
          if (p >= 0) {
            assert.ok(out.data[p]!.length >= out.offset[p]! + out.caplen[p]! && out.caplen[p]! <= out.wirelen[p]!);
            assert.ok(out.tsNsec[p]! >= 0 && out.tsNsec[p]! < 1e9 && Number.isInteger(out.tsNsec[p]));
          }
        }
      } catch (e) {
        assert.ok(isDecodeError(e), `unexpected ${String(e)}`);
      }
    };
    for (let i = 0; i < 2000; i++) {
      // Random blocks after a valid SHB, so more than the first check is reached.
      const body = Buffer.alloc(Math.floor(rnd() * 200));
      for (let j = 0; j < body.length; j++) body[j] = byte();
      run(Buffer.concat([GOLDEN_PCAPNG.subarray(0, 28), body]));
    }
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(GOLDEN_PCAPNG);
      const flips = 1 + Math.floor(rnd() * 6);
      for (let j = 0; j < flips; j++) b[Math.floor(rnd() * b.length)] = byte();
      run(rnd() < 0.2 ? b.subarray(0, Math.floor(rnd() * b.length)) : b);
    }
  });
});

/**
 * Builders for capture files in tests, a reader that checks dump files with
 * our own decoder, and the seeded PRNG the fuzz tests share.
 */
import { readFile } from 'node:fs/promises';
import { CaptureFileDecoder } from '../../lib/proto/capture-file-decoder.js';
import { PacketBatch } from '../../lib/packet.js';
import { packetsOf } from './packets.js';
import { MAGIC_NSEC, MAGIC_USEC, decodeFileHeader, type PcapFileHeader } from '../../lib/proto/pcap.js';
import { BLOCK_EPB, BLOCK_IDB, BLOCK_SHB, BLOCK_SPB, BYTE_ORDER_MAGIC } from '../../lib/proto/pcapng.js';

export const FIXTURES = new URL('../../../fixtures/', import.meta.url);

export interface PcapRecordSpec {
  tsSec: number;
  /** µs or ns, per the file's magic. */
  tsFrac: number;
  data: Buffer;
  /** Defaults to data.length. */
  wirelen?: number;
}

/** A classic pcap file (version 2.4); defaults: µs, little-endian, snaplen 65535, Ethernet. */
export function buildPcap(
  opts: { nanos?: boolean; littleEndian?: boolean; snaplen?: number; linktype?: number },
  records: PcapRecordSpec[],
): Buffer {
  const le = opts.littleEndian ?? true;
  const parts: Buffer[] = [];
  const words = (...values: number[]): Buffer => {
    const b = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => (le ? b.writeUInt32LE(v, i * 4) : b.writeUInt32BE(v, i * 4)));
    return b;
  };
  const header = words(opts.nanos ? MAGIC_NSEC : MAGIC_USEC, 0, 0, 0, opts.snaplen ?? 65535, opts.linktype ?? 1);
  if (le) header.writeUInt32LE(0x00040002, 4);
  else header.writeUInt32BE(0x00020004, 4);
  parts.push(header);
  for (const r of records) parts.push(words(r.tsSec, r.tsFrac, r.data.length, r.wirelen ?? r.data.length), r.data);
  return Buffer.concat(parts);
}

export type PcapngBlockSpec =
  /** Starts a section; the blocks after it use its byte order (default little-endian). */
  | { type: 'shb'; littleEndian?: boolean }
  /** tsresol: the raw if_tsresol byte; omitted: no option (10^-6). */
  | { type: 'idb'; linktype?: number; snaplen?: number; tsresol?: number }
  | { type: 'epb'; iface?: number; ts: bigint; data: Buffer; wirelen?: number }
  | { type: 'spb'; data: Buffer; wirelen?: number }
  | { type: 'other'; blockType: number; body: Buffer };

/** A pcapng file made of the given blocks, in order. */
export function buildPcapng(blocks: PcapngBlockSpec[]): Buffer {
  let le = true;
  const parts: Buffer[] = [];
  const u16 = (v: number): Buffer => {
    const b = Buffer.alloc(2);
    if (le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  };
  const u32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    if (le) b.writeUInt32LE(v);
    else b.writeUInt32BE(v);
    return b;
  };
  const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const block = (type: number, body: Buffer[]): void => {
    const padded = pad(Buffer.concat(body));
    const total = 12 + padded.length;
    parts.push(u32(type), u32(total), padded, u32(total));
  };
  for (const b of blocks) {
    switch (b.type) {
      case 'shb':
        le = b.littleEndian ?? true;
        block(BLOCK_SHB, [u32(BYTE_ORDER_MAGIC), u16(1), u16(0), Buffer.alloc(8, 0xff)]);
        break;
      case 'idb': {
        const opts = b.tsresol === undefined ? [] : [u16(9), u16(1), pad(Buffer.from([b.tsresol])), u32(0)];
        block(BLOCK_IDB, [u16(b.linktype ?? 1), u16(0), u32(b.snaplen ?? 65535), ...opts]);
        break;
      }
      case 'epb':
        block(BLOCK_EPB, [
          u32(b.iface ?? 0),
          u32(Number(b.ts >> 32n)),
          u32(Number(b.ts & 0xffffffffn)),
          u32(b.data.length),
          u32(b.wirelen ?? b.data.length),
          b.data,
        ]);
        break;
      case 'spb':
        block(BLOCK_SPB, [u32(b.wirelen ?? b.data.length), b.data]);
        break;
      case 'other':
        block(b.blockType, [b.body]);
        break;
    }
  }
  return Buffer.concat(parts);
}

export interface PcapFileRecord {
  tsSec: number;
  tsFrac: number;
  caplen: number;
  wirelen: number;
  /** Exactly the caplen captured bytes. */
  data: Buffer;
}

/** Reads a classic pcap file (e.g. a dump the agent wrote); throws on any damage. */
export async function readPcapFile(path: string): Promise<{ header: PcapFileHeader; records: PcapFileRecord[] }> {
  const bytes = await readFile(path);
  const header = decodeFileHeader(bytes);
  const batch = new PacketBatch();
  const decoder = new CaptureFileDecoder();
  decoder.push(bytes, batch);
  decoder.finish();
  const records = packetsOf(batch).map((p) => ({
    tsSec: p.tsSec,
    tsFrac: header.nanos ? p.tsNsec : p.tsNsec / 1000,
    caplen: p.caplen,
    wirelen: p.wirelen,
    data: p.data.subarray(0, p.caplen),
  }));
  return { header, records };
}

/** Deterministic PRNG (mulberry32): floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

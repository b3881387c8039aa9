/**
 * The micro-benchmark workloads, one definition each, shared by the printed
 * table (test/bench/micro.ts) and the CI regression check
 * (test/bench/micro-check.test.ts, lib/micro-check.ts).
 *
 * Inputs are synthetic and deterministic: 60-byte UDP/IPv4 frames over 1024
 * flows like make-pcaps.py's small-64B-1M.pcap, except for the one case that
 * decodes fixtures/xml.pcap (1200 real frames, 60-1514 bytes).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LINKTYPE_ETHERNET, PacketBatch, type Batch } from '../../../lib/packet.js';
import { readCaptureBatch } from '../../../lib/proto/capture-batch.js';
import { CaptureFileDecoder } from '../../../lib/proto/capture-file-decoder.js';
import { PcapRecordEncoder } from '../../../lib/proto/pcap.js';
import { vxlanCheck } from '../../../lib/proto/vxlan.js';
import { ZmqBatchBuilder } from '../../../lib/proto/zmq-batch.js';
import { makeDirectionStage, parseDirExpression } from '../../../lib/stages/direction.js';
import { sliceBatch } from '../../../lib/stages/slice.js';
import { makeThrottleStage } from '../../../lib/stages/throttle.js';
import { vlanDecodeBatch } from '../../../lib/stages/vlan.js';
import { captureBatchLayout, writeCaptureBatch } from '../../helpers/capture-batch.js';
import { gre, MAX_DATAGRAM, specOf, vxlan } from '../../helpers/encap.js';
import { packet } from '../../helpers/packets.js';
import { loadAddon } from '../../../lib/native/addon.js';

export interface Case {
  /** Short stable key (micro-baseline.json, --only). */
  id: string;
  /** What the printed table and the JSON rows of micro.ts call it. */
  name: string;
  /** Packets one call of `run` handles. */
  packets: number;
  run: () => void;
}

const FIXTURES = fileURLToPath(new URL('../../../../fixtures/', import.meta.url));
const FILE_CHUNK = 1 << 20; // what FileSource reads per chunk
const TS_SEC = 1_700_000_000;

/** Something every case feeds, so that no work can be optimised away. */
let sink = 0;

/** What the cases fed into the sink; reading it keeps their results observable. */
export function sinkValue(): number {
  return sink;
}

// ---------- synthetic traffic, like make-pcaps.py small_frames ----------

function ipChecksum(b: Buffer, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[off + i]! << 8) | b[off + i + 1]!;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}

/** One 60-byte Ethernet/IPv4/UDP frame of flow `flow` (10.250.100.x:10000+ -> 10.250.101.y:9999). */
function smallFrame(flow: number): Buffer {
  const f = Buffer.alloc(60);
  Buffer.from('020000000102020000000101', 'hex').copy(f, 0);
  f.writeUInt16BE(0x0800, 12);
  const ip = 14;
  f[ip] = 0x45;
  f.writeUInt16BE(46, ip + 2);
  f.writeUInt16BE(flow & 0xffff, ip + 4);
  f.writeUInt16BE(0x4000, ip + 6);
  f[ip + 8] = 64;
  f[ip + 9] = 17;
  f.set([10, 250, 100, 1 + (flow % 250)], ip + 12);
  f.set([10, 250, 101, 1 + (Math.floor(flow / 250) % 250)], ip + 16);
  f.writeUInt16BE(ipChecksum(f, ip, 20), ip + 10);
  const udp = ip + 20;
  f.writeUInt16BE(10000 + (flow % 50000), udp);
  f.writeUInt16BE(9999, udp + 2);
  f.writeUInt16BE(26, udp + 4);
  for (let i = udp + 8; i < 60; i++) f[i] = (flow * 7 + i) & 0xff;
  return f;
}

const FLOWS = 1024;
let pool: Buffer[] | null = null;

function frameOfFlow(i: number): Buffer {
  pool ??= Array.from({ length: FLOWS }, (_, f) => smallFrame(f));
  return pool[i % FLOWS]!;
}

/** A classic LE µs pcap of `n` small frames, 1 µs apart. */
function smallPcap(n: number): Buffer {
  const b = Buffer.alloc(24 + n * (16 + 60));
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(65535, 16);
  b.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  let off = 24;
  for (let i = 0; i < n; i++) {
    b.writeUInt32LE(TS_SEC + Math.floor(i / 1e6), off);
    b.writeUInt32LE(i % 1e6, off + 4);
    b.writeUInt32LE(60, off + 8);
    b.writeUInt32LE(60, off + 12);
    frameOfFlow(i).copy(b, off + 16);
    off += 76;
  }
  return b;
}

/** A batch of n small frames as the decoder makes them: columns over one buffer of pcap records. */
function smallBatch(n: number): Batch {
  const batch = new PacketBatch(n);
  new CaptureFileDecoder().push(smallPcap(n), batch);
  return batch;
}

function chunks(file: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < file.length; off += size) out.push(file.subarray(off, Math.min(off + size, file.length)));
  return out;
}

// ---------- the cases ----------

function decoderCase(id: string, name: string, file: Buffer, expected: number): Case {
  const parts = chunks(file, FILE_CHUNK);
  return {
    id,
    name,
    packets: expected,
    run: () => {
      const d = new CaptureFileDecoder();
      const out = new PacketBatch(expected);
      for (const c of parts) d.push(c, out);
      d.finish();
      if (out.length !== expected) throw new Error(`${name}: decoded ${out.length} packets, expected ${expected}`);
      sink += out.caplen[out.length - 1]!;
    },
  };
}

/** Every micro-benchmark case, batches of `n` packets (the decoders take whole inputs). */
export function microCases(n: number): Case[] {
  const list: Case[] = [];

  const xml = readFileSync(`${FIXTURES}xml.pcap`);
  list.push(decoderCase('decode-xml', `CaptureFileDecoder xml.pcap (1200 frames, 1 MiB chunks)`, xml, 1200));
  const SMALL_FILE_PACKETS = 65536;
  list.push(
    decoderCase(
      'decode-small64',
      `CaptureFileDecoder small-64B (${SMALL_FILE_PACKETS} frames, 1 MiB chunks)`,
      smallPcap(SMALL_FILE_PACKETS),
      SMALL_FILE_PACKETS,
    ),
  );
  {
    // As LiveSource.readBatch: one wake-up's batch buffer into a batch given back (recycle) and reused.
    const layout = captureBatchLayout(n * 128, n);
    const buffer = writeCaptureBatch(layout, Array.from({ length: n }, (_, i) => packet(TS_SEC, i * 1000, 60, 60, frameOfFlow(i))));
    const batch = new PacketBatch(n);
    list.push({
      id: 'decode-live',
      name: `readCaptureBatch into a recycled batch (batch ${n})`,
      packets: n,
      run: () => {
        batch.truncate(0);
        readCaptureBatch(buffer, layout, batch, LINKTYPE_ETHERNET);
        sink += batch.caplen[n - 1]!;
      },
    });
  }

  {
    const batch = smallBatch(n);
    // µs records from a µs source: runs copied as they lie (dump of a capture file or of live capture).
    const enc = new PcapRecordEncoder(false);
    list.push({ id: 'pcap-encode', name: `PcapRecordEncoder.encode, records as they lie (batch ${n})`, packets: n, run: () => (sink += enc.encode(batch).length) });
    // ns records from a µs source: every header written, every frame copied on its own.
    const nsEnc = new PcapRecordEncoder(true);
    list.push({ id: 'pcap-encode-headers', name: `PcapRecordEncoder.encode, headers written (batch ${n})`, packets: n, run: () => (sink += nsEnc.encode(batch).length) });
  }
  {
    const batch = smallBatch(n);
    list.push({ id: 'vlan-decode', name: `vlanDecodeBatch (batch ${n})`, packets: n, run: () => { vlanDecodeBatch(batch); sink += batch.l3Offset[0]!; } });
  }
  {
    // Every frame goes to one of these 5 hosts on port 9999: nothing is dropped, so the batch stays whole.
    const batch = smallBatch(n);
    vlanDecodeBatch(batch);
    const hosts = [1, 2, 3, 4, 5].map((h) => `host_10.250.101.${h}`).join('_or_');
    const dir = makeDirectionStage(parseDirExpression(`${hosts}_and_port_9999`, () => undefined)).fn;
    list.push({
      id: 'direction-expr',
      name: `makeDirectionFn expr, 5 hosts + port (batch ${n})`,
      packets: n,
      run: () => {
        dir(batch);
        if (batch.length !== n) throw new Error('direction stage dropped frames');
        sink += batch.direction[0]!;
      },
    });
  }
  {
    const batch = smallBatch(n);
    list.push({ id: 'slice', name: `sliceBatch 40 B (batch ${n})`, packets: n, run: () => { sliceBatch(batch, 40); sink += batch.caplen[0]!; } });
  }
  {
    // 10 Tbit/s: every frame fits, so this is the admit path (the common one) at full cost.
    const batch = smallBatch(n);
    const { fn: throttle, counters } = makeThrottleStage(1e7, 'gre');
    list.push({
      id: 'throttle',
      name: `Throttle (makeThrottleFn gre, admit path, batch ${n})`,
      packets: n,
      run: () => {
        throttle(batch);
        if (batch.length !== n) throw new Error('throttle dropped frames');
        sink += counters.dropped;
      },
    });
  }
  {
    // As DatagramSink fills a chunk: one encapAppend call for the batch (one run of frames in one buffer).
    const batch = smallBatch(n);
    const out = Buffer.allocUnsafe((1 << 20) + MAX_DATAGRAM);
    const lengths = new Uint32Array(1024);
    const state = new Float64Array(2);
    const { encapAppend } = loadAddon();
    const encode = (spec: Uint32Array): void => {
      state[0] = 0;
      state[1] = 0;
      if (encapAppend(out, lengths, state, spec, batch.data[0]!, batch.offset, batch.caplen, batch.direction, batch.tsSec, batch.tsNsec, 0, batch.length) !== batch.length) {
        throw new Error('encapAppend: the chunk is full');
      }
      sink += lengths[batch.length - 1]!;
    };
    const greSpec = specOf(gre(0xffffffff));
    const vxlanSpec = specOf(vxlan(1, 1234));
    list.push({ id: 'gre-encode', name: `GRE encode: encapAppend (addon), as GreSink (batch ${n})`, packets: n, run: () => encode(greSpec) });
    list.push({ id: 'vxlan-encode', name: `VXLAN encode: encapAppend v1 (addon), as VxlanSink (batch ${n})`, packets: n, run: () => encode(vxlanSpec) });
  }
  {
    // A receiver's check of each datagram (vxlandump --vni with version 1).
    const batch = smallBatch(n);
    const frames = Array.from({ length: batch.length }, (_, i) => batch.frame(i));
    const header = Buffer.from('0800000000000c00', 'hex');
    list.push({
      id: 'vxlan-v1-check',
      name: `vxlanCheck, a receiver's v1 check byte (batch ${n})`,
      packets: n,
      run: () => {
        for (let i = 0; i < frames.length; i++) sink += vxlanCheck(header, frames[i]!, frames[i]!.length);
      },
    });
  }
  {
    // The sink's loop (zmq-sink.ts appendBatch) without the socket: finish() whenever the 1 MiB message is full.
    const batch = smallBatch(n);
    const b = new ZmqBatchBuilder(1, Buffer.alloc(16), loadAddon().zmqAppend);
    list.push({
      id: 'zmq-build',
      name: `ZmqBatchBuilder.add+finish (addon), 1 MiB messages (batch ${n})`,
      packets: n,
      run: () => {
        let i = 0;
        while ((i = b.add(batch, i)) < batch.length) sink += b.finish().length;
        if (b.tooShort + b.notIp > 0) throw new Error('zmq: frame refused');
      },
    });
  }
  return list;
}

/**
 * The yardstick of the CI check (lib/micro-check.ts): plain JS of the same
 * character as the hot paths but using none of packet-agent's code — for
 * each of `n` 60-byte frames, DataView reads of a few header fields and of
 * the 17 little-endian words a VXLAN check sums, a 16-byte record header
 * written through a DataView, and the frame copied byte by byte. Its
 * ns/packet moves with the machine (CPU, clock, load, node version), not
 * with the code under test.
 */
export function referenceCase(n: number): Case {
  const FRAME = 60;
  const src = new Uint8Array(n * FRAME);
  for (let i = 0; i < n; i++) src.set(frameOfFlow(i), i * FRAME);
  const dst = new Uint8Array(n * (16 + FRAME));
  const sv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  return {
    id: 'reference',
    name: `reference: plain-JS DataView reads + byte copy (batch ${n})`,
    packets: n,
    run: () => {
      let acc = 0;
      let o = 0;
      for (let p = 0; p < n; p++) {
        const s = p * FRAME;
        let sum = sv.getUint16(s + 12) + sv.getUint16(s + 16);
        for (let i = 0; i < 34; i += 2) sum += sv.getUint16(s + i, true);
        dv.setUint32(o, TS_SEC, true);
        dv.setUint32(o + 4, p, true);
        dv.setUint32(o + 8, FRAME, true);
        dv.setUint32(o + 12, FRAME, true);
        o += 16;
        for (let i = 0; i < FRAME; i++) dst[o + i] = src[s + i]!;
        o += FRAME;
        acc = (acc + sum) | 0;
      }
      sink += acc + dst[o - 1]!;
    },
  };
}

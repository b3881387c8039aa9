import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CorruptError, TruncatedError } from '../../lib/errors.js';
import { capacityFor, type Batch } from '../../lib/packet.js';
import { packetsOf, type TestPacket } from '../helpers/packets.js';
import { FileSource, READ_CHUNK, readCapacity } from '../../lib/sources/file-source.js';
import { FIXTURES, buildPcap, readPcapFile } from '../helpers/capture-files.js';

const fixture = (name: string): string => fileURLToPath(new URL(name, FIXTURES));
const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Reads the source to its end and waits until it is closed; `onBatch` may act on the source after each batch. */
async function drain(src: FileSource, onBatch?: (b: Batch) => void): Promise<Batch[]> {
  const batches: Batch[] = [];
  for await (const b of src) {
    batches.push(b as Batch);
    onBatch?.(b as Batch);
  }
  if (!src.closed) await once(src, 'close');
  return batches;
}
const flat = (batches: Batch[]): TestPacket[] => batches.flatMap(packetsOf);

/** A source opened as a channel opens it. */
async function opened(...args: ConstructorParameters<typeof FileSource>): Promise<FileSource> {
  const src = new FileSource(...args);
  await src.open();
  return src;
}

/** `n` minimal 60-byte frames as a pcap file. */
const tinyPackets = (n: number): Buffer =>
  buildPcap({}, Array.from({ length: n }, (_, i) => ({ tsSec: i, tsFrac: 0, data: Buffer.alloc(60, i) })));

/** Packet `i` of tinyPackets is at second `i` and filled with `i`: throws at the first that is not. */
function assertTiny(packets: TestPacket[], from = 0): void {
  packets.forEach((p, k) => {
    const i = from + k;
    if (p.tsSec !== i || p.caplen !== 60 || !p.data.equals(Buffer.alloc(60, i))) assert.fail(`packet ${i}: ${JSON.stringify({ ts: p.tsSec, caplen: p.caplen, byte: p.data[0] })}`);
  });
}

/** The read buffer a batch's packets lie in (a record the read before cut is carried into it: all of them). */
function readBufferOf(b: Batch): ArrayBufferLike {
  const buffer = b.data[0]!.buffer;
  for (let i = 1; i < b.length; i++) if (b.data[i]!.buffer !== buffer) assert.fail(`packet ${i} of a batch lies in another buffer`);
  return buffer;
}

describe('FileSource', () => {
  let dir = '';
  /** About 10 MiB of tiny packets: ten reads of ~14 000 packets each. */
  let big = '';
  const BIG_PACKETS = 140_000;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'file-source-'));
    big = path.join(dir, 'big.pcap');
    await writeFile(big, tinyPackets(BIG_PACKETS));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads xml.pcap whole, counting packets and bytes', async () => {
    const src = await opened({ path: fixture('xml.pcap') });
    const { counters } = src;
    const batches = await drain(src);
    const packets = flat(batches);
    const { records } = await readPcapFile(fixture('xml.pcap'));
    assert.equal(packets.length, 1200);
    assert.ok(batches.every((b) => b.length > 0));
    assert.equal(counters.captured, 1200);
    assert.equal(counters.capturedBytes, records.reduce((n, r) => n + r.caplen, 0));
    packets.forEach((p, i) => assert.ok(p.data.subarray(0, p.caplen).equals(records[i]!.data), `packet ${i}`));
    assert.deepEqual([src.name, src.failure], ['xml', null]);
    // Every batch carries the file header's format, one object for them all, and generation 0.
    assert.deepEqual(batches[0]!.format, { nanos: false, snaplen: 65535 });
    assert.ok(batches.every((b) => b.format === batches[0]!.format && b.generation === 0));
  });

  it('emits one batch per read: the packets of a read together, a record cut by the read in the next batch', async () => {
    const one = path.join(dir, 'tiny.pcap');
    await writeFile(one, tinyPackets(3000));
    // 24 + 3000 x 76 bytes: one read.
    assert.deepEqual((await drain(await opened({ path: one }))).map((b) => b.length), [3000]);
    const three = path.join(dir, 'tiny3.pcap');
    const total = Math.floor((2.5 * READ_CHUNK) / 76);
    await writeFile(three, tinyPackets(total));
    // The first read holds the header, whole records and the start of the next one; that start begins
    // the second read's buffer, which then holds whole records only (all but a part of the one after).
    const first = Math.floor((READ_CHUNK - 24) / 76);
    const second = Math.floor(READ_CHUNK / 76);
    const batches = await drain(await opened({ path: three }));
    assert.deepEqual(batches.map((b) => b.length), [first, second, total - first - second]);
    assertTiny(flat(batches));
    // Each read's records lie back to back from the start of its buffer, as a dump writes them.
    for (const b of batches) {
      assert.equal(new Set(b.data).size, 1);
      for (let i = 0; i < b.length; i++) assert.equal(b.offset[i], (b === batches[0] ? 24 : 0) + 16 + 76 * i);
    }
  });

  for (const count of [5, 1100, 5000]) {
    it(`count ${count} emits exactly min(count, 1200) packets`, async () => {
      const src = await opened({ path: fixture('xml.pcap'), count });
      const packets = flat(await drain(src));
      assert.equal(packets.length, Math.min(count, 1200));
      assert.equal(src.counters.captured, packets.length);
      assert.equal(packets.at(-1)!.tsSec, (await readPcapFile(fixture('xml.pcap'))).records[packets.length - 1]!.tsSec);
    });
  }

  it('cuts packets to the snaplen option and stamps it on the batches', async () => {
    const src = await opened({ path: fixture('http_sample.pcap'), snaplen: 64 });
    const { counters } = src;
    const batches = await drain(src);
    const packets = flat(batches);
    const { records } = await readPcapFile(fixture('http_sample.pcap'));
    assert.equal(packets.length, 913);
    assert.ok(packets.every((p, i) => p.caplen === Math.min(64, records[i]!.caplen) && p.wirelen === records[i]!.wirelen));
    assert.equal(counters.capturedBytes, records.reduce((n, r) => n + Math.min(64, r.caplen), 0));
    assert.ok(batches.every((b) => b.format.snaplen === 64));
  });

  it('stamps the file snaplen on the batches', async () => {
    const src = await opened({ path: fixture('http_sample.pcap') });
    const batches = await drain(src);
    assert.ok(batches.length > 0 && batches.every((b) => b.format.snaplen === 1518 && !b.format.nanos));
    assert.equal(src.name, 'http_sample');
  });

  it('reads stdin for "-"', async () => {
    const run = async (input: Buffer): Promise<{ packets: number; captured: number; name: string; failure: string | null }> => {
      const mod = (p: string): string => JSON.stringify(new URL(p, import.meta.url).href);
      const script = `
        import { FileSource } from ${mod('../../lib/sources/file-source.js')};
        const src = new FileSource({ path: '-' });
        await src.open();
        let packets = 0;
        for await (const b of src) packets += b.length;
        process.stdout.write(JSON.stringify({ packets, captured: src.counters.captured, name: src.name, failure: src.failure && src.failure.message }));`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
      child.stdin.end(input);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const [code] = await once(child, 'close');
      assert.equal(code, 0);
      return JSON.parse(out);
    };
    const bytes = readFileSync(fixture('sample.pcap'));
    assert.deepEqual(await run(bytes), { packets: 8, captured: 8, name: 'stdin', failure: null });
    const cut = await run(bytes.subarray(0, bytes.length - 1));
    assert.equal(cut.packets, 7);
    assert.match(cut.failure!, /^stdin: truncated pcap record at byte offset \d+: need \d+ bytes, have \d+$/);
  });

  it('a missing file or a directory: open() refuses it in words, nothing is left open', async () => {
    const baseline = openFds();
    const missing = path.join(dir, 'missing.pcap');
    for (const [file, reason] of [[missing, 'no such file or directory'], [dir, 'is a directory']] as const) {
      const src = new FileSource({ path: file });
      await assert.rejects(src.open(), { name: 'UserError', message: `cannot read capture file ${file}: ${reason}` });
      src.destroy();
      await once(src, 'close');
    }
    assert.equal(openFds(), baseline);
  });

  it('a truncated file emits the complete packets, then fails with the offset', async () => {
    const bytes = readFileSync(fixture('sample.pcap'));
    const { records } = await readPcapFile(fixture('sample.pcap'));
    // Start of record 5: the header and five records before it.
    const cutAt = 24 + records.slice(0, 5).reduce((n, r) => n + 16 + r.caplen, 0);
    const file = path.join(dir, 'cut.pcap');
    await writeFile(file, bytes.subarray(0, cutAt + 10));
    const src = await opened({ path: file });
    const { counters } = src;
    assert.equal(flat(await drain(src)).length, 5);
    assert.equal(counters.captured, 5);
    assert.equal(src.failure?.message, `${file}: truncated pcap record header at byte offset ${cutAt}: need 16 bytes, have 10`);
    const cause = src.failure?.cause;
    assert.ok(cause instanceof TruncatedError && cause.offset === cutAt);
  });

  it('a corrupt record emits the packets before it, then fails', async () => {
    const bytes = Buffer.from(readFileSync(fixture('sample.pcap')));
    const { records } = await readPcapFile(fixture('sample.pcap'));
    const bad = 24 + records.slice(0, 2).reduce((n, r) => n + 16 + r.caplen, 0);
    bytes.writeUInt32LE(0xffffffff, bad + 8);
    const file = path.join(dir, 'corrupt.pcap');
    await writeFile(file, bytes);
    const src = await opened({ path: file });
    assert.equal(flat(await drain(src)).length, 2);
    assert.ok(src.failure?.message.startsWith(`${file}: pcap record captured length 4294967295`));
    assert.ok(src.failure?.cause instanceof CorruptError && src.failure.cause.offset === bad);
  });

  it('stop() ends the stream after what was read', async () => {
    const src = await opened({ path: fixture('xml.pcap') });
    let ended = false;
    src.on('end', () => (ended = true));
    const batches = await drain(src, () => src.stop());
    // xml.pcap is 1.5 MB: its first read (1 MiB) is one batch of fewer than its 1200 packets.
    assert.equal(batches.length, 1);
    assert.ok(batches[0]!.length > 0 && batches[0]!.length < 1200);
    assert.ok(ended);
    assert.equal(src.failure, null);
  });

  it('stop() from a synchronous data handler ends before the next batch', async () => {
    const file = path.join(dir, 'tiny-stop.pcap');
    await writeFile(file, tinyPackets(Math.floor((3 * READ_CHUNK) / 76)));
    const src = await opened({ path: file });
    const { counters } = src;
    // The header and the whole records of the first read.
    const first = Math.floor((READ_CHUNK - 24) / 76);
    const sizes: number[] = [];
    src.on('data', (b: Batch) => {
      sizes.push(b.length);
      src.stop();
    });
    const errors: Error[] = [];
    src.on('error', (e) => errors.push(e));
    await once(src, 'close');
    assert.deepEqual(sizes, [first]);
    assert.deepEqual(errors, []);
    assert.equal(counters.captured, first);
  });

  // Reads of `big` stop after the first (backpressure), so the file is still open when we end the source.
  it('closes the file when destroyed, when counted out and after stop()', { timeout: 10_000 }, async () => {
    const baseline = openFds();
    const src = await opened({ path: big });
    await once(src, 'readable');
    assert.equal(openFds(), baseline + 1);
    src.destroy();
    await once(src, 'close');
    assert.equal(openFds(), baseline);

    for (const ending of [{ count: 1 }, { stop: true }]) {
      const s = await opened({ path: big, count: ending.count });
      const batches = await drain(s, () => ending.stop && s.stop());
      assert.ok(batches.length > 0);
      assert.equal(openFds(), baseline, JSON.stringify(ending));
    }
  });

  it('stops reading while the consumer does not keep up', async () => {
    const src = await opened({ path: big });
    const { counters } = src;
    src.read(0);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(counters.captured > 0 && counters.captured < 2 * 14_000, `captured ${counters.captured} before anyone read`);
    assert.equal(flat(await drain(src)).length, BIG_PACKETS);
  });
  it('sizes a batch from the last read, not for minimal frames (an eighth more for mixed sizes)', async () => {
    assert.equal(readCapacity(0), capacityFor(READ_CHUNK));
    assert.equal(readCapacity(800), 900);
    const file = path.join(dir, 'large-frames.pcap');
    // 1000-byte frames: 258 or 259 in a read, where room for minimal frames is 3450.
    await writeFile(file, buildPcap({}, Array.from({ length: 2000 }, (_, i) => ({ tsSec: i, tsFrac: 0, data: Buffer.alloc(1000, i) }))));
    const batches = await drain(await opened({ path: file }));
    assert.equal(flat(batches).length, 2000);
    for (const [k, b] of batches.entries()) {
      const capacity = b.offset.length;
      if (k === 0) assert.equal(capacity, capacityFor(READ_CHUNK));
      else assert.ok(capacity >= b.length && capacity === readCapacity(batches[k - 1]!.length), `batch ${k}: ${b.length} packets, room for ${capacity}`);
    }
  });

  it('a consumer that never gives a batch back gets every packet right, each read in a buffer of its own', async () => {
    const batches = await drain(await opened({ path: big }));
    assertTiny(flat(batches));
    assert.equal(flat(batches).length, BIG_PACKETS);
    assert.equal(new Set(batches.map(readBufferOf)).size, batches.length);
  });

  it('reads into a batch again only once every holder is done with it, its bytes intact until then', async () => {
    const src = await opened({ path: big });
    let first: Batch | null = null;
    let firstPackets: TestPacket[] = [];
    let firstBuffer: ArrayBufferLike | null = null;
    let n = 0;
    let at = 0;
    let reusedAt = 0;
    for await (const b of src as AsyncIterable<Batch>) {
      n++;
      assertTiny(packetsOf(b), at);
      at += b.length;
      if (first === null) {
        // Two holders (two sinks, say); one is done at once.
        first = b;
        firstPackets = packetsOf(b);
        firstBuffer = readBufferOf(b);
        b.hold();
        b.hold();
        b.done();
        continue;
      }
      if (b === first) {
        reusedAt = n;
        continue;
      }
      assert.notEqual(readBufferOf(b), firstBuffer, `read ${n} in the buffer of a batch still held`);
      if (n > 5) continue;
      // Later batches go back at once and take the next reads: the first stays untouched meanwhile.
      b.hold();
      b.done();
      if (n === 5) {
        assert.deepEqual(packetsOf(first), firstPackets);
        // The last holder is done: from now on the first batch is the only one given back.
        first.done();
      }
    }
    assert.equal(at, BIG_PACKETS);
    assert.ok(reusedAt > 5, `the first batch came back for read ${reusedAt}`);
  });

  it('records cut by the reads stay right when every batch goes back at once and the next read overwrites its buffer', async () => {
    // A synchronous consumer: each batch is back in the pool before the next read begins, so one buffer takes every read.
    const src = await opened({ path: big });
    const buffers = new Set<ArrayBufferLike>();
    let at = 0;
    src.on('data', (b: Batch) => {
      assertTiny(packetsOf(b), at);
      at += b.length;
      buffers.add(readBufferOf(b));
      b.hold();
      b.done();
    });
    await once(src, 'close');
    assert.equal(at, BIG_PACKETS);
    assert.equal(src.failure, null);
    assert.equal(buffers.size, 1);
  });

  it('a record longer than a read, spread over three, stays right with its buffers reused', async () => {
    // D-Bus (link type 231) records may be far longer than a read.
    const long = Buffer.alloc(2 * READ_CHUNK + 1000);
    for (let i = 0; i < long.length; i++) long[i] = (i * 7) & 0xff;
    const file = path.join(dir, 'long-record.pcap');
    await writeFile(file, buildPcap({ linktype: 231, snaplen: 0 }, [0, 1, 2].map((i) => ({ tsSec: i, tsFrac: 0, data: i === 1 ? long : Buffer.alloc(60, i) }))));
    const src = await opened({ path: file });
    const packets: TestPacket[] = [];
    src.on('data', (b: Batch) => {
      packets.push(...packetsOf(b));
      b.hold();
      b.done();
    });
    await once(src, 'close');
    assert.equal(src.failure, null);
    assert.deepEqual(packets.map((p) => p.tsSec), [0, 1, 2]);
    assert.ok(packets[1]!.data.equals(long));
    assert.ok(packets[2]!.data.equals(Buffer.alloc(60, 2)));
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { FILE_ERROR_DROP, FileOutput, PcapOutSink, StreamOutput, type PcapOutput } from '../../lib/sinks/pcap-out-sink.js';
import { DumpWriteError } from '../../lib/sinks/dump-file.js';
import { UserError } from '../../lib/errors.js';
import type { Batch } from '../../lib/packet.js';
import { encodeFileHeader, PcapRecordEncoder } from '../../lib/proto/pcap.js';
import type { Logger } from '../../lib/log.js';
import { batchOf, packet, packetsOf, stamped, type TestPacket } from '../helpers/packets.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
/** The format of the test batches: what expectedBytes writes in the header. */
const FORMAT = { nanos: false, snaplen: 65535 };

function packets(first: number, n: number, linktype = 1): TestPacket[] {
  const out: TestPacket[] = [];
  for (let i = first; i < first + n; i++) {
    const data = Buffer.alloc(60 + (i % 5), i & 0xff);
    out.push(packet(1700000000 + i, i * 1000, data.length, data.length, data, linktype));
  }
  return out;
}

function batch(first: number, n: number, linktype = 1): Batch {
  return stamped(batchOf(packets(first, n, linktype)), FORMAT);
}

/** What a correct writer puts out for these batches: the header, then every record, in order. */
function expectedBytes(batches: Batch[]): Buffer {
  const enc = new PcapRecordEncoder(false);
  return Buffer.concat([encodeFileHeader({ nanos: false, snaplen: 65535, linktype: 1 }), ...batches.map((b) => Buffer.from(enc.encode(b)))]);
}

/** A pipe whose reader takes a chunk only when the test says so; records how many writes were ever in flight at once. */
class SlowReader extends Writable {
  readonly chunks: Buffer[] = [];
  readonly held: (() => void)[] = [];
  maxInFlight = 0;
  constructor() {
    super({ highWaterMark: 1 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    // A copy: the sink's encoder reuses its buffer, which is only safe if it waits for this callback.
    this.chunks.push(Buffer.from(chunk));
    this.held.push(() => cb());
    this.maxInFlight = Math.max(this.maxInFlight, this.held.length);
  }
  release(): boolean {
    const next = this.held.shift();
    next?.();
    return next !== undefined;
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('-w -: header first, one write in flight (backpressure), every record in order, bytes exactly the pcap file', async () => {
  const reader = new SlowReader();
  const sink = new PcapOutSink(new StreamOutput(reader), quiet, () => assert.fail('the reader never went away'));
  await sink.open();
  const batches = [batch(0, 3), batch(3, 5), batch(8, 1)];
  for (const b of batches) sink.write(b);
  sink.end();
  const done = finished(sink);
  let released = 0;
  for (;;) {
    await tick();
    if (!reader.release()) break;
    released++;
  }
  await done;
  assert.equal(reader.maxInFlight, 1);
  assert.equal(released, 1 + batches.length); // the header, then one write per batch
  assert.equal(reader.chunks[0]!.length, 24);
  assert.ok(Buffer.concat(reader.chunks).equals(expectedBytes(batches)));
  assert.equal(sink.counters.packets, 9);
  assert.equal(sink.counters.dropped.size, 0);
});

test('-w -: EPIPE mid-stream ends the output once; what was not written is counted as "standard output closed", no error', async () => {
  let writes = 0;
  const pipe = new Writable({
    write(_chunk: Buffer, _enc, cb) {
      // The header and the first batch get through; then the reader is gone.
      if (++writes <= 2) return cb();
      cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
  let closedCalls = 0;
  const sink = new PcapOutSink(new StreamOutput(pipe), quiet, () => closedCalls++);
  await sink.open();
  for (const b of [batch(0, 4), batch(4, 6), batch(10, 2), batch(12, 3)]) sink.write(b);
  sink.end();
  await finished(sink); // rejects if the sink failed
  assert.equal(closedCalls, 1);
  assert.equal(writes, 3, 'nothing is written after EPIPE');
  assert.equal(sink.counters.packets, 4);
  assert.deepEqual([...sink.counters.dropped], [['standard output closed', 6 + 2 + 3]]);
  assert.equal(sink.lostToErrors, 0, 'a reader that leaves is not a write error');
});

test('-w -: a stream already closed before the first write drops everything, counted, and says so once', async () => {
  const pipe = new Writable({ write: (_c, _e, cb) => cb() });
  let closedCalls = 0;
  const sink = new PcapOutSink(new StreamOutput(pipe), quiet, () => closedCalls++);
  await sink.open();
  pipe.destroy();
  await tick();
  sink.write(batch(0, 2));
  sink.end(batch(2, 3));
  await finished(sink);
  assert.equal(closedCalls, 1);
  assert.equal(sink.counters.packets, 0);
  assert.deepEqual([...sink.counters.dropped], [['standard output closed', 5]]);
});

test('-w -: a terminal is refused at start-up', async () => {
  const tty = Object.assign(new Writable({ write: (_c, _e, cb) => cb() }), { isTTY: true });
  await assert.rejects(new StreamOutput(tty).open(), (e: Error) => e instanceof UserError && /standard output is a terminal/.test(e.message));
});

test('frames of a second link type are counted, not written into a file of the first', async () => {
  const reader = new SlowReader();
  const sink = new PcapOutSink(new StreamOutput(reader), quiet, () => {});
  await sink.open();
  const mixed = stamped(batchOf([...packets(0, 2), ...packets(2, 1, 113), ...packets(3, 2)]), FORMAT);
  const before = packetsOf(mixed);
  sink.end(mixed);
  const done = finished(sink);
  while ((await tick(), reader.release()));
  await done;
  assert.equal(sink.counters.packets, 4);
  assert.deepEqual([...sink.counters.dropped], [['link type differs from the first frame', 1]]);
  assert.ok(Buffer.concat(reader.chunks).equals(expectedBytes([batchOf(before.filter((p) => p.linktype === 1))])));
  // The sink dropped them from a copy: other sinks of the channel see the whole batch.
  assert.deepEqual(packetsOf(mixed), before);
});

test('-w FILE write error: whole records counted as written, the rest as "file error", the next second dropped, then writing resumes', async () => {
  const appended: number[] = [];
  let fail = false;
  const output: PcapOutput = {
    name: '/x.pcap',
    open: async () => {},
    close: async () => {},
    append: async (_bytes, caplens) => {
      if (fail) {
        fail = false;
        throw new DumpWriteError(Object.assign(new Error('no space'), { code: 'ENOSPC' }), 2, 2 * 16 + caplens[0]! + caplens[1]!);
      }
      appended.push(caplens.length);
    },
  };
  const errors: string[] = [];
  const sink = new PcapOutSink(output, { ...quiet, error: (m) => errors.push(m) }, () => assert.fail('a file is not a reader that leaves'));
  await sink.open();
  const write = (b: Batch): Promise<void> => new Promise((res, rej) => sink.write(b, (e) => (e ? rej(e) : res())));
  await write(batch(0, 3));
  fail = true;
  await write(batch(3, 5));
  await write(batch(8, 4)); // within the second after the error
  assert.deepEqual(appended, [0, 3], 'the header, then the first batch');
  assert.equal(sink.counters.packets, 3 + 2);
  assert.equal(sink.lostToErrors, 3 + 4);
  assert.match(errors[0]!, /writing to \/x\.pcap failed: no space left on device/);
  // The delay is a wall-clock second; move it rather than sleep.
  (sink as unknown as { retryAt: number }).retryAt = 0;
  await write(batch(12, 2));
  assert.deepEqual(appended, [0, 3, 2]);
  assert.equal(sink.counters.packets, 3 + 2 + 2);
  assert.equal(sink.counters.dropped.get(FILE_ERROR_DROP), 7);
});

test('FileOutput: creates the file; refuses an existing file and a link (even a dangling one); removes a file left without records', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcap-out-'));
  const existing = join(dir, 'old.pcap');
  writeFileSync(existing, 'keep me');
  await assert.rejects(new FileOutput(existing).open(), (e: Error) => e instanceof UserError && e.message === `-w: ${existing} exists; not overwriting it`);
  assert.equal(readFileSync(existing, 'utf8'), 'keep me');
  const link = join(dir, 'link.pcap');
  symlinkSync(join(dir, 'target-that-does-not-exist'), link);
  await assert.rejects(new FileOutput(link).open(), (e: Error) => e instanceof UserError && e.message === `-w: refusing ${link}: it is a symbolic link`);
  assert.equal(existsSync(join(dir, 'target-that-does-not-exist')), false, 'the link was not followed');
  await assert.rejects(new FileOutput(join(dir, 'no-such-dir', 'x.pcap')).open(), /-w: cannot create .*: no such file or directory/);

  // Created at start-up; a rollback (destroy before any packet) leaves nothing behind.
  const fresh = join(dir, 'new.pcap');
  const sink = new PcapOutSink(new FileOutput(fresh), quiet, () => {});
  await sink.open();
  assert.equal(existsSync(fresh), true);
  sink.destroy();
  await finished(sink).catch(() => {});
  assert.equal(existsSync(fresh), false);
});

test('-w: the header is the first batch\'s format (nanoseconds or microseconds, its snaplen, 0 = 262144) and its first link type', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcap-out-'));
  const data = Buffer.alloc(60, 9);
  for (const [format, magic, snaplen] of [
    [{ nanos: true, snaplen: 128 }, 0xa1b23c4d, 128],
    [{ nanos: false, snaplen: 0 }, 0xa1b2c3d4, 262144],
  ] as const) {
    const path = join(dir, `${magic.toString(16)}.pcap`);
    const sink = new PcapOutSink(new FileOutput(path), quiet, () => {});
    await sink.open();
    sink.write(stamped(batchOf([packet(1700000000, 123_456_789, 60, 60, data, 113)]), format));
    // A later batch of another format changes nothing: one file has one header.
    sink.end(stamped(batchOf([packet(1700000001, 5_000, 60, 60, data, 113)]), { nanos: !format.nanos, snaplen: 7 }));
    await finished(sink);
    const bytes = readFileSync(path);
    assert.equal(bytes.length, 24 + 2 * (16 + 60));
    assert.deepEqual([bytes.readUInt32LE(0), bytes.readUInt32LE(16), bytes.readUInt32LE(20)], [magic, snaplen, 113], 'magic, snaplen, link type');
    // The records' fractions in the header's unit.
    assert.deepEqual([bytes.readUInt32LE(24 + 4), bytes.readUInt32LE(24 + 76 + 4)], format.nanos ? [123_456_789, 5_000] : [123_456, 5]);
  }
});

test('FileOutput: what the sink writes is the pcap file, byte for byte', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'pcap-out-')), 'w.pcap');
  const sink = new PcapOutSink(new FileOutput(path), quiet, () => {});
  await sink.open();
  const batches = [batch(0, 7), batch(7, 2)];
  sink.write(batches[0]);
  sink.end(batches[1]);
  await finished(sink);
  assert.ok(readFileSync(path).equals(expectedBytes(batches)));
});

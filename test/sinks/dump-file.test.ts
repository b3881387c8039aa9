import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Batch } from '../../lib/packet.js';
import { encodeFileHeader, PcapRecordEncoder } from '../../lib/proto/pcap.js';
import { DumpFile, DumpWriteError, type WritableFile } from '../../lib/sinks/dump-file.js';
import { readPcapFile } from '../helpers/capture-files.js';
import { batchOf, packet } from '../helpers/packets.js';

/** A disk of `capacity` bytes that takes at most `chunk` bytes per write, like a file system near full. */
class FakeDisk implements WritableFile {
  bytes = Buffer.alloc(0);
  writes = 0;
  closed = false;
  constructor(private readonly capacity: number, private readonly chunk = Infinity) {}
  async write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    this.writes++;
    assert.equal(position, this.bytes.length, 'writes continue at the end of what is in the file');
    const room = this.capacity - position;
    if (room <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const n = Math.min(length, room, this.chunk);
    this.bytes = Buffer.concat([this.bytes, buffer.subarray(offset, offset + n)]);
    return { bytesWritten: n };
  }
  async truncate(length: number): Promise<void> {
    this.bytes = this.bytes.subarray(0, length);
  }
  async stat(): Promise<{ nlink: number }> {
    return { nlink: 1 };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const HEADER = encodeFileHeader({ nanos: false, snaplen: 65535, linktype: 1 });
const frames = (n: number, size = 100): Batch =>
  batchOf(Array.from({ length: n }, (_, i) => packet(1700000000 + i, 0, size, size, Buffer.alloc(size, i + 1), 1)));
/** The captured lengths of the records of `batch`, as DumpFile.append takes them. */
const caplens = (batch: Batch): Uint32Array => batch.caplen.subarray(0, batch.length);

async function fileWith(disk: FakeDisk, path = join(mkdtempSync(join(tmpdir(), 'dump-file-')), 'x.pcap')): Promise<DumpFile> {
  const f = new DumpFile(path, disk);
  // The header through the same path as records: a batch of nothing but the header's bytes.
  await f.append(HEADER, new Uint32Array(0));
  return f;
}

test('short writes are completed: the file holds every record whole', async () => {
  const disk = new FakeDisk(Infinity, 7);
  const f = await fileWith(disk);
  const batch = frames(3);
  await f.append(new PcapRecordEncoder(false).encode(batch), caplens(batch));
  assert.equal(f.records, 3);
  assert.equal(disk.bytes.length, 24 + 3 * 116);
  assert.ok(disk.writes > 40, `${disk.writes} writes of at most 7 bytes`);
});

test('a full disk in the middle of a record: the file is cut back to the last whole record, and says how many got in', async () => {
  // Room for the header, one record and half of the second.
  const disk = new FakeDisk(24 + 116 + 58);
  const f = await fileWith(disk);
  const batch = frames(3);
  const err = await f.append(new PcapRecordEncoder(false).encode(batch), caplens(batch)).then(
    () => assert.fail('append should fail'),
    (e: unknown) => e as DumpWriteError,
  );
  assert.ok(err instanceof DumpWriteError);
  assert.equal(err.records, 1);
  assert.equal(err.bytes, 116);
  assert.equal((err.cause as NodeJS.ErrnoException).code, 'ENOSPC');
  assert.equal(f.records, 1);
  assert.equal(disk.bytes.length, 24 + 116, 'the torn second record is cut off');
  assert.ok(disk.bytes.subarray(24 + 16, 24 + 116).equals(batch.frame(0)));
});

test('a file that holds no record is removed when closed; one with records stays', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dump-file-'));
  const empty = await DumpFile.create(join(dir, 'empty.pcap'), HEADER);
  await empty.close();
  assert.equal(existsSync(join(dir, 'empty.pcap')), false);

  const full = await DumpFile.create(join(dir, 'full.pcap'), HEADER);
  const batch = frames(2);
  await full.append(new PcapRecordEncoder(false).encode(batch), caplens(batch));
  await full.close();
  const { records } = await readPcapFile(join(dir, 'full.pcap'));
  assert.equal(records.length, 2);
});

test('create never opens an existing file and never follows a link', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dump-file-'));
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious');
  symlinkSync(victim, join(dir, 'link.pcap'));
  await assert.rejects(DumpFile.create(join(dir, 'link.pcap'), HEADER), { code: 'EEXIST' });
  await assert.rejects(DumpFile.create(victim, HEADER), { code: 'EEXIST' });
  assert.equal(readFileSync(victim, 'utf8'), 'precious');
  assert.ok(lstatSync(join(dir, 'link.pcap')).isSymbolicLink());
});

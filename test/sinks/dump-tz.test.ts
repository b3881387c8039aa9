/**
 * Dump names carry local time (spec §6): a zone with a half-hour offset, and
 * the hour that happens twice when daylight saving time ends. Node reads TZ
 * again whenever process.env.TZ is set, so each case sets it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Logger } from '../../lib/log.js';
import type { Batch } from '../../lib/packet.js';
import { batchOf, packet } from '../helpers/packets.js';
import { defaultDumpName, DumpNames } from '../../lib/sinks/dump-name.js';
import { DumpSink } from '../../lib/sinks/dump-sink.js';
import { readPcapFile } from '../helpers/capture-files.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const zone = process.env.TZ;
after(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

test('+05:30 (Asia/Kolkata): names in local time; hour-long periods start at :30 local, on whole UTC hours', () => {
  process.env.TZ = 'Asia/Kolkata';
  // 2023-11-14 22:13:20 UTC = 2023-11-15 03:43:20 IST.
  assert.equal(new DumpNames(defaultDumpName(15), 'cap').name(1699999995, 0), join('2023111503', 'pktminerg_dump_20231115034315.pcap'));
  // The period of --interval 3600 containing it starts 22:00 UTC = 03:30 IST.
  assert.equal(new DumpNames(defaultDumpName(3600), 'cap').name(1699999200, 0), join('2023111503', 'pktminerg_dump_20231115033000.pcap'));
});

test('the hour that happens twice (Europe/Berlin, 2023-10-29): two files, both kept, in order', async () => {
  process.env.TZ = 'Europe/Berlin';
  const base = mkdtempSync(join(tmpdir(), 'dump-tz-'));
  const sink = new DumpSink({ dir: base, intervalSec: 3600, maxFiles: 0, maxBytes: 0 }, 'cap', quiet);
  sink.open();
  const frame = Buffer.alloc(60, 1);
  // 00:30 UTC is 02:30 CEST; 01:30 UTC is 02:30 CET, an hour later and the same local time.
  const batches: Batch[] = [1698539400, 1698543000].map((sec) => batchOf([packet(sec, 0, 60, 60, frame, 1)]));
  for (const b of batches) await new Promise<void>((res, rej) => sink.write(b, (e) => (e ? rej(e) : res())));
  await new Promise<void>((res) => sink.end(res));
  const hour = join(base, 'cap', '2023102902');
  assert.deepEqual(readdirSync(hour).sort(), ['pktminerg_dump_20231029020000.1.pcap', 'pktminerg_dump_20231029020000.pcap']);
  assert.equal((await readPcapFile(join(hour, 'pktminerg_dump_20231029020000.pcap'))).records[0]!.tsSec, 1698539400);
  assert.equal((await readPcapFile(join(hour, 'pktminerg_dump_20231029020000.1.pcap'))).records[0]!.tsSec, 1698543000);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Logger } from '../../lib/log.js';
import { loadAddon } from '../../lib/native/addon.js';
import { batchOf, packet } from '../helpers/packets.js';
import type { DatagramSender, DatagramSink } from '../../lib/sinks/datagram-sink.js';
import { GreSink } from '../../lib/sinks/gre-sink.js';
import type { RawSenderOptions } from '../../lib/sinks/raw-ip-sender.js';
import { VxlanSink } from '../../lib/sinks/vxlan-sink.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const IP_OUTPUT: RawSenderOptions = { bindDevice: null, pmtudisc: null, tx: 'ip' };

/** Records every datagram instead of sending it. */
class FakeSender implements DatagramSender {
  readonly datagrams: Buffer[] = [];
  closed = false;
  /** Each datagram lies after its headroom, as the addon's senders take them. */
  send(datagrams: Buffer, lengths: Uint32Array, start: number, count: number): number {
    const headroom = loadAddon().datagramHeadroom;
    let off = 0;
    for (let i = 0; i < start; i++) off += headroom + lengths[i]!;
    for (let i = start; i < count; i++) {
      off += headroom;
      this.datagrams.push(Buffer.from(datagrams.subarray(off, off + lengths[i]!)));
      off += lengths[i]!;
    }
    return count - start;
  }
  close(): void {
    this.closed = true;
  }
}

async function send(sink: DatagramSink, frames: Buffer[]): Promise<FakeSender> {
  const sender = new FakeSender();
  sink.open(sender);
  const batch = batchOf(frames.map((f, i) => packet(1700000000, i, f.length, f.length, f, 1)));
  await new Promise<void>((res, rej) => sink.write(batch, (e) => (e ? rej(e) : res())));
  await new Promise<void>((res) => sink.end(res));
  assert.ok(sender.closed);
  return sender;
}

// A GRO super-frame of a host capture: larger than any IPv4 datagram can carry.
const SUPER = Buffer.alloc(65549, 0x5a);
SUPER.writeUInt32BE(0x01020304, 0);
const SMALL = Buffer.alloc(60, 7);

test('super-frames are cut to what one IPv4 datagram carries (65 515 bytes of payload), small frames are whole', async () => {
  const cases: [string, DatagramSink, number][] = [
    ['GRE', new GreSink(['127.0.0.1'], 1, IP_OUTPUT, quiet), 8],
    ['VXLAN v1', new VxlanSink({ remotes: ['127.0.0.1'], port: 4789, vni: 1, version: 1, capTime: false }, IP_OUTPUT, quiet), 16],
    ['VXLAN v2', new VxlanSink({ remotes: ['127.0.0.1'], port: 4789, vni: 1, version: 2, capTime: false }, IP_OUTPUT, quiet), 16],
  ];
  for (const [name, sink, headers] of cases) {
    const { datagrams } = await send(sink, [SUPER, SMALL]);
    assert.equal(datagrams.length, 2, name);
    assert.equal(datagrams[0]!.length, 65515, name);
    assert.ok(datagrams[0]!.subarray(headers).equals(SUPER.subarray(0, 65515 - headers)), name);
    assert.ok(datagrams[1]!.subarray(headers).equals(SMALL), name);
    if (name.startsWith('VXLAN')) assert.equal(datagrams[0]!.readUInt16BE(4), 65515, `${name}: UDP length`);
    assert.equal(sink.counters.packets, 2, name);
    assert.equal(sink.counters.dropped.size, 0, name);
  }
});

test('VXLAN with the capture-time trailer: the frame is cut so that the trailer still fits', async () => {
  const sink = new VxlanSink({ remotes: ['127.0.0.1'], port: 4789, vni: 1, version: 1, capTime: true }, IP_OUTPUT, quiet);
  const { datagrams } = await send(sink, [SUPER]);
  const d = datagrams[0]!;
  assert.equal(d.length, 65515);
  assert.equal(d.readUInt16BE(4), 65515);
  assert.ok(d.subarray(16, 65515 - 8).equals(SUPER.subarray(0, 65515 - 24)));
  // The trailer: capture seconds, then nanoseconds (spec §5.3), big-endian.
  assert.equal(d.readUInt32BE(65515 - 8), 1700000000);
});

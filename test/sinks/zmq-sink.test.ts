/**
 * ZmqSink in-process with a fake PUSH socket and a fake TCP table: what
 * counts as delivered, dropped or unconfirmed, whatever the receiver does.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { describeSink } from '../../lib/counters.js';
import type { Logger } from '../../lib/log.js';
import type { Batch } from '../../lib/packet.js';
import { batchOf, packet } from '../helpers/packets.js';
import { NOT_DELIVERED_AT_CLOSE, UNCONFIRMED_AT_DISCONNECT, ZmqSink, type PushSocket } from '../../lib/sinks/zmq-sink.js';
import { FIXTURES, readPcapFile } from '../helpers/capture-files.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const { records } = await readPcapFile(join(FIXTURES.pathname, 'sample.pcap'));
/** sample.pcap: 8 IPv4 frames within one second, so one ZMQ batch. */
const batch = (): Batch => batchOf(records.map((r) => packet(r.tsSec, r.tsFrac * 1000, r.caplen, r.wirelen, r.data, 1)));

class FakePush implements PushSocket {
  readonly sent: Buffer[] = [];
  readonly events = new EventEmitter();
  closed = false;
  linger = -1;
  refuse: string | null = null;
  async send(message: Buffer): Promise<void> {
    if (this.refuse) throw Object.assign(new Error('refused'), { code: this.refuse });
    this.sent.push(Buffer.from(message));
  }
  connect(): void {}
  close(): void {
    this.closed = true;
  }
}

function setup(queue: () => number | undefined) {
  const socket = new FakePush();
  const sink = new ZmqSink({ remotes: ['127.0.0.1'], port: 5555, key: 1, hwm: 2, uuidFile: '/nonexistent' }, quiet, {
    makeSocket: () => socket,
    sendQueues: () => {
      const q = queue();
      return new Map(q === undefined ? [] : [['127.0.0.1:5555', q]]);
    },
  });
  sink.open();
  // Connected: the first batch does not wait for the start-up grace.
  socket.events.emit('handshake');
  return { socket, sink };
}

const write = (sink: ZmqSink, b: Batch): Promise<void> => new Promise((res, rej) => sink.write(b, (e) => (e ? rej(e) : res())));
const end = (sink: ZmqSink): Promise<void> => new Promise((res) => sink.end(res));

describe('ZmqSink delivery accounting', () => {
  it('a batch counts as delivered once the TCP connection has nothing unacknowledged', async () => {
    const { socket, sink } = setup(() => 0);
    await write(sink, batch());
    await end(sink);
    assert.equal(socket.sent.length, 1);
    assert.equal(sink.counters.packets, 8);
    assert.equal(sink.counters.dropped.size, 0);
    assert.match(describeSink(sink.counts()), /^zmq: delivered 8 packets \(127\.0\.0\.1 8 packets \d+ bytes\)$/);
    assert.ok(socket.closed);
  });

  it('a receiver that never takes its data: after the drain time the batch is dropped, not delivered, and nothing lingers', { timeout: 10_000 }, async () => {
    const { socket, sink } = setup(() => 4096);
    await write(sink, batch());
    const started = Date.now();
    await end(sink);
    assert.ok(Date.now() - started >= 2900, 'closing waits for the receiver first');
    assert.equal(sink.counters.packets, 0);
    assert.equal(sink.counters.dropped.get(NOT_DELIVERED_AT_CLOSE), 8);
    assert.equal(socket.linger, 0);
  });

  it('a connection that closes with batches in flight: they are counted as unconfirmed', async () => {
    const { socket, sink } = setup(() => undefined);
    await write(sink, batch());
    // The age timer would flush it; closing does it at once. Hang up while it is in flight.
    const ending = end(sink);
    await new Promise((r) => setTimeout(r, 20));
    socket.events.emit('disconnect');
    await ending;
    assert.equal(sink.counters.packets, 0);
    assert.equal(sink.counters.dropped.get(UNCONFIRMED_AT_DISCONNECT), 8);
  });

  it('a batch ZeroMQ refuses (queue full) is dropped and counted at once', async () => {
    const { socket, sink } = setup(() => 0);
    socket.refuse = 'EAGAIN';
    await write(sink, batch());
    await end(sink);
    assert.equal(sink.counters.dropped.get('receiver slow or absent (ZeroMQ queue full)'), 8);
    assert.equal(sink.counters.packets, 0);
  });
});

describe('ZmqSink agent UUID', () => {
  it('a missing uuid file: one warning naming it, and 16 zero bytes in the batch header', async () => {
    const warnings: string[] = [];
    const socket = new FakePush();
    const sink = new ZmqSink({ remotes: ['127.0.0.1'], port: 5555, key: 1, hwm: 2, uuidFile: '/nonexistent' }, { ...quiet, warn: (m: string) => void warnings.push(m) }, {
      makeSocket: () => socket,
      sendQueues: () => new Map([['127.0.0.1:5555', 0]]),
    });
    sink.open();
    socket.events.emit('handshake');
    await write(sink, batch());
    await write(sink, batch());
    await end(sink);
    assert.deepEqual(warnings, ['zmq: agent UUID from /nonexistent: cannot read /nonexistent: no such file or directory; sending 16 zero bytes']);
    assert.ok(socket.sent.length > 0);
    for (const message of socket.sent) assert.ok(message.subarray(8, 24).equals(Buffer.alloc(16)));
  });
});

describe('ZmqSink frames the format cannot carry', () => {
  it('a frame too short for the label and one that is not IP are each counted once per remote; the others go in one message to each', async () => {
    const sockets = [new FakePush(), new FakePush()];
    const sink = new ZmqSink({ remotes: ['127.0.0.1', '127.0.0.2'], port: 5555, key: 1, hwm: 2, uuidFile: '/nonexistent' }, quiet, {
      makeSocket: () => sockets.shift()!,
      sendQueues: () => new Map([['127.0.0.1:5555', 0], ['127.0.0.2:5555', 0]]),
    });
    const [a, b] = sockets;
    sink.open();
    a!.events.emit('handshake');
    b!.events.emit('handshake');
    const ip = records[0]!;
    const arp = Buffer.from(ip.data);
    arp.writeUInt16BE(0x0806, 12);
    const frames = batchOf([
      packet(ip.tsSec, 0, ip.caplen, ip.wirelen, ip.data, 1),
      packet(ip.tsSec, 0, 10, 10, ip.data, 1),
      packet(ip.tsSec, 0, arp.length, arp.length, arp, 1),
      packet(ip.tsSec, 0, ip.caplen, ip.wirelen, ip.data, 1),
    ]);
    await write(sink, frames);
    await write(sink, batch());
    await end(sink);
    assert.deepEqual(Object.fromEntries(sink.counters.dropped), {
      'frame too short for the MPLS label': 2,
      'not IPv4/IPv6 (the ZMQ format cannot restore its EtherType)': 2,
    });
    assert.equal(sink.counters.packets, 2 * (2 + 8), 'the carried frames, delivered to both remotes');
    for (const s of [a!, b!]) assert.deepEqual(s.sent.map((m) => m.readUInt16BE(2)), [10], 'one message of 10 records');
  });
});

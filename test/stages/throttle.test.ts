import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DIR_IN, DIR_OUT, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL } from '../../lib/packet.js';
import { accountedBytes, makeThrottleStage, Throttle, THROTTLE_DROP } from '../../lib/stages/throttle.js';
import { packedBatchOf } from '../helpers/packed-batch.js';
import { batchOf, packet, packetsOf, type TestPacket } from '../helpers/packets.js';

// The limiter never reads frame bytes: one shared buffer serves every packet.
const DATA = Buffer.alloc(65535);
const T0 = 1_529_488_755; // a capture second (sample.pcap)

function frame(caplen: number, tsSec = T0, tsNsec = 0): TestPacket {
  return packet(tsSec, tsNsec, caplen, caplen, DATA, LINKTYPE_ETHERNET);
}

function burst(n: number, caplen: number, tsSec = T0, tsNsec = 0): TestPacket[] {
  return Array.from({ length: n }, () => frame(caplen, tsSec, tsNsec));
}

/** Throttle.admit for one packet. */
function admit(t: Throttle, p: TestPacket): boolean {
  return t.admit(p.tsSec, p.tsNsec, p.caplen);
}

/** How many of `frames` the throttle admits, in order. */
function admitted(t: Throttle, frames: TestPacket[]): number {
  return frames.filter((p) => admit(t, p)).length;
}

describe('accountedBytes', () => {
  it('GRE: caplen + 8, plus 34 per started 1480-byte fragment', () => {
    assert.equal(accountedBytes('gre', 1472), 1480 + 34); // exactly one fragment
    assert.equal(accountedBytes('gre', 1473), 1481 + 2 * 34);
    assert.equal(accountedBytes('gre', 2952), 2960 + 2 * 34);
    assert.equal(accountedBytes('gre', 0), 8 + 34);
  });

  it('VXLAN: caplen + 16 (UDP + VXLAN), plus 34 per fragment', () => {
    assert.equal(accountedBytes('vxlan', 1464), 1480 + 34);
    assert.equal(accountedBytes('vxlan', 1465), 1481 + 2 * 34);
    assert.equal(accountedBytes('vxlan', 100), 116 + 34);
    assert.equal(accountedBytes('vxlan', 2965), 2981 + 3 * 34);
  });

  it('ZMQ: caplen alone', () => {
    assert.equal(accountedBytes('zmq', 1472), 1472);
    assert.equal(accountedBytes('zmq', 0), 0);
  });
});

describe('Throttle', () => {
  it('§4.2 worked example: 8 Mbit/s, GRE, 1472-byte burst: frames 0..66 pass, 67 on drop', () => {
    const t = new Throttle(8, 'gre');
    const results = burst(100, 1472).map((p) => admit(t, p));
    assert.deepEqual(results.slice(0, 67), Array(67).fill(true)); // frame 66: due - t = 66 * 1514 = 99 924
    assert.deepEqual(results.slice(67), Array(33).fill(false)); // frame 67: 67 * 1514 = 101 438 > 100 000
  });

  it('time catching up admits again; dropped frames are not accounted', () => {
    const t = new Throttle(8, 'gre');
    assert.equal(admitted(t, burst(100, 1472)), 67); // bytes = 67 * 1514 = 101 438
    // 1514 µs later: due - t = 101 438 - 1514 = 99 924, admitted (had the 33
    // drops been accounted, due - t would be ~150 000 and this would drop).
    assert.equal(admit(t, frame(1472, T0, 1_514_000)), true);
    // bytes = 68 * 1514 = 102 952: due - t = 101 438 again, dropped.
    assert.equal(admit(t, frame(1472, T0, 1_514_000)), false);
  });

  it('a 1 s idle gap restarts the window', () => {
    const t = new Throttle(8, 'gre');
    assert.equal(admitted(t, burst(100, 1472)), 67); // due = T0 + 101 438 µs
    // t = due + 1 000 001 µs: restart, the first frame starts a new window: 67 pass again.
    assert.equal(admitted(t, burst(100, 1472, T0 + 1, 101_439_000)), 67);
  });

  it('exactly 1 s behind budget is no restart: the old window keeps its credit', () => {
    const t = new Throttle(8, 'gre');
    assert.equal(admitted(t, burst(100, 1472)), 67); // due = T0 + 101 438 µs
    // t = due + 1 000 000: not restarted, budget is ~1 s ahead, so all 100 pass
    // (a restart would have admitted 67 again).
    assert.equal(admitted(t, burst(100, 1472, T0 + 1, 101_438_000)), 100);
  });

  it('80 Mbit/s: due uses floor(bytes / R) with R = 10 bytes/µs', () => {
    const t = new Throttle(80, 'gre');
    // frame k: due - t = floor(1514 k / 10); k = 660 → 99 924, k = 661 → 100 075.
    assert.equal(admitted(t, burst(700, 1472)), 661);
  });

  it('ZMQ accounts caplen: 1000-byte frames, exactly 100 000 µs ahead still passes', () => {
    const t = new Throttle(8, 'zmq');
    // frame k: due - t = 1000 k; k = 100 is not "more than" 100 000.
    assert.equal(admitted(t, burst(150, 1000)), 101);
  });

  it('VXLAN accounts caplen + 16 + 34: 984-byte frames cost 1034', () => {
    const t = new Throttle(8, 'vxlan');
    // frame k: due - t = 1034 k; k = 96 → 99 264 passes, k = 97 → 100 298 drops.
    assert.equal(admitted(t, burst(150, 984)), 97);
  });

  it('capture time is µs, nanoseconds truncated', () => {
    const t = new Throttle(8, 'zmq');
    assert.equal(admitted(t, burst(101, 1000)), 101); // due = T0 + 101 000 µs
    // 999.999 µs later counts as 999 µs: due - t = 100 001, dropped.
    assert.equal(admit(t, frame(1000, T0, 999_999)), false);
    // 1000 µs later: due - t = 100 000, admitted.
    assert.equal(admit(t, frame(1000, T0, 1_000_000)), true);
  });

  it('timestamps at or near the epoch are limited too (no "start 0 = unset" sentinel)', () => {
    assert.equal(admitted(new Throttle(8, 'gre'), burst(100, 1472, 0, 0)), 67);
    assert.equal(admitted(new Throttle(8, 'gre'), burst(100, 1472, 0, 500_000_000)), 67);
  });

  it('due is floored to whole µs', () => {
    const t = new Throttle(80, 'zmq'); // R = 10 bytes/µs
    // 15 * 65 535 + 16 980 = 1 000 005 bytes at one instant.
    assert.equal(admitted(t, [...burst(15, 65535), frame(16980)]), 16);
    // due - t = floor(100 000.5) = 100 000: not more than 100 ms, admitted.
    assert.equal(admit(t, frame(1000)), true);
    // bytes 1 001 005: due - t = 100 100, dropped.
    assert.equal(admit(t, frame(1000)), false);
  });

  it('refuses mbps <= 0', () => {
    assert.throws(() => new Throttle(0, 'gre'), RangeError);
    assert.throws(() => new Throttle(-1, 'zmq'), RangeError);
  });
});

describe('makeThrottleStage', () => {
  it('removes refused frames in place, keeps order, counts them', () => {
    const { fn, counters } = makeThrottleStage(8, 'gre');
    // Frames the throttle cannot tell apart, each in a buffer of its own with bytes of its own.
    const buffers = Array.from({ length: 100 }, (_, i) => Buffer.alloc(1472, i));
    const batch = batchOf(buffers.map((b) => packet(T0, 0, 1472, 1472, b)));
    const first67 = packetsOf(batch).slice(0, 67);
    fn(batch);
    assert.equal(batch.length, 67);
    assert.deepEqual(packetsOf(batch), first67);
    assert.ok(buffers.slice(0, 67).every((b, i) => batch.data[i] === b && batch.offset[i] === 0));
    assert.equal(counters.dropped, 33);
    assert.equal(counters.reason, THROTTLE_DROP);
  });

  it('a packet dropped between kept ones: every column of the kept packets stays with its packet', () => {
    // ZMQ at 8 Mbit/s: 1 byte per µs, a frame is refused when the budget runs more than 100 000 µs ahead.
    const { fn, counters } = makeThrottleStage(8, 'zmq');
    const ms = 1_000_000;
    const plan: Array<[tsSec: number, tsNsec: number, caplen: number, kept: boolean]> = [
      [T0, 0, 60_000, true], // starts the window: bytes 60 000
      [T0, 0, 50_000, true], // due - t = 60 000: bytes 110 000
      [T0, 0, 100, false], // due - t = 110 000
      [T0, 15 * ms, 200, true], // due - t = 95 000: bytes 110 200
      [T0, 15 * ms, 300, true], // 95 200: bytes 110 500
      [T0, 15 * ms, 6_000, true], // 95 500: bytes 116 500
      [T0, 15 * ms, 10, false], // 101 500
      [T0 + 1, 0, 10, true], // budget behind the clock
    ];
    const frames = plan.map(([sec, nsec, caplen], k) => {
      const p = packet(sec, nsec, caplen, caplen + 4 + k, Buffer.alloc(caplen, 0x10 + k), k % 2 ? LINKTYPE_LINUX_SLL : LINKTYPE_ETHERNET);
      p.direction = k % 3 === 0 ? DIR_IN : DIR_OUT;
      p.vlanOuter = 100 + k;
      p.vlanInner = 200 + k;
      p.l3Offset = 14 + k;
      p.etherType = 0x0800 + k;
      return p;
    });
    const batch = packedBatchOf(frames);
    const before = packetsOf(batch);
    const offsets = [...batch.offset.subarray(0, batch.length)];
    fn(batch);
    const keep = plan.map(([, , , kept]) => kept);
    assert.deepEqual(packetsOf(batch), before.filter((_, k) => keep[k]));
    assert.deepEqual([...batch.offset.subarray(0, batch.length)], offsets.filter((_, k) => keep[k]));
    assert.ok(batch.data.slice(0, batch.length).every((d) => d === batch.data[0]));
    assert.ok(batch.data.slice(batch.length).every((d) => d.length === 0), 'no buffer is held past the end');
    assert.equal(counters.dropped, 2);
  });

  it('keeps state across batches', () => {
    const { fn, counters } = makeThrottleStage(8, 'gre');
    const first = batchOf(burst(60, 1472));
    const second = batchOf(burst(40, 1472));
    fn(first);
    fn(second);
    assert.deepEqual([first.length, second.length, counters.dropped], [60, 7, 33]);
  });

  it('mbps <= 0 is a no-op', () => {
    for (const mbps of [0, -3]) {
      const { fn, counters } = makeThrottleStage(mbps, 'gre');
      const batch = batchOf(burst(1000, 1472));
      fn(batch);
      assert.deepEqual([batch.length, counters.dropped, counters.reason], [1000, 0, THROTTLE_DROP]);
    }
  });
});

/**
 * IPv4 fragment reassembly (RFC 791 §3.2), the overlap rule after RFC 5722.
 * Pure: no I/O; time is the capture time the caller passes in.
 *
 * The fields of the IPv4 header that fragmentation uses:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------+-------+---------------+-------------------------------+
 *  |Version|  IHL  |      TOS      |          Total Length         |
 *  +-------+-------+---------------+-+-+-+-------------------------+
 *  |        Identification         |R|D|M|  Fragment Offset (×8)   |
 *  +---------------+---------------+-+-+-+-------------------------+
 *  |      TTL      |   Protocol    |        Header Checksum        |
 *  +---------------+---------------+-------------------------------+
 *
 * Fragments of one datagram share (source, destination, protocol,
 * identification); each carries its payload at byte offset Fragment Offset
 * × 8; every fragment but the last has M (more fragments) set and a payload
 * length that is a multiple of 8.
 *
 * Policy:
 * - Fragments may arrive in any order.
 * - A fragment whose bytes repeat bytes already held is accepted (a capture
 *   on several interfaces sees the same fragment twice); one that
 *   contradicts them, or disagrees about where the datagram ends, drops the
 *   datagram (RFC 5722: an attacker's overlap must not pick the contents).
 * - At most `maxDatagrams` datagrams in progress: a new one evicts the
 *   oldest. Each is dropped `timeoutSec` of capture time after its first
 *   fragment, like Linux's ipfrag_time.
 * - A datagram longer than 65535 bytes is dropped.
 * Each drop is counted once per reassembly attempt: fragments arriving after
 * their datagram was dropped start a new attempt, which usually times out.
 */
import { CorruptError, TruncatedError } from '../errors.js';
import { IPV4_MIN_HEADER_LEN, type IPv4View } from './ipv4.js';

export const IPV4_MAX_DATAGRAM = 65535;
export const DEFAULT_MAX_DATAGRAMS = 1024;
export const DEFAULT_TIMEOUT_SEC = 30;

const FLAG_MF = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;
/** The largest payload any datagram can carry (with a header without options). */
const MAX_PAYLOAD = IPV4_MAX_DATAGRAM - IPV4_MIN_HEADER_LEN;
const EMPTY = Buffer.alloc(0);

export interface ReassemblyLimits {
  /** Datagrams in progress at once (default 1024). */
  maxDatagrams?: number;
  /** Seconds of capture time a datagram may take to complete (default 30). */
  timeoutSec?: number;
}

export class ReassemblyStats {
  /** Well-formed fragments (M set or offset > 0) taken in, whatever became of them; malformed ones throw instead. */
  fragments = 0;
  /** Datagrams completed from fragments. */
  reassembled = 0;
  /** Fragments whose every byte was already held (and equal). */
  duplicates = 0;
  /** Reassembly attempts dropped: not complete within the timeout. */
  droppedTimeout = 0;
  /** … a fragment contradicted bytes already held, or the datagram's end. */
  droppedOverlap = 0;
  /** … evicted because maxDatagrams were in progress. */
  droppedCapacity = 0;
  /** … the datagram would be longer than 65535 bytes. */
  droppedOversize = 0;
  /** … still incomplete when finish() was called. */
  droppedIncomplete = 0;
}

/** A complete datagram. The caller owns one and reuses it (STYLE 2); valid until the next push. */
export class IPv4Datagram {
  src = 0;
  dst = 0;
  protocol = 0;
  id = 0;
  /**
   * The bytes after the IP header, up to Total Length: a view of the input
   * for an unfragmented packet, a buffer of its own for a reassembled one.
   */
  payload: Buffer = EMPTY;
}

class Pending {
  /** Payload bytes; only those inside `ranges` are meaningful. */
  data: Buffer = EMPTY;
  /** Payload byte ranges held, sorted, disjoint and not touching: [start0, end0, start1, end1, …]. */
  ranges: number[] = [];
  /** Payload length, known once the fragment without M arrived; -1 before. */
  total = -1;
  /** Header length of the fragment at offset 0; 0 until it arrives. */
  headerLen = 0;

  constructor(readonly deadline: number) {}
}

export class IPv4Reassembler {
  readonly stats = new ReassemblyStats();
  private readonly maxDatagrams: number;
  private readonly timeoutSec: number;
  /** In order of creation, so the first entry is the oldest. */
  private readonly pending = new Map<string, Pending>();
  /** No entry expires before this time; lets the per-packet path skip the expiry scan. */
  private nextExpiry = Infinity;

  constructor(limits: ReassemblyLimits = {}) {
    this.maxDatagrams = Math.max(1, limits.maxDatagrams ?? DEFAULT_MAX_DATAGRAMS);
    this.timeoutSec = limits.timeoutSec ?? DEFAULT_TIMEOUT_SEC;
  }

  /** Datagrams in progress. */
  get inProgress(): number {
    return this.pending.size;
  }

  /**
   * Takes the IPv4 packet at `buf[offset .. end)`, whose header `ip` was
   * decoded by decodeIPv4 from the same bytes; `now` is its capture time in
   * seconds. Returns true with `out` filled when a datagram is complete (at
   * once for an unfragmented packet), false when a fragment was held or
   * dropped. Throws TruncatedError when Total Length runs past `end`, and
   * CorruptError for a packet no datagram can be made of.
   */
  push(ip: IPv4View, buf: Buffer, offset: number, end: number, now: number, out: IPv4Datagram): boolean {
    const headerLen = ip.l4Offset - offset;
    if (headerLen < IPV4_MIN_HEADER_LEN || end > buf.length || end - offset < headerLen) {
      throw new CorruptError(`IPv4 header of ${headerLen} bytes in a packet of ${end - offset}`, offset);
    }
    const totalLength = (buf[offset + 2] << 8) | buf[offset + 3];
    const fragField = (buf[offset + 6] << 8) | buf[offset + 7];
    const more = (fragField & FLAG_MF) !== 0;
    const fragOffset = (fragField & FRAGMENT_OFFSET_MASK) * 8;
    const id = (buf[offset + 4] << 8) | buf[offset + 5];
    const unfragmented = !more && fragOffset === 0;

    let ipEnd: number;
    // Captures of offloaded (TSO) packets carry Total Length 0; `end` bounds them instead.
    if (totalLength === 0 && unfragmented) ipEnd = end;
    else if (totalLength < headerLen) throw new CorruptError(`IPv4 total length ${totalLength} below header length ${headerLen}`, offset);
    else if (totalLength > end - offset) throw new TruncatedError('IPv4 datagram', offset, totalLength, end - offset);
    else ipEnd = offset + totalLength;

    if (now >= this.nextExpiry) this.expire(now);
    if (unfragmented) {
      out.payload = buf.subarray(ip.l4Offset, ipEnd);
    } else if (!this.addFragment(ip, id, headerLen, buf, ipEnd, fragOffset, more, now, out)) {
      return false;
    }
    out.src = ip.src;
    out.dst = ip.dst;
    out.protocol = ip.protocol;
    out.id = id;
    return true;
  }

  /** Drops every datagram in progress, counting it as incomplete: call at end of input. */
  finish(): void {
    this.stats.droppedIncomplete += this.pending.size;
    this.pending.clear();
    this.nextExpiry = Infinity;
  }

  /** Holds the fragment `buf[ip.l4Offset .. to)`; true with out.payload set when it completes its datagram. */
  private addFragment(ip: IPv4View, id: number, headerLen: number, buf: Buffer, to: number, start: number, more: boolean, now: number, out: IPv4Datagram): boolean {
    const from = ip.l4Offset;
    const len = to - from;
    if (len === 0) throw new CorruptError('IPv4 fragment without data', from);
    if (more && (len & 7) !== 0) throw new CorruptError(`IPv4 fragment of ${len} bytes (not a multiple of 8) before the last`, from);
    this.stats.fragments++;
    const stop = start + len;
    const key = `${ip.src}:${ip.dst}:${ip.protocol}:${id}`;
    let d = this.pending.get(key);
    if (stop > MAX_PAYLOAD) {
      if (d !== undefined) this.pending.delete(key);
      this.stats.droppedOversize++;
      return false;
    }
    if (d === undefined) {
      if (this.pending.size >= this.maxDatagrams) {
        this.pending.delete(this.pending.keys().next().value!);
        this.stats.droppedCapacity++;
      }
      d = new Pending(now + this.timeoutSec);
      this.pending.set(key, d);
      if (d.deadline < this.nextExpiry) this.nextExpiry = d.deadline;
    }

    const r = d.ranges;
    const held = r.length > 0 ? r[r.length - 1]! : 0;
    // Like Linux's ip_frag_queue: one end only, and nothing beyond it.
    const endConflict = more ? d.total >= 0 && stop > d.total : (d.total >= 0 && stop !== d.total) || held > stop;
    if (endConflict) return this.dropOverlap(key);
    if (!more) d.total = stop;
    if (start === 0) d.headerLen = headerLen;

    // Ranges touching [start, stop) are merged with it; those overlapping it must hold the same bytes.
    let i = 0;
    while (i < r.length && r[i + 1]! < start) i += 2;
    let j = i;
    let mergedStart = start;
    let mergedEnd = stop;
    let covered = false;
    while (j < r.length && r[j]! <= stop) {
      const a = Math.max(r[j]!, start);
      const b = Math.min(r[j + 1]!, stop);
      if (a < b && buf.compare(d.data, a, b, from + a - start, from + b - start) !== 0) return this.dropOverlap(key);
      if (r[j]! <= start && r[j + 1]! >= stop) covered = true;
      if (r[j]! < mergedStart) mergedStart = r[j]!;
      if (r[j + 1]! > mergedEnd) mergedEnd = r[j + 1]!;
      j += 2;
    }
    if (covered) {
      this.stats.duplicates++;
    } else {
      if (d.data.length < stop) d.data = grow(d.data, held, stop);
      buf.copy(d.data, start, from, to);
      r.splice(i, j - i, mergedStart, mergedEnd);
    }

    if (d.total < 0 || r.length !== 2 || r[0] !== 0 || r[1] !== d.total) return false;
    this.pending.delete(key);
    if (d.headerLen + d.total > IPV4_MAX_DATAGRAM) {
      this.stats.droppedOversize++;
      return false;
    }
    this.stats.reassembled++;
    out.payload = d.data.subarray(0, d.total);
    return true;
  }

  private dropOverlap(key: string): false {
    this.pending.delete(key);
    this.stats.droppedOverlap++;
    return false;
  }

  /**
   * Drops datagrams whose deadline has passed. Scans from the oldest and
   * stops at the first one still alive: with capture times going backwards
   * (merged files) a later entry may outlive its deadline until then.
   */
  private expire(now: number): void {
    this.nextExpiry = Infinity;
    for (const [key, d] of this.pending) {
      if (d.deadline > now) {
        this.nextExpiry = d.deadline;
        return;
      }
      this.pending.delete(key);
      this.stats.droppedTimeout++;
    }
  }
}

/** A buffer of at least `need` bytes (doubling, at most MAX_PAYLOAD) holding the first `used` bytes of `data`. */
function grow(data: Buffer, used: number, need: number): Buffer {
  // Unzeroed is safe: only bytes inside the ranges held are ever read or handed out.
  const b = Buffer.allocUnsafe(Math.min(MAX_PAYLOAD, Math.max(need, data.length * 2)));
  data.copy(b, 0, 0, used);
  return b;
}

/**
 * The ZeroMQ batch message (spec §5.4): many frames per message, each with
 * an MPLS entry inserted that carries direction and service tag. All
 * integers big-endian.
 *
 * Version 2 (cloud-probe):
 *
 *   0       2       4               8                               24
 *   +-------+-------+---------------+-------------------------------+-----------
 *   |version| count | keybit        | agent UUID (16 bytes)         | records...
 *   +-------+-------+---------------+-------------------------------+-----------
 *
 *   record:
 *   0       2               6               10              14              18
 *   +-------+---------------+---------------+---------------+---------------+-----
 *   |   N   | seconds       | microseconds  | caplen + 4    | wirelen + 4   | data (N bytes)
 *   +-------+---------------+---------------+---------------+---------------+-----
 *
 *   data, untagged frame:  MACs(12) | 88 47 | MPLS entry | frame[14..]
 *   data, 802.1Q frame:    MACs(12) | 81 00 | TCI | 88 47 | MPLS entry | frame[18..]
 *
 * N is caplen + 4, caplen first capped at 65531 so that N fits its 16 bits
 * (the reference's cap); the caplen field is not capped. Seconds and
 * microseconds are the capture time, nanoseconds floored.
 *
 * A message is sent before a record would break one of the rules:
 *   1. at most 65 535 records (the count field);
 *   2. its records span at most two capture seconds: none more than 1 s
 *      after the first record's second;
 *   3. at most 1 MiB (ZMQ_MAX_BATCH_BYTES), header included.
 *
 * Version 1 (legacy packet-agent 0.3.6, the only one recvzmq.py reads): an
 * 8-byte header (version, count, keybit) and records with the same 18-byte
 * layout carrying the original caplen and wire length, N = min(caplen, 65535),
 * and the unmodified frame. The spec says only "16-byte header with the
 * original caplen/len"; the field order and widths are those recvzmq.py
 * unpacks (`>HIIII`: N, seconds, microseconds, caplen, wire length).
 */
import { CorruptError, TruncatedError } from '../errors.js';
import type { PacketIoAddon } from '../native/addon.js';
import type { PacketBatch } from '../packet.js';
import { ETHERNET_HEADER_LEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN, VLAN_TAG_LEN } from './ethernet.js';
import { ETHERTYPE_MPLS, MPLS_ENTRY_LEN, mplsBottomOfStack, mplsEntry } from './mpls.js';

export const ZMQ_BATCH_VERSION = 2;
export const ZMQ_BATCH_VERSION_LEGACY = 1;
export const ZMQ_BATCH_HEADER_LEN = 24;
export const ZMQ_LEGACY_BATCH_HEADER_LEN = 8;
export const ZMQ_RECORD_HEADER_LEN = 18;
export const ZMQ_MAX_BATCH_BYTES = 1048576;
/** The count field is 16 bits. */
export const ZMQ_MAX_RECORDS = 65535;
export const UUID_LEN = 16;

const ETHERTYPE_OFFSET = 12;
const TAGGED_HEADER_LEN = ETHERNET_HEADER_LEN + VLAN_TAG_LEN;

/**
 * Where the builder gets its message buffers and how it hands one over
 * (a sender that knows when a message is done with can use them again).
 */
export interface MessageBuffers {
  /** A buffer of `bytes` bytes to build a message in. */
  take(bytes: number): Buffer;
  /** The first `length` bytes of `buffer` (from take) as the message to send. */
  lend(buffer: Buffer, length: number): Buffer;
}

/** New buffers for every message: what the garbage collector frees. */
export const FRESH_BUFFERS: MessageBuffers = Object.freeze({
  // Own memory rather than a slice of Buffer's shared pool, which a long ZeroMQ queue would keep alive.
  take: (bytes: number) => Buffer.allocUnsafeSlow(bytes),
  lend: (buffer: Buffer, length: number) => buffer.subarray(0, length),
});

/** The builder's state, shared with the addon's zmqAppend (lib/native/zmq_records.c): one array, no call per field. */
const STATE_POS = 0;
const STATE_RECORDS = 1;
const STATE_FIRST_SECOND = 2;
const STATE_TOO_SHORT = 3;
const STATE_NOT_IP = 4;
const STATE_LEN = 5;
/** Direction codes as the label carries them: 4 bits (mplsEntry). */
const DIRECTION_CODES = 16;

/**
 * Builds batch messages for one remote in a buffer of `maxBytes` (from `buffers`).
 * The sink drives the flush rules:
 *
 *   i = 0; while ((i = b.add(batch, i)) < batch.length) send(b.finish())
 *   then count b.tooShort and b.notIp as dropped, and clearDrops()
 *   on a quiet link, a message that waited long enough: if (b.count > 0) send(b.finish())
 *   (zmq-sink.ts: one second after its first record was added, by the wall clock)
 *
 * The records are written by the addon (zmqAppend in lib/native/zmq_records.c), a run of packets
 * per call, from the batch's columns: the rules and the layout above are the same in both places,
 * and the tests of this module check the bytes. With the default 1 MiB, rule 1 (65 535 records)
 * cannot trigger before rule 3 (a record is at least 36 bytes); it stays to protect the 16-bit
 * count. `maxBytes` exists so that tests can reach it; senders keep the default.
 */
export class ZmqBatchBuilder {
  private buf!: Buffer;
  private readonly keybit: number;
  private readonly uuid: Buffer;
  private readonly maxBytes: number;
  private readonly buffers: MessageBuffers;
  private readonly state = new Float64Array(STATE_LEN);
  /** The MPLS entry of each direction code: the label's encoding stays in mpls.ts. */
  private readonly entries = new Uint32Array(DIRECTION_CODES);
  private readonly zmqAppend: PacketIoAddon['zmqAppend'];

  /** `zmqAppend`: the addon's record writer (loadAddon().zmqAppend), given so that building loads nothing. */
  constructor(keybit: number, uuid: Buffer, zmqAppend: PacketIoAddon['zmqAppend'], maxBytes = ZMQ_MAX_BATCH_BYTES, buffers: MessageBuffers = FRESH_BUFFERS) {
    if (uuid.length !== UUID_LEN) throw new RangeError(`agent UUID must be ${UUID_LEN} bytes, got ${uuid.length}`);
    this.keybit = keybit;
    this.uuid = Buffer.from(uuid);
    this.maxBytes = maxBytes;
    this.buffers = buffers;
    for (let code = 0; code < DIRECTION_CODES; code++) this.entries[code] = mplsEntry(code, keybit);
    this.zmqAppend = zmqAppend;
    this.newBuffer();
    this.empty();
  }

  /** A message buffer with the batch header's fixed fields, made the one records go to. */
  private newBuffer(): void {
    const b = this.buffers.take(this.maxBytes);
    b.writeUInt16BE(ZMQ_BATCH_VERSION, 0);
    b.writeUInt16BE(0, 2);
    b.writeUInt32BE(this.keybit >>> 0, 4);
    this.uuid.copy(b, 8);
    this.buf = b;
  }

  private empty(): void {
    this.state[STATE_POS] = ZMQ_BATCH_HEADER_LEN;
    this.state[STATE_RECORDS] = 0;
    this.state[STATE_FIRST_SECOND] = 0;
  }

  get count(): number {
    return this.state[STATE_RECORDS]!;
  }

  /** Size of the message finish() would return now, header included. */
  get byteLength(): number {
    return this.state[STATE_POS]!;
  }

  /**
   * Frames skipped since clearDrops() because they are too short to carry the label: under 14
   * bytes, or 802.1Q-tagged under 18 (where the reference underflows).
   */
  get tooShort(): number {
    return this.state[STATE_TOO_SHORT]!;
  }

  /**
   * Frames skipped since clearDrops() because they are neither IPv4 nor IPv6 after the MACs and at
   * most one 802.1Q tag. The label takes the EtherType's place and receivers restore it from the
   * payload's first nibble, so only those frames arrive as they were sent; the others (ARP, 802.3,
   * QinQ ...) are for the sink to drop and count instead of sending frames no receiver can restore.
   */
  get notIp(): number {
    return this.state[STATE_NOT_IP]!;
  }

  clearDrops(): void {
    this.state[STATE_TOO_SHORT] = 0;
    this.state[STATE_NOT_IP] = 0;
  }

  /**
   * The sink's one call per batch: appends packets `start`.. of `b` as records (each labelled in a
   * copy: the packet's bytes are never written, unlike the reference's in-place relabelling that
   * corrupts dumps) while rules 1-3 allow, skipping and counting those that cannot be carried
   * (tooShort, notIp). Returns the index of the first packet not taken, because the message must be
   * sent first: finish() it and call again from there; or b.length. Throws RangeError for a frame
   * that does not fit even an empty message (only a test's small `maxBytes` allows one).
   */
  add(b: PacketBatch, start = 0): number {
    const data = b.data;
    const n = b.length;
    let i = start;
    while (i < n) {
      // One call per run of frames in one buffer.
      const end = b.runEnd(i);
      const stop = this.zmqAppend(this.buf, this.state, this.entries, data[i]!, b.offset, b.caplen, b.wirelen, b.tsSec, b.tsNsec, b.direction, i, end);
      if (stop < end) {
        if (this.count === 0) throw new RangeError(`a frame of ${b.caplen[stop]} bytes does not fit an empty ZeroMQ batch of ${this.maxBytes}`);
        return stop;
      }
      i = end;
    }
    return n;
  }

  /**
   * The message so far; then the builder is empty, so no record is ever sent
   * twice. ZeroMQ may hold the message in its queue while the builder fills
   * the next: a message that fills most of the buffer is the buffer itself,
   * lent (the builder takes another: no copy of the records), a smaller one
   * is a copy of its own size (a queue of small messages holds no 1 MiB each).
   * A sink should not send an empty batch (count 0).
   */
  finish(): Buffer {
    const length = this.byteLength;
    this.buf.writeUInt16BE(this.count, 2);
    let message: Buffer;
    if (length * 2 >= this.buf.length) {
      message = this.buffers.lend(this.buf, length);
      this.newBuffer();
    } else {
      message = FRESH_BUFFERS.take(length);
      this.buf.copy(message, 0, 0, length);
    }
    this.empty();
    return message;
  }
}

/**
 * Where the label goes in a labelled frame: the EtherType field after the
 * MACs, or after one 802.1Q tag (the only tag the reference knows). The
 * sender (zmq_records.c) places it by the same rule; the link-layer
 * decoder's walk over every tag (ethernet.ts) is not the wire format's.
 * Callers have checked that 14 bytes exist.
 */
function labelAt(d: Buffer): number {
  const tagged = ((d[ETHERTYPE_OFFSET]! << 8) | d[ETHERTYPE_OFFSET + 1]!) === ETHERTYPE_VLAN;
  return tagged ? TAGGED_HEADER_LEN - 2 : ETHERTYPE_OFFSET;
}

export interface UuidResult {
  /** 16 bytes; all zero when `problem` is set. */
  uuid: Buffer;
  problem: string | null;
}

/** The agent UUID from the text of the uuid file (spec §5.4). */
export function parseUuidText(text: string): UuidResult {
  const line = text.split('\n', 1)[0]!;
  if (line.length !== 36) return { uuid: Buffer.alloc(UUID_LEN), problem: `first line is ${line.length} characters, expected 36` };
  const digits = line.replaceAll('-', '');
  if (!/^[0-9a-fA-F]{32}$/.test(digits)) {
    return { uuid: Buffer.alloc(UUID_LEN), problem: `first line is not 32 hex digits and hyphens: ${JSON.stringify(line)}` };
  }
  return { uuid: Buffer.from(digits, 'hex'), problem: null };
}

export interface ZmqRecord {
  tsSec: number;
  tsUsec: number;
  /** As on the wire: v2 counts the 4 label bytes, v1 does not. */
  caplen: number;
  wirelen: number;
  /** A view into the message: labelled frame (v2) or the frame as captured (v1). */
  data: Buffer;
}

export interface ZmqBatch {
  version: number;
  keybit: number;
  /** null for version 1, which has none. */
  uuid: Buffer | null;
  records: ZmqRecord[];
}

/**
 * Decodes a whole message of version 2 or 1. Beyond the lengths, it checks
 * that no record holds more than its caplen and that the message ends with
 * the last record (a count that disagrees means the reference's reopen bug).
 */
export function decodeZmqBatch(msg: Buffer): ZmqBatch {
  if (msg.length < 2) throw new TruncatedError('ZeroMQ batch header', 0, 2, msg.length);
  const version = msg.readUInt16BE(0);
  let headerLen: number;
  if (version === ZMQ_BATCH_VERSION) headerLen = ZMQ_BATCH_HEADER_LEN;
  else if (version === ZMQ_BATCH_VERSION_LEGACY) headerLen = ZMQ_LEGACY_BATCH_HEADER_LEN;
  else throw new CorruptError(`ZeroMQ batch version ${version} (expected 1 or 2)`, 0);
  if (msg.length < headerLen) throw new TruncatedError('ZeroMQ batch header', 0, headerLen, msg.length);

  const count = msg.readUInt16BE(2);
  const keybit = msg.readUInt32BE(4);
  const uuid = version === ZMQ_BATCH_VERSION ? msg.subarray(8, ZMQ_BATCH_HEADER_LEN) : null;
  const records: ZmqRecord[] = [];
  let at = headerLen;
  for (let i = 0; i < count; i++) {
    if (msg.length - at < ZMQ_RECORD_HEADER_LEN) {
      throw new TruncatedError(`ZeroMQ record ${i} header`, at, ZMQ_RECORD_HEADER_LEN, msg.length - at);
    }
    const n = msg.readUInt16BE(at);
    const caplen = msg.readUInt32BE(at + 10);
    if (n > caplen) throw new CorruptError(`ZeroMQ record ${i} holds ${n} bytes, more than its caplen ${caplen}`, at);
    const dataAt = at + ZMQ_RECORD_HEADER_LEN;
    if (msg.length - dataAt < n) throw new TruncatedError(`ZeroMQ record ${i} data`, dataAt, n, msg.length - dataAt);
    records.push({
      tsSec: msg.readUInt32BE(at + 2),
      tsUsec: msg.readUInt32BE(at + 6),
      caplen,
      wirelen: msg.readUInt32BE(at + 14),
      data: msg.subarray(dataAt, dataAt + n),
    });
    at = dataAt + n;
  }
  if (at !== msg.length) throw new CorruptError(`${msg.length - at} bytes after the ${count} records of a ZeroMQ batch`, at);
  return { version, keybit, uuid, records };
}

/**
 * The frame without its MPLS entry, EtherType restored from the payload's
 * first nibble (4 → IPv4, 6 → IPv6); a new buffer. Any other payload (ARP,
 * a nibble that is no IP version, an entry not at the bottom of its stack)
 * cannot be identified, since the original EtherType was not sent: then
 * `data` itself is returned, label and 0x8847 kept.
 */
export function unlabelFrame(data: Buffer): Buffer {
  if (data.length < ETHERNET_HEADER_LEN) throw new TruncatedError('labelled frame', 0, ETHERNET_HEADER_LEN, data.length);
  const typeAt = labelAt(data);
  const payloadAt = typeAt + 2 + MPLS_ENTRY_LEN;
  if (data.length < payloadAt) throw new TruncatedError('labelled frame', 0, payloadAt, data.length);
  if (data.readUInt16BE(typeAt) !== ETHERTYPE_MPLS) throw new CorruptError('frame carries no MPLS entry', typeAt);
  if (!mplsBottomOfStack(data.readUInt32BE(typeAt + 2)) || data.length === payloadAt) return data;

  const nibble = data[payloadAt] >> 4;
  const etherType = nibble === 4 ? ETHERTYPE_IPV4 : nibble === 6 ? ETHERTYPE_IPV6 : 0;
  if (etherType === 0) return data;
  const out = Buffer.allocUnsafe(data.length - MPLS_ENTRY_LEN);
  data.copy(out, 0, 0, typeAt);
  out.writeUInt16BE(etherType, typeAt);
  data.copy(out, typeAt + 2, payloadAt);
  return out;
}

/** The MPLS entry of a labelled frame that unlabelFrame has accepted. */
export function labelEntry(data: Buffer): number {
  return data.readUInt32BE(labelAt(data) + 2);
}

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
 * Version 1 (legacy packet-agent 0.3.6, the only one recvzmq.py reads): an
 * 8-byte header (version, count, keybit) and records with the same 18-byte
 * layout carrying the original caplen and wire length, N = min(caplen, 65535),
 * and the unmodified frame. The spec says only "16-byte header with the
 * original caplen/len"; the field order and widths are those recvzmq.py
 * unpacks (`>HIIII`: N, seconds, microseconds, caplen, wire length).
 */
import { CorruptError, TruncatedError } from '../errors.js';
import { FrameCopier, type PacketBatch } from '../packet.js';
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

/** The reference's cap, so that N = caplen + 4 still fits the 16-bit length field. */
const MAX_LABELLED_CAPLEN = 65531;
const ETHERTYPE_OFFSET = 12;
const TAGGED_HEADER_LEN = ETHERNET_HEADER_LEN + VLAN_TAG_LEN;
/** Rule 2: a batch spans at most two capture seconds. */
const MAX_SECONDS_APART = 1;

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

/** What add() did with a packet. */
export const ADDED = 0;
/** The batch must be sent first (rules 1-3): finish() it, then add the packet again. */
export const SEND_FIRST = 1;
/** Too short to carry the label (canLabel): dropped. */
export const TOO_SHORT = 2;
/** Neither IPv4 nor IPv6 after the MACs and at most one 802.1Q tag: dropped (see add). */
export const NOT_IP = 3;
export type AddResult = typeof ADDED | typeof SEND_FIRST | typeof TOO_SHORT | typeof NOT_IP;

/**
 * Builds batch messages for one remote in a buffer of `maxBytes` (from `buffers`).
 * The sink drives the flush rules:
 *
 *   r = b.add(p, direction); if (r === SEND_FIRST) { send(b.finish()); r = b.add(p, direction) }
 *   r is TOO_SHORT or NOT_IP → drop and count
 *   on a quiet link: if (b.count > 0 && b.firstSecond < nowSec - 1) send(b.finish())
 *
 * With the default 1 MiB, rule 1 (65 535 records) cannot trigger before
 * rule 3 (a record is at least 36 bytes); it stays to protect the 16-bit
 * count. `maxBytes` exists so that tests can reach it; senders keep the default.
 */
export class ZmqBatchBuilder {
  private buf!: Buffer;
  /** Big-endian fields through a DataView: Buffer.writeUInt32BE's argument checks cost more than the frame copy. */
  private view!: DataView;
  private readonly copier: FrameCopier;
  private readonly keybit: number;
  private readonly uuid: Buffer;
  private readonly maxBytes: number;
  private readonly buffers: MessageBuffers;
  private records = 0;
  private pos = ZMQ_BATCH_HEADER_LEN;
  private first = 0;

  constructor(keybit: number, uuid: Buffer, maxBytes = ZMQ_MAX_BATCH_BYTES, buffers: MessageBuffers = FRESH_BUFFERS) {
    if (uuid.length !== UUID_LEN) throw new RangeError(`agent UUID must be ${UUID_LEN} bytes, got ${uuid.length}`);
    this.keybit = keybit;
    this.uuid = Buffer.from(uuid);
    this.maxBytes = maxBytes;
    this.buffers = buffers;
    this.copier = new FrameCopier(this.newBuffer());
  }

  /** A message buffer with the batch header's fixed fields, made the one records go to. */
  private newBuffer(): Buffer {
    const b = this.buffers.take(this.maxBytes);
    b.writeUInt16BE(ZMQ_BATCH_VERSION, 0);
    b.writeUInt16BE(0, 2);
    b.writeUInt32BE(this.keybit >>> 0, 4);
    this.uuid.copy(b, 8);
    this.buf = b;
    this.view = new DataView(b.buffer, b.byteOffset, b.length);
    return b;
  }

  get count(): number {
    return this.records;
  }

  /** Size of the message finish() would return now, header included. */
  get byteLength(): number {
    return this.pos;
  }

  /** Capture second of the batch's first record; 0 while empty. */
  get firstSecond(): number {
    return this.first;
  }

  /**
   * Frames too short to carry the label: under 14 bytes, or 802.1Q-tagged
   * under 18 (where the reference underflows). The sink drops and counts them.
   */
  canLabel(b: PacketBatch, i: number): boolean {
    return labelPlace(b, i) >= 0;
  }

  /** Rules 1 and 3: room for one more record of this size. */
  fits(b: PacketBatch, i: number): boolean {
    return this.records < ZMQ_MAX_RECORDS && this.pos + ZMQ_RECORD_HEADER_LEN + labelledLength(b.caplen[i]!) <= this.buf.length;
  }

  /**
   * The sink's one call per packet: appends packet `i` of `b` as a record
   * (append) if it can be labelled and carried and the batch has room
   * under rules 1-3; else says why not, and adds nothing. The label's place
   * is found once.
   *
   * The label takes the EtherType's place and receivers restore it from the
   * payload's first nibble, so only IPv4 and IPv6 frames (untagged or with one
   * 802.1Q tag) arrive as they were sent: the others (ARP, 802.3, QinQ ...)
   * are NOT_IP, for the sink to drop and count instead of sending frames no
   * receiver can restore. Throws RangeError for a frame that does not fit even
   * an empty batch (only a test's small `maxBytes` allows one).
   */
  add(b: PacketBatch, i: number, direction: number): AddResult {
    const typeAt = labelPlace(b, i);
    if (typeAt < 0) return TOO_SHORT;
    const d = b.data[i]!;
    const at = b.offset[i]! + typeAt;
    const type = (d[at]! << 8) | d[at + 1]!;
    if (type !== ETHERTYPE_IPV4 && type !== ETHERTYPE_IPV6) return NOT_IP;
    const room = this.fits(b, i);
    if (this.records > 0 && (!room || b.tsSec[i]! > this.first + MAX_SECONDS_APART)) return SEND_FIRST;
    if (!room) throw new RangeError('ZeroMQ batch is full: finish() it first');
    this.write(b, i, direction, typeAt);
    return ADDED;
  }

  /**
   * Appends packet `i` of `b` as one record, whatever its EtherType and
   * second (add() is the sink's call, with every rule).
   * Throws TruncatedError when !canLabel(b, i), RangeError when !fits(b, i).
   */
  append(b: PacketBatch, i: number, direction: number): void {
    const typeAt = labelPlace(b, i);
    if (typeAt < 0) {
      const caplen = b.caplen[i]!;
      const needed = caplen < ETHERNET_HEADER_LEN ? ETHERNET_HEADER_LEN : TAGGED_HEADER_LEN;
      throw new TruncatedError('frame for the MPLS label', 0, needed, caplen);
    }
    if (!this.fits(b, i)) throw new RangeError('ZeroMQ batch is full: finish() it first');
    this.write(b, i, direction, typeAt);
  }

  /**
   * Writes the record of packet `i`, labelling a copy of the frame whose
   * EtherType is at `typeAt`; the packet's bytes are never written (the
   * reference's in-place relabelling corrupts dumps).
   */
  private write(b: PacketBatch, i: number, direction: number, typeAt: number): void {
    const caplen = b.caplen[i]!;
    const v = this.view;
    const d = b.data[i]!;
    const from = b.offset[i]!;
    const tsSec = b.tsSec[i]!;
    const n = labelledLength(caplen);
    const frameEnd = n - MPLS_ENTRY_LEN;
    let at = this.pos;
    if (this.records === 0) this.first = tsSec;

    v.setUint16(at, n);
    v.setUint32(at + 2, tsSec >>> 0);
    v.setUint32(at + 6, Math.floor(b.tsNsec[i]! / 1000));
    v.setUint32(at + 10, (caplen + MPLS_ENTRY_LEN) >>> 0);
    v.setUint32(at + 14, (b.wirelen[i]! + MPLS_ENTRY_LEN) >>> 0);
    at += ZMQ_RECORD_HEADER_LEN;

    // MACs (and the 802.1Q tag), then the label in the EtherType's place, then the rest of the frame.
    this.copier.copy(d, from, at, typeAt);
    this.copier.copy(d, from + typeAt + 2, at + typeAt + 2 + MPLS_ENTRY_LEN, frameEnd - typeAt - 2);
    v.setUint16(at + typeAt, ETHERTYPE_MPLS);
    v.setUint32(at + typeAt + 2, mplsEntry(direction, this.keybit));

    this.pos = at + n;
    this.records++;
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
    this.buf.writeUInt16BE(this.records, 2);
    let message: Buffer;
    if (this.pos * 2 >= this.buf.length) {
      message = this.buffers.lend(this.buf, this.pos);
      this.copier.setOutput(this.newBuffer());
    } else {
      message = FRESH_BUFFERS.take(this.pos);
      this.buf.copy(message, 0, 0, this.pos);
    }
    this.records = 0;
    this.pos = ZMQ_BATCH_HEADER_LEN;
    this.first = 0;
    this.copier.release();
    return message;
  }
}

/**
 * Where the label goes in the frame at `d[at]`, from its start: the EtherType
 * field after the MACs, or after one 802.1Q tag (the only tag the reference
 * knows). Sender and receiver place it by this one rule; the link-layer
 * decoder's walk over every tag (ethernet.ts) is not the wire format's.
 * Callers have checked that 14 bytes exist.
 */
function labelAt(d: Buffer, at = 0): number {
  const tagged = ((d[at + ETHERTYPE_OFFSET]! << 8) | d[at + ETHERTYPE_OFFSET + 1]!) === ETHERTYPE_VLAN;
  return tagged ? TAGGED_HEADER_LEN - 2 : ETHERTYPE_OFFSET;
}

/** Where the label goes in packet `i` of `b` (labelAt), or -1 when the frame is too short to carry it (canLabel). */
function labelPlace(b: PacketBatch, i: number): number {
  const caplen = b.caplen[i]!;
  if (caplen < ETHERNET_HEADER_LEN) return -1;
  const typeAt = labelAt(b.data[i]!, b.offset[i]!);
  return caplen >= typeAt + 2 ? typeAt : -1;
}

/** N: the 16-bit record length, so caplen is capped first. */
function labelledLength(caplen: number): number {
  return Math.min(caplen, MAX_LABELLED_CAPLEN) + MPLS_ENTRY_LEN;
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

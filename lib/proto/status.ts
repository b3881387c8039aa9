/**
 * The status port's messages (spec §9): a client sends a 16-byte request on
 * a ZeroMQ REQ socket, we answer with 72 bytes of process totals.
 *
 * Request (16 bytes)                 Response to action 1 (72 bytes)
 *   0  magic 0x504D3230 (u32)          0  magic (echo)       u32
 *   4  length = 16      (u32)          4  length = 72        u32
 *   8  action: 1 = query status        8  action (echo = 1)  u32
 *  12  query id (echoed)              12  query id (echo)    u32
 *                                     16  version = 1        u32
 *                                     20  first packet time  u32  capture seconds, low 32 bits
 *                                     24  last packet time   u32
 *                                     28  padding = 0        u32
 *                                     32  captured bytes     u64
 *                                     40  captured packets   u64
 *                                     48  capture drops      u64
 *                                     56  forwarded bytes    u64
 *                                     64  forwarded packets  u64
 *
 * Byte order: the reference uses its native order, little-endian on x86
 * (magic bytes `30 32 4D 50`); its header comment names the bytes
 * `50 4D 32 30`, i.e. big-endian. Both are accepted, as the magic of a pcap
 * file is: the magic's order is the order of every field of the request,
 * and the answer is written in that same order, so a client reads back with
 * the format it sent (a little-endian client, like the reference's daemon,
 * gets exactly the reference's bytes).
 *
 * Error reply (16 bytes), where the reference logged and did not answer (a
 * REP socket that does not answer cannot receive again):
 *   0  magic, 4  length = 16, 8  error code (below, high bit set), 12  query id
 * in the request's order when its first 4 bytes are the magic in either
 * order, else little-endian; the query id is echoed when the request had
 * 16 bytes or more, else 0. A request of several ZeroMQ frames gets the
 * size error, little-endian, query id 0. A reference client (which wants 72 bytes,
 * length 72 and action 1) cannot take it for a status.
 */
import { CorruptError, TruncatedError } from '../errors.js';

export const STATUS_MAGIC = 0x504d3230;
export const STATUS_REQUEST_LEN = 16;
export const STATUS_RESPONSE_LEN = 72;
export const STATUS_ERROR_LEN = 16;
export const ACTION_QUERY_STATUS = 1;
export const STATUS_VERSION = 1;

/** Error codes in an error reply's action field; the high bit keeps them apart from any action. */
export const StatusErrors = {
  /** Not exactly one frame of 16 bytes. */
  size: 0x80000001,
  magic: 0x80000002,
  /** The length field is not 16. */
  length: 0x80000003,
  /** Action 0 or ≥ 2: only 1 (query status) exists. */
  action: 0x80000004,
} as const;

export type ByteOrder = 'le' | 'be';

export interface StatusRequest {
  magicOrder: ByteOrder;
  action: number;
  queryId: number;
}

export type DecodedRequest =
  | ({ ok: true } & StatusRequest)
  | { ok: false; reason: string; error: number; magicOrder: ByteOrder; queryId: number };

/** The totals a response carries; 64-bit fields as bigint (counters may pass 2^53 one day, and u64 must not round). */
export interface StatusValues {
  firstPacketSec: number;
  lastPacketSec: number;
  capturedBytes: bigint;
  capturedPackets: bigint;
  captureDrops: bigint;
  forwardedBytes: bigint;
  forwardedPackets: bigint;
}

function readU32(b: Buffer, offset: number, order: ByteOrder): number {
  return order === 'le' ? b.readUInt32LE(offset) : b.readUInt32BE(offset);
}

function writeU32(b: Buffer, offset: number, value: number, order: ByteOrder): void {
  // Any number becomes a u32 (times are truncated to 32 bits, as the reference's are); encoders never throw.
  const v = Number.isFinite(value) ? Math.trunc(value) >>> 0 : 0;
  if (order === 'le') b.writeUInt32LE(v, offset);
  else b.writeUInt32BE(v, offset);
}

function writeU64(b: Buffer, offset: number, value: bigint, order: ByteOrder): void {
  const v = BigInt.asUintN(64, value);
  if (order === 'le') b.writeBigUInt64LE(v, offset);
  else b.writeBigUInt64BE(v, offset);
}

/** The order of a magic at offset 0, or null when the first 4 bytes are not the magic. */
function magicOrder(b: Buffer): ByteOrder | null {
  if (b.length < 4) return null;
  if (b.readUInt32LE(0) === STATUS_MAGIC) return 'le';
  if (b.readUInt32BE(0) === STATUS_MAGIC) return 'be';
  return null;
}

/** Checks a request as the reference does (size, magic, length, action), in that order; never throws. */
export function decodeStatusRequest(b: Buffer): DecodedRequest {
  const order = magicOrder(b);
  const o = order ?? 'le';
  const queryId = b.length >= STATUS_REQUEST_LEN ? readU32(b, 12, o) : 0;
  const fail = (error: number, reason: string): DecodedRequest => ({ ok: false, reason, error, magicOrder: o, queryId });
  if (b.length !== STATUS_REQUEST_LEN) return fail(StatusErrors.size, `request of ${b.length} bytes (want ${STATUS_REQUEST_LEN})`);
  if (order === null) return fail(StatusErrors.magic, `bad magic 0x${b.readUInt32BE(0).toString(16).padStart(8, '0')}`);
  const length = readU32(b, 4, o);
  if (length !== STATUS_REQUEST_LEN) return fail(StatusErrors.length, `length field ${length} (want ${STATUS_REQUEST_LEN})`);
  const action = readU32(b, 8, o);
  if (action !== ACTION_QUERY_STATUS) return fail(StatusErrors.action, `unknown action ${action}`);
  return { ok: true, magicOrder: o, action, queryId };
}

function writeHeader(b: Buffer, order: ByteOrder, length: number, action: number, queryId: number): void {
  writeU32(b, 0, STATUS_MAGIC, order);
  writeU32(b, 4, length, order);
  writeU32(b, 8, action, order);
  writeU32(b, 12, queryId, order);
}

/** A client's request (the daemon's side): little-endian, as the reference's daemon and Python client send it. */
export function encodeStatusRequest(queryId: number): Buffer {
  const b = Buffer.alloc(STATUS_REQUEST_LEN);
  writeHeader(b, 'le', STATUS_REQUEST_LEN, ACTION_QUERY_STATUS, queryId);
  return b;
}

/** The 72-byte answer to a valid request, in the request's byte order. */
export function encodeStatusResponse(req: StatusRequest, v: StatusValues): Buffer {
  const o = req.magicOrder;
  const b = Buffer.alloc(STATUS_RESPONSE_LEN);
  writeHeader(b, o, STATUS_RESPONSE_LEN, req.action, req.queryId);
  writeU32(b, 16, STATUS_VERSION, o);
  writeU32(b, 20, v.firstPacketSec, o);
  writeU32(b, 24, v.lastPacketSec, o);
  // 28..31: padding, left 0.
  writeU64(b, 32, v.capturedBytes, o);
  writeU64(b, 40, v.capturedPackets, o);
  writeU64(b, 48, v.captureDrops, o);
  writeU64(b, 56, v.forwardedBytes, o);
  writeU64(b, 64, v.forwardedPackets, o);
  return b;
}

/** The 16-byte error reply to a request decodeStatusRequest refused. */
export function encodeStatusError(d: { error: number; magicOrder: ByteOrder; queryId: number }): Buffer {
  const b = Buffer.alloc(STATUS_ERROR_LEN);
  writeHeader(b, d.magicOrder, STATUS_ERROR_LEN, d.error, d.queryId);
  return b;
}

/**
 * A client's side: a 72-byte status in either byte order. Throws
 * TruncatedError for a short answer and CorruptError for anything else that
 * is not a status (an error reply names its code).
 */
export function decodeStatusResponse(b: Buffer): { queryId: number; magicOrder: ByteOrder; values: StatusValues } {
  if (b.length < STATUS_ERROR_LEN) throw new TruncatedError('status reply', 0, STATUS_ERROR_LEN, b.length);
  const order = magicOrder(b);
  if (order === null) throw new CorruptError('status reply: bad magic', 0);
  const length = readU32(b, 4, order);
  const action = readU32(b, 8, order);
  if (length === STATUS_ERROR_LEN) throw new CorruptError(`status port refused the request (error 0x${action.toString(16)})`, 8);
  if (b.length < STATUS_RESPONSE_LEN) throw new TruncatedError('status reply', 0, STATUS_RESPONSE_LEN, b.length);
  if (length !== STATUS_RESPONSE_LEN || b.length !== STATUS_RESPONSE_LEN) throw new CorruptError(`status reply: length ${length} in a message of ${b.length} bytes`, 4);
  if (action !== ACTION_QUERY_STATUS) throw new CorruptError(`status reply: action ${action}`, 8);
  const u64 = (offset: number): bigint => (order === 'le' ? b.readBigUInt64LE(offset) : b.readBigUInt64BE(offset));
  return {
    queryId: readU32(b, 12, order),
    magicOrder: order,
    values: {
      firstPacketSec: readU32(b, 20, order),
      lastPacketSec: readU32(b, 24, order),
      capturedBytes: u64(32),
      capturedPackets: u64(40),
      captureDrops: u64(48),
      forwardedBytes: u64(56),
      forwardedPackets: u64(64),
    },
  };
}

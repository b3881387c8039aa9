/** What flows through every channel: batches of packets, as columns (PacketBatch below). */

/** Direction codes carried on the wire (spec §3.1). */
export const DIR_UNKNOWN = -1;
export const DIR_NONE = 0;
export const DIR_IN = 1;
export const DIR_OUT = 2;

/** Link-layer header types (tcpdump.org/linktypes.html) that we parse or convert. */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/**
 * How a source's packets were captured: what the header of a pcap file of
 * them records. A source makes one and every batch refers to it (a file
 * source makes another if a later pcapng interface changes it), so that
 * sinks learn it from the data, never from the source.
 */
export interface CaptureFormat {
  /** Timestamps finer than microseconds. */
  readonly nanos: boolean;
  /** The most bytes of a frame kept; 0: whole frames, recorded as libpcap's largest snaplen. */
  readonly snaplen: number;
}

/** The format of batches no source stamped (tools, tests): microseconds, whole frames. */
export const UNKNOWN_FORMAT: CaptureFormat = Object.freeze({ nanos: false, snaplen: 0 });

/** What gets a batch back once its consumers are done with it (PacketBatch.done): the live or file source that made it, to fill its buffer again. */
export interface BatchOwner {
  recycle(batch: PacketBatch): void;
}

/**
 * The unit that flows through every channel: a batch of packets stored as
 * columns (DESIGN §1). No object per packet: the capture buffer the packets
 * were decoded from stays the home of their bytes (`data[i]` is that buffer,
 * `offset[i]` where the frame starts in it), and every per-packet field is
 * one element of a typed array. Stages fill or overwrite columns and remove
 * packets with retain(); sinks read the columns and copy frames in bulk.
 *
 * Measured before this shape (one Packet object and one Buffer view per
 * frame): the object, the view and their garbage were most of the per-packet
 * cost of the ZeroMQ, dump and offline paths (test/bench/README.md).
 */
export class PacketBatch {
  /** Packets in the batch; the columns hold at least this many. */
  length = 0;
  /**
   * Who gets the batch back when the last consumer that hold() it calls done(); null: nobody (the
   * garbage collector takes it). A slice() has none: its frames are the original's, held through it.
   */
  owner: BatchOwner | null = null;
  private holds = 0;
  /** How every packet of the batch was captured: one object shared by the source's batches, never changed. */
  format: CaptureFormat = UNKNOWN_FORMAT;
  /**
   * The source's open the packets come from: a live source counts its opens from 1, so a change
   * between two batches marks an interface flap exactly where it fell in the data; files stay 0.
   */
  generation = 0;
  /**
   * The buffer each frame's bytes lie in (usually one buffer repeated: the capture chunk). May be
   * longer than `length`: the slots past it hold NO_DATA (see truncate).
   */
  data: Buffer[] = [];
  /** Where the frame starts in data[i]. */
  offset!: Uint32Array;
  /** Bytes of the frame that are kept; slicing lowers it, never raises it. */
  caplen!: Uint32Array;
  /** Length of the frame on the wire (kept when the frame is cut). */
  wirelen!: Uint32Array;
  /** Capture time: whole seconds since the epoch, and nanoseconds within the second. */
  tsSec!: Float64Array;
  tsNsec!: Uint32Array;
  /** LINKTYPE_* of the frame. */
  linktype!: Uint16Array;
  /** DIR_* code set by the direction stage; DIR_NONE until then. */
  direction!: Int8Array;
  /** Outer and inner VLAN ids (802.1Q / QinQ), -1 where absent (set by the VLAN stage). */
  vlanOuter!: Int16Array;
  vlanInner!: Int16Array;
  /** Offset of the network-layer header from the frame's start, -1 when not found. */
  l3Offset!: Int32Array;
  /** EtherType of the network-layer header (after any VLAN tags), 0 when unknown. */
  etherType!: Uint16Array;

  constructor(capacity = 64) {
    this.allocate(Math.max(1, capacity));
  }

  /**
   * Appends a packet whose frame is `data[offset .. offset + caplen)`; returns its index.
   * Direction starts as DIR_NONE, VLAN ids and l3Offset as -1, etherType 0.
   */
  add(data: Buffer, offset: number, caplen: number, wirelen: number, tsSec: number, tsNsec: number, linktype: number): number {
    const i = this.length;
    if (i === this.offset.length) this.grow(i * 2);
    this.data[i] = data;
    this.offset[i] = offset;
    this.caplen[i] = caplen;
    this.wirelen[i] = wirelen;
    this.tsSec[i] = tsSec;
    this.tsNsec[i] = tsNsec;
    this.linktype[i] = linktype;
    this.direction[i] = DIR_NONE;
    this.vlanOuter[i] = -1;
    this.vlanInner[i] = -1;
    this.l3Offset[i] = -1;
    this.etherType[i] = 0;
    this.length = i + 1;
    return i;
  }

  /**
   * Makes the columns hold at least `n` packets, keeping every value they hold (also past
   * `length`); the columns are new arrays when they grow, so a caller holding them reads them again.
   */
  reserve(n: number): void {
    if (n > this.offset.length) this.grow(Math.max(n, this.offset.length * 2));
  }

  /**
   * Makes packets [length, end) part of the batch after a decoder wrote their offset, caplen,
   * wirelen, tsSec and tsNsec straight into the columns (reserve first): their frames lie in
   * `data`, their link type is `linktype`, the other columns are set as add() sets them. One call
   * per run instead of one add() per packet, whose stores of the same values and write barrier for
   * each buffer reference made the record decoder a tenth of a live ZeroMQ run's CPU (perf).
   */
  addDecoded(end: number, data: Buffer, linktype: number): void {
    const start = this.length;
    if (end <= start) return;
    const refs = this.data;
    if (refs.length < end) {
      refs.fill(data, start);
      while (refs.length < end) refs.push(data);
    } else {
      refs.fill(data, start, end);
    }
    this.linktype.fill(linktype, start, end);
    this.direction.fill(DIR_NONE, start, end);
    this.vlanOuter.fill(-1, start, end);
    this.vlanInner.fill(-1, start, end);
    this.l3Offset.fill(-1, start, end);
    this.etherType.fill(0, start, end);
    this.length = end;
  }

  /**
   * The end of the run of packets from `i` whose frames lie in one buffer (`data[i]`): what the
   * addon's encoders take in one call. A batch is usually one run, its capture chunk or read.
   */
  runEnd(i: number): number {
    const { data, length } = this;
    const d = data[i];
    let end = i + 1;
    while (end < length && data[end] === d) end++;
    return end;
  }

  /** The kept bytes of packet `i` as a Buffer view (allocates: for tools and tests, not per-packet hot paths). */
  frame(i: number): Buffer {
    const d = this.data[i]!;
    return d.subarray(this.offset[i], this.offset[i]! + this.caplen[i]!);
  }

  /** Sum of caplen over the batch. */
  bytes(): number {
    let n = 0;
    for (let i = 0; i < this.length; i++) n += this.caplen[i]!;
    return n;
  }

  /**
   * Keeps the packets for which `keep(i, this)` is true, in order; returns how many were removed.
   * The batch is passed along so that a stage's `keep` can be made once, not per batch.
   */
  retain(keep: (i: number, batch: PacketBatch) => boolean): number {
    let w = 0;
    const n = this.length;
    for (let r = 0; r < n; r++) {
      if (!keep(r, this)) continue;
      if (w !== r) this.move(r, w);
      w++;
    }
    this.truncate(w);
    return n - w;
  }

  /** A consumer reads the batch's frames until it calls done(): the owner reuses nothing before. */
  hold(): void {
    this.holds++;
  }

  /**
   * The consumer is done with the frames (a write callback: arguments are ignored); after the last,
   * the batch goes back to its owner, once. A field, so that it can be handed over as a callback.
   */
  readonly done = (): void => {
    if (--this.holds > 0 || this.owner === null) return;
    const owner = this.owner;
    this.owner = null;
    owner.recycle(this);
  };

  /** No consumer will read the batch (a stage removed every packet): it goes back to its owner now. */
  discard(): void {
    this.hold();
    this.done();
  }

  /**
   * Keeps the first `n` packets. The slots past them let go of their buffers but stay: shortening
   * `data` would shrink its backing store (emptying it, for truncate(0)), and a recycled batch
   * would grow it again element by element on every reuse.
   */
  truncate(n: number): void {
    if (n >= this.length) return;
    this.data.fill(NO_DATA, n, this.length);
    this.length = n;
  }

  /** Packets [start, end) as a new batch of the same format and generation; the frames' bytes are shared. */
  slice(start = 0, end = this.length): PacketBatch {
    const s = Math.max(0, Math.min(start, this.length));
    const e = Math.max(s, Math.min(end, this.length));
    const b = new PacketBatch(e - s);
    b.length = e - s;
    b.format = this.format;
    b.generation = this.generation;
    b.data = this.data.slice(s, e);
    for (const k of COLUMNS) (b[k] as TypedColumn).set((this[k] as TypedColumn).subarray(s, e));
    return b;
  }

  private move(from: number, to: number): void {
    this.data[to] = this.data[from]!;
    this.offset[to] = this.offset[from]!;
    this.caplen[to] = this.caplen[from]!;
    this.wirelen[to] = this.wirelen[from]!;
    this.tsSec[to] = this.tsSec[from]!;
    this.tsNsec[to] = this.tsNsec[from]!;
    this.linktype[to] = this.linktype[from]!;
    this.direction[to] = this.direction[from]!;
    this.vlanOuter[to] = this.vlanOuter[from]!;
    this.vlanInner[to] = this.vlanInner[from]!;
    this.l3Offset[to] = this.l3Offset[from]!;
    this.etherType[to] = this.etherType[from]!;
  }

  private grow(capacity: number): void {
    const old = COLUMNS.map((k) => this[k]);
    this.allocate(capacity);
    COLUMNS.forEach((k, c) => (this[k] as TypedColumn).set(old[c]!));
  }

  /**
   * New columns for `n` packets, all views of one ArrayBuffer: one allocation per batch
   * instead of one per column (measured: the eleven allocations were a visible share of
   * live capture's garbage). Widest elements first, so every view is aligned.
   */
  private allocate(n: number): void {
    const bytes = new ArrayBuffer(n * BYTES_PER_PACKET);
    let at = 0;
    const next = (size: number): number => {
      const start = at;
      at += n * size;
      return start;
    };
    this.tsSec = new Float64Array(bytes, next(8), n);
    this.offset = new Uint32Array(bytes, next(4), n);
    this.caplen = new Uint32Array(bytes, next(4), n);
    this.wirelen = new Uint32Array(bytes, next(4), n);
    this.tsNsec = new Uint32Array(bytes, next(4), n);
    this.l3Offset = new Int32Array(bytes, next(4), n);
    this.linktype = new Uint16Array(bytes, next(2), n);
    this.vlanOuter = new Int16Array(bytes, next(2), n);
    this.vlanInner = new Int16Array(bytes, next(2), n);
    this.etherType = new Uint16Array(bytes, next(2), n);
    this.direction = new Int8Array(bytes, next(1), n);
  }
}

/** What a slot of PacketBatch.data past the batch's length holds: no buffer a kept batch would keep alive. */
const NO_DATA = Buffer.alloc(0);

/** Bytes of columns per packet: tsSec 8; offset, caplen, wirelen, tsNsec, l3Offset 4 each; linktype, VLAN ids, etherType 2 each; direction 1. */
const BYTES_PER_PACKET = 8 + 5 * 4 + 4 * 2 + 1;

type TypedColumn = Uint32Array | Float64Array | Uint16Array | Int8Array | Int16Array | Int32Array;
type ColumnName = 'offset' | 'caplen' | 'wirelen' | 'tsSec' | 'tsNsec' | 'linktype' | 'direction' | 'vlanOuter' | 'vlanInner' | 'l3Offset' | 'etherType';
const COLUMNS: readonly ColumnName[] = ['offset', 'caplen', 'wirelen', 'tsSec', 'tsNsec', 'linktype', 'direction', 'vlanOuter', 'vlanInner', 'l3Offset', 'etherType'];

/** Stream chunks are batches, never single packets (DESIGN §1). */
export type Batch = PacketBatch;

/**
 * highWaterMark of every object-mode stream: batches queued per stream.
 * Two keep every stage busy; deeper queues only keep more packets (and the
 * read chunks they view) alive long enough to be promoted to V8's old
 * generation. Measured offline (5 M small frames, --dump): 16 → 2 took
 * 0.8 → 2.2 M packets/s and peak RSS 198 → 102 MB.
 */
export const BATCH_QUEUE = 2;

/**
 * Batches a source keeps for reuse once their consumers are done (BatchOwner.recycle): more than
 * a channel holds at once (the stream's, the stages' and the sinks' queues), so that steady capture
 * or replay allocates none.
 */
export const SPARE_BATCHES = 16;

/** Up to this many bytes a copy goes 4 bytes at a time through DataViews; above, through one view (measured in test/bench/micro.ts). */
const SMALL_COPY = 128;

/**
 * Copies frames out of batches into one output buffer. Buffer.copy of part
 * of a buffer costs 60–120 ns a call (a view and a call into C++; Node 26
 * and 20), twice a 64-byte copy 4 bytes at a time through DataViews: small
 * frames go that way (a byte loop over a Buffer is slower still), larger
 * ones through one view. The DataView of the last source buffer is kept
 * until release().
 */
export class FrameCopier {
  private out: Buffer;
  private outView: DataView;
  private source: Buffer | null = null;
  private sourceView: DataView | null = null;

  constructor(out: Buffer) {
    this.out = out;
    this.outView = new DataView(out.buffer, out.byteOffset, out.length);
  }

  /** Copies into `out` from now on (a grown buffer). */
  setOutput(out: Buffer): void {
    this.out = out;
    this.outView = new DataView(out.buffer, out.byteOffset, out.length);
  }

  /** A DataView of `src` (kept for the next calls with the same buffer). */
  view(src: Buffer): DataView {
    if (src !== this.source) {
      this.source = src;
      this.sourceView = new DataView(src.buffer, src.byteOffset, src.length);
    }
    return this.sourceView!;
  }

  /** Copies `src[from .. from + n)` to `out[at ..]`. */
  copy(src: Buffer, from: number, at: number, n: number): void {
    if (n > SMALL_COPY) {
      this.out.set(new Uint8Array(src.buffer, src.byteOffset + from, n), at);
      return;
    }
    const s = this.view(src);
    const d = this.outView;
    let k = 0;
    for (; k + 4 <= n; k += 4) d.setUint32(at + k, s.getUint32(from + k));
    for (; k < n; k++) d.setUint8(at + k, s.getUint8(from + k));
  }

  /** Forgets the last source buffer, so that it can be collected. */
  release(): void {
    this.source = null;
    this.sourceView = null;
  }
}

/**
 * A batch's starting capacity for the records in `bytes` bytes: enough for
 * minimal Ethernet frames (60 bytes + a 16-byte record header); batches of
 * smaller records grow.
 */
export function capacityFor(bytes: number): number {
  return Math.ceil(bytes / 76);
}

/**
 * The tick wire format: many ticks packed into one Kafka record value (a frame).
 *
 * All integers and floats are little-endian.
 *
 * Frame header (24 bytes)
 *   off size type  field
 *     0    4  u32  magic          0x31484654 ("TFH1" read as LE bytes)
 *     4    1  u8   version        1
 *     5    1  u8   frameFlags     reserved, 0
 *     6    2  u16  tickCount      ticks that follow the header
 *     8    2  u16  source         load-generator id that wrote every tick of this frame
 *    10    2  u16  reserved       0
 *    12    4  u32  keyGroup       instrument group; also the record key and partition choice
 *    16    8  f64  producedAtUs   when the frame was handed to the Kafka client (µs since epoch)
 *
 * Tick (48 bytes), repeated tickCount times from offset 24
 *   off size type  field
 *     0    4  u32  seq            per-source sequence number, 0,1,2,... (delivery accounting)
 *     4    2  u16  source         load-generator id (same as the header's)
 *     6    2  u16  venue          venue / price source index
 *     8    4  u32  instrument     instrument index
 *    12    2  u16  flags          reserved, 0 (labels travel beside the stream: analytics/tick-labels.ts)
 *    14    2  u16  reserved       0
 *    16    8  f64  sendTimeUs     intended send time from the open-loop schedule (µs since epoch)
 *    24    8  f64  bid
 *    32    8  f64  ask
 *    40    4  f32  bidSize
 *    44    4  f32  askSize
 *
 * Frames are read in place through a DataView: decoding allocates nothing per tick.
 */
export const FRAME_MAGIC = 0x31484654;
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 24;
export const TICK_BYTES = 48;
export const MAX_TICKS_PER_FRAME = 0xffff;

/**
 * Ground-truth labels of a tick, kept by the load generator in a side channel keyed by
 * (source, seq) (analytics/tick-labels.ts), never in the tick on the wire (0 on a clean stream).
 * Bits 0..11 describe the tick; bits 12..15 hold the TickEvent that starts on this tick, if any
 * (one at most), so the analytics can measure detection delays from an event's first tick.
 */
export const TickFlag = {
  /** The generator injected a bad price into this tick (a spike or a decimal shift; see TickEvent). */
  InjectedOutlier: 1 << 0,
  /**
   * After this tick the venue's quote crosses another venue's net of fees in the generator's true
   * book (bad ticks excluded), and one side of that cross is an injected (shifted) quote: an
   * injected arbitrage window or triangular mispricing.
   */
  InjectedArbitrage: 1 << 1,
  /** The tick repeats a stale price: an injected frozen run or a frozen source. */
  InjectedFrozen: 1 << 2,
  /** The first tick of this venue after a genuine price jump of the instrument (a real move, not an error). */
  GenuineJump: 1 << 3,
  /** After this tick a triangle containing this FX pair is profitable net of fees in the true book. */
  TriangularOpen: 1 << 4,
  /** Crossed net of fees in the true book with no injected quote involved (a real cross, e.g. stale venues after a jump). */
  MarketCross: 1 << 5,
} as const;

export const TICK_EVENT_SHIFT = 12;
export const TICK_EVENT_MASK = 0xf000;

/** The injected event that starts on a tick (flags bits 12..15). Each has an id in the generator's event log. */
export const TickEvent = {
  None: 0,
  /** A spike of k·σ of local volatility (single tick). */
  Spike: 1,
  /** A decimal shift ×10 or ÷10 (single tick). */
  DecimalShift: 2,
  /** First tick of a frozen run: the venue repeats its last price for a number of its updates. */
  FrozenRun: 3,
  /** A genuine (unlabelled-as-error) jump of the instrument, first seen on this tick. */
  GenuineJump: 4,
  /** First (triggering) tick of an injected cross-venue arbitrage window. */
  ArbitrageWindow: 5,
  /** First (triggering) tick of an injected triangular FX mispricing. */
  Triangular: 6,
  /** The venue starts quoting this instrument with a persistent bias (faulty source). */
  BiasedSource: 7,
  /** The venue freezes on this instrument for good (faulty source). */
  FrozenSource: 8,
} as const;
export type TickEvent = (typeof TickEvent)[keyof typeof TickEvent];

/** The TickEvent starting on a tick with these flags (TickEvent.None for most ticks). */
export function tickEvent(flags: number): number {
  return (flags & TICK_EVENT_MASK) >>> TICK_EVENT_SHIFT;
}

export function frameByteLength(tickCount: number): number {
  return FRAME_HEADER_BYTES + tickCount * TICK_BYTES;
}

export interface TickFields {
  seq: number;
  source: number;
  venue: number;
  instrument: number;
  flags: number;
  sendTimeUs: number;
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
}

/**
 * Builds one frame at a time into a reusable buffer. The caller appends ticks, then `finish`
 * copies the used bytes out (the copy is what travels; the scratch buffer is reused).
 */
/** A generated tick as its generator holds it (loadgen's TickModel), for FrameWriter.appendQuote. */
export interface TickQuote {
  readonly venue: number;
  readonly instrument: number;
  /** The tick's intended send time, µs: its sendTimeUs. */
  readonly intendedUs: number;
  readonly bid: number;
  readonly ask: number;
  readonly bidSize: number;
  readonly askSize: number;
}

export class FrameWriter {
  readonly capacity: number;
  /** A Buffer so that `finish` copies with Buffer#copy: a subarray view to copy from was an object per frame. */
  private readonly bytes: Buffer;
  private readonly view: DataView;
  private count = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_TICKS_PER_FRAME) {
      throw new RangeError(`frame capacity must be an integer in 1..${MAX_TICKS_PER_FRAME}, got ${capacity}`);
    }
    this.capacity = capacity;
    // Its own ArrayBuffer (not the pool's), so the view starts at offset 0.
    this.bytes = Buffer.from(new ArrayBuffer(frameByteLength(capacity)));
    this.view = new DataView(this.bytes.buffer);
  }

  get length(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  append(
    seq: number,
    source: number,
    venue: number,
    instrument: number,
    flags: number,
    sendTimeUs: number,
    bid: number,
    ask: number,
    bidSize: number,
    askSize: number,
  ): void {
    const v = this.view;
    const o = FRAME_HEADER_BYTES + this.count * TICK_BYTES;
    v.setUint32(o, seq, true);
    v.setUint16(o + 4, source, true);
    v.setUint16(o + 6, venue, true);
    v.setUint32(o + 8, instrument, true);
    v.setUint16(o + 12, flags, true);
    v.setUint16(o + 14, 0, true);
    v.setFloat64(o + 16, sendTimeUs, true);
    v.setFloat64(o + 24, bid, true);
    v.setFloat64(o + 32, ask, true);
    v.setFloat32(o + 40, bidSize, true);
    v.setFloat32(o + 44, askSize, true);
    this.count++;
  }

  /**
   * `append` with the tick's fields read where its generator holds them (flags 0, send time its
   * intended time): no double crosses the call, so none is boxed whether or not it is inlined.
   */
  appendQuote(seq: number, source: number, q: TickQuote): void {
    const v = this.view;
    const o = FRAME_HEADER_BYTES + this.count * TICK_BYTES;
    v.setUint32(o, seq, true);
    v.setUint16(o + 4, source, true);
    v.setUint16(o + 6, q.venue, true);
    v.setUint32(o + 8, q.instrument, true);
    v.setUint16(o + 12, 0, true);
    v.setUint16(o + 14, 0, true);
    v.setFloat64(o + 16, q.intendedUs, true);
    v.setFloat64(o + 24, q.bid, true);
    v.setFloat64(o + 32, q.ask, true);
    v.setFloat32(o + 40, q.bidSize, true);
    v.setFloat32(o + 44, q.askSize, true);
    this.count++;
  }

  /** Writes the header and returns a copy of the frame; the writer is then empty again. */
  finish(source: number, keyGroup: number, producedAtUs: number): Buffer {
    this.view.setFloat64(16, producedAtUs, true);
    return this.finishStamped(source, keyGroup);
  }

  /** `finish` stamped with producedAtUs = at[0]: no double crosses the call, so none is boxed per frame. */
  finishAt(source: number, keyGroup: number, at: Float64Array): Buffer {
    this.view.setFloat64(16, at[0]!, true);
    return this.finishStamped(source, keyGroup);
  }

  /** The header but its producedAtUs (offset 16, written by the caller), then the copy. */
  private finishStamped(source: number, keyGroup: number): Buffer {
    const v = this.view;
    v.setUint32(0, FRAME_MAGIC, true);
    v.setUint8(4, FRAME_VERSION);
    v.setUint8(5, 0);
    v.setUint16(6, this.count, true);
    v.setUint16(8, source, true);
    v.setUint16(10, 0, true);
    v.setUint32(12, keyGroup, true);
    const out = Buffer.allocUnsafe(frameByteLength(this.count));
    this.bytes.copy(out, 0, 0, out.length);
    this.count = 0;
    return out;
  }
}

export type FrameProblem = 'truncated' | 'bad-magic' | 'bad-version' | 'length-mismatch';

/**
 * Checks a received record value before anything reads it as ticks. Returns the problem, or
 * null when the frame is well formed.
 */
export function validateFrame(bytes: Uint8Array): FrameProblem | null {
  if (bytes.byteLength < FRAME_HEADER_BYTES) return 'truncated';
  // Read byte by byte: a DataView per call was an object per record (one tick per record).
  if ((bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0 !== FRAME_MAGIC) return 'bad-magic';
  if (bytes[4] !== FRAME_VERSION) return 'bad-version';
  const count = bytes[6]! | (bytes[7]! << 8);
  if (bytes.byteLength !== frameByteLength(count)) return 'length-mismatch';
  return null;
}

/**
 * A DataView over a whole buffer, made again only when frames come from another buffer: the
 * frames of a worker task share one buffer, and a view per frame was garbage per record.
 */
class WholeBufferView {
  private buffer: ArrayBufferLike | null = null;
  view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  of(bytes: Uint8Array): DataView<ArrayBufferLike> {
    if (bytes.buffer !== this.buffer) {
      this.buffer = bytes.buffer;
      this.view = new DataView(bytes.buffer);
    }
    return this.view;
  }
}

const ticksView = new WholeBufferView();

export type TickProblem = 'bad-timestamp' | 'source-mismatch';

/**
 * Checks a well-formed frame's ticks (O(ticks), for the worker, before anything is recorded): every
 * timestamp finite, and every tick's source the header's. A tick naming another source would
 * mark that source's seq as delivered and hide its loss; a NaN time cannot be recorded.
 */
export function validateTicks(bytes: Uint8Array): TickProblem | null {
  const v = ticksView.of(bytes);
  const base = bytes.byteOffset;
  if (!Number.isFinite(v.getFloat64(base + 16, true))) return 'bad-timestamp';
  const count = v.getUint16(base + 6, true);
  const source = v.getUint16(base + 8, true);
  for (let i = 0, o = base + FRAME_HEADER_BYTES; i < count; i++, o += TICK_BYTES) {
    if (v.getUint16(o + 4, true) !== source) return 'source-mismatch';
    if (!Number.isFinite(v.getFloat64(o + 16, true))) return 'bad-timestamp';
  }
  return null;
}

/** Reads a frame in place. Point it at a frame with `reset`; tick accessors take the tick index. */
export class FrameReader {
  private readonly whole = new WholeBufferView();
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(FRAME_HEADER_BYTES));
  /** Where the frame starts in the view's buffer. */
  private base = 0;

  reset(bytes: Uint8Array): this {
    this.view = this.whole.of(bytes);
    this.base = bytes.byteOffset;
    return this;
  }

  get tickCount(): number {
    return this.view.getUint16(this.base + 6, true);
  }
  get source(): number {
    return this.view.getUint16(this.base + 8, true);
  }
  get keyGroup(): number {
    return this.view.getUint32(this.base + 12, true);
  }
  get producedAtUs(): number {
    return this.view.getFloat64(this.base + 16, true);
  }

  seq(i: number): number {
    return this.view.getUint32(this.base + FRAME_HEADER_BYTES + i * TICK_BYTES, true);
  }
  tickSource(i: number): number {
    return this.view.getUint16(this.base + FRAME_HEADER_BYTES + i * TICK_BYTES + 4, true);
  }
  venue(i: number): number {
    return this.view.getUint16(this.base + FRAME_HEADER_BYTES + i * TICK_BYTES + 6, true);
  }
  instrument(i: number): number {
    return this.view.getUint32(this.base + FRAME_HEADER_BYTES + i * TICK_BYTES + 8, true);
  }
  flags(i: number): number {
    return this.view.getUint16(this.base + FRAME_HEADER_BYTES + i * TICK_BYTES + 12, true);
  }
  sendTimeUs(i: number): number {
    return this.view.getFloat64(this.base + FRAME_HEADER_BYTES + i * TICK_BYTES + 16, true);
  }
  bid(i: number): number {
    return this.view.getFloat64(this.base + FRAME_HEADER_BYTES + i * TICK_BYTES + 24, true);
  }
  ask(i: number): number {
    return this.view.getFloat64(this.base + FRAME_HEADER_BYTES + i * TICK_BYTES + 32, true);
  }
  bidSize(i: number): number {
    return this.view.getFloat32(this.base + FRAME_HEADER_BYTES + i * TICK_BYTES + 40, true);
  }
  askSize(i: number): number {
    return this.view.getFloat32(this.base + FRAME_HEADER_BYTES + i * TICK_BYTES + 44, true);
  }

  /** Copies one tick into an object. For tests and tools only: the hot path uses the accessors. */
  tick(i: number): TickFields {
    return {
      seq: this.seq(i),
      source: this.tickSource(i),
      venue: this.venue(i),
      instrument: this.instrument(i),
      flags: this.flags(i),
      sendTimeUs: this.sendTimeUs(i),
      bid: this.bid(i),
      ask: this.ask(i),
      bidSize: this.bidSize(i),
      askSize: this.askSize(i),
    };
  }
}

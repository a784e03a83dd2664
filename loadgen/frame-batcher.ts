import type { ClockUs } from '../wire/clock.js';
import { FrameWriter, MAX_TICKS_PER_FRAME, type TickQuote } from '../wire/tick-frame.js';

/** Receives each finished frame. `frame` is a fresh copy the receiver may keep or transfer. */
export type FrameSink = (keyGroup: number, frame: Buffer, tickCount: number) => void;

export interface FrameBatcherOptions {
  keyGroups: number;
  ticksPerRecord: number;
  /** Stamps `producedAtUs` on frames that are finished because they filled up. */
  clock: ClockUs;
  onFrame: FrameSink;
}

/**
 * Packs ticks into one open frame per key group, because a Kafka record per tick caps throughput
 * at the client's per-message cost. A frame goes out when it is full (size) or when its oldest
 * tick has waited `lingerUs` (time, via `flushOlderThan`), whichever comes first.
 *
 * A group holds a FrameWriter only while its frame is open; finished frames return their writer
 * to a free list. Writer memory (ticksPerRecord × 48 bytes each) therefore follows the number of
 * frames open at once, which the linger bounds, rather than the number of groups ever used: with
 * a writer per group, a million instruments at 256 ticks per record would pin 12 GB.
 */
export class FrameBatcher {
  readonly keyGroups: number;
  readonly ticksPerRecord: number;
  private readonly clock: ClockUs;
  private readonly onFrame: FrameSink;
  /** The writer of each group's open frame; undefined while the group has no open frame. */
  private readonly writers: (FrameWriter | undefined)[];
  private readonly freeWriters: FrameWriter[] = [];
  /** Source stamped in the header of each group's open frame. */
  private readonly frameSource: Uint16Array;
  /** When each group's open frame received its first tick (µs); meaningful while it is open. */
  private readonly firstAppendUs: Float64Array;
  /**
   * Groups that may have an open frame, so that linger flushes visit only those rather than every
   * group. A group is listed at most once (`listed`); closed groups are dropped at the next flush.
   */
  private readonly openGroups: Uint32Array;
  private readonly listed: Uint8Array;
  private openGroupCount = 0;
  /** [0] the producedAtUs of the frame being finished: a double passed to a call that is not inlined is boxed. */
  private readonly stamp = new Float64Array(1);
  private frames = 0;

  constructor(options: FrameBatcherOptions) {
    const { keyGroups, ticksPerRecord } = options;
    if (!Number.isInteger(keyGroups) || keyGroups < 1 || keyGroups > 0xffffffff) {
      throw new RangeError(`FrameBatcher keyGroups must be an integer in 1..${0xffffffff}, got ${keyGroups}`);
    }
    if (!Number.isInteger(ticksPerRecord) || ticksPerRecord < 1 || ticksPerRecord > MAX_TICKS_PER_FRAME) {
      throw new RangeError(`FrameBatcher ticksPerRecord must be an integer in 1..${MAX_TICKS_PER_FRAME}, got ${ticksPerRecord}`);
    }
    this.keyGroups = keyGroups;
    this.ticksPerRecord = ticksPerRecord;
    this.clock = options.clock;
    this.onFrame = options.onFrame;
    // Filled element by element: `new Array(n)` with a large n gives a slow dictionary-mode array.
    this.writers = [];
    for (let g = 0; g < keyGroups; g++) this.writers.push(undefined);
    this.frameSource = new Uint16Array(keyGroups);
    this.firstAppendUs = new Float64Array(keyGroups);
    this.openGroups = new Uint32Array(keyGroups);
    this.listed = new Uint8Array(keyGroups);
  }

  /** Frames handed to `onFrame` so far. */
  get framesEmitted(): number {
    return this.frames;
  }

  /**
   * Appends one tick to its group's frame; hands the frame on when it is full. A frame carries a
   * single source, so a tick from a different source first closes the group's open frame.
   */
  add(
    keyGroup: number,
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
    const writer = this.writerFor(keyGroup, source);
    writer.append(seq, source, venue, instrument, flags, sendTimeUs, bid, ask, bidSize, askSize);
    if (writer.full) this.emitNow(keyGroup, writer);
  }

  /** The key group's open frame, or a new one (a frame holds one source's ticks: another source closes it first). */
  private writerFor(keyGroup: number, source: number): FrameWriter {
    const writer = this.writers[keyGroup];
    if (writer === undefined) return this.openFrame(keyGroup, source);
    if (this.frameSource[keyGroup] === source) return writer;
    this.emitNow(keyGroup, writer);
    return this.openFrame(keyGroup, source);
  }

  /** `add` with the tick's fields read from its generator (flags 0): no double crosses a call, so none is boxed. */
  addQuote(keyGroup: number, seq: number, source: number, quote: TickQuote): void {
    const writer = this.writerFor(keyGroup, source);
    writer.appendQuote(seq, source, quote);
    if (writer.full) this.emitNow(keyGroup, writer);
  }

  /** Finishes every non-empty frame whose first tick was appended at least `lingerUs` before `nowUs`. */
  flushOlderThan(nowUs: number, lingerUs: number): void {
    this.flushWhere(nowUs - lingerUs, nowUs);
  }

  /** Finishes every non-empty frame, e.g. at the end of a run. */
  flushAll(nowUs: number): void {
    this.flushWhere(Infinity, nowUs);
  }

  private flushWhere(appendedNoLaterThanUs: number, nowUs: number): void {
    const open = this.openGroups;
    this.stamp[0] = nowUs;
    let kept = 0;
    for (let i = 0; i < this.openGroupCount; i++) {
      const group = open[i];
      const writer = this.writers[group];
      if (writer !== undefined && this.firstAppendUs[group] <= appendedNoLaterThanUs) {
        this.emit(group, writer);
      }
      if (this.writers[group] !== undefined) open[kept++] = group;
      else this.listed[group] = 0;
    }
    this.openGroupCount = kept;
  }

  /** Finishes the group's frame stamped with the clock now. */
  private emitNow(keyGroup: number, writer: FrameWriter): void {
    this.stamp[0] = this.clock();
    this.emit(keyGroup, writer);
  }

  /** Finishes the group's frame, stamped with stamp[0], and hands it on. */
  private emit(keyGroup: number, writer: FrameWriter): void {
    const tickCount = writer.length;
    const frame = writer.finishAt(this.frameSource[keyGroup], keyGroup, this.stamp);
    this.writers[keyGroup] = undefined;
    this.freeWriters.push(writer);
    this.frames++;
    this.onFrame(keyGroup, frame, tickCount);
  }

  /** Gives the group an empty writer (reused when one is free) and starts its linger clock. */
  private openFrame(keyGroup: number, source: number): FrameWriter {
    if (!Number.isInteger(keyGroup) || keyGroup < 0 || keyGroup >= this.keyGroups) {
      throw new RangeError(`key group must be an integer in 0..${this.keyGroups - 1}, got ${keyGroup}`);
    }
    const writer = this.freeWriters.pop() ?? new FrameWriter(this.ticksPerRecord);
    this.writers[keyGroup] = writer;
    this.firstAppendUs[keyGroup] = this.clock();
    this.frameSource[keyGroup] = source;
    if (this.listed[keyGroup] === 0) {
      this.listed[keyGroup] = 1;
      this.openGroups[this.openGroupCount++] = keyGroup;
    }
    return writer;
  }
}

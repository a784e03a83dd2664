/**
 * Frames packed into a single ArrayBuffer, so moving them between threads costs one transferred
 * buffer however many there are: one analytics task's frames, or one slice of the generator
 * thread's output. Moving every record as its own transferable made
 * postMessage the main thread's largest cost at one tick per record (26% of its CPU, profiled
 * with bench-style runs of 1-tick frames), and transfers are paid per buffer. The analytics
 * tasks go further: frames are copied into shared memory as they arrive (FrameAppender), reused
 * task after task (ingest/partition-dispatcher.ts), so no buffer is allocated or moved per task and
 * no record object waits on the consumer's thread.
 */

/** Bytes before the frames for `count` frames: header, times, ends, padded to 8. */
function headerBytes(count: number): number {
  return 8 + count * 8 + Math.ceil((count * 4) / 8) * 8;
}

/**
 * Layout (little-endian), c = the capacity field, or n when it is 0:
 *   0                 u32      count n
 *   4                 u32      capacity: frames the header has room for (0: exactly n); a buffer
 *                              filled frame by frame (FrameAppender) reserves its header first
 *   8                 f64[c]   a time per frame, µs (analytics tasks: when the consumer received it);
 *                              the first n are used
 *   8 + 8c            u32[c]   end of frame i, in bytes from the start of the frames area
 *   headerBytes(c)    bytes    the frames back to back, each exactly as it came from Kafka
 */
export function packFrames(values: readonly Uint8Array[], receivedUs: readonly number[]): ArrayBuffer {
  const buffer = new ArrayBuffer(packedByteLength(values));
  packFramesInto(buffer, values, receivedUs);
  return buffer;
}

/** Bytes `packFrames` needs for these frames. */
export function packedByteLength(values: readonly Uint8Array[]): number {
  let total = headerBytes(values.length);
  for (let i = 0; i < values.length; i++) total += values[i]!.byteLength;
  return total;
}

/**
 * Packs into an existing buffer (at least `packedByteLength(values)` bytes, from byte 0), so a
 * reused buffer — shared memory that stays put rather than one allocated and moved per task — can
 * carry the frames.
 */
export function packFramesInto(buffer: ArrayBufferLike, values: readonly Uint8Array[], receivedUs: readonly number[]): void {
  const count = values.length;
  const start = headerBytes(count);
  const head = new Uint32Array(buffer, 0, 2);
  head[0] = count;
  head[1] = 0;
  const times = new Float64Array(buffer, 8, count);
  const ends = new Uint32Array(buffer, 8 + count * 8, count);
  const bytes = new Uint8Array(buffer);
  let at = start;
  for (let i = 0; i < count; i++) {
    const value = values[i]!;
    times[i] = receivedUs[i]!;
    bytes.set(value, at);
    at += value.byteLength;
    ends[i] = at - start;
  }
}

/** Reads a packed task in place: frame i as a view, never a copy. */
export class PackedFrames {
  private buffer: ArrayBufferLike = new ArrayBuffer(8);
  private times: Float64Array = new Float64Array(0);
  private ends: Uint32Array = new Uint32Array(0);
  private start = 8;
  count = 0;

  reset(buffer: ArrayBufferLike): this {
    const head = new Uint32Array(buffer, 0, 2);
    const count = head[0]!;
    const capacity = head[1]! || count;
    this.buffer = buffer;
    this.count = count;
    this.times = new Float64Array(buffer, 8, count);
    this.ends = new Uint32Array(buffer, 8 + capacity * 8, count);
    this.start = headerBytes(capacity);
    return this;
  }

  frame(i: number): Uint8Array {
    const from = i === 0 ? 0 : this.ends[i - 1]!;
    return new Uint8Array(this.buffer, this.start + from, this.ends[i]! - from);
  }

  /** Where frame i starts in the buffer, in bytes: a caller that wants its own kind of view makes just that one. */
  byteOffset(i: number): number {
    return this.start + (i === 0 ? 0 : this.ends[i - 1]!);
  }

  byteLength(i: number): number {
    return this.ends[i]! - (i === 0 ? 0 : this.ends[i - 1]!);
  }

  receivedUs(i: number): number {
    return this.times[i]!;
  }
}

/**
 * Fills a buffer in the layout above one frame at a time, as frames arrive, with room reserved
 * for `capacity` frames: a consumer's records are copied in when they are received and need not be
 * kept. `reset` empties it for reuse.
 */
export class FrameAppender {
  private readonly head: Uint32Array;
  private readonly times: Float64Array;
  private readonly ends: Uint32Array;
  private readonly bytes: Uint8Array;
  private readonly start: number;
  count = 0;
  /** Bytes of frames appended. */
  frameBytes = 0;

  /** Bytes a buffer needs for `capacity` frames of `frameBytes` bytes in all. */
  static bufferBytes(capacity: number, frameBytes: number): number {
    return headerBytes(capacity) + frameBytes;
  }

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly capacity: number,
  ) {
    this.start = headerBytes(capacity);
    if (buffer.byteLength < this.start) throw new RangeError(`a buffer of ${buffer.byteLength} bytes has no room for ${capacity} frames`);
    this.head = new Uint32Array(buffer, 0, 2);
    this.times = new Float64Array(buffer, 8, capacity);
    this.ends = new Uint32Array(buffer, 8 + capacity * 8, capacity);
    this.bytes = new Uint8Array(buffer);
    this.reset();
  }

  /** Whether one more frame of `byteLength` bytes fits. */
  fits(byteLength: number): boolean {
    return this.count < this.capacity && this.start + this.frameBytes + byteLength <= this.buffer.byteLength;
  }

  /** Appends a frame (check `fits` first) and when it was received. */
  append(value: Uint8Array, receivedUs: number): void {
    const i = this.count;
    this.bytes.set(value, this.start + this.frameBytes);
    this.frameBytes += value.byteLength;
    this.times[i] = receivedUs;
    this.ends[i] = this.frameBytes;
    this.count = i + 1;
    this.head[0] = i + 1;
  }

  /** Frame i as a view of the buffer (valid until the next reset). */
  frame(i: number): Uint8Array {
    const from = i === 0 ? 0 : this.ends[i - 1]!;
    return new Uint8Array(this.buffer, this.start + from, this.ends[i]! - from);
  }

  receivedUs(i: number): number {
    return this.times[i]!;
  }

  reset(): void {
    this.count = 0;
    this.frameBytes = 0;
    this.head[0] = 0;
    this.head[1] = this.capacity;
  }
}

/**
 * Frames packed into a single ArrayBuffer, so moving them between threads costs one transferred
 * buffer however many there are: one analytics task's frames, or one slice of the generator
 * thread's output. Moving every record as its own transferable made
 * postMessage the main thread's largest cost at one tick per record (26% of its CPU, profiled
 * with bench-style runs of 1-tick frames), and transfers are paid per buffer. The analytics
 * tasks go further: each partition packs into shared memory of its own, reused task after task
 * (ingest/partition-dispatcher.ts), so no buffer is allocated or moved per task.
 */

/** Bytes before the frames for `count` frames: header, times, ends, padded to 8. */
function headerBytes(count: number): number {
  return 8 + count * 8 + Math.ceil((count * 4) / 8) * 8;
}

/**
 * Layout (little-endian):
 *   0                 u32      count n
 *   4                 u32      reserved (0)
 *   8                 f64[n]   a time per frame, µs (analytics tasks: when the consumer received it)
 *   8 + 8n            u32[n]   end of frame i, in bytes from the start of the frames area
 *   headerBytes(n)    bytes    the frames back to back, each exactly as it came from Kafka
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
  new Uint32Array(buffer, 0, 1)[0] = count;
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
    const count = new Uint32Array(buffer, 0, 1)[0]!;
    this.buffer = buffer;
    this.count = count;
    this.times = new Float64Array(buffer, 8, count);
    this.ends = new Uint32Array(buffer, 8 + count * 8, count);
    this.start = headerBytes(count);
    return this;
  }

  frame(i: number): Uint8Array {
    const from = i === 0 ? 0 : this.ends[i - 1]!;
    return new Uint8Array(this.buffer, this.start + from, this.ends[i]! - from);
  }

  receivedUs(i: number): number {
    return this.times[i]!;
  }
}

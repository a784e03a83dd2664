import { HIGHEST_TRACKABLE_US, type Histogram } from './latency-histogram.js';

/*
 * The bucket layout of createLatencyHistogram's HDR histograms (lowest discernible value 1, 3
 * significant digits): 2,048 sub-buckets, so values below 2,048 are exact and bucket b >= 1 holds
 * values [1024·2^b, 2048·2^b) in steps of 2^b. The counts index of a value is HdrHistogram's
 * countsArrayIndex with unitMagnitude 0 and subBucketHalfCountMagnitude 10.
 */
const SUB_BUCKET_HALF_MAGNITUDE = 10;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_MAGNITUDE;
const SUB_BUCKET_MASK = 2 * SUB_BUCKET_HALF_COUNT - 1;
/** 32 - unitMagnitude - subBucketHalfCountMagnitude - 1, for Math.clz32 (values below 2^32). */
const LEADING_ZERO_BASE = 32 - SUB_BUCKET_HALF_MAGNITUDE - 1;

/** The counts index of an integer value in [0, 2^32). */
export function bucketIndexOf(value: number): number {
  const bucket = LEADING_ZERO_BASE - Math.clz32(value | SUB_BUCKET_MASK);
  const sub = value >>> bucket;
  return ((bucket + 1) << SUB_BUCKET_HALF_MAGNITUDE) + sub - SUB_BUCKET_HALF_COUNT;
}

/** The lowest value of a counts index's bucket: recorded into the histogram, it lands in that bucket. */
export function bucketValueOf(index: number): number {
  let bucket = (index >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
  let sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  if (bucket < 0) {
    sub -= SUB_BUCKET_HALF_COUNT;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

const COUNTS_LENGTH = bucketIndexOf(HIGHEST_TRACKABLE_US) + 1;

/**
 * Latencies counted by histogram bucket in this thread's memory, then added to a histogram in one
 * call per bucket used. A call into the WebAssembly histogram per value cost about 0.13 µs, five of
 * them per record at one tick per record (per-tick end-to-end and schedule, per-frame stages);
 * counting here is an index and an increment. Exact: the histogram gets the same count in the same
 * bucket as if each value had been recorded (its encoded form, which is all that leaves the
 * worker, holds only the counts).
 */
export class LatencyTally {
  private readonly counts = new Float64Array(COUNTS_LENGTH);
  /** Indexes whose count is not 0, so a flush visits only those. */
  private readonly used = new Int32Array(COUNTS_LENGTH);
  private usedCount = 0;
  /** Values counted since the last flush. */
  total = 0;

  /**
   * Counts a latency `count` times, clamped into the trackable range as recordLatency does
   * (negative: clock skew). A count of 0 (a frame of no ticks, which any producer on the topic can
   * send) counts nothing: its bucket would be listed as used again on every call.
   */
  record(valueUs: number, count = 1): void {
    if (!(count > 0)) return;
    const v = valueUs < 0 ? 0 : valueUs > HIGHEST_TRACKABLE_US ? HIGHEST_TRACKABLE_US : Math.round(valueUs);
    const index = bucketIndexOf(v);
    if (this.counts[index] === 0) this.used[this.usedCount++] = index;
    this.counts[index] += count;
    this.total += count;
  }

  /** Adds the counts to `histogram` and zeroes them here. */
  flushInto(histogram: Histogram): void {
    const counts = this.counts;
    const used = this.used;
    for (let i = 0; i < this.usedCount; i++) {
      const index = used[i]!;
      const count = counts[index]!;
      if (count === 1) histogram.recordValue(bucketValueOf(index));
      else histogram.recordValueWithCount(bucketValueOf(index), count);
      counts[index] = 0;
    }
    this.usedCount = 0;
    this.total = 0;
  }
}

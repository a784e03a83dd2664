import type { Prng } from './prng.js';

/**
 * Zipf(s) over n items: item i (rank i+1) has probability (i+1)^-s / H(n, s). Market activity
 * is this skewed: a few instruments carry most of the ticks, which is what stresses hot
 * partitions.
 *
 * Sampling is O(1) through Walker's alias table (built with Vose's stable method): pick a column
 * uniformly, then keep it or take its alias with a biased coin. The tables are typed arrays, so a
 * million instruments cost 12 MB and no garbage.
 */
export class ZipfSampler {
  readonly n: number;
  readonly exponent: number;
  /** Probability of keeping column i rather than jumping to alias[i]. */
  private readonly keepProbability: Float64Array;
  private readonly alias: Uint32Array;
  /** H(n, s), so that `probability` can return the exact pmf. */
  private readonly normalizer: number;

  constructor(n: number, exponent = 1.0) {
    if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) {
      throw new RangeError(`zipf n must be an integer in 1..${0xffffffff}, got ${n}`);
    }
    if (!Number.isFinite(exponent) || exponent < 0) {
      throw new RangeError(`zipf exponent must be a finite number ≥ 0, got ${exponent}`);
    }
    this.n = n;
    this.exponent = exponent;

    const weight = new Float64Array(n);
    let total = 0;
    // Summing from the smallest weight up keeps the rounding error of the total small.
    for (let i = n - 1; i >= 0; i--) {
      weight[i] = Math.pow(i + 1, -exponent);
      total += weight[i];
    }
    this.normalizer = total;

    const keep = new Float64Array(n);
    const alias = new Uint32Array(n);
    // Each column holds mass 1 after scaling by n / total; columns below 1 borrow from one above.
    const scaled = weight;
    for (let i = 0; i < n; i++) scaled[i] = (weight[i] * n) / total;
    const small = new Uint32Array(n);
    const large = new Uint32Array(n);
    let smallCount = 0;
    let largeCount = 0;
    for (let i = 0; i < n; i++) {
      if (scaled[i] < 1) small[smallCount++] = i;
      else large[largeCount++] = i;
    }
    while (smallCount > 0 && largeCount > 0) {
      const lo = small[--smallCount];
      const hi = large[--largeCount];
      keep[lo] = scaled[lo];
      alias[lo] = hi;
      scaled[hi] = scaled[hi] + scaled[lo] - 1;
      if (scaled[hi] < 1) small[smallCount++] = hi;
      else large[largeCount++] = hi;
    }
    // Whatever is left is 1 up to rounding error: those columns always keep themselves.
    while (largeCount > 0) {
      const i = large[--largeCount];
      keep[i] = 1;
      alias[i] = i;
    }
    while (smallCount > 0) {
      const i = small[--smallCount];
      keep[i] = 1;
      alias[i] = i;
    }
    this.keepProbability = keep;
    this.alias = alias;
  }

  /** An item index in [0, n); index 0 is the most likely. Consumes two draws of `rng`. */
  sample(rng: Prng): number {
    const column = rng.nextBelow(this.n);
    return rng.nextFloat() < this.keepProbability[column] ? column : this.alias[column];
  }

  /** The exact probability of item i, for tests and reports. */
  probability(item: number): number {
    if (!Number.isInteger(item) || item < 0 || item >= this.n) return 0;
    return Math.pow(item + 1, -this.exponent) / this.normalizer;
  }
}

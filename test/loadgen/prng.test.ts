import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Prng } from '../../loadgen/prng.js';

const DRAWS = 100_000;

function meanAndVariance(draw: () => number): { mean: number; variance: number } {
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < DRAWS; i++) {
    const x = draw();
    sum += x;
    sumSq += x * x;
  }
  const mean = sum / DRAWS;
  return { mean, variance: sumSq / DRAWS - mean * mean };
}

describe('Prng', () => {
  it('repeats the same sequence for the same seed', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (seed) => {
        const a = new Prng(seed);
        const b = new Prng(seed);
        for (let i = 0; i < 64; i++) {
          expect(a.nextUint32()).toBe(b.nextUint32());
          expect(a.nextGaussian()).toBe(b.nextGaussian());
        }
      }),
    );
  });

  it('gives different sequences for neighbouring seeds and for seeds differing above bit 31', () => {
    const first = (seed: number): number[] => {
      const rng = new Prng(seed);
      return Array.from({ length: 8 }, () => rng.nextUint32());
    };
    expect(first(1)).not.toEqual(first(2));
    expect(first(5)).not.toEqual(first(5 + 2 ** 32));
    expect(first(0)).not.toEqual(first(-1));
  });

  it('rejects seeds that are not safe integers', () => {
    expect(() => new Prng(1.5)).toThrow(RangeError);
    expect(() => new Prng(Number.NaN)).toThrow(RangeError);
    expect(() => new Prng(2 ** 60)).toThrow(RangeError);
  });

  it('nextUint32 covers the 32-bit range as integers', () => {
    const rng = new Prng(7);
    let max = 0;
    let highBitSet = 0;
    let outOfRange = 0;
    for (let i = 0; i < DRAWS; i++) {
      const x = rng.nextUint32();
      if (!Number.isInteger(x) || x < 0 || x >= 2 ** 32) outOfRange++;
      if (x > max) max = x;
      if (x >= 2 ** 31) highBitSet++;
    }
    expect(outOfRange).toBe(0);
    expect(max).toBeGreaterThan(2 ** 32 * 0.999);
    expect(Math.abs(highBitSet / DRAWS - 0.5)).toBeLessThan(0.01);
  });

  it('nextFloat is uniform on [0, 1): mean 1/2, variance 1/12, flat deciles', () => {
    const rng = new Prng(11);
    const deciles = new Array<number>(10).fill(0);
    let outOfRange = 0;
    const { mean, variance } = meanAndVariance(() => {
      const x = rng.nextFloat();
      if (!(x >= 0 && x < 1)) outOfRange++;
      else deciles[Math.floor(x * 10)]++;
      return x;
    });
    expect(outOfRange).toBe(0);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
    for (const count of deciles) expect(Math.abs(count / DRAWS - 0.1)).toBeLessThan(0.005);
  });

  it('nextBelow stays in [0, n) and hits every value', () => {
    const rng = new Prng(13);
    const seen = new Array<number>(7).fill(0);
    for (let i = 0; i < 70_000; i++) seen[rng.nextBelow(7)]++;
    for (const count of seen) expect(Math.abs(count / 70_000 - 1 / 7)).toBeLessThan(0.01);
  });

  it('nextGaussian is standard normal: mean 0, variance 1, ~68.3% within 1σ, no NaN', () => {
    const rng = new Prng(17);
    let withinOneSigma = 0;
    let notFinite = 0;
    const { mean, variance } = meanAndVariance(() => {
      const z = rng.nextGaussian();
      if (!Number.isFinite(z)) notFinite++;
      if (Math.abs(z) < 1) withinOneSigma++;
      return z;
    });
    expect(notFinite).toBe(0);
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
    expect(Math.abs(withinOneSigma / DRAWS - 0.6827)).toBeLessThan(0.006);
  });
});

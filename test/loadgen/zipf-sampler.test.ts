import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Prng } from '../../loadgen/prng.js';
import { ZipfSampler } from '../../loadgen/zipf-sampler.js';

function frequencies(sampler: ZipfSampler, seed: number, draws: number): Float64Array {
  const rng = new Prng(seed);
  const counts = new Float64Array(sampler.n);
  for (let i = 0; i < draws; i++) counts[sampler.sample(rng)]++;
  for (let i = 0; i < counts.length; i++) counts[i] /= draws;
  return counts;
}

describe('ZipfSampler', () => {
  it('has the exact Zipf pmf: weight 1/r^s, normalised', () => {
    const sampler = new ZipfSampler(1000, 1);
    let harmonic = 0;
    for (let r = 1; r <= 1000; r++) harmonic += 1 / r;
    expect(sampler.probability(0)).toBeCloseTo(1 / harmonic, 12);
    expect(sampler.probability(9)).toBeCloseTo(1 / 10 / harmonic, 12);
    let total = 0;
    for (let i = 0; i < 1000; i++) total += sampler.probability(i);
    expect(total).toBeCloseTo(1, 12);
    expect(sampler.probability(1000)).toBe(0);
  });

  it('samples the top ranks at their exact probabilities (fixed seed, 1M draws)', () => {
    const draws = 1_000_000;
    for (const [n, s] of [
      [1000, 1],
      [50, 1.5],
      [10, 0.5],
    ] as const) {
      const sampler = new ZipfSampler(n, s);
      const observed = frequencies(sampler, 42, draws);
      for (let i = 0; i < Math.min(n, 20); i++) {
        const p = sampler.probability(i);
        const standardError = Math.sqrt((p * (1 - p)) / draws);
        expect(Math.abs(observed[i] - p), `n=${n} s=${s} item ${i}`).toBeLessThan(5 * standardError);
      }
    }
  });

  it('is uniform when s = 0 and constant when n = 1', () => {
    const uniform = frequencies(new ZipfSampler(8, 0), 3, 400_000);
    for (const f of uniform) expect(Math.abs(f - 1 / 8)).toBeLessThan(0.003);
    const rng = new Prng(1);
    const single = new ZipfSampler(1, 1);
    for (let i = 0; i < 1000; i++) expect(single.sample(rng)).toBe(0);
  });

  it('always samples an integer in [0, n)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 4, noNaN: true }), fc.integer(), (n, s, seed) => {
        const sampler = new ZipfSampler(n, s);
        const rng = new Prng(seed);
        for (let i = 0; i < 500; i++) {
          const item = sampler.sample(rng);
          if (!Number.isInteger(item) || item < 0 || item >= n) return false;
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it('rejects bad n and s', () => {
    expect(() => new ZipfSampler(0)).toThrow(RangeError);
    expect(() => new ZipfSampler(2.5)).toThrow(RangeError);
    expect(() => new ZipfSampler(10, -0.1)).toThrow(RangeError);
    expect(() => new ZipfSampler(10, Number.NaN)).toThrow(RangeError);
    expect(() => new ZipfSampler(10, Infinity)).toThrow(RangeError);
  });
});

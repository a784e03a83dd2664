import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kendall, permutationPValue, spearman } from '../../analytics/rank-correlation.js';
import { prng } from './helpers.js';

describe('rank correlations', () => {
  it('are 1 for the same order, −1 for the reverse, and known values on a small example', () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    expect(
      spearman(
        x,
        x.map((v) => v * v),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      kendall(
        x,
        x.map((v) => -v),
      ),
    ).toBeCloseTo(-1, 12);
    // One adjacent swap among 5: ρ = 1 − 6·2/(5·24) = 0.9, τ = (9 − 1)/10 = 0.8.
    expect(spearman([1, 2, 3, 4, 5], [1, 2, 3, 5, 4])).toBeCloseTo(0.9, 12);
    expect(kendall([1, 2, 3, 4, 5], [1, 2, 3, 5, 4])).toBeCloseTo(0.8, 12);
  });

  it('stay within [−1, 1] and are symmetric in their arguments', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 2, maxLength: 15 }), fc.integer(), (a, seed) => {
        const r = prng(seed);
        const b = a.map(() => Math.floor(r() * 7));
        for (const stat of [spearman, kendall]) {
          const v = stat(a, b);
          expect(v).toBeGreaterThanOrEqual(-1 - 1e-12);
          expect(v).toBeLessThanOrEqual(1 + 1e-12);
          expect(stat(b, a)).toBeCloseTo(v, 12);
        }
      }),
    );
  });

  it('gives a small permutation p-value to a perfect ranking of 12 and a large one to noise', () => {
    const truth = Array.from({ length: 12 }, (_, k) => k);
    const r = prng(3);
    expect(permutationPValue(truth, truth, kendall, 999, r)).toBeLessThan(0.01);
    const shuffled = [5, 2, 11, 0, 7, 3, 9, 1, 10, 4, 8, 6];
    expect(permutationPValue(shuffled, truth, kendall, 999, r)).toBeGreaterThan(0.05);
  });
});

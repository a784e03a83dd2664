import { describe, expect, it } from 'vitest';
import { HampelFilter } from '../../analytics/hampel-filter.js';
import { gaussian, prng } from './helpers.js';

describe('HampelFilter', () => {
  it('flags spikes of 10 MADs and not the clean ticks of a random walk; the ticks around them are clean', () => {
    const h = new HampelFilter(1, 32, 6, 0);
    const gauss = gaussian(prng(5));
    let mid = 100;
    let falseFlags = 0;
    let caught = 0;
    for (let k = 0; k < 5000; k++) {
      mid *= Math.exp(1e-4 * gauss());
      if (k > 100 && k % 50 === 0) {
        if (h.flag(0, mid * Math.exp(12e-4))) caught++;
        continue;
      }
      if (h.flag(0, mid, 0) && k > 40) falseFlags++;
    }
    expect(caught).toBeGreaterThanOrEqual(96); // of 98: a MAD from 32 returns is itself noisy
    expect(falseFlags).toBeLessThan(5);
  });

  it('flags non-prices and non-finite returns without touching its state, and takes a new level after 3 flags', () => {
    // A one-bp half spread floors σ (one half spread), as the detector's does.
    const h = new HampelFilter(1, 8, 3, 1);
    for (let k = 0; k < 20; k++) h.flag(0, 100 + (k % 3) * 0.01, 1e-4);
    for (const bad of [NaN, 0, -1, Infinity]) expect(h.flag(0, bad, 1e-4)).toBe(true);
    expect(h.flag(0, 100.01, 1e-4)).toBe(false);
    expect([h.flag(0, 200, 1e-4), h.flag(0, 200, 1e-4), h.flag(0, 200, 1e-4)]).toEqual([true, true, true]);
    expect(h.flag(0, 200.01, 1e-4)).toBe(false);
  });
});

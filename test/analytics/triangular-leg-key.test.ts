import { describe, expect, it } from 'vitest';
import { createAnalyticsState, fxPairUpdateTable } from '../../analytics/analytics-state.js';
import { TriangularDetector } from '../../analytics/triangular-detector.js';

// The trusted-leg cache is keyed by the pair's tick count in the shared state: a sum of 12
// epoch-µs quote times (~2·10¹⁶, where doubles are 4 µs apart) lost a requote a µs later.
describe('triangular leg-cache key', () => {
  it('counts every tick of an FX pair, whichever worker detector saw it, and nothing else', () => {
    const state = createAnalyticsState({ instruments: 40, venues: 12, fxCurrencies: 4, fxFirstInstrument: 20 });
    const a = new TriangularDetector(state, { arbitrageConsensus: true });
    const b = new TriangularDetector(state, { arbitrageConsensus: true });
    const counts = fxPairUpdateTable(state);
    const t0 = 1.7e15;
    a.onTick(20, t0);
    a.onTick(20, t0 + 1);
    b.onTick(20, t0 + 2); // the pair handed over to another worker's detector
    b.onTick(25, t0 + 3);
    a.onTick(19, t0 + 4); // not a pair
    a.onTick(26, t0 + 5); // past the 6 pairs of 4 currencies
    expect(Array.from(counts)).toEqual([3, 0, 0, 0, 0, 1]);
  });
});

import { describe, expect, it } from 'vitest';
import { fxLayout, DEFAULT_FX_FIRST_INSTRUMENT } from '../../analytics/market-conventions.js';
import { FairValueMarket, TruthKind, type FairValueMarketOptions } from '../../loadgen/fair-value-market.js';

function generate(options: Partial<FairValueMarketOptions>, ticks: number, seed = 1) {
  const m = new FairValueMarket({ ...options, seed, ticks });
  const quotes: Array<{ i: number; v: number; bid: number; ask: number; group: number }> = [];
  let now = 1.7e15;
  for (let k = 0; k < ticks; k++) {
    now += 1e6 / m.o.ratePerSec;
    m.nextTick(now);
    quotes.push({ i: m.instrument, v: m.venue, bid: m.bid, ask: m.ask, group: m.keyGroup });
  }
  return { m, quotes };
}

describe('FairValueMarket', () => {
  it("quotes whole ticks of each instrument's tick size, ask above bid, except on injected decimal shifts", () => {
    const { m, quotes } = generate({ instruments: 10 }, 40_000);
    const tick = (m as unknown as { tick: Float64Array }).tick;
    let checked = 0;
    quotes.forEach((q, s) => {
      if (m.truth.kind[s] === TruthKind.DecimalShift) return;
      const t = tick[q.i]!;
      expect(Math.abs(q.bid / t - Math.round(q.bid / t))).toBeLessThan(1e-6);
      expect(Math.abs(q.ask / t - Math.round(q.ask / t))).toBeLessThan(1e-6);
      expect(q.ask).toBeGreaterThan(q.bid);
      checked++;
    });
    expect(checked).toBeGreaterThan(39_000);
  });

  it('labels from the hidden truth: no tradeable cross without a venue dislocation, while lagging quotes still cross', () => {
    const { m } = generate({ dislocationProb: 0, instruments: 20, newsProb: 2e-4 }, 60_000);
    let tradeable = 0;
    let phantom = 0;
    for (let s = 0; s < m.truth.ticks; s++) {
      tradeable += m.truth.tradeable[s]!;
      phantom += m.truth.phantom[s]!;
    }
    expect(tradeable).toBe(0);
    expect(phantom).toBeGreaterThan(0);
    const withDislocations = generate({ dislocationProb: 1e-3, instruments: 20 }, 60_000).m;
    let t2 = 0;
    for (let s = 0; s < withDislocations.truth.ticks; s++) t2 += withDislocations.truth.tradeable[s]!;
    expect(t2).toBeGreaterThan(0);
  });

  it("sizes spikes in σ of the cell's true returns, within the configured range (up to grid rounding)", () => {
    const { m } = generate({ spikeMinSigma: 4, spikeMaxSigma: 6, spikeProb: 0.01, decimalShiftProb: 0 }, 80_000);
    const sizes: number[] = [];
    for (let s = 0; s < m.truth.ticks; s++) if (m.truth.kind[s] === TruthKind.Spike) sizes.push(m.truth.sizeSigma[s]!);
    expect(sizes.length).toBeGreaterThan(100);
    const inRange = sizes.filter((x) => x >= 3 && x <= 7.5).length;
    expect(inRange / sizes.length).toBeGreaterThan(0.9);
  });

  it("ranks the venues' true error by their graded noise when nothing else differs", () => {
    const { m } = generate({ maxLagMs: 0, noiseBaseBps: 0.2, noiseStepBps: 0.3, venues: 6, instruments: 10, newsProb: 0 }, 60_000);
    const byNoise = [...m.truth.noiseBps.keys()].sort((a, b) => m.truth.noiseBps[a]! - m.truth.noiseBps[b]!);
    const byError = [...m.truth.errorBps.keys()].sort((a, b) => m.truth.errorBps[a]! - m.truth.errorBps[b]!);
    expect(byError).toEqual(byNoise);
  });

  it('is deterministic per seed', () => {
    const a = generate({ instruments: 5 }, 5_000, 9).quotes;
    const b = generate({ instruments: 5 }, 5_000, 9).quotes;
    expect(a).toEqual(b);
  });

  it("sends every FX pair in one key group (a triangle's legs in quoting order) and the rest by instrument", () => {
    const { quotes } = generate({ instruments: 50, keyGroups: 8, fxCurrencies: 5 }, 20_000);
    const fxGroups = new Set<number>();
    const fx = fxLayout(50, 5, DEFAULT_FX_FIRST_INSTRUMENT)!;
    for (const q of quotes) {
      if (q.i >= fx.first && q.i < fx.first + fx.pairs) fxGroups.add(q.group);
      else expect(q.group).toBe(q.i % 8);
    }
    expect([...fxGroups]).toEqual([fx.first % 8]);
  });
});

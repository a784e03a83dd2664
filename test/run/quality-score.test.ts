import { describe, expect, it } from 'vitest';
import { TruthKind, type MarketTruth } from '../../loadgen/fair-value-market.js';
import { analyticsQualityBlock, scoreCrosses, scoreOutliers, scoreSeed, SCORE_DEFAULTS } from '../../run/quality-score.js';

function truthOf(n: number, fill: (s: number, t: MarketTruth) => void): MarketTruth {
  const t: MarketTruth = {
    ticks: n,
    instrument: new Uint32Array(n),
    venue: new Uint16Array(n),
    kind: new Uint8Array(n),
    sizeSigma: new Float32Array(n),
    tradeable: new Uint8Array(n),
    phantom: new Uint8Array(n),
    naiveCross: new Uint8Array(n),
    triTradeable: new Uint8Array(n),
    triPhantom: new Uint8Array(n),
    triNaive: new Uint8Array(n),
    labels: new Uint16Array(n),
    biasedVenue: -1,
    frozenVenue: -1,
    newsSeqs: [],
    noiseBps: new Float64Array(2),
    errorBps: new Float64Array(2),
    lagUs: new Float64Array(2),
    feeBps: new Float64Array(2),
  };
  for (let s = 0; s < n; s++) fill(s, t);
  return t;
}

describe('quality scoring', () => {
  it('scores outliers per size band, false flags per 10k clean ticks, and groups a burst after a bad tick into its event', () => {
    // One cell; bad ticks at 100 (2.5σ), 200 (5σ), 300 (9σ).
    const sizes: Record<number, number> = { 100: 2.5, 200: 5, 300: 9 };
    const truth = truthOf(10_000, (s, t) => {
      if (sizes[s]) {
        t.kind[s] = TruthKind.Spike;
        t.sizeSigma[s] = sizes[s]!;
      }
    });
    const flagged = new Uint8Array(10_000);
    flagged[200] = 1;
    flagged[300] = 1;
    flagged[301] = 1; // the tick after 300 is a burst flag
    flagged[5000] = 1;
    flagged[5001] = 1; // one false event of two flags
    const s = scoreOutliers(truth, flagged, 1, 3);
    expect(s.recallBySize).toMatchObject({ '2-3': 0, '4-6': 1, '>8': 1 });
    expect(s.recallBySize['3-4']).toBeNaN();
    expect(s.burstFlags).toBe(1);
    expect(s.falsePer10k).toBeCloseTo((3 / 9997) * 1e4, 9);
    expect(s.falseEventsPer10k).toBeCloseTo((1 / 9997) * 1e4, 9);
    expect(s.precision).toBeCloseTo(2 / 5, 12);
    expect(s.recall).toBeCloseTo(2 / 3, 12);
  });

  it('matches cross alerts to tradeable and phantom events that they fall in (within k ticks of the instrument)', () => {
    const truth = truthOf(1000, (s, t) => {
      t.instrument[s] = s % 2;
      if (s >= 100 && s < 120) t.tradeable[s] = 1; // instruments 0 and 1: its ticks 50..59 each
      if (s >= 500 && s < 510) t.phantom[s] = 1; // ticks 250..254 each
    });
    const alerts = new Uint8Array(1000);
    alerts[118] = 1; // instrument 0, inside its tradeable event: matched
    alerts[141] = 1; // instrument 1, its tick 70: 11 ticks after its event, unmatched
    alerts[510] = 1; // instrument 0, its tick 255: 1 after its phantom event, so it reports it
    const c = scoreCrosses(truth, alerts, 2, 3);
    expect(c.events).toBe(2);
    expect(c.recall).toBe(0.5);
    expect(c.precision).toBeCloseTo(1 / 3, 12);
    expect(c.phantomEvents).toBe(2);
    expect(c.phantomClassified).toBe(0.5);
  });

  it('writes the fields the checks read, with finite values, from a short two-seed run', () => {
    const o = { ...SCORE_DEFAULTS, seeds: [1, 2], ticks: 60_000, thresholds: [6, 10], market: { instruments: 20 } };
    const block = analyticsQualityBlock(
      o.seeds.map((s) => scoreSeed(s, o)),
      o,
    );
    expect(Object.keys(block.outliers.recallBySize)).toEqual(['2-3', '3-4', '4-6', '6-8', '>8']);
    for (const x of [
      block.outliers.falsePer10k,
      block.outliers.f1,
      block.baseline.outliers.f1,
      block.arbitrage.tradeable.precision,
      block.arbitrage.tradeable.recall,
      block.arbitrage.phantom.classified,
      block.sources.spearman,
      block.sources.kendall,
    ]) {
      expect(Number.isFinite(x)).toBe(true);
    }
    expect(block.outliers.prCurve.map((p) => p.threshold)).toEqual([6, 10]);
    // A higher threshold never flags more.
    expect(block.outliers.prCurve[1]!.falsePer10k).toBeLessThanOrEqual(block.outliers.prCurve[0]!.falsePer10k);
    expect(block.sources.venues).toBe(12);
    // The faulty sources were seen by the analyzer's own checks (every 10th instrument of 20: 2 cells each per seed).
    expect(block.sources.biased.cells).toBe(4);
    expect(block.sources.frozen.cells).toBe(4);
  });
});

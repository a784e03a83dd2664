import { describe, expect, it } from 'vitest';
import { MarketModel, type MarketModelConfig } from '../../loadgen/market-model.js';

const START_US = 1_700_000_000_000_000;
const US_PER_YEAR = 365.25 * 24 * 3600 * 1e6;

interface RecordedTick {
  instrument: number;
  venue: number;
  keyGroup: number;
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
  flags: number;
}

function record(config: MarketModelConfig, count: number, intervalUs = 10): RecordedTick[] {
  const model = new MarketModel(config);
  const ticks: RecordedTick[] = [];
  for (let i = 0; i < count; i++) {
    model.nextTick(START_US + i * intervalUs);
    const { instrument, venue, keyGroup, bid, ask, bidSize, askSize, flags } = model;
    ticks.push({ instrument, venue, keyGroup, bid, ask, bidSize, askSize, flags });
  }
  return ticks;
}

describe('MarketModel', () => {
  const config: MarketModelConfig = { seed: 2024, instruments: 200, venues: 4 };

  it('gives an identical tick stream for the same seed and intended times', () => {
    expect(record(config, 10_000)).toEqual(record(config, 10_000));
  });

  it('gives a different stream for a different seed', () => {
    const a = record(config, 100);
    const b = record({ ...config, seed: 2025 }, 100);
    expect(a).not.toEqual(b);
    expect(a.filter((t, i) => t.instrument === b[i].instrument && t.bid === b[i].bid).length).toBeLessThan(5);
  });

  it('always quotes positive prices with bid < ask, whole-lot sizes in range, flags 0', () => {
    const ticks = record({ ...config, annualVolatility: 2, timeAcceleration: 10_000 }, 50_000, 1000);
    let bad = 0;
    for (const t of ticks) {
      const ok =
        t.bid > 0 &&
        t.bid < t.ask &&
        Number.isFinite(t.ask) &&
        Number.isInteger(t.bidSize) &&
        t.bidSize >= 100 &&
        t.bidSize <= 10_000 &&
        Number.isInteger(t.askSize) &&
        t.askSize >= 100 &&
        t.askSize <= 10_000 &&
        t.flags === 0 &&
        t.venue >= 0 &&
        t.venue < 4;
      if (!ok) bad++;
    }
    expect(bad).toBe(0);
  });

  it('picks instruments by Zipf activity: rank 0 is the most frequent', () => {
    const counts = new Array<number>(config.instruments).fill(0);
    for (const t of record(config, 100_000)) counts[t.instrument]++;
    const top = counts.indexOf(Math.max(...counts));
    expect(top).toBe(0);
    expect(counts[0]).toBeGreaterThan(1.7 * counts[1]);
  });

  it('quotes each venue with its own spread: venue v at base·(1 + 0.5v) bps', () => {
    const model = new MarketModel({ ...config, venueNoiseBps: 0 });
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      model.nextTick(START_US + i);
      const spreadBps = ((model.ask - model.bid) / ((model.ask + model.bid) / 2)) * 1e4;
      expect(spreadBps).toBeCloseTo(1 + 0.5 * model.venue, 9);
      seen.add(model.venue);
    }
    expect(seen.size).toBe(4);
  });

  it('keeps simultaneous quotes from different venues uncrossed', () => {
    // At 1 ns per tick the mid barely moves between venues' quotes, so only the venue noise
    // separates them, and it is far smaller than the spreads.
    const model = new MarketModel({ seed: 9, instruments: 5, venues: 6 });
    const bids = new Float64Array(5 * 6);
    const asks = new Float64Array(5 * 6);
    let crossed = 0;
    for (let i = 0; i < 100_000; i++) {
      model.nextTick(START_US + i * 0.001);
      bids[model.instrument * 6 + model.venue] = model.bid;
      asks[model.instrument * 6 + model.venue] = model.ask;
      let bestBid = 0;
      let bestAsk = Infinity;
      for (let v = 0; v < 6; v++) {
        const ask = asks[model.instrument * 6 + v];
        if (ask === 0) continue;
        bestBid = Math.max(bestBid, bids[model.instrument * 6 + v]);
        bestAsk = Math.min(bestAsk, ask);
      }
      if (bestBid >= bestAsk) crossed++;
    }
    expect(crossed).toBe(0);
  });

  it('keeps volatility per unit time independent of the tick rate (GBM over the time since the last move)', () => {
    const sigma = 0.5;
    const timeAcceleration = 1000;
    const horizonUs = 10_000_000;
    const expectedVariance = (sigma * sigma * timeAcceleration * horizonUs) / US_PER_YEAR;
    // Realised variance over many disjoint horizons: each contributes log(mid_end / mid_start)².
    const horizons = 1000;
    for (const ticksPerHorizon of [2, 50]) {
      const model = new MarketModel({
        seed: 5,
        instruments: 1,
        venues: 1,
        annualVolatility: sigma,
        timeAcceleration,
        venueNoiseBps: 0,
      });
      const stepUs = horizonUs / ticksPerHorizon;
      let sumSq = 0;
      model.nextTick(START_US);
      for (let h = 0; h < horizons; h++) {
        const startMid = model.midOf(0);
        const horizonStartUs = START_US + h * horizonUs;
        for (let i = 1; i <= ticksPerHorizon; i++) model.nextTick(horizonStartUs + i * stepUs);
        const r = Math.log(model.midOf(0) / startMid);
        sumSq += r * r;
      }
      const ratio = sumSq / horizons / expectedVariance;
      expect(ratio, `${ticksPerHorizon} ticks per horizon`).toBeGreaterThan(0.85);
      expect(ratio, `${ticksPerHorizon} ticks per horizon`).toBeLessThan(1.15);
    }
  });

  it('does not move an instrument on its first tick or on a time that goes backwards', () => {
    const model = new MarketModel({ seed: 1, instruments: 1, venues: 1, timeAcceleration: 1e6 });
    const initial = model.midOf(0);
    model.nextTick(START_US);
    expect(model.midOf(0)).toBe(initial);
    model.nextTick(START_US + 1000);
    const moved = model.midOf(0);
    expect(moved).not.toBe(initial);
    model.nextTick(START_US + 10);
    expect(model.midOf(0)).toBe(moved);
  });

  it('maps instruments to key groups by instrument % keyGroups', () => {
    const model = new MarketModel({ seed: 1, instruments: 10, venues: 2, keyGroups: 3 });
    expect(model.keyGroups).toBe(3);
    for (let i = 0; i < 10; i++) expect(model.keyGroupOf(i)).toBe(i % 3);
    for (let i = 0; i < 1000; i++) {
      model.nextTick(START_US + i);
      expect(model.keyGroup).toBe(model.instrument % 3);
    }
    expect(new MarketModel({ seed: 1, instruments: 7, venues: 1 }).keyGroups).toBe(7);
  });

  it('rejects invalid configuration, naming the option', () => {
    const bad: [Partial<MarketModelConfig>, RegExp][] = [
      [{ instruments: 0 }, /instruments/],
      [{ venues: 70_000 }, /venues/],
      [{ keyGroups: 0 }, /keyGroups/],
      [{ keyGroups: 201 }, /keyGroups/],
      [{ seed: 0.5 }, /seed/],
      [{ zipfExponent: -1 }, /zipfExponent/],
      [{ annualVolatility: Number.NaN }, /annualVolatility/],
      [{ timeAcceleration: 0 }, /timeAcceleration/],
      [{ basePriceMin: 100, basePriceMax: 50 }, /basePriceMax/],
      [{ venueSpreadBps: [1, 2] }, /venueSpreadBps/],
      [{ venueSpreadBps: [1, 2, 0, 3] }, /venueSpreadBps\[2\]/],
      [{ baseSpreadBps: -1 }, /baseSpreadBps/],
      [{ venueNoiseBps: -1 }, /venueNoiseBps/],
      [{ minSizeLots: 0 }, /minSizeLots/],
      [{ minSizeLots: 10, maxSizeLots: 5 }, /maxSizeLots/],
    ];
    for (const [override, message] of bad) {
      expect(() => new MarketModel({ ...config, ...override }), JSON.stringify(override)).toThrow(message);
    }
  });
});

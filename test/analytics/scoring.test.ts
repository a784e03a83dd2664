import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addCounters, analyticsCountersZero, type AnalyticsCounters } from '../../analytics/frame-analyzer.js';
import { ranks, scoreAnalytics, spearman } from '../../analytics/scoring.js';
import { REPLAY_DEFAULTS, generateFrames } from '../../loadgen/frame-replay.js';
import { createAnalyticsState } from '../../analytics/analytics-state.js';
import { FrameAnalyzer } from '../../analytics/frame-analyzer.js';
import { withoutTiming } from './helpers.js';

describe('spearman', () => {
  it('is 1 for the same order, −1 for the reverse, and the classic formula without ties', () => {
    expect(spearman([1, 2, 3, 4, 5], [10, 20, 30, 40, 50])).toBe(1);
    expect(spearman([1, 2, 3, 4, 5], [5, 4, 3, 2, 1])).toBe(-1);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer(), { minLength: 3, maxLength: 12 }), fc.integer(), (a, seed) => {
        const b = a.map((_, k) => ((k * 7919 + seed) % 1000) + k / 1000);
        const ra = ranks(a);
        const rb = ranks(b);
        const n = a.length;
        const d2 = ra.reduce((s, r, k) => s + (r - rb[k]!) ** 2, 0);
        expect(spearman(a, b)!).toBeCloseTo(1 - (6 * d2) / (n * (n * n - 1)), 12);
      }),
    );
  });

  it('averages tied ranks and is null for a constant side', () => {
    expect(ranks([3, 1, 3, 2])).toEqual([3.5, 1, 3.5, 2]);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(spearman([1], [1])).toBeNull();
  });
});

describe('scoreAnalytics', () => {
  it('scores counters merged from any split of the frames exactly like one analyzer (several ingest processes)', () => {
    const { frames, model } = generateFrames({ ...REPLAY_DEFAULTS, ticks: 200_000, instruments: 300, seed: 3 });
    const score = (counters: AnalyticsCounters) =>
      scoreAnalytics({
        counters,
        injected: { ...model.injected! },
        sources: model.injectedSources!,
        biasedWithin: 500,
        frozenWithin: 200,
        frozenScore: 0.5,
        venues: 5,
      });
    const one = new FrameAnalyzer(createAnalyticsState({ instruments: 300, venues: 5 }), {}, () => 0);
    for (const f of frames) one.analyze(f);
    const whole = one.takeCounters();

    // Two "processes" own disjoint key groups (partitions), each with its own state and two workers.
    const parts = [0, 1].map(() => {
      const state = createAnalyticsState({ instruments: 300, venues: 5 });
      return [new FrameAnalyzer(state, {}, () => 0), new FrameAnalyzer(state, {}, () => 0)];
    });
    const totals = [analyticsCountersZero(), analyticsCountersZero()];
    frames.forEach((f, k) => {
      const group = new DataView(f.buffer, f.byteOffset).getUint32(12, true);
      const proc = group % 2;
      parts[proc]![k % 2]!.analyze(f);
      if (k % 97 === 0) addCounters(totals[proc]!, parts[proc]![k % 2]!.takeCounters());
    });
    parts.forEach((ws, p) => ws.forEach((w) => addCounters(totals[p]!, w.takeCounters())));
    const merged = addCounters(addCounters(analyticsCountersZero(), totals[1]!), totals[0]!);
    expect(withoutTiming(merged)).toEqual(withoutTiming(whole));
    // (Detection latencies are wall-clock sums; the clock here is a constant, so they are left out.)
    expect(stripLatency(score(merged))).toEqual(stripLatency(score(whole)));
    expect(whole.outliersFlagged).toBeGreaterThan(0);
  });

  it('leaves precision null without ground truth and computes false-positive rates over unlabelled ticks', () => {
    const c = analyticsCountersZero();
    c.ticks = 20_000;
    c.outliersFlagged = 3;
    c.crossedTicks = 4;
    const s = scoreAnalytics({
      counters: c,
      injected: null,
      sources: null,
      biasedWithin: 500,
      frozenWithin: 200,
      frozenScore: 0.5,
      venues: 3,
    });
    expect(s.injected).toBeNull();
    expect(s.outliers.precision).toBeNull();
    expect(s.outliers.recall).toBeNull();
    expect(s.outliers.falsePositives).toBe(3);
    expect(s.outliers.falseFlagsPer10kTicks).toBe(1.5);
    expect(s.arbitrage.falsePositiveRate).toBe(0.0002);
    expect(s.sources.spearman).toBeNull();
    expect(s.sources.scores).toEqual([0, 0, 0]);
  });
});

function stripLatency(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripLatency);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !/latency/i.test(k))
        .map(([k, v]) => [k, stripLatency(v)]),
    );
  }
  return value;
}

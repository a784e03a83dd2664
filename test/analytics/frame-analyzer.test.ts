import { describe, expect, it } from 'vitest';
import { createAnalyticsState } from '../../analytics/analytics-state.js';
import {
  DEFAULT_ANALYTICS_CONFIG, FrameAnalyzer, addCounters, analyticsCountersZero, type AnalyticsConfig,
  type AnalyticsCounters,
} from '../../analytics/frame-analyzer.js';
import { FrameWriter, TickFlag } from '../../wire/tick-frame.js';
import { makeFrames } from './frames.js';

const dims = { instruments: 12, venues: 5 };

describe('FrameAnalyzer', () => {
  it('counts every tick exactly, skipping out-of-range ticks and bad frames', () => {
    const set = makeFrames({ seed: 1, ...dims, frames: 60, maxTicksPerFrame: 400, outOfRangeEvery: 97 });
    const analyzer = new FrameAnalyzer(createAnalyticsState(dims));
    for (const frame of set.frames) analyzer.analyze(frame);
    analyzer.analyze(set.frames[0].subarray(0, 30)); // truncated
    analyzer.analyze(new Uint8Array(10));
    const c = analyzer.takeCounters();
    expect(c.frames).toBe(60);
    expect(c.badFrames).toBe(2);
    expect(c.ticks).toBe(set.ticks);
    expect(c.ticksOutOfRange).toBe(set.outOfRange);
    // The stream carries every anomaly kind, and the detectors see them.
    expect(c.outliersFlaggedTrue).toBeGreaterThan(0);
    expect(c.crossedTicksTrue).toBeGreaterThan(0);
    expect(c.stalledTicksTrue).toBeGreaterThan(0);
    expect(c.arbitrageWindows).toBeGreaterThan(0);
    expect(analyzer.takeCounters()).toEqual(analyticsCountersZero());
  });

  it('two analyzers over one state (two workers) sum to what one analyzer counts', () => {
    const set = makeFrames({ seed: 2, ...dims, frames: 80, maxTicksPerFrame: 300 });

    const single = new FrameAnalyzer(createAnalyticsState(dims));
    for (const frame of set.frames) single.analyze(frame);
    const expected = single.takeCounters();

    const shared = createAnalyticsState(dims);
    const workers = [new FrameAnalyzer(shared), new FrameAnalyzer(shared)];
    const total = analyticsCountersZero();
    set.frames.forEach((frame, k) => {
      // Uneven hand-out, and deltas taken mid-run as the workers' periodic reports would be.
      workers[(k * 7) % 3 === 0 ? 0 : 1].analyze(frame);
      if (k % 11 === 0) addCounters(total, workers[k % 2].takeCounters());
    });
    for (const w of workers) addCounters(total, w.takeCounters());

    expect(total).toEqual(expected);
    expect(total.ticks).toBe(set.ticks);
  });

  it('addCounters adds every field', () => {
    const a = analyticsCountersZero();
    const b = analyticsCountersZero();
    const keys = Object.keys(a) as (keyof AnalyticsCounters)[];
    keys.forEach((k, n) => {
      a[k] = n;
      b[k] = 100 * n;
    });
    const sum = addCounters(a, b);
    expect(sum).toBe(a);
    keys.forEach((k, n) => expect(a[k]).toBe(101 * n));
  });

  it('keeps a decimal-shifted tick out of arbitrage detection (arbitrageSkipsOutliers)', () => {
    const run = (arbitrageSkipsOutliers: boolean): AnalyticsCounters => {
      const analyzer = new FrameAnalyzer(createAnalyticsState({ instruments: 1, venues: 3 }), { arbitrageSkipsOutliers });
      const w = new FrameWriter(1000);
      let mid = 100;
      for (let k = 0; k < 900; k++) {
        mid *= 1 + 1e-4 * Math.sin(k * 1.7);
        const shifted = k === 800 ? 10 : 1;
        const flags = k === 800 ? TickFlag.InjectedOutlier : 0;
        w.append(k, 0, k % 3, 0, flags, k * 1000, (mid - 0.01) * shifted, (mid + 0.01) * shifted, 1, 1);
      }
      analyzer.analyze(w.finish(0, 0, 0));
      return analyzer.takeCounters();
    };
    const skip = run(true);
    expect(skip.outliersFlaggedTrue).toBe(1);
    expect(skip.outliersFlagged).toBe(1);
    expect(skip.crossedTicks).toBe(0);
    expect(run(false).crossedTicks).toBeGreaterThan(0);
  });

  it('takes defaults from DEFAULT_ANALYTICS_CONFIG and rejects bad options by name', () => {
    const state = createAnalyticsState(dims);
    expect(new FrameAnalyzer(state).config).toEqual(DEFAULT_ANALYTICS_CONFIG);
    expect(new FrameAnalyzer(state, { outlierZ: 4 }).config.outlierZ).toBe(4);
    expect(Object.isFrozen(DEFAULT_ANALYTICS_CONFIG)).toBe(true);
    expect(() => new FrameAnalyzer(state, { outlierZ: -1 })).toThrow(/config\.outlierZ/);
    expect(() => new FrameAnalyzer(state, { scorerFreshUs: NaN })).toThrow(/config\.scorerFreshUs/);
    expect(() => new FrameAnalyzer(state, { venueFeesBps: [1, 2, 3, 4, 5, 6] })).toThrow(/venueFeesBps/);
    expect(new FrameAnalyzer(state, { outlierZ: undefined }).config.outlierZ).toBe(DEFAULT_ANALYTICS_CONFIG.outlierZ);
    const typo = { outlierZed: 4 } as Partial<AnalyticsConfig>;
    expect(() => new FrameAnalyzer(state, typo)).toThrow(/config\.outlierZed is not an analytics option/);
  });
});

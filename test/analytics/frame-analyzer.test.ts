import { describe, expect, it } from 'vitest';
import type { Alert } from '../../analytics/alerts.js';
import { createAnalyticsState, type AnalyticsDims, type AnalyticsSharedState } from '../../analytics/analytics-state.js';
import { CONTINUOUS_PRICE_STALL } from '../../analytics/source-scorer.js';
import { createTickLabels, TickLabels, type TickLabelsShared } from '../../analytics/tick-labels.js';
import {
  DEFAULT_ANALYTICS_CONFIG,
  FrameAnalyzer,
  addCounters,
  analyticsCountersZero,
  type AnalyticsConfig,
  type AnalyticsCounters,
} from '../../analytics/frame-analyzer.js';
import { replayBenchmark, REPLAY_DEFAULTS } from '../../loadgen/frame-replay.js';
import { FrameWriter, TICK_EVENT_SHIFT, TickEvent, TickFlag } from '../../wire/tick-frame.js';
import { makeFrames } from './frames.js';
import { withoutTiming } from './helpers.js';

const dims = { instruments: 12, venues: 5 };

/** A state whose analyzers score against `labels` (the side channel an in-process generator fills). */
function labelledState(d: AnalyticsDims, labels: TickLabelsShared): AnalyticsSharedState {
  const state = createAnalyticsState(d);
  state.labels = labels;
  return state;
}

describe('FrameAnalyzer', () => {
  it('counts every tick exactly, skipping out-of-range ticks and bad frames', () => {
    const set = makeFrames({ seed: 1, ...dims, frames: 60, maxTicksPerFrame: 400, outOfRangeEvery: 97 });
    const analyzer = new FrameAnalyzer(labelledState(dims, set.labels));
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
    expect(c.crossedTicks).toBeGreaterThan(0);
    expect(c.stalledTicksTrue).toBeGreaterThan(0);
    expect(c.arbitrageWindows).toBeGreaterThan(0);
    expect(c.alerts).toBe(c.alertsOutlier + c.alertsStale + c.alertsCrossed + c.alertsLocked + c.alertsTriangular + c.alertsTradeable);
    expect(analyzer.takeCounters()).toEqual({
      ...analyticsCountersZero(),
      venueScoreSum: [0, 0, 0, 0, 0],
      venueScoreCount: [0, 0, 0, 0, 0],
    });
  });

  it('two analyzers over one state (two workers) sum to what one analyzer counts', () => {
    const set = makeFrames({ seed: 2, ...dims, frames: 80, maxTicksPerFrame: 300 });

    const single = new FrameAnalyzer(labelledState(dims, set.labels));
    for (const frame of set.frames) single.analyze(frame);
    const expected = single.takeCounters();
    expect(expected.outliersFlaggedTrue).toBeGreaterThan(0);

    const shared = labelledState(dims, set.labels);
    const workers = [new FrameAnalyzer(shared), new FrameAnalyzer(shared)];
    const total = analyticsCountersZero();
    set.frames.forEach((frame, k) => {
      // Uneven hand-out, and deltas taken mid-run as the workers' periodic reports would be.
      workers[(k * 7) % 3 === 0 ? 0 : 1].analyze(frame);
      if (k % 11 === 0) addCounters(total, workers[k % 2].takeCounters());
    });
    for (const w of workers) addCounters(total, w.takeCounters());

    // Everything but the alerts' wall-clock latencies is exact, the score sums included.
    expect(withoutTiming(total)).toEqual(withoutTiming(expected));
    expect(total.ticks).toBe(set.ticks);
  });

  it('addCounters sums counts, takes the larger of …Max fields, adds arrays element-wise', () => {
    const a = analyticsCountersZero();
    const b = analyticsCountersZero();
    const keys = (Object.keys(a) as (keyof AnalyticsCounters)[]).filter((k) => typeof a[k] === 'number');
    keys.forEach((k, n) => {
      (a[k] as number) = n;
      (b[k] as number) = 100 * n;
    });
    a.venueScoreSum = [1, 2];
    b.venueScoreSum = [10, 20, 30];
    const sum = addCounters(a, b);
    expect(sum).toBe(a);
    keys.forEach((k, n) => expect(a[k]).toBe(k.endsWith('Max') ? 100 * n : 101 * n));
    expect(a.venueScoreSum).toEqual([11, 22, 30]);
    // A part written before a counter existed merges as 0.
    const older = { frames: 3 } as Partial<AnalyticsCounters>;
    expect(addCounters(analyticsCountersZero(), older).frames).toBe(3);
  });

  it('keeps a decimal-shifted tick out of arbitrage detection (arbitrageSkipsOutliers)', () => {
    const run = (arbitrageSkipsOutliers: boolean): AnalyticsCounters => {
      const labels = createTickLabels(1, 1000);
      const analyzer = new FrameAnalyzer(labelledState({ instruments: 1, venues: 3 }, labels), { arbitrageSkipsOutliers });
      const w = new FrameWriter(1000);
      let mid = 100;
      for (let k = 0; k < 900; k++) {
        mid *= 1 + 1e-4 * Math.sin(k * 1.7);
        const shifted = k === 800 ? 10 : 1;
        const flags = k === 800 ? TickFlag.InjectedOutlier : 0;
        new TickLabels(labels).write(0, k, flags);
        w.append(k, 0, k % 3, 0, 0, k * 1000, (mid - 0.01) * shifted, (mid + 0.01) * shifted, 1, 1);
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

  it('returns one alert per detection, in detection order, with its detection latency', () => {
    let clock = 5_000_000;
    const labels = createTickLabels(8, 2000);
    const labelWriter = new TickLabels(labels);
    // Continuous prices: the stale rule for them (a price grid needs the market to move further).
    // No held-tick timeout: venue 1 stays quiet for 12 of its intervals and its own quote judges it.
    const analyzer = new FrameAnalyzer(
      labelledState({ instruments: 2, venues: 3 }, labels),
      { ...CONTINUOUS_PRICE_STALL, outlierHeldTimeoutIntervals: 0 },
      () => clock,
    );
    const w = new FrameWriter(2000);
    let seq = 0;
    const tick = (venue: number, instrument: number, mid: number, flags = 0, half = 1e-4): void => {
      const t = 1_000_000 + seq * 100;
      labelWriter.write(7, seq, flags);
      w.append(seq++, 7, venue, instrument, 0, t, mid * (1 - half), mid * (1 + half), 1, 1);
    };
    // Warm up three venues of instrument 0 with small, alternating moves.
    for (let k = 0; k < 300; k++) tick(k % 3, 0, 100 * (1 + 2e-6 * ((k % 7) - 3)));
    const spikeSeq = seq;
    // +100 bp: held (and kept out of the book) until venue 1's next quote judges it, below.
    tick(1, 0, 100 * 1.01, TickFlag.InjectedOutlier | (TickEvent.Spike << TICK_EVENT_SHIFT));
    // Venue 2's price unchanged while venue 0's moves (the consensus with it): stale on the 5th
    // unchanged update. An unchanged price in a market that stands still is not stale.
    for (let k = 0; k < 6; k++) {
      tick(2, 0, 100.0001);
      tick(0, 0, 100 * (1 + 1e-6 * (k + 1)));
    }
    const crossSeq = seq;
    tick(0, 0, 100 * 1.0006); // 6 bp up: not an outlier (half spread 1 bp), but bid > the others' asks net of fees
    tick(1, 0, 100); // venue 1 comes back: its spike is judged an outlier now
    analyzer.analyze(w.finish(7, 0, 0));
    clock += 1;
    const alerts = analyzer.takeAlerts();
    expect(alerts.map((a) => a.kind)).toEqual(['stale', 'crossed', 'outlier']);
    const [stale, crossed, outlier] = alerts as [Alert, Alert, Alert];
    expect(outlier).toMatchObject({
      instrument: 0,
      venue: 1,
      seq: spikeSeq,
      source: 7,
      sendTimeUs: 1_000_000 + spikeSeq * 100,
      detectedUs: 5_000_000,
    });
    expect(outlier.value).toBeGreaterThan(6);
    expect(stale).toMatchObject({ venue: 2, value: 5 });
    expect(crossed).toMatchObject({ instrument: 0, venue: 0, seq: crossSeq });
    expect(crossed.value).toBeGreaterThan(0);
    expect(analyzer.takeAlerts()).toEqual([]);
    const c = analyzer.takeCounters();
    expect(c.alerts).toBe(3);
    expect([c.alertsOutlier, c.alertsStale, c.alertsCrossed]).toEqual([1, 1, 1]);
    expect(c.alertLatencyUsSum).toBe(alerts.reduce((s, a) => s + (a.detectedUs - a.sendTimeUs), 0));
    expect(c.spikeTicks).toBe(1);
    expect(c.spikesFlagged).toBe(1);
  });

  it('flags a spike in its venue last quote of the stream: on a later tick past the timeout, or at endOfStream', () => {
    for (const quietTicks of [3, 40]) {
      const labels = createTickLabels(1, 1000);
      const labelWriter = new TickLabels(labels);
      const analyzer = new FrameAnalyzer(labelledState({ instruments: 1, venues: 4 }, labels), {}, () => 0);
      const w = new FrameWriter(1000);
      let seq = 0;
      const tick = (venue: number, mid: number, flags = 0): void => {
        labelWriter.write(0, seq, flags);
        w.append(seq, 0, venue, 0, 0, 1_000_000 + seq * 1000, mid - 0.01, mid + 0.01, 1, 1);
        seq++;
      };
      for (let k = 0; k < 400; k++) tick(k % 4, 100 * (1 + 1e-5 * Math.sin(k * 1.7)));
      const spikeSeq = seq;
      tick(0, 100.5, TickFlag.InjectedOutlier | (TickEvent.Spike << TICK_EVENT_SHIFT));
      // Venue 0 never quotes again; 40 ticks of the others pass its timeout (8 of its 4 ms intervals), 3 do not.
      for (let k = 0; k < quietTicks; k++) tick(1 + (k % 3), 100 * (1 + 1e-5 * Math.sin(k * 1.7)));
      analyzer.analyze(w.finish(0, 0, 0));
      const during = analyzer.takeAlerts().filter((a) => a.kind === 'outlier');
      analyzer.endOfStream();
      const atEnd = analyzer.takeAlerts().filter((a) => a.kind === 'outlier');
      expect([...during, ...atEnd].map((a) => [a.seq, a.venue])).toEqual([[spikeSeq, 0]]);
      expect((quietTicks > 32 ? during : atEnd).length).toBe(1);
      const c = analyzer.takeCounters();
      expect([c.outliersFlagged, c.outliersFlaggedTrue, c.outliersMissed]).toEqual([1, 1, 0]);
      expect(c.spikesFlagged).toBe(1);
      // Nothing is left to decide.
      analyzer.endOfStream();
      expect(analyzer.takeAlerts()).toEqual([]);
    }
  });

  it('reads labels only from the side channel: labels in the wire flags field score nothing', () => {
    const set = makeFrames({ seed: 4, ...dims, frames: 40, maxTicksPerFrame: 300 });
    // The same frames with the old in-band labels: copy each tick's label into its wire flags.
    const table = new TickLabels(set.labels);
    const inBand = set.frames.map((f) => {
      const copy = Buffer.from(f);
      const view = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
      for (let o = 24; o < copy.length; o += 48) view.setUint16(o + 12, table.read(0, view.getUint32(o, true)), true);
      return copy;
    });
    const wireOnly = new FrameAnalyzer(createAnalyticsState(dims));
    for (const frame of inBand) wireOnly.analyze(frame);
    const side = new FrameAnalyzer(labelledState(dims, set.labels));
    for (const frame of set.frames) side.analyze(frame);
    const a = wireOnly.takeCounters();
    const b = side.takeCounters();
    expect(b.outliersFlaggedTrue + b.stalledTicksTrue).toBeGreaterThan(0);
    expect(a.outliersFlaggedTrue + a.stalledTicksTrue + a.outliersMissed + a.frozenTicks).toBe(0);
    // Detection itself is the same: labels never steer the detectors.
    expect(a.outliersFlagged).toBe(b.outliersFlagged);
    expect(a.crossedTicks).toBe(b.crossedTicks);
  });

  it('takes defaults from DEFAULT_ANALYTICS_CONFIG and rejects bad options by name', () => {
    const state = createAnalyticsState(dims);
    expect(new FrameAnalyzer(state).config).toEqual(DEFAULT_ANALYTICS_CONFIG);
    expect(new FrameAnalyzer(state, { outlierZ: 4 }).config.outlierZ).toBe(4);
    expect(Object.isFrozen(DEFAULT_ANALYTICS_CONFIG)).toBe(true);
    expect(() => new FrameAnalyzer(state, { outlierZ: -1 })).toThrow(/config\.outlierZ/);
    expect(() => new FrameAnalyzer(state, { scorerFreshUs: NaN })).toThrow(/config\.scorerFreshUs/);
    expect(() => new FrameAnalyzer(state, { venueFeesBps: [1, -2] })).toThrow(/venueFeesBps\[1\]/);
    expect(() => new FrameAnalyzer(state, { outlierJumpWindow: 1.5 })).toThrow(/config\.outlierJumpWindow/);
    expect(() => new FrameAnalyzer(state, { evalFrozenScore: 2 })).toThrow(/config\.evalFrozenScore/);
    expect(new FrameAnalyzer(state, { outlierZ: undefined }).config.outlierZ).toBe(DEFAULT_ANALYTICS_CONFIG.outlierZ);
    const typo = { outlierZed: 4 } as Partial<AnalyticsConfig>;
    expect(() => new FrameAnalyzer(state, typo)).toThrow(/config\.outlierZed is not an analytics option/);
  });
});

describe('detector quality on the generated workload (frame replay, no Kafka)', () => {
  // 500k ticks of the default market (1000 instruments, 5 venues, FX universe) at 100k ticks/s.
  const options = { ...REPLAY_DEFAULTS, ticks: 500_000, seed: 7 };

  it('meets the targets against the injected ground truth', () => {
    const s = replayBenchmark(options, 1).score;
    expect(s.injected!.spikes + s.injected!.decimalShifts).toBeGreaterThan(150);
    expect(s.outliers.recall).toBeGreaterThanOrEqual(0.99);
    expect(s.outliers.precision).toBeGreaterThanOrEqual(0.95);
    expect(s.outliers.spikeRecall).toBeGreaterThanOrEqual(0.99);
    expect(s.outliers.decimalShiftRecall).toBe(1);
    // Few false flags, and none on a genuine jump: a jump stays, so the two-sided test accepts it.
    expect(s.outliers.falsePositives).toBeLessThanOrEqual(s.injected!.genuineJumps + 2);
    expect(s.outliers.flaggedOnGenuineJumps).toBe(0);
    expect(s.outliers.frozen.recall).toBe(1);
    expect(s.outliers.frozen.precision).toBe(1);
    expect(s.arbitrage.precision).toBeGreaterThanOrEqual(0.999);
    expect(s.arbitrage.recall).toBe(1);
    expect(s.arbitrage.triggerRecall).toBe(1);
    expect(s.arbitrage.triangular.precision).toBe(1);
    expect(s.arbitrage.triangular.recall).toBe(1);
    expect(s.arbitrage.triangular.triggerRecall).toBe(1);
    expect(s.arbitrage.triangular.triggers).toBeGreaterThan(10);
    expect(s.sources.spearman).toBeGreaterThanOrEqual(0.9);
    expect(s.sources.biased.onTime).toBeGreaterThan(5);
    expect(s.sources.biased.late).toBe(0);
    expect(s.sources.biased.delayUpdatesMax).toBeLessThanOrEqual(500);
    expect(s.sources.frozen.onTime).toBeGreaterThan(3);
    expect(s.sources.frozen.late).toBe(0);
    expect(s.sources.frozen.delayUpdatesMax).toBeLessThanOrEqual(200);
  });

  it('flags at most 1 tick in 10,000 of a clean stream (--inject none)', () => {
    const s = replayBenchmark({ ...options, inject: null }, 1).score;
    expect(s.injected).toBeNull();
    expect(s.outliers.flagged).toBeLessThanOrEqual(options.ticks / 10_000);
    expect(s.outliers.frozen.stalledTicks).toBe(0);
    expect(s.arbitrage.triangular.openTicks).toBe(0);
  });
});

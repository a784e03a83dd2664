import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAnalyticsState } from '../../analytics/analytics-state.js';
import { DEFAULT_ANALYTICS_CONFIG } from '../../analytics/frame-analyzer.js';
import { OutlierDetector, exactUpdates, logReturn, type OutlierConfig } from '../../analytics/outlier-detector.js';
import { gaussian, prng } from './helpers.js';

/**
 * Brute-force reference: keeps every accepted return of a cell in a plain array and replays the
 * EWMA recurrences over the whole history on every tick. Same floating-point operations in the
 * same order as the detector, so flags must agree exactly.
 */
class ReferenceCell {
  lastMid = NaN;
  accepted: number[] = [];
  rejectRun = 0;
}

/** Is |z| above the threshold? Squared, (r − mean)² > threshold² · max(variance, floor²), like the detector. */
function referenceOutlying(cell: ReferenceCell, r: number, cfg: OutlierConfig): boolean {
  let mean = 0;
  let variance = 0;
  cell.accepted.forEach((x, n) => {
    const a = Math.max(cfg.outlierAlpha, 1 / (n + 1));
    const d = x - mean;
    mean = mean + a * d;
    variance = (1 - a) * (variance + a * d * d);
  });
  const floor2 = (cfg.outlierSigmaFloorBps * 1e-4) ** 2;
  const d = r - mean;
  return d * d > cfg.outlierZ * cfg.outlierZ * (variance > floor2 ? variance : floor2);
}

function referenceFlag(cell: ReferenceCell, mid: number, cfg: OutlierConfig): boolean {
  if (!(mid > 0 && mid < Infinity)) return true;
  if (Number.isNaN(cell.lastMid)) {
    cell.lastMid = mid;
    return false;
  }
  const r = logReturn(mid, cell.lastMid);
  if (cell.accepted.length >= cfg.outlierWarmup && referenceOutlying(cell, r, cfg)) {
    cell.rejectRun++;
    if (cfg.outlierMaxRejects > 0 && cell.rejectRun >= cfg.outlierMaxRejects) {
      cell.lastMid = mid;
      cell.rejectRun = 0;
    }
    return true;
  }
  cell.accepted.push(r);
  cell.lastMid = mid;
  cell.rejectRun = 0;
  return false;
}

interface Tick { instrument: number; venue: number; mid: number }

/**
 * GBM per instrument, venues quoting it with a little noise, plus every kind of trouble the
 * detector has to survive: spikes, decimal shifts (single and in runs), genuine jumps, flat runs
 * and non-prices.
 */
function messyStream(seed: number, instruments: number, venues: number, length: number, sigma: number): Tick[] {
  const rand = prng(seed);
  const gauss = gaussian(rand);
  const level = Array.from({ length: instruments }, () => 20 + rand() * 200);
  const ticks: Tick[] = [];
  let shiftRun = 0;
  for (let k = 0; k < length; k++) {
    const instrument = Math.floor(rand() * instruments);
    const venue = Math.floor(rand() * venues);
    level[instrument] *= Math.exp(sigma * gauss());
    let mid = level[instrument] * (1 + 0.1 * sigma * gauss());
    const u = rand();
    if (shiftRun > 0) {
      shiftRun--;
      mid *= 10;
    } else if (u < 0.01) mid *= Math.exp((rand() < 0.5 ? -1 : 1) * 10 * sigma);
    else if (u < 0.015) mid *= rand() < 0.5 ? 10 : 0.1;
    else if (u < 0.017) shiftRun = 1 + Math.floor(rand() * 4);
    else if (u < 0.02) level[instrument] *= 1.05; // genuine jump: the level moves for good
    else if (u < 0.022) mid = [0, -1, NaN, Infinity][Math.floor(rand() * 4)];
    ticks.push({ instrument, venue, mid });
  }
  return ticks;
}

describe('OutlierDetector', () => {
  it('agrees exactly with a brute-force EWMA reference on random streams', () => {
    let flaggedOverall = 0;
    let ticksOverall = 0;
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.double({ min: 1e-5, max: 5e-3, noNaN: true }),
        fc.record({
          outlierAlpha: fc.constantFrom(0.02, 0.03, 0.05, 0.07, 0.2, 1 / 3),
          outlierWarmup: fc.integer({ min: 0, max: 40 }),
          outlierZ: fc.constantFrom(3, 4.5, 6),
          outlierSigmaFloorBps: fc.constantFrom(0, 0.5, 2, 10),
          outlierMaxRejects: fc.integer({ min: 0, max: 4 }),
        }),
        (seed, instruments, venues, sigma, cfg) => {
          const detector = new OutlierDetector(createAnalyticsState({ instruments, venues }), cfg);
          const cells = Array.from({ length: instruments * venues }, () => new ReferenceCell());
          const ticks = messyStream(seed, instruments, venues, 400, sigma);
          ticks.forEach((t, k) => {
            const expected = referenceFlag(cells[t.instrument * venues + t.venue], t.mid, cfg);
            const got = detector.onTick(t.instrument, t.venue, t.mid);
            if (got !== expected) throw new Error(`tick ${k}: detector ${got}, reference ${expected}`);
            if (got) flaggedOverall++;
          });
          ticksOverall += ticks.length;
        },
      ),
      { numRuns: 150 },
    );
    // Not vacuous: both answers occurred, many times.
    expect(flaggedOverall).toBeGreaterThan(500);
    expect(ticksOverall - flaggedOverall).toBeGreaterThan(10_000);
  });

  it('computes log returns to double precision, with or without Math.log', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e4, noNaN: true }), fc.double({ min: -0.01, max: 0.01, noNaN: true }), (last, x) => {
        for (const mid of [last * (1 + x), last * Math.exp(x * 300), last * (1 + x * 1e-4)]) {
          const exact = Math.log(mid / last);
          // Absolute slack of ~1 ulp of 1.0: Math.log(mid / last) itself rounds the ratio first.
          expect(Math.abs(logReturn(mid, last) - exact)).toBeLessThanOrEqual(4e-16 * Math.abs(exact) + 2.3e-16);
        }
      }),
    );
  });

  it('switches from 1/(n+1) to α exactly where max(α, 1/(n+1)) does', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-4, max: 1, noNaN: true }), (alpha) => {
        const k = exactUpdates(alpha);
        for (let n = Math.max(0, k - 3); n < k + 3; n++) {
          expect(n < k ? 1 / (n + 1) : alpha).toBe(Math.max(alpha, 1 / (n + 1)));
        }
      }),
    );
  });

  it('flags 10σ spikes and ×10 / ÷10 decimal shifts, and only them, on GBM streams', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 5e-4, max: 5e-3, noNaN: true }), (seed, sigma) => {
        const detector = new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), DEFAULT_ANALYTICS_CONFIG);
        const rand = prng(seed);
        const gauss = gaussian(rand);
        let mid = 100;
        const injected = new Set<number>();
        const flagged = new Set<number>();
        for (let k = 0; k < 1500; k++) {
          let observed: number;
          // Anomalies after the warm-up and spaced out: a spike is 10σ away from the previous
          // tick. The true price stands still under an anomaly, so the next tick is one ordinary
          // return away from the pre-anomaly level the detector kept.
          if (k >= 200 && k % 25 === 0) {
            observed = [mid * Math.exp(10 * sigma), mid * Math.exp(-10 * sigma), mid * 10, mid / 10][Math.floor(rand() * 4)];
            injected.add(k);
          } else {
            // Innovations capped at 4σ: the property is about the detector, not about how often
            // a Gaussian tail alone passes 6σ̂ (with σ̂ from ~100 effective samples).
            mid *= Math.exp(sigma * Math.max(-4, Math.min(4, gauss())));
            observed = mid;
          }
          // Right after the 30-update warm-up σ̂ rests on few samples; judge precision after it settles.
          if (detector.onTick(0, 0, observed) && k >= 100) flagged.add(k);
        }
        expect([...flagged]).toEqual([...injected]);
      }),
      { numRuns: 60 },
    );
  });

  it('measures the tick after a spike against the pre-spike level', () => {
    const detector = new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), DEFAULT_ANALYTICS_CONFIG);
    const gauss = gaussian(prng(7));
    let mid = 50;
    for (let k = 0; k < 300; k++) {
      mid *= Math.exp(1e-3 * gauss());
      expect(detector.onTick(0, 0, mid)).toBe(false);
    }
    expect(detector.onTick(0, 0, mid * 1.5)).toBe(true);
    // Back at the old level: an ordinary return from the pre-spike mid, not a −40 % crash.
    expect(detector.onTick(0, 0, mid * 1.0005)).toBe(false);
  });

  it('accepts a genuine level shift after outlierMaxRejects consecutive flags', () => {
    const detector = new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), DEFAULT_ANALYTICS_CONFIG);
    const gauss = gaussian(prng(11));
    let mid = 80;
    for (let k = 0; k < 300; k++) detector.onTick(0, 0, (mid *= Math.exp(1e-3 * gauss())));
    mid *= 1.2;
    const flags = Array.from({ length: 10 }, () => detector.onTick(0, 0, (mid *= Math.exp(1e-3 * gauss()))));
    expect(flags).toEqual([true, true, true, false, false, false, false, false, false, false]);
  });

  it('does not flag a quiet instrument whose moves are below the sigma floor', () => {
    const run = (floorBps: number): number => {
      const cfg = { ...DEFAULT_ANALYTICS_CONFIG, outlierSigmaFloorBps: floorBps };
      const detector = new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), cfg);
      const rand = prng(3);
      let flagged = 0;
      let level = 100;
      for (let k = 0; k < 5000; k++) {
        // Flat price with float-level noise and, now and then, a one-tick (1 bp) move.
        if (k % 97 === 96) level = level === 100 ? 100.01 : 100;
        if (detector.onTick(0, 0, level * (1 + 1e-9 * (rand() - 0.5)))) flagged++;
      }
      return flagged;
    };
    expect(run(DEFAULT_ANALYTICS_CONFIG.outlierSigmaFloorBps)).toBe(0);
    // Without the floor the same one-tick moves are thousands of "sigmas".
    expect(run(0)).toBeGreaterThan(10);
  });

  it('flags non-prices without touching the state', () => {
    const detector = new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), DEFAULT_ANALYTICS_CONFIG);
    for (let k = 0; k < 100; k++) detector.onTick(0, 0, 100 + (k % 2) * 0.01);
    for (const bad of [0, -5, NaN, Infinity]) expect(detector.onTick(0, 0, bad)).toBe(true);
    expect(detector.onTick(0, 0, 100.01)).toBe(false);
  });

  it('rejects a bad option with its name', () => {
    const state = createAnalyticsState({ instruments: 1, venues: 1 });
    expect(() => new OutlierDetector(state, { ...DEFAULT_ANALYTICS_CONFIG, outlierZ: 0 })).toThrow(/outlierZ/);
    expect(() => new OutlierDetector(state, { ...DEFAULT_ANALYTICS_CONFIG, outlierMaxRejects: 300 })).toThrow(/outlierMaxRejects/);
  });
});

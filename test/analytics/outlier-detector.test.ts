import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAnalyticsState } from '../../analytics/analytics-state.js';
import { DEFAULT_ANALYTICS_CONFIG } from '../../analytics/frame-analyzer.js';
import { SourceScorer } from '../../analytics/source-scorer.js';
import { MAX_LOG_RETURN, OutlierDetector, exactUpdates, logReturn, type OutlierConfig } from '../../analytics/outlier-detector.js';
import { gaussian, prng } from './helpers.js';

/**
 * Brute-force reference: keeps every accepted return of a cell in a plain array and replays the
 * EWMA recurrences over the whole history on every tick; keeps the instrument's pending jump as
 * plain fields. Same floating-point operations in the same order as the detector, so flags must
 * agree exactly.
 */
class ReferenceCell {
  lastMid = NaN;
  accepted: number[] = [];
  rejectRun = 0;
  flat = 0;
}

class ReferenceInstrument {
  ticks = 0;
  candidate = NaN;
  candidateVenue = -1;
  expires = 0;
  constructor(readonly cells: ReferenceCell[]) {}
}

function referenceStats(cell: ReferenceCell, cfg: OutlierConfig): { mean: number; variance: number } {
  let mean = 0;
  let variance = 0;
  cell.accepted.forEach((x, n) => {
    const a = Math.max(cfg.outlierAlpha, 1 / (n + 1));
    const d = x - mean;
    mean = mean + a * d;
    variance = (1 - a) * (variance + a * d * d);
  });
  return { mean, variance };
}

function referenceFlag(inst: ReferenceInstrument, venue: number, mid: number, half: number, cfg: OutlierConfig): boolean {
  if (!(mid > 0 && mid < Infinity)) return true;
  const cell = inst.cells[venue]!;
  inst.ticks++;
  if (Number.isNaN(cell.lastMid)) {
    cell.lastMid = mid;
    return false;
  }
  const r = logReturn(mid, cell.lastMid);
  const rejectTick = (): true => {
    cell.flat = 0;
    cell.rejectRun++;
    if (cfg.outlierMaxRejects > 0 && cell.rejectRun >= cfg.outlierMaxRejects) {
      cell.lastMid = mid;
      cell.rejectRun = 0;
    }
    return true;
  };
  if (!(Math.abs(r) < MAX_LOG_RETURN)) return rejectTick();
  const { mean, variance } = referenceStats(cell, cfg);
  const absFloor2 = (cfg.outlierSigmaFloorBps * 1e-4) ** 2;
  const fs = cfg.outlierSigmaFloorHalfSpreads * half;
  const floor2 = fs * fs > absFloor2 ? fs * fs : absFloor2;
  const scale2 = variance > floor2 ? variance : floor2;
  const d = r - mean;
  const z2 = cfg.outlierZ * cfg.outlierZ;
  if (cell.accepted.length >= cfg.outlierWarmup && d * d > z2 * scale2) {
    const take = (): false => {
      cell.lastMid = mid;
      cell.rejectRun = 0;
      cell.flat = 0;
      return false;
    };
    if (cfg.outlierReanchorAfterFlat > 0 && cell.flat >= cfg.outlierReanchorAfterFlat) return take();
    if (!Number.isNaN(inst.candidate) && inst.ticks <= inst.expires && inst.candidateVenue !== venue) {
      const e = r - inst.candidate;
      if (e * e <= cfg.outlierJumpConfirmZ * cfg.outlierJumpConfirmZ * scale2) {
        const f = Math.exp(inst.candidate);
        inst.cells.forEach((other, v) => {
          if (v === venue) return;
          other.lastMid *= f;
          other.rejectRun = 0;
          other.flat = 0;
        });
        inst.candidate = NaN;
        return take();
      }
    }
    if (cfg.outlierJumpWindow > 0) {
      inst.candidate = r;
      inst.expires = inst.ticks + cfg.outlierJumpWindow;
      inst.candidateVenue = venue;
    }
    return rejectTick();
  }
  cell.accepted.push(r);
  cell.lastMid = mid;
  cell.rejectRun = 0;
  cell.flat = r === 0 ? Math.min(255, cell.flat + 1) : 0;
  return false;
}

interface Tick {
  instrument: number;
  venue: number;
  mid: number;
  half: number;
}

/**
 * GBM per instrument, venues quoting it with a little noise and their own half spreads, plus
 * every kind of trouble the detector has to survive: spikes, decimal shifts (single and in runs),
 * genuine jumps every venue follows, frozen runs, and non-prices.
 */
function messyStream(seed: number, instruments: number, venues: number, length: number, sigma: number): Tick[] {
  const rand = prng(seed);
  const gauss = gaussian(rand);
  const level = Array.from({ length: instruments }, () => 20 + rand() * 200);
  const halfOf = Array.from({ length: venues }, () => [0, 2e-5, 1e-4][Math.floor(rand() * 3)]!);
  const frozen = new Map<number, { left: number; mid: number }>();
  const last = new Map<number, number>();
  const ticks: Tick[] = [];
  let shiftRun = 0;
  for (let k = 0; k < length; k++) {
    const instrument = Math.floor(rand() * instruments);
    const venue = Math.floor(rand() * venues);
    const cell = instrument * venues + venue;
    level[instrument] *= Math.exp(sigma * gauss());
    let mid = level[instrument] * (1 + 0.1 * sigma * gauss());
    const run = frozen.get(cell);
    const u = rand();
    if (run) {
      mid = run.mid;
      if (--run.left === 0) frozen.delete(cell);
    } else if (shiftRun > 0) {
      shiftRun--;
      mid *= 10;
    } else if (u < 0.01) mid *= Math.exp((rand() < 0.5 ? -1 : 1) * 10 * sigma);
    else if (u < 0.015) mid *= rand() < 0.5 ? 10 : 0.1;
    else if (u < 0.017) shiftRun = 1 + Math.floor(rand() * 4);
    else if (u < 0.02)
      level[instrument] *= 1.05; // genuine jump: the level moves for good
    else if (u < 0.022) mid = [0, -1, NaN, Infinity, 5e-324, 1e307][Math.floor(rand() * 6)]!;
    else if (u < 0.027 && last.has(cell)) frozen.set(cell, { left: 3 + Math.floor(rand() * 10), mid: last.get(cell)! });
    if (mid > 0 && mid < Infinity) last.set(cell, mid);
    ticks.push({ instrument, venue, mid, half: halfOf[venue]! });
  }
  return ticks;
}

/**
 * Hampel filter, the robust reference: a cell's return is an outlier when it lies more than
 * t · 1.4826 · MAD from the median of the cell's last `window` accepted returns (MAD floored like
 * the detector's σ). Flagged ticks are not accepted; after 3 in a row the new level is.
 */
class Hampel {
  private readonly returns: number[][] = [];
  private readonly last: number[] = [];
  private readonly run: number[] = [];
  constructor(
    private readonly window: number,
    private readonly t: number,
    private readonly floor: number,
  ) {}

  flag(cell: number, mid: number): boolean {
    const last = this.last[cell];
    if (last === undefined) {
      this.last[cell] = mid;
      this.returns[cell] = [];
      this.run[cell] = 0;
      return false;
    }
    const r = Math.log(mid / last);
    const hist = this.returns[cell]!;
    if (hist.length >= this.window) {
      const sorted = [...hist].sort((a, b) => a - b);
      const med = sorted[sorted.length >> 1]!;
      const dev = hist.map((x) => Math.abs(x - med)).sort((a, b) => a - b);
      const sigma = Math.max(1.4826 * dev[dev.length >> 1]!, this.floor);
      if (Math.abs(r - med) > this.t * sigma) {
        if (++this.run[cell]! >= 3) {
          this.last[cell] = mid;
          this.run[cell] = 0;
        }
        return true;
      }
    }
    hist.push(r);
    if (hist.length > this.window) hist.shift();
    this.last[cell] = mid;
    this.run[cell] = 0;
    return false;
  }
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
          outlierSigmaFloorHalfSpreads: fc.constantFrom(0, 1, 3),
          outlierMaxRejects: fc.integer({ min: 0, max: 4 }),
          outlierReanchorAfterFlat: fc.constantFrom(0, 2, 5),
          outlierJumpWindow: fc.constantFrom(0, 3, 10),
          outlierJumpConfirmZ: fc.constantFrom(1, 2, 6),
        }),
        (seed, instruments, venues, sigma, cfg) => {
          const detector = new OutlierDetector(createAnalyticsState({ instruments, venues }), cfg);
          const reference = Array.from(
            { length: instruments },
            () => new ReferenceInstrument(Array.from({ length: venues }, () => new ReferenceCell())),
          );
          const ticks = messyStream(seed, instruments, venues, 400, sigma);
          ticks.forEach((t, k) => {
            const expected = referenceFlag(reference[t.instrument]!, t.venue, t.mid, t.half, cfg);
            const got = detector.onTick(t.instrument, t.venue, t.mid, t.half);
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

  it('accepts a level shift on a lone venue after outlierMaxRejects flags (no other venue can confirm it)', () => {
    const detector = new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), DEFAULT_ANALYTICS_CONFIG);
    const gauss = gaussian(prng(11));
    let mid = 80;
    for (let k = 0; k < 300; k++) detector.onTick(0, 0, (mid *= Math.exp(1e-3 * gauss())));
    mid *= 1.2;
    const flags = Array.from({ length: 10 }, () => detector.onTick(0, 0, (mid *= Math.exp(1e-3 * gauss()))));
    expect(flags).toEqual([true, true, true, false, false, false, false, false, false, false]);
  });

  it('flags only the first tick of a jump every venue follows, and moves every venue to the new level', () => {
    const venues = 4;
    const detector = new OutlierDetector(createAnalyticsState({ instruments: 1, venues }), DEFAULT_ANALYTICS_CONFIG);
    const gauss = gaussian(prng(5));
    let level = 100;
    const quote = (v: number): boolean => detector.onTick(0, v, level * (1 + 2e-6 * gauss()), 1e-4);
    for (let k = 0; k < 400; k++) {
      level *= Math.exp(1e-6 * gauss());
      quote(k % venues);
    }
    level *= Math.exp(30e-4); // +30 bp, 5 half spreads past the threshold
    const flags = [2, 0, 3, 1, 2, 0, 3, 1].map((v) => quote(v));
    expect(flags).toEqual([true, false, false, false, false, false, false, false]);
    // A spike on one venue alone is still flagged, and its venue is then back to normal.
    expect(detector.onTick(0, 1, level * Math.exp(20e-4), 1e-4)).toBe(true);
    expect(quote(1)).toBe(false);
    expect(quote(3)).toBe(false);
  });

  it('re-anchors a venue that catches up after a frozen run instead of flagging it', () => {
    const run = (reanchor: number, frozenFor = 40): boolean => {
      const detector = new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), {
        ...DEFAULT_ANALYTICS_CONFIG,
        outlierReanchorAfterFlat: reanchor,
      });
      let mid = 100;
      for (let k = 0; k < 200; k++) detector.onTick(0, 0, (mid *= 1 + 1e-6 * ((k % 5) - 2)), 1e-4);
      for (let k = 0; k < frozenFor; k++) detector.onTick(0, 0, mid, 1e-4); // frozen while the market drifts away
      return detector.onTick(0, 0, mid * 1.002, 1e-4); // the catch-up: 20 bp at once
    };
    expect(run(5)).toBe(false);
    expect(run(0)).toBe(true);
    // Exactly at the limit: 5 unchanged ticks make the reference stale, 4 do not.
    expect(run(5, 5)).toBe(false);
    expect(run(5, 4)).toBe(true);
  });

  it('agrees with a Hampel filter (rolling median, 1.4826·MAD) on all but a few ticks, and both catch the spikes', () => {
    let disagree = 0;
    let total = 0;
    let spikes = 0;
    let caughtByDetector = 0;
    let caughtByHampel = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const venues = 3;
      const detector = new OutlierDetector(createAnalyticsState({ instruments: 2, venues }), DEFAULT_ANALYTICS_CONFIG);
      const hampel = new Hampel(40, 6, 1e-4);
      const rand = prng(seed);
      const gauss = gaussian(rand);
      const level = [100, 40];
      const counts = new Array<number>(2 * venues).fill(0);
      for (let k = 0; k < 6000; k++) {
        const instrument = rand() < 0.7 ? 0 : 1;
        const venue = Math.floor(rand() * venues);
        const cell = instrument * venues + venue;
        level[instrument]! *= Math.exp(3e-5 * gauss());
        let mid = level[instrument]! * (1 + 1e-5 * gauss());
        const spike = ++counts[cell]! > 60 && rand() < 0.005;
        if (spike) mid *= Math.exp((rand() < 0.5 ? -1 : 1) * (8 + 8 * rand()) * 1e-4); // 8-16 half spreads
        const a = detector.onTick(instrument, venue, mid, 1e-4);
        const b = hampel.flag(cell, mid);
        if (counts[cell]! > 60) {
          total++;
          if (a !== b) disagree++;
          if (spike) {
            spikes++;
            if (a) caughtByDetector++;
            if (b) caughtByHampel++;
          }
        }
      }
    }
    expect(spikes).toBeGreaterThan(300);
    expect(caughtByDetector / spikes).toBeGreaterThanOrEqual(0.99);
    expect(caughtByHampel / spikes).toBeGreaterThanOrEqual(0.99);
    expect(disagree / total).toBeLessThan(0.002);
  });

  it('does not flag a quiet instrument whose moves are below the sigma floor (its half spread)', () => {
    const run = (floorBps: number, floorHalfSpreads: number): number => {
      const cfg = { ...DEFAULT_ANALYTICS_CONFIG, outlierSigmaFloorBps: floorBps, outlierSigmaFloorHalfSpreads: floorHalfSpreads };
      const detector = new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), cfg);
      const rand = prng(3);
      let flagged = 0;
      let level = 100;
      for (let k = 0; k < 5000; k++) {
        // Flat price with float-level noise and, now and then, a one-tick (1 bp) move; 1 bp half spread.
        if (k % 97 === 96) level = level === 100 ? 100.01 : 100;
        if (detector.onTick(0, 0, level * (1 + 1e-9 * (rand() - 0.5)), 1e-4)) flagged++;
      }
      return flagged;
    };
    expect(run(DEFAULT_ANALYTICS_CONFIG.outlierSigmaFloorBps, DEFAULT_ANALYTICS_CONFIG.outlierSigmaFloorHalfSpreads)).toBe(0);
    expect(run(2, 0)).toBe(0);
    // Without a floor the same one-tick moves are thousands of "sigmas".
    expect(run(0, 0)).toBeGreaterThan(10);
  });

  it('does not let a venue confirm its own flagged move as a genuine jump (regression, issue 11)', () => {
    const venues = 3;
    const detector = new OutlierDetector(createAnalyticsState({ instruments: 1, venues }), DEFAULT_ANALYTICS_CONFIG);
    const gauss = gaussian(prng(21));
    let level = 100;
    const quote = (v: number, factor = 1): boolean => detector.onTick(0, v, level * factor * (1 + 2e-6 * gauss()), 1e-4);
    for (let k = 0; k < 400; k++) {
      level *= Math.exp(1e-6 * gauss());
      quote(k % venues);
    }
    // Venue 0 sends two equal bad ticks in a row; nobody else moves. The second must not
    // "confirm" the first, or every other venue's reference would shift by +40 bp.
    expect(quote(0, Math.exp(40e-4))).toBe(true);
    expect(quote(0, Math.exp(40e-4))).toBe(true);
    expect(quote(1)).toBe(false);
    expect(quote(2)).toBe(false);
    for (let k = 0; k < 12; k++) expect(quote((k % 2) + 1)).toBe(false); // venue 0's candidate expires
    expect(quote(0)).toBe(false);
    // A genuine jump is still confirmed by a different venue: one flag, then all follow.
    level *= Math.exp(40e-4);
    expect([1, 2, 0, 1, 2, 0].map((v) => quote(v))).toEqual([true, false, false, false, false, false]);
  });

  it('keeps a venue usable after extreme but finite prices (5e-324 then 1e307): a later ×10 shift is flagged (regression, issue 12 item 7)', () => {
    for (const warm of [0, 200]) {
      const detector = new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 2 }), DEFAULT_ANALYTICS_CONFIG);
      const gauss = gaussian(prng(9));
      let mid = 100;
      for (let k = 0; k < warm; k++) detector.onTick(0, 0, (mid *= Math.exp(1e-4 * gauss())), 1e-4);
      detector.onTick(0, 0, 5e-324, 1e-4);
      detector.onTick(0, 0, 1e307, 1e-4);
      for (let k = 0; k < 300; k++) detector.onTick(0, 0, (mid *= Math.exp(1e-4 * gauss())), 1e-4);
      let flaggedClean = 0;
      for (let k = 0; k < 100; k++) if (detector.onTick(0, 0, (mid *= Math.exp(1e-4 * gauss())), 1e-4)) flaggedClean++;
      expect(flaggedClean).toBeLessThanOrEqual(1);
      expect(detector.onTick(0, 0, mid * 10, 1e-4)).toBe(true);
      expect(detector.onTick(0, 0, mid, 1e-4)).toBe(false);
      // The other venue never saw a bad price and is untouched.
      expect(detector.onTick(0, 1, mid, 1e-4)).toBe(false);
    }
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
    expect(() => new OutlierDetector(state, { ...DEFAULT_ANALYTICS_CONFIG, outlierSigmaFloorHalfSpreads: -1 })).toThrow(
      /outlierSigmaFloorHalfSpreads/,
    );
    expect(() => new OutlierDetector(state, { ...DEFAULT_ANALYTICS_CONFIG, outlierReanchorAfterFlat: 256 })).toThrow(
      /outlierReanchorAfterFlat/,
    );
  });
});

describe('OutlierDetector, cross-venue test', () => {
  /** 3 venues quote a steady level with small noise; then `moves` (venue, mid) ticks; returns which were flagged. */
  function run(crossVenue: boolean, moves: Array<[number, number]>): boolean[] {
    const state = createAnalyticsState({ instruments: 1, venues: 3 });
    // No jump confirmation: the cross-venue test alone decides.
    const config = { ...DEFAULT_ANALYTICS_CONFIG, outlierCrossVenue: crossVenue, outlierJumpWindow: 0 };
    const outliers = new OutlierDetector(state, config);
    const scorer = new SourceScorer(state, config);
    let now = 1e12;
    const tick = (v: number, mid: number): boolean => {
      const flagged = outliers.onTick(0, v, mid, 0);
      scorer.onTick(0, v, mid - 1e-4, mid + 1e-4, (now += 1000), flagged);
      return flagged;
    };
    for (let k = 0; k < 300; k++) tick(k % 3, 100 * (1 + 1e-5 * Math.sin(k * 1.7)));
    return moves.map(([v, mid]) => tick(v, mid));
  }

  it('flags a lone spike with or without the test', () => {
    expect(run(true, [[0, 100.5]])).toEqual([true]);
    expect(run(false, [[0, 100.5]])).toEqual([true]);
  });

  it('does not flag a venue catching up with a move the other venues already made', () => {
    const moves: Array<[number, number]> = [
      [1, 100.5],
      [2, 100.5],
      [0, 100.5],
    ];
    // The first mover is flagged (nothing tells it from a spike yet); the last follower is not.
    expect(run(true, moves)).toEqual([true, true, false]);
    expect(run(false, moves)).toEqual([true, true, true]);
  });
});

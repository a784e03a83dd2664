import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAnalyticsState } from '../../analytics/analytics-state.js';
import { DEFAULT_ANALYTICS_CONFIG } from '../../analytics/frame-analyzer.js';
import { SourceScorer } from '../../analytics/source-scorer.js';
import {
  IMMEDIATE_LOG_RETURN,
  OUTLIER_WITHHELD,
  OutlierDetector,
  OutlierVerdict,
  SIMPLE_MARKET_OUTLIERS,
  exactUpdates,
  logReturn,
  type OutlierConfig,
} from '../../analytics/outlier-detector.js';
import { gaussian, prng } from './helpers.js';

/**
 * Brute-force reference: keeps every (clipped) EWMA input of a cell in a plain array and replays
 * the recurrences over the whole history on every tick; keeps the held tick and the instrument's
 * pending jump as plain fields. Same floating-point operations in the same order as the detector,
 * so verdicts must agree exactly.
 */
class ReferenceCell {
  lastMid = NaN;
  inputs: number[] = [];
  rejectRun = 0;
  flat = 0;
  heldMid = NaN;
  heldRet = 0;
  heldId = NaN;
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
  cell.inputs.forEach((d, n) => {
    const a = n < exactUpdates(cfg.outlierAlpha) ? 1 / (n + 1) : cfg.outlierAlpha;
    mean = mean + a * d;
    variance = (1 - a) * (variance + a * d * d);
  });
  return { mean, variance };
}

/** The EWMA input of a return deviation `d`: clipped to ±4σ once warmed up. */
function referenceInput(cell: ReferenceCell, cfg: OutlierConfig, scale2: number, d: number): number {
  if (cell.inputs.length < cfg.outlierWarmup) return d;
  const c = Math.sqrt(16 * scale2);
  return d > c ? c : d < -c ? -c : d;
}

/** The reference's verdict (OutlierVerdict bits) and, when a held tick was judged an outlier, its id. */
function referenceVerdict(
  inst: ReferenceInstrument,
  venue: number,
  mid: number,
  half: number,
  id: number,
  cfg: OutlierConfig,
): { verdict: number; previousId: number } {
  if (!(mid > 0 && mid < Infinity)) return { verdict: OutlierVerdict.Outlier, previousId: NaN };
  const cell = inst.cells[venue]!;
  inst.ticks++;
  if (Number.isNaN(cell.lastMid)) {
    cell.lastMid = mid;
    return { verdict: 0, previousId: NaN };
  }
  const absFloor2 = (cfg.outlierSigmaFloorBps * 1e-4) ** 2;
  const fs = cfg.outlierSigmaFloorHalfSpreads * half;
  const floor2 = fs * fs > absFloor2 ? fs * fs : absFloor2;
  const scaleOf = (): number => {
    const { variance } = referenceStats(cell, cfg);
    return variance > floor2 ? variance : floor2;
  };
  const scale2 = scaleOf();
  const leg2 = 0.25 * cfg.outlierZ * cfg.outlierZ * scale2;
  let verdict = 0;
  let previousId = NaN;
  if (!Number.isNaN(cell.heldMid)) {
    const back = logReturn(mid, cell.heldMid);
    const { variance } = referenceStats(cell, cfg);
    const backMin2 = 0.25 * cfg.outlierZ * cfg.outlierZ * (variance > absFloor2 ? variance : absFloor2);
    const halfway2 = 0.25 * cell.heldRet * cell.heldRet;
    if (cell.heldRet * back < 0 && back * back > backMin2 && back * back > halfway2) {
      verdict = OutlierVerdict.PreviousOutlier;
      previousId = cell.heldId;
    } else {
      cell.inputs.push(referenceInput(cell, cfg, scale2, cell.heldRet));
      cell.lastMid = cell.heldMid;
      verdict = OutlierVerdict.PreviousAccepted;
    }
    cell.heldMid = NaN;
  }
  const r = logReturn(mid, cell.lastMid);
  if (!(Math.abs(r) < IMMEDIATE_LOG_RETURN)) {
    cell.flat = 0;
    cell.rejectRun++;
    if (cfg.outlierMaxRejects > 0 && cell.rejectRun >= cfg.outlierMaxRejects) {
      cell.lastMid = mid;
      cell.rejectRun = 0;
    }
    return { verdict: verdict | OutlierVerdict.Outlier, previousId };
  }
  const { mean } = referenceStats(cell, cfg);
  const d = r - mean;
  if (cell.inputs.length >= cfg.outlierWarmup && d * d > leg2) {
    const take = (): { verdict: number; previousId: number } => {
      cell.lastMid = mid;
      cell.rejectRun = 0;
      cell.flat = 0;
      return { verdict, previousId };
    };
    if (cfg.outlierReanchorAfterFlat > 0 && cell.flat >= cfg.outlierReanchorAfterFlat) return take();
    if (!Number.isNaN(inst.candidate) && inst.ticks <= inst.expires && inst.candidateVenue !== venue) {
      const e = r - inst.candidate;
      if (e * e <= cfg.outlierJumpConfirmZ * cfg.outlierJumpConfirmZ * scale2) {
        inst.candidate = NaN;
        // The venue that raised the move: its tick still held is taken as its level too.
        const raised = inst.cells[inst.candidateVenue]!;
        if (!Number.isNaN(raised.heldMid)) {
          raised.lastMid = raised.heldMid;
          raised.heldMid = NaN;
          raised.rejectRun = 0;
          raised.flat = 0;
        }
        return take();
      }
    }
    if (cfg.outlierJumpWindow > 0) {
      inst.candidate = r;
      inst.expires = inst.ticks + cfg.outlierJumpWindow;
      inst.candidateVenue = venue;
    }
    cell.heldMid = mid;
    cell.heldRet = d;
    cell.heldId = id;
    cell.flat = 0;
    const far = d * d > cfg.outlierZ * cfg.outlierZ * Math.max(scale2, half * half);
    return { verdict: verdict | OutlierVerdict.Held | (far ? OutlierVerdict.Far : 0), previousId };
  }
  cell.inputs.push(referenceInput(cell, cfg, scale2, d));
  cell.lastMid = mid;
  cell.rejectRun = 0;
  cell.flat = r === 0 ? Math.min(255, cell.flat + 1) : 0;
  return { verdict, previousId };
}

/**
 * Feeds ticks to a detector with their index as id and collects the flagged indices, whether
 * flagged at once or when the venue's next tick judged a held one.
 */
class Judge {
  readonly flagged = new Set<number>();
  private k = 0;
  constructor(readonly detector: OutlierDetector) {}

  /** Feeds one tick; returns its index. */
  tick(instrument: number, venue: number, mid: number, half = 0): number {
    const id = this.k++;
    const v = this.detector.onTick(instrument, venue, mid, half, id, id);
    this.lastVerdict = v;
    if ((v & OutlierVerdict.Outlier) !== 0) this.flagged.add(id);
    if ((v & OutlierVerdict.PreviousOutlier) !== 0) this.flagged.add(this.detector.previousId);
    return id;
  }

  lastVerdict = 0;
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
    let heldOverall = 0;
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
          outlierSigmaFloorHalfSpreads: fc.constantFrom(0, 0.5, 1, 3),
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
            const expected = referenceVerdict(reference[t.instrument]!, t.venue, t.mid, t.half, k, cfg);
            const got = detector.onTick(t.instrument, t.venue, t.mid, t.half, k, 0);
            if (got !== expected.verdict) throw new Error(`tick ${k}: detector ${got}, reference ${expected.verdict}`);
            if ((got & OutlierVerdict.PreviousOutlier) !== 0 && detector.previousId !== expected.previousId) {
              throw new Error(`tick ${k}: held tick ${detector.previousId} judged, reference ${expected.previousId}`);
            }
            if ((got & (OutlierVerdict.Outlier | OutlierVerdict.PreviousOutlier)) !== 0) flaggedOverall++;
            if ((got & OutlierVerdict.Held) !== 0) heldOverall++;
          });
          ticksOverall += ticks.length;
        },
      ),
      { numRuns: 150 },
    );
    // Not vacuous: every answer occurred, many times.
    expect(flaggedOverall).toBeGreaterThan(500);
    expect(heldOverall).toBeGreaterThan(500);
    expect(ticksOverall - flaggedOverall - heldOverall).toBeGreaterThan(10_000);
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

  it('flags 5σ and 10σ spikes and ×10 / ÷10 decimal shifts, and only them, on GBM streams', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 5e-4, max: 5e-3, noNaN: true }), (seed, sigma) => {
        const judge = new Judge(new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), DEFAULT_ANALYTICS_CONFIG));
        const rand = prng(seed);
        const gauss = gaussian(rand);
        let mid = 100;
        const injected = new Set<number>();
        for (let k = 0; k < 1500; k++) {
          let observed: number;
          // Anomalies after the warm-up and spaced out. The true price stands still under an
          // anomaly, so the next tick is one ordinary return away from the pre-anomaly level.
          if (k >= 200 && k % 25 === 0) {
            const size = rand() < 0.5 ? 5 : 10;
            observed = [mid * Math.exp(size * sigma), mid * Math.exp(-size * sigma), mid * 10, mid / 10][Math.floor(rand() * 4)]!;
            injected.add(k);
          } else {
            // Innovations capped at 1.5σ: the property is about the detector, not about how often
            // a Gaussian tail alone makes two opposite 3σ̂ moves (σ̂ from ~100 effective samples).
            mid *= Math.exp(sigma * Math.max(-1.5, Math.min(1.5, gauss())));
            observed = mid;
          }
          judge.tick(0, 0, observed);
        }
        expect([...judge.flagged].sort((x, y) => x - y)).toEqual([...injected]);
      }),
      { numRuns: 60 },
    );
  });

  it('holds a spike, flags it when its venue comes back, and measures that tick against the pre-spike level', () => {
    const judge = new Judge(new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), DEFAULT_ANALYTICS_CONFIG));
    const gauss = gaussian(prng(7));
    let mid = 50;
    for (let k = 0; k < 300; k++) judge.tick(0, 0, (mid *= Math.exp(1e-3 * gauss())));
    expect(judge.flagged.size).toBe(0);
    const spike = judge.tick(0, 0, mid * 1.5);
    expect(judge.lastVerdict).toBe(OutlierVerdict.Held | OutlierVerdict.Far);
    expect(judge.detector.lastZ).toBeGreaterThan(6);
    // Back at the old level: the spike is flagged now, and this tick is an ordinary return from
    // the pre-spike mid, not a −33 % crash.
    judge.tick(0, 0, mid * 1.0005);
    expect(judge.lastVerdict).toBe(OutlierVerdict.PreviousOutlier);
    expect([...judge.flagged]).toEqual([spike]);
    expect(judge.detector.previousZ).toBeGreaterThan(6);
    judge.tick(0, 0, mid * 1.001);
    expect(judge.lastVerdict).toBe(0);
  });

  it('judges a held move an outlier only when its venue comes back more than halfway', () => {
    const run = (backSigmas: number): number => {
      const judge = new Judge(new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), DEFAULT_ANALYTICS_CONFIG));
      const gauss = gaussian(prng(13));
      const sigma = 1e-3;
      let mid = 60;
      for (let k = 0; k < 300; k++) judge.tick(0, 0, (mid *= Math.exp(sigma * Math.max(-1.5, Math.min(1.5, gauss())))));
      judge.tick(0, 0, mid * Math.exp(10 * sigma)); // out 10σ
      judge.tick(0, 0, mid * Math.exp((10 - backSigmas) * sigma));
      // (This tick may be held in turn: judged against the level the verdict leaves.)
      return judge.lastVerdict & (OutlierVerdict.PreviousOutlier | OutlierVerdict.PreviousAccepted);
    };
    expect(run(6)).toBe(OutlierVerdict.PreviousOutlier);
    expect(run(10)).toBe(OutlierVerdict.PreviousOutlier);
    // Back 4σ of 10: a move that mostly stayed.
    expect(run(4)).toBe(OutlierVerdict.PreviousAccepted);
    expect(run(0)).toBe(OutlierVerdict.PreviousAccepted);
  });

  it('accepts a lasting move of a lone venue on its next tick, without a flag', () => {
    const judge = new Judge(new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), DEFAULT_ANALYTICS_CONFIG));
    const gauss = gaussian(prng(11));
    let mid = 80;
    for (let k = 0; k < 300; k++) judge.tick(0, 0, (mid *= Math.exp(1e-3 * gauss())));
    mid *= 1.2;
    const verdicts = Array.from({ length: 4 }, () => {
      judge.tick(0, 0, (mid *= Math.exp(1e-3 * gauss())));
      return judge.lastVerdict;
    });
    expect(verdicts).toEqual([OutlierVerdict.Held | OutlierVerdict.Far, OutlierVerdict.PreviousAccepted, 0, 0]);
    expect(judge.flagged.size).toBe(0);
  });

  it('flags moves past ×3 at once, and accepts a lasting one after outlierMaxRejects flags', () => {
    const judge = new Judge(new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), DEFAULT_ANALYTICS_CONFIG));
    const gauss = gaussian(prng(12));
    let mid = 80;
    for (let k = 0; k < 300; k++) judge.tick(0, 0, (mid *= Math.exp(1e-3 * gauss())));
    mid *= 10; // re-denominated for good
    const flags = Array.from(
      { length: 6 },
      () => (judge.detector.onTick(0, 0, (mid *= Math.exp(1e-3 * gauss()))) & OutlierVerdict.Outlier) !== 0,
    );
    expect(flags).toEqual([true, true, true, false, false, false]);
  });

  it('flags no tick of a jump every venue follows; a second venue confirms it at once; a lone spike is still flagged', () => {
    const venues = 4;
    const judge = new Judge(new OutlierDetector(createAnalyticsState({ instruments: 1, venues }), DEFAULT_ANALYTICS_CONFIG));
    const gauss = gaussian(prng(5));
    let level = 100;
    const quote = (v: number, factor = 1): number => {
      judge.tick(0, v, level * factor * (1 + 2e-6 * gauss()), 1e-4);
      return judge.lastVerdict;
    };
    for (let k = 0; k < 400; k++) {
      level *= Math.exp(1e-6 * gauss());
      quote(k % venues);
    }
    level *= Math.exp(30e-4); // +30 bp, 5 half spreads past the threshold
    const verdicts = [2, 0, 3, 1, 2, 0, 3, 1].map((v) => quote(v));
    // No source scorer feeds the cross-venue test here: the jump confirmation alone. Venue 2 first:
    // held; venue 0 moved alike: a jump, accepted at once, and venue 2's held tick with it; venue 3
    // raises a new candidate, which venue 1 confirms; nothing is left to judge on the next ticks.
    const held = OutlierVerdict.Held | OutlierVerdict.Far;
    expect(verdicts).toEqual([held, 0, held, 0, 0, 0, 0, 0]);
    expect(judge.flagged.size).toBe(0);
    // A spike on one venue alone is flagged when it comes back; the venue is then back to normal.
    const spike = judge.tick(0, 1, level * Math.exp(20e-4), 1e-4);
    expect(quote(1)).toBe(OutlierVerdict.PreviousOutlier);
    expect([...judge.flagged]).toEqual([spike]);
    expect(quote(3)).toBe(0);
  });

  it('re-anchors a venue that catches up after a frozen run when asked, and never flags the catch-up', () => {
    const run = (reanchor: number, frozenFor = 40): number[] => {
      const judge = new Judge(
        new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), {
          ...DEFAULT_ANALYTICS_CONFIG,
          outlierReanchorAfterFlat: reanchor,
        }),
      );
      let mid = 100;
      for (let k = 0; k < 200; k++) judge.tick(0, 0, (mid *= 1 + 1e-6 * ((k % 5) - 2)), 1e-4);
      for (let k = 0; k < frozenFor; k++) judge.tick(0, 0, mid, 1e-4); // frozen while the market drifts away
      const verdicts = [mid * 1.002, mid * 1.002].map((m) => {
        judge.tick(0, 0, m, 1e-4); // the catch-up: 20 bp at once, and it stays
        return judge.lastVerdict;
      });
      expect(judge.flagged.size).toBe(0);
      return verdicts;
    };
    expect(run(5)).toEqual([0, 0]);
    const held = [OutlierVerdict.Held | OutlierVerdict.Far, OutlierVerdict.PreviousAccepted];
    expect(run(0)).toEqual(held);
    // Exactly at the limit: 5 unchanged ticks make the reference stale, 4 do not.
    expect(run(5, 5)).toEqual([0, 0]);
    expect(run(5, 4)).toEqual(held);
  });

  it('agrees with a Hampel filter (rolling median, 1.4826·MAD) on all but a few ticks, and both catch the spikes', () => {
    let disagree = 0;
    let total = 0;
    let spikes = 0;
    let caughtByDetector = 0;
    let caughtByHampel = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const venues = 3;
      const judge = new Judge(new OutlierDetector(createAnalyticsState({ instruments: 2, venues }), DEFAULT_ANALYTICS_CONFIG));
      const hampel = new Hampel(40, 6, 1e-4);
      const rand = prng(seed);
      const gauss = gaussian(rand);
      const level = [100, 40];
      const counts = new Array<number>(2 * venues).fill(0);
      const hampelFlags = new Set<number>();
      const counted: Array<{ id: number; spike: boolean }> = [];
      for (let k = 0; k < 6000; k++) {
        const instrument = rand() < 0.7 ? 0 : 1;
        const venue = Math.floor(rand() * venues);
        const cell = instrument * venues + venue;
        level[instrument]! *= Math.exp(3e-5 * gauss());
        let mid = level[instrument]! * (1 + 1e-5 * gauss());
        const spike = ++counts[cell]! > 60 && rand() < 0.005;
        if (spike) mid *= Math.exp((rand() < 0.5 ? -1 : 1) * (8 + 8 * rand()) * 1e-4); // 8-16 half spreads
        const id = judge.tick(instrument, venue, mid, 1e-4);
        if (hampel.flag(cell, mid)) hampelFlags.add(id);
        if (counts[cell]! > 60) counted.push({ id, spike });
      }
      for (const { id, spike } of counted) {
        const a = judge.flagged.has(id);
        const b = hampelFlags.has(id);
        total++;
        if (a !== b) disagree++;
        if (spike) {
          spikes++;
          if (a) caughtByDetector++;
          if (b) caughtByHampel++;
        }
      }
    }
    expect(spikes).toBeGreaterThan(300);
    // A spike on a venue's last tick is never judged: at most a few of those.
    expect(caughtByDetector / spikes).toBeGreaterThanOrEqual(0.98);
    expect(caughtByHampel / spikes).toBeGreaterThanOrEqual(0.99);
    expect(disagree / total).toBeLessThan(0.002);
  });

  it('does not flag quoting noise of a tick and back on a quiet instrument (the sigma floor)', () => {
    const run = (floorBps: number, floorHalfSpreads: number): number => {
      const cfg = { ...DEFAULT_ANALYTICS_CONFIG, outlierSigmaFloorBps: floorBps, outlierSigmaFloorHalfSpreads: floorHalfSpreads };
      const judge = new Judge(new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), cfg));
      const rand = prng(3);
      for (let k = 0; k < 5000; k++) {
        // Flat price with float-level noise and, now and then, one tick (1 bp) up and back; 1 bp half spread.
        const level = k % 97 === 96 ? 100.01 : 100;
        judge.tick(0, 0, level * (1 + 1e-9 * (rand() - 0.5)), 1e-4);
      }
      return judge.flagged.size;
    };
    expect(run(DEFAULT_ANALYTICS_CONFIG.outlierSigmaFloorBps, DEFAULT_ANALYTICS_CONFIG.outlierSigmaFloorHalfSpreads)).toBe(0);
    expect(run(0.5, 0)).toBe(0);
    // Without a floor the same one-tick moves are thousands of "sigmas", out and back.
    expect(run(0, 0)).toBeGreaterThan(10);
  });

  it('does not let a venue confirm its own move as a genuine jump, nor shift other venues by one (regression, issue 11)', () => {
    const venues = 3;
    const judge = new Judge(new OutlierDetector(createAnalyticsState({ instruments: 1, venues }), DEFAULT_ANALYTICS_CONFIG));
    const gauss = gaussian(prng(21));
    let level = 100;
    const quote = (v: number, factor = 1): number => {
      judge.tick(0, v, level * factor * (1 + 2e-6 * gauss()), 1e-4);
      return judge.lastVerdict;
    };
    for (let k = 0; k < 400; k++) {
      level *= Math.exp(1e-6 * gauss());
      quote(k % venues);
    }
    // Venue 0 moves +40 bp while nobody else does: held. Its own next tick of the same size is
    // its level now (it stayed), but it confirms no jump: the other venues keep their levels.
    expect(quote(0, Math.exp(40e-4))).toBe(OutlierVerdict.Held | OutlierVerdict.Far);
    expect(quote(0, Math.exp(40e-4))).toBe(OutlierVerdict.PreviousAccepted);
    expect(quote(1)).toBe(0);
    expect(quote(2)).toBe(0);
    for (let k = 0; k < 12; k++) expect(quote((k % 2) + 1)).toBe(0); // venue 0's candidate expires
    // Venue 0 back where the others are: held, then its level (no scorer here for the cross-venue test).
    const held = OutlierVerdict.Held | OutlierVerdict.Far;
    expect(quote(0)).toBe(held);
    expect(quote(0)).toBe(OutlierVerdict.PreviousAccepted);
    for (let k = 0; k < 12; k++) quote(k % venues); // the candidate expires
    // A genuine jump is still confirmed by a different venue at once (venue 1's held tick with
    // it), and nobody is flagged; venue 0 raises a candidate nobody confirms and stays.
    level *= Math.exp(40e-4);
    expect([1, 2, 0, 1, 2, 0].map((v) => quote(v))).toEqual([held, 0, held, 0, 0, OutlierVerdict.PreviousAccepted]);
    expect(judge.flagged.size).toBe(0);
  });

  it('flags no tick of a fast dip that two venues quote before it reverses: the second confirms the first held tick', () => {
    const venues = 4;
    const judge = new Judge(new OutlierDetector(createAnalyticsState({ instruments: 1, venues }), DEFAULT_ANALYTICS_CONFIG));
    const gauss = gaussian(prng(41));
    const level = 100;
    const quote = (v: number, factor = 1): number => {
      judge.tick(0, v, level * factor * (1 + 2e-6 * gauss()), 1e-4);
      return judge.lastVerdict;
    };
    for (let k = 0; k < 400; k++) quote(k % venues);
    // The market dips 30 bp and comes back before either venue quotes again.
    const dip = Math.exp(-30e-4);
    const held = OutlierVerdict.Held | OutlierVerdict.Far;
    expect(quote(2, dip)).toBe(held);
    expect(quote(0, dip)).toBe(0); // confirms venue 2's move: both are levels now
    expect(quote(1)).toBe(0);
    expect(quote(3)).toBe(0);
    // Both come back: a move out of the dip, which venue 0 confirms for venue 2 in turn.
    expect(quote(2)).toBe(held);
    expect(quote(0)).toBe(0);
    for (let k = 0; k < 8; k++) expect(quote(k % venues)).toBe(0);
    expect(judge.flagged.size).toBe(0);
    // A lone venue's dip of the same size is still a bad tick when it comes back.
    const spike = judge.tick(0, 1, level * dip, 1e-4);
    expect(quote(1)).toBe(OutlierVerdict.PreviousOutlier);
    expect([...judge.flagged]).toEqual([spike]);
  });

  it('floors σ at half a half spread by default, at a whole one with SIMPLE_MARKET_OUTLIERS', () => {
    // Returns alternate ±σ (the EWMA settles on σ); one tick goes `size`·σ out and comes back.
    const flagsSpike = (sigma: number, half: number, size: number, config: OutlierConfig): boolean => {
      const judge = new Judge(new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), config));
      for (let k = 0; k < 400; k++) judge.tick(0, 0, 100 * Math.exp(sigma * (k % 2)), half);
      const spike = judge.tick(0, 0, 100 * Math.exp(size * sigma), half);
      judge.tick(0, 0, 100 * Math.exp(sigma), half);
      judge.tick(0, 0, 100, half);
      return judge.flagged.has(spike) && judge.flagged.size === 1;
    };
    const simple = { ...DEFAULT_ANALYTICS_CONFIG, ...SIMPLE_MARKET_OUTLIERS };
    // The fair-value market: σ about a tick, the half spread 1–2 ticks. A 4.5σ spike is caught by
    // default; a whole half spread of floor (1.75σ here) would need legs past 5.25σ.
    expect(flagsSpike(1e-4, 1.75e-4, 4.5, DEFAULT_ANALYTICS_CONFIG)).toBe(true);
    expect(flagsSpike(1e-4, 1.75e-4, 4.5, simple)).toBe(false);
    // The simple market: σ a tenth of the half spread, and a venue shifted 2.9 half spreads out
    // and back for a tick (an arbitrage window, genuine there) is left alone with its setting.
    expect(flagsSpike(1e-5, 1e-4, 29, simple)).toBe(false);
    expect(flagsSpike(1e-5, 1e-4, 29, DEFAULT_ANALYTICS_CONFIG)).toBe(true);
    // Its bad ticks, 8 half spreads and more, are caught either way.
    expect(flagsSpike(1e-5, 1e-4, 80, simple)).toBe(true);
  });

  it('keeps a genuine jump out of σ: a 30σ move that stays leaves 4σ spikes detectable right after (variance clip)', () => {
    const judge = new Judge(new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), DEFAULT_ANALYTICS_CONFIG));
    const gauss = gaussian(prng(31));
    const sigma = 1e-3;
    let mid = 100;
    const step = (): number => judge.tick(0, 0, (mid *= Math.exp(sigma * Math.max(-1.5, Math.min(1.5, gauss())))));
    for (let k = 0; k < 300; k++) step();
    mid *= Math.exp(30 * sigma); // news: the level moves 30σ for good
    step();
    step();
    const spikes: number[] = [];
    for (let k = 0; k < 10; k++) {
      step();
      spikes.push(judge.tick(0, 0, mid * Math.exp((k % 2 === 0 ? 4.5 : -4.5) * sigma)));
    }
    step();
    expect([...judge.flagged].sort((x, y) => x - y)).toEqual(spikes);
  });

  it('keeps a venue usable after extreme but finite prices (5e-324 then 1e307): a later ×10 shift is flagged (regression, issue 12 item 7)', () => {
    for (const warm of [0, 200]) {
      const detector = new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 2 }), DEFAULT_ANALYTICS_CONFIG);
      const judge = new Judge(detector);
      const gauss = gaussian(prng(9));
      let mid = 100;
      for (let k = 0; k < warm; k++) judge.tick(0, 0, (mid *= Math.exp(1e-4 * gauss())), 1e-4);
      judge.tick(0, 0, 5e-324, 1e-4);
      judge.tick(0, 0, 1e307, 1e-4);
      for (let k = 0; k < 300; k++) judge.tick(0, 0, (mid *= Math.exp(1e-4 * gauss())), 1e-4);
      const before = judge.flagged.size;
      for (let k = 0; k < 100; k++) judge.tick(0, 0, (mid *= Math.exp(1e-4 * gauss())), 1e-4);
      expect(judge.flagged.size - before).toBeLessThanOrEqual(1);
      judge.tick(0, 0, mid * 10, 1e-4);
      expect(judge.lastVerdict & OutlierVerdict.Outlier).not.toBe(0);
      judge.tick(0, 0, mid, 1e-4);
      expect(judge.lastVerdict & OUTLIER_WITHHELD).toBe(0);
      // The other venue never saw a bad price and is untouched.
      judge.tick(0, 1, mid, 1e-4);
      expect(judge.lastVerdict).toBe(0);
    }
  });

  it('flags non-prices at once without touching the state', () => {
    const detector = new OutlierDetector(createAnalyticsState({ instruments: 1, venues: 1 }), DEFAULT_ANALYTICS_CONFIG);
    for (let k = 0; k < 100; k++) detector.onTick(0, 0, 100 + (k % 2) * 0.01);
    for (const bad of [0, -5, NaN, Infinity]) expect(detector.onTick(0, 0, bad)).toBe(OutlierVerdict.Outlier);
    expect(detector.onTick(0, 0, 100.01)).toBe(0);
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
  /** 3 venues quote a steady level with small noise; then `moves` (venue, mid) ticks; returns their verdicts. */
  function run(crossVenue: boolean, moves: Array<[number, number]>): number[] {
    const state = createAnalyticsState({ instruments: 1, venues: 3 });
    // No jump confirmation: the cross-venue test alone decides.
    const config = { ...DEFAULT_ANALYTICS_CONFIG, outlierCrossVenue: crossVenue, outlierJumpWindow: 0 };
    const outliers = new OutlierDetector(state, config);
    const scorer = new SourceScorer(state, config);
    let now = 1e12;
    const tick = (v: number, mid: number): number => {
      const verdict = outliers.onTick(0, v, mid, 0);
      scorer.onTick(0, v, mid - 1e-4, mid + 1e-4, (now += 1000), (verdict & OUTLIER_WITHHELD) !== 0);
      return verdict;
    };
    for (let k = 0; k < 300; k++) tick(k % 3, 100 * (1 + 1e-5 * Math.sin(k * 1.7)));
    return moves.map(([v, mid]) => tick(v, mid));
  }
  const held = OutlierVerdict.Held | OutlierVerdict.Far;

  it('holds a lone spike with or without the test, and flags it when its venue comes back', () => {
    const spike: Array<[number, number]> = [
      [0, 100.5],
      [0, 100],
    ];
    expect(run(true, spike)).toEqual([held, OutlierVerdict.PreviousOutlier]);
    expect(run(false, spike)).toEqual([held, OutlierVerdict.PreviousOutlier]);
  });

  it('accepts at once a venue catching up with a move the other venues already made', () => {
    const moves: Array<[number, number]> = [
      [1, 100.5],
      [2, 100.5],
      [0, 100.5],
    ];
    // The first movers are held (nothing tells them from a spike yet); the last follower is not.
    expect(run(true, moves)).toEqual([held, held, 0]);
    expect(run(false, moves)).toEqual([held, held, held]);
  });
});

describe('OutlierDetector, a held tick whose venue goes quiet (timeout) or whose stream ends', () => {
  const expired = OutlierVerdict.ExpiredOutlier | OutlierVerdict.ExpiredAccepted;
  /**
   * 4 venues quote a steady level round-robin, one tick a ms (each venue every 4 ms); `tick` feeds
   * one more at the next ms, with its index as id. Jump confirmation off: the timeout alone decides.
   */
  function market(timeoutIntervals: number | undefined, venues = 4, jump: Partial<OutlierConfig> = { outlierJumpWindow: 0 }) {
    const state = createAnalyticsState({ instruments: 1, venues });
    const config = { ...DEFAULT_ANALYTICS_CONFIG, ...jump, outlierHeldTimeoutIntervals: timeoutIntervals };
    const outliers = new OutlierDetector(state, config);
    const scorer = new SourceScorer(state, config);
    let now = 1e12;
    let id = 0;
    const tick = (v: number, mid: number): number => {
      now += 1000;
      const verdict = outliers.onTick(0, v, mid, 0, id++, now);
      scorer.onTick(0, v, mid - 1e-4, mid + 1e-4, now, (verdict & OUTLIER_WITHHELD) !== 0);
      return verdict;
    };
    const level = (k: number): number => 100 * (1 + 1e-5 * Math.sin(k * 1.7));
    for (let k = 0; k < 400; k++) tick(k % venues, level(k));
    return { outliers, tick, level, id: () => id };
  }

  it('decides a spike in its venue last quote once the venue has been quiet for 4 of its intervals, from the other venues', () => {
    const m = market(4);
    const spike = m.id();
    expect(m.tick(0, 100.5) & OutlierVerdict.Held).not.toBe(0);
    // Venue 0 is quiet; the others keep quoting the old level. 16 ms = 4 of venue 0's 4 ms intervals.
    const verdicts: number[] = [];
    for (let k = 0; k < 20; k++) verdicts.push(m.tick(1 + (k % 3), m.level(k)));
    const at = verdicts.findIndex((v) => (v & expired) !== 0);
    expect(at).toBe(16);
    expect(verdicts[at]).toBe(OutlierVerdict.ExpiredOutlier);
    expect(m.outliers.expiredId).toBe(spike);
    expect(m.outliers.expiredVenue).toBe(0);
    expect(m.outliers.expiredInstrument).toBe(0);
    expect(m.outliers.expiredZ).toBeGreaterThan(6);
    // Decided once: nothing else expires, and venue 0's level is still the old one.
    expect(verdicts.filter((v) => (v & expired) !== 0)).toHaveLength(1);
    expect(m.tick(0, m.level(0))).toBe(0);
  });

  it('accepts a held move the other venues followed meanwhile; the venue then quotes the new level unheld', () => {
    const m = market(4);
    expect(m.tick(0, 100.5) & OutlierVerdict.Held).not.toBe(0);
    // The others follow (each held in turn: no jump confirmation here), then keep quoting there.
    const verdicts: number[] = [];
    for (let k = 0; k < 30; k++) verdicts.push(m.tick(1 + (k % 3), 100.5));
    const decided = verdicts.filter((v) => (v & expired) !== 0);
    expect(decided[0]).toBe(OutlierVerdict.ExpiredAccepted);
    expect(decided.every((v) => v === OutlierVerdict.ExpiredAccepted)).toBe(true);
    expect(m.tick(0, 100.5)).toBe(0);
  });

  it("at the timeout, takes a held move less than outlierZ σ from the others as the venue's own (a departure), not a bad tick", () => {
    // σ of the level's returns is about 1e-5: a 4.5σ move is held (past Z/2 = 3σ from the venue's
    // level and from the others), and only the venue's own next quote could tell a spike from a
    // venue departing; without it the others' median is one leg of evidence, short of Z.
    const m = market(4);
    expect(m.tick(0, m.level(399) * (1 + 4.5e-5)) & OutlierVerdict.Held).not.toBe(0);
    const decided: number[] = [];
    for (let k = 0; k < 30; k++) decided.push(m.tick(1 + (k % 3), m.level(399)) & expired);
    expect(decided.filter((v) => v !== 0)).toEqual([OutlierVerdict.ExpiredAccepted]);
  });

  it('never times out when the option is off: the held tick waits for its venue', () => {
    for (const off of [0, undefined]) {
      const m = market(off);
      m.tick(0, 100.5);
      for (let k = 0; k < 100; k++) expect(m.tick(1 + (k % 3), m.level(k)) & expired).toBe(0);
      expect(m.tick(0, m.level(0))).toBe(OutlierVerdict.PreviousOutlier);
    }
  });

  it('decides every tick still held when the stream ends (endOfStream), once each', () => {
    const m = market(4);
    const spike = m.id();
    m.tick(0, 100.5);
    const move = m.id();
    m.tick(1, 99.5);
    m.tick(2, 99.5); // venue 2 follows venue 1's move down (held too), venue 3 quotes the old level
    m.tick(3, m.level(0));
    const decided = new Map<number, number>();
    for (let v = m.outliers.endOfStream(); v !== 0; v = m.outliers.endOfStream()) decided.set(m.outliers.expiredId, v);
    // Venue 0 is far from the others' median (venues 1, 2 at 99.5 and 3 at 100): an outlier.
    expect(decided.get(spike)).toBe(OutlierVerdict.ExpiredOutlier);
    // Venue 1 sits where venue 2 went: the median of the others (99.5, 100, 100.5) is 100, back
    // from 99.5 by about 10σ; the rule judges it as venue 1's next quote there would be judged.
    expect(decided.has(move)).toBe(true);
    expect(decided.size).toBe(3);
    expect(m.outliers.endOfStream()).toBe(0);
  });

  it('with no other venue to compare, flags at the end only a held move past outlierZ σ on its own', () => {
    // The level's returns have σ about 1e-5 (its sine's steps): 50σ and 4.5σ moves.
    for (const [move, verdict] of [
      [5e-4, OutlierVerdict.ExpiredOutlier],
      [4.5e-5, OutlierVerdict.ExpiredAccepted],
    ] as const) {
      const m = market(4, 1);
      expect(m.tick(0, m.level(399) * (1 + move)) & OutlierVerdict.Held).not.toBe(0);
      expect(m.outliers.endOfStream()).toBe(verdict);
      expect(m.outliers.endOfStream()).toBe(0);
    }
  });
});

describe('OutlierDetector, jump confirmation window in stream time (outlierJumpWindowUs)', () => {
  /**
   * 6 venues quote a steady level round-robin, one tick every `stepUs`; then venue 0 and venue 1
   * move alike to 100.5, `between` ticks of the others apart; returns venue 1's verdict.
   */
  function second(stepUs: number, windowUs: number | undefined): number {
    const state = createAnalyticsState({ instruments: 1, venues: 6 });
    const config = { ...DEFAULT_ANALYTICS_CONFIG, outlierJumpWindow: 10, outlierJumpWindowUs: windowUs, outlierHeldTimeoutIntervals: 0 };
    const outliers = new OutlierDetector(state, config);
    const scorer = new SourceScorer(state, config);
    let now = 1e12;
    const tick = (v: number, mid: number): number => {
      now += stepUs;
      const verdict = outliers.onTick(0, v, mid, 0, 0, now);
      scorer.onTick(0, v, mid - 1e-4, mid + 1e-4, now, (verdict & OUTLIER_WITHHELD) !== 0);
      return verdict;
    };
    for (let k = 0; k < 600; k++) tick(k % 6, 100 * (1 + 1e-5 * Math.sin(k * 1.7)));
    tick(0, 100.5);
    for (let k = 0; k < 3; k++) tick(2 + k, 100);
    return tick(1, 100.5);
  }
  const held = OutlierVerdict.Held | OutlierVerdict.Far;

  it('takes two venues moving alike within a feed lag as a jump, and two such moves further apart as two bad ticks', () => {
    // 4 ticks apart, within the 10-tick window either way: 4 ms apart confirms, 200 ms apart does not.
    expect(second(1000, 50_000)).toBe(0);
    expect(second(50_000, 50_000)).toBe(held);
    // No time limit: the tick window alone, as before.
    expect(second(50_000, undefined)).toBe(0);
  });

  it('refuses a negative window with its name', () => {
    const state = createAnalyticsState({ instruments: 1, venues: 1 });
    expect(() => new OutlierDetector(state, { ...DEFAULT_ANALYTICS_CONFIG, outlierJumpWindowUs: -1 })).toThrow(/outlierJumpWindowUs/);
    expect(() => new OutlierDetector(state, { ...DEFAULT_ANALYTICS_CONFIG, outlierHeldTimeoutIntervals: -1 })).toThrow(
      /outlierHeldTimeoutIntervals/,
    );
  });
});

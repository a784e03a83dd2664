import { checkRange } from './config-check.js';
import {
  ORDER_ROWS,
  OUTLIER_JUMP_STRIDE,
  OUTLIER_STRIDE,
  OutlierField,
  OutlierJumpField,
  OrderRow,
  SCORER_ROWS,
  ScorerRow,
  scorerOrderTable,
  scorerRowTable,
  outlierFlatTable,
  outlierJumpTable,
  outlierRejectTable,
  outlierTable,
  type AnalyticsSharedState,
} from './analytics-state.js';

export interface OutlierConfig {
  /** EWMA weight of a new return in the mean and variance. */
  outlierAlpha: number;
  /** Accepted returns per (instrument, venue) before anything is flagged. */
  outlierWarmup: number;
  /** |z| above this flags the tick. */
  outlierZ: number;
  /** Floor on sigma, in basis points of log return. */
  outlierSigmaFloorBps: number;
  /**
   * Floor on sigma in half spreads of the tick's own quote (Brownlees & Gallo's γ: the price
   * granularity below which moves are quoting noise, whatever the recent volatility; 0 = off).
   */
  outlierSigmaFloorHalfSpreads: number;
  /**
   * After this many consecutive flagged ticks the new level is accepted as the reference
   * (0 = never). Without it one genuine jump would make every later tick of the venue an outlier.
   */
  outlierMaxRejects: number;
  /**
   * A venue whose price stood still for this many accepted ticks has a stale reference: its next
   * change is taken as the new level instead of being judged against it (0 = off). A frozen feed
   * catching up is not a bad tick.
   */
  outlierReanchorAfterFlat: number;
  /**
   * For this many ticks of the instrument, a flagged move can be confirmed by an equally large
   * move (within `outlierJumpConfirmZ` σ) of another venue (never the one that raised it: a
   * venue repeating its own bad price is not a second witness): then it is a genuine jump, the confirming
   * tick is accepted and every other venue's reference moves by the jump (0 = off). So a jump
   * costs one false flag, not one per venue.
   */
  outlierJumpWindow: number;
  outlierJumpConfirmZ: number;
  /**
   * Cross-venue test (absent: off): a move is flagged only when it also takes the venue's mid
   * more than outlierZ/√2 σ away from the median of the other venues' latest mids (read from the
   * SourceScorer's rows, which the analyzer feeds after this detector on each tick). Venues quote the
   * same instrument, so a genuine move (news, a heavy-tailed day) is one the others have made
   * too, or soon make; a bad tick is the venue's alone.
   */
  outlierCrossVenue?: boolean;
}

/**
 * Bad-tick detector: z-score of the mid's log return against that venue's previous accepted
 * mid, with EWMA mean and variance per (instrument, venue).
 *
 * Returns rather than levels: a return's scale hardly depends on the price, so one floor in bps
 * suits every instrument, and a decimal shift (×10) is ln 10 ≈ 2.3, far past any threshold.
 * A flagged tick changes nothing but the reject run, so a spike neither inflates the variance
 * nor becomes the base of the next return: the tick after a spike is measured against the
 * pre-spike level.
 *
 * Two things tell a genuine move from a bad tick without waiting: a move confirmed by another
 * tick of the instrument within `outlierJumpWindow` ticks (a jump every venue follows), and a
 * move out of a stale, frozen price (a feed catching up). The first tick of a genuine jump is
 * flagged all the same: at that moment nothing distinguishes it from a spike.
 */
export class OutlierDetector {
  private readonly table: Float64Array;
  private readonly rejects: Uint8Array;
  private readonly venues: number;
  private readonly alpha: number;
  /** Updates that use 1/(n+1) rather than α: those where 1/(n+1) > α. */
  private readonly exactUpdates: number;
  private readonly warmup: number;
  private readonly threshold2: number;
  private readonly floor2: number;
  private readonly maxRejects: number;
  private readonly jumps: Float64Array;
  private readonly flat: Uint8Array;
  private readonly floorHalfSpreads: number;
  private readonly reanchorAfter: number;
  private readonly jumpWindow: number;
  private readonly confirm2: number;
  private readonly crossVenue: boolean;
  private readonly scorerRows: Float64Array;
  private readonly order: Uint8Array;
  /** z-score of the last tick judged (signed; NaN for a non-price). */
  lastZ = 0;

  constructor(state: AnalyticsSharedState, config: OutlierConfig) {
    checkRange('outlierAlpha', config.outlierAlpha, 1e-9, 1);
    checkRange('outlierWarmup', config.outlierWarmup, 0, 1e9, true);
    checkRange('outlierZ', config.outlierZ, Number.MIN_VALUE, 1e6);
    checkRange('outlierSigmaFloorBps', config.outlierSigmaFloorBps, 0, 1e6);
    checkRange('outlierMaxRejects', config.outlierMaxRejects, 0, 255, true);
    checkRange('outlierSigmaFloorHalfSpreads', config.outlierSigmaFloorHalfSpreads, 0, 1e6);
    checkRange('outlierReanchorAfterFlat', config.outlierReanchorAfterFlat, 0, 255, true);
    checkRange('outlierJumpWindow', config.outlierJumpWindow, 0, 1e9, true);
    checkRange('outlierJumpConfirmZ', config.outlierJumpConfirmZ, 0, 1e6);
    this.table = outlierTable(state);
    this.rejects = outlierRejectTable(state);
    this.venues = state.dims.venues;
    this.alpha = config.outlierAlpha;
    this.exactUpdates = exactUpdates(config.outlierAlpha);
    this.warmup = config.outlierWarmup;
    this.threshold2 = config.outlierZ * config.outlierZ;
    this.floor2 = (config.outlierSigmaFloorBps * 1e-4) ** 2;
    this.maxRejects = config.outlierMaxRejects;
    this.jumps = outlierJumpTable(state);
    this.flat = outlierFlatTable(state);
    this.floorHalfSpreads = config.outlierSigmaFloorHalfSpreads;
    this.reanchorAfter = config.outlierReanchorAfterFlat;
    this.jumpWindow = config.outlierJumpWindow;
    this.confirm2 = config.outlierJumpConfirmZ * config.outlierJumpConfirmZ;
    this.crossVenue = config.outlierCrossVenue ?? false;
    this.scorerRows = scorerRowTable(state);
    this.order = scorerOrderTable(state);
  }

  /**
   * Median of the other venues' latest mids (the source scorer's rows, before this tick), NaN
   * when fewer than two others have quoted. O(venues): only for moves already past the threshold.
   */
  private othersMedian(instrument: number, venue: number): number {
    const V = this.venues;
    const t = this.scorerRows;
    const rMid = instrument * SCORER_ROWS * V + ScorerRow.mid * V;
    const rLast = instrument * SCORER_ROWS * V + ScorerRow.lastUs * V;
    let n = 0;
    for (let u = 0; u < V; u++) if (u !== venue && t[rLast + u] === t[rLast + u]) n++;
    if (n < 2) return NaN;
    const lo = (n - 1) >> 1;
    const hi = n >> 1;
    const ord = instrument * ORDER_ROWS * V + OrderRow.midOrder * V;
    let seen = 0;
    let low = NaN;
    for (let j = 0; j < V; j++) {
      const u = this.order[ord + j];
      if (u === venue || t[rLast + u] !== t[rLast + u]) continue;
      if (seen === lo) low = t[rMid + u];
      if (seen === hi) return 0.5 * (low + t[rMid + u]);
      seen++;
    }
    return NaN;
  }

  /**
   * Feeds one tick's mid and its relative half spread ((ask − bid) / (ask + bid)). Returns true
   * when the tick is flagged as an outlier; `lastZ` then holds its z-score.
   */
  onTick(instrument: number, venue: number, mid: number, halfSpread = 0): boolean {
    // Not a price at all (NaN, ≤ 0, ∞): flag it and keep it out of the state.
    if (!(mid > 0 && mid < Infinity)) {
      this.lastZ = NaN;
      return true;
    }
    const cell = instrument * this.venues + venue;
    const t = this.table;
    const o = cell * OUTLIER_STRIDE;
    // A flagged move waits `jumpWindow` ticks of its instrument for confirmation; the ticks are
    // counted down only while one waits, so the usual tick just reads NaN here.
    const J = this.jumps;
    const j = instrument * OUTLIER_JUMP_STRIDE;
    let candidate = J[j + OutlierJumpField.ret];
    if (candidate === candidate) {
      const left = J[j + OutlierJumpField.left] - 1;
      if (left < 0) {
        J[j + OutlierJumpField.ret] = NaN;
        candidate = NaN;
      } else {
        J[j + OutlierJumpField.left] = left;
      }
    }
    const last = t[o + OutlierField.lastMid];
    if (last !== last) {
      t[o + OutlierField.lastMid] = mid;
      return false;
    }
    const r = logReturn(mid, last);
    // A return no price can make in one tick (non-finite from an underflowing or overflowing
    // ratio, or beyond a thousand-fold move) is flagged and kept out of the mean, the variance
    // and the jump candidate: one such pair of prices would otherwise poison the cell for good.
    if (!(r < MAX_LOG_RETURN && r > -MAX_LOG_RETURN)) {
      this.lastZ = r > 0 ? Infinity : -Infinity;
      this.flat[cell] = 0;
      this.reject(cell, o, mid);
      return true;
    }
    const mean = t[o + OutlierField.mean];
    const variance = t[o + OutlierField.variance];
    const n = t[o + OutlierField.n];
    const d = r - mean;
    const fs = this.floorHalfSpreads * halfSpread;
    const floor2 = fs * fs > this.floor2 ? fs * fs : this.floor2;
    const scale2 = variance > floor2 ? variance : floor2;
    // |z| > threshold, squared: d² > threshold² · max(variance, floor²), no sqrt, no division.
    if (
      n >= this.warmup &&
      d * d > this.threshold2 * scale2 &&
      (!this.crossVenue || this.apartFromOthers(instrument, venue, mid, scale2))
    ) {
      this.lastZ = d / Math.sqrt(scale2);
      if (this.reanchorAfter > 0 && this.flat[cell] >= this.reanchorAfter) {
        this.accept(cell, o, mid);
        return false;
      }
      if (candidate === candidate && J[j + OutlierJumpField.venue] !== venue) {
        const e = r - candidate;
        if (e * e <= this.confirm2 * scale2) {
          // Two ticks moved alike: a genuine jump. Every venue's reference follows it.
          this.acceptJump(instrument, venue, candidate);
          J[j + OutlierJumpField.ret] = NaN;
          this.accept(cell, o, mid);
          return false;
        }
      }
      if (this.jumpWindow > 0) {
        J[j + OutlierJumpField.ret] = r;
        J[j + OutlierJumpField.left] = this.jumpWindow;
        J[j + OutlierJumpField.venue] = venue;
      }
      this.flat[cell] = 0;
      this.reject(cell, o, mid);
      return true;
    }
    // max(α, 1/(n+1)) makes the first updates the exact sample mean and (population)
    // variance, so the warm-up does not start from a variance biased towards zero.
    const a = n < this.exactUpdates ? 1 / (n + 1) : this.alpha;
    t[o + OutlierField.mean] = mean + a * d;
    t[o + OutlierField.variance] = (1 - a) * (variance + a * d * d);
    t[o + OutlierField.n] = n + 1;
    t[o + OutlierField.lastMid] = mid;
    if (this.rejects[cell] !== 0) this.rejects[cell] = 0;
    const f = this.flat[cell];
    if (r === 0) {
      if (f < 255) this.flat[cell] = f + 1;
    } else if (f !== 0) this.flat[cell] = 0;
    return false;
  }

  /** Whether `mid` is more than outlierZ σ (√scale2) from the other venues' median (true without one). */
  private apartFromOthers(instrument: number, venue: number, mid: number, scale2: number): boolean {
    const m = this.othersMedian(instrument, venue);
    if (!(m === m)) return true;
    const dc = logReturn(mid, m);
    return dc * dc > CROSS_VENUE_Z2_SHARE * this.threshold2 * scale2;
  }

  /** Counts a flagged tick; after `maxRejects` in a row its price becomes the new reference. */
  private reject(cell: number, o: number, mid: number): void {
    const run = this.rejects[cell] + 1;
    if (this.maxRejects > 0 && run >= this.maxRejects) {
      this.table[o + OutlierField.lastMid] = mid;
      this.rejects[cell] = 0;
    } else {
      this.rejects[cell] = run;
    }
  }

  /** Moves the reference of every venue of the instrument but `except` by the log return `jump`. */
  private acceptJump(instrument: number, except: number, jump: number): void {
    const f = Math.exp(jump);
    for (let v = 0; v < this.venues; v++) {
      if (v === except) continue;
      const cell = instrument * this.venues + v;
      const o = cell * OUTLIER_STRIDE + OutlierField.lastMid;
      this.table[o] *= f;
      this.rejects[cell] = 0;
      this.flat[cell] = 0;
    }
  }

  /** Takes `mid` as the cell's new level without feeding its return into the mean and variance. */
  private accept(cell: number, o: number, mid: number): void {
    this.table[o + OutlierField.lastMid] = mid;
    this.rejects[cell] = 0;
    this.flat[cell] = 0;
  }
}

/**
 * The cross-venue test's threshold, as a share of outlierZ², i.e. outlierZ/√2: the others' median
 * is a noisier reference than the venue's own previous mid (their quotes are older and carry
 * their own noise), and the test is there to veto moves the others plainly made too, not to
 * demand a second full-size deviation of a bad tick.
 */
const CROSS_VENUE_Z2_SHARE = 0.5;

/** ln 1000: no genuine or injected move (a decimal shift is ln 10) comes near it in one tick. */
export const MAX_LOG_RETURN = Math.log(1000);

/**
 * How many first EWMA updates use 1/(n+1) instead of α: the n with 1/(n+1) > α. Settled with
 * the same floating-point comparison the definition max(α, 1/(n+1)) would make, so the hot path
 * can branch on n instead of dividing.
 */
export function exactUpdates(alpha: number): number {
  let k = Math.max(0, Math.ceil(1 / alpha - 1));
  while (k > 0 && !(1 / k > alpha)) k--;
  while (1 / (k + 1) > alpha) k++;
  return k;
}

/**
 * ln(mid / last). Tick-to-tick moves are almost always tiny, where a 5-term series of
 * ln(1 + x) is exact to double precision (error < x⁶/6 < 1e-19 for |x| < 2⁻¹⁰) and costs a few
 * multiplications; Math.log, several times dearer, handles the rest.
 */
export function logReturn(mid: number, last: number): number {
  const x = (mid - last) / last;
  if (x < 0.0009765625 && x > -0.0009765625) {
    return x * (1 - x * (0.5 - x * (1 / 3 - x * (0.25 - x * 0.2))));
  }
  return Math.log(mid / last);
}

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
  outlierFirstUsTable,
  scorerCellTable,
  SCORER_CELL_STRIDE,
  ScorerField,
  type AnalyticsSharedState,
} from './analytics-state.js';
import { TickSlot, createCurrentTick } from './current-tick.js';

export interface OutlierConfig {
  /** EWMA weight of a new return in the mean and variance. */
  outlierAlpha: number;
  /** Accepted returns per (instrument, venue) before anything is flagged. */
  outlierWarmup: number;
  /**
   * Two-sided z above this flags a tick: its move out from the venue's level and its venue's next
   * move back are each more than outlierZ/2 σ.
   */
  outlierZ: number;
  /** Floor on sigma, in basis points of log return. */
  outlierSigmaFloorBps: number;
  /**
   * Floor on sigma in half spreads of the tick's own quote (Brownlees & Gallo's γ: the price
   * granularity below which moves are quoting noise, whatever the recent volatility; 0 = off).
   */
  outlierSigmaFloorHalfSpreads: number;
  /**
   * After this many consecutive ticks flagged at once (moves past IMMEDIATE_LOG_RETURN) the new
   * level is accepted as the reference (0 = never): a genuine re-denomination is not bad for ever.
   */
  outlierMaxRejects: number;
  /**
   * A venue whose price stood still for this many accepted ticks has a stale reference: its next
   * change is taken as the new level instead of being judged against it (0 = off). A frozen feed
   * catching up is not a bad tick.
   */
  outlierReanchorAfterFlat: number;
  /**
   * For this many ticks of the instrument, a held move can be confirmed by an equally large move
   * (within `outlierJumpConfirmZ` σ) of another venue (never the one that raised it: a venue
   * repeating its own bad price is not a second witness): then it is a genuine jump, the
   * confirming tick is accepted at once instead of being held, and so is the held tick that raised
   * the move if its venue has not quoted since (0 = off). No third venue's level is touched: each
   * follows the jump with its own next ticks, so a spike taken for a jump cannot shift them.
   */
  outlierJumpWindow: number;
  outlierJumpConfirmZ: number;
  /**
   * And within this much stream time of the held move, µs (absent: no limit): a jump reaches every
   * feed within the feeds' lag spread, while two venues' unrelated bad ticks are as likely any
   * time apart. On a slow instrument `outlierJumpWindow` ticks span far longer than a feed lag,
   * and two spikes alike within them passed each other off as a jump.
   */
  outlierJumpWindowUs?: number;
  /**
   * Cross-venue test (absent: off): a move is held only when it also takes the venue's mid more
   * than outlierZ/2 σ away from the median of the other venues' latest mids (read from the
   * SourceScorer's rows, which the analyzer feeds after this detector on each tick). Venues quote the
   * same instrument, so a genuine move that the others made first (a lagging feed catching up)
   * is accepted at once; a bad tick is the venue's alone.
   */
  outlierCrossVenue?: boolean;
  /**
   * A held tick whose venue has not quoted again for this many of its typical quote intervals (the
   * venue's mean interval on the instrument so far, in stream time) is decided without that
   * quote, on a later tick of another venue of the instrument: from the other venues' median then
   * (absent or 0: off; a held tick then waits for its venue, or for the end of the stream). The
   * venue's next quote may never come (its last quote of the stream, a venue gone quiet), and a
   * tick that is never judged is never flagged.
   */
  outlierHeldTimeoutIntervals?: number;
}

/**
 * The simple market's setting (loadgen/market-model.ts, on top of the defaults): σ floored at a
 * whole half spread. Its σ is a small share of the spread, and its arbitrage and triangle windows
 * shift one venue's quote by up to 3 half spreads for a few ms, out and back, labelled genuine;
 * its spikes are 8 half spreads and more. The default floor (half a half spread) is for the
 * fair-value market, whose spikes are sized in the venue's true σ, about a tick, below its half
 * spread of 1–2 ticks.
 */
export const SIMPLE_MARKET_OUTLIERS: Readonly<Pick<OutlierConfig, 'outlierSigmaFloorHalfSpreads'>> = Object.freeze({
  outlierSigmaFloorHalfSpreads: 1,
});

/** What onTick found (bits). */
export const OutlierVerdict = {
  /** This tick is an outlier now: not a price, or a move no market makes between two quotes. */
  Outlier: 1,
  /** This tick moved far from its venue's level: held, judged on the venue's next tick. */
  Held: 2,
  /** The venue's held tick is judged an outlier (its next tick came back): see previousId/Us/Z. */
  PreviousOutlier: 4,
  /** The venue's held tick is judged genuine (its next tick stayed): it is now the venue's level. */
  PreviousAccepted: 8,
  /**
   * Held, and its move alone is past outlierZ times the larger of σ and the tick's half spread (a
   * one-sided outlier): too far to trust before it is judged.
   */
  Far: 16,
  /**
   * Another venue's held tick, whose venue stayed quiet past its timeout (or the stream ended:
   * `endOfStream`), is judged an outlier from the other venues' quotes: see expiredId/Us/Z/Venue/Instrument.
   */
  ExpiredOutlier: 32,
  /** Such a held tick is judged genuine: it is now its venue's level. */
  ExpiredAccepted: 64,
} as const;
/**
 * A tick whose quote is not to be trusted yet (kept out of the arbitrage book and the source
 * scores): an outlier, or held and Far. A held tick nearer than that is used
 * at once: most held moves are genuine (a venue's own dislocation is a tradeable cross), and
 * withholding them all would delay every cross they open by a quote of the venue.
 */
export const OUTLIER_WITHHELD = OutlierVerdict.Outlier | OutlierVerdict.Far;

/**
 * Bad-tick detector, two-sided: a bad tick is a move out and back, a genuine move stays. A tick
 * whose log return from its venue's accepted level is more than outlierZ/2 σ (EWMA σ per
 * (instrument, venue), floored at a share of the tick's half spread) and takes it as far from
 * the other venues' mids is held; the venue's next tick judges it: back the opposite way by more
 * than outlierZ/2 σ and more than halfway, it was an outlier (reported z = 2·min(out, back)/σ);
 * otherwise it was a genuine move and becomes the level.
 * This is Brownlees & Gallo's neighbourhood test cut down to one neighbour after the tick: on
 * a heavy-tailed, clustered market no one-sided test tells a 4σ spike from a genuine 4σ move,
 * and the genuine one is what the next tick shows. The cost is latency: a held tick's alert is
 * raised on its venue's next tick.
 *
 * Returns rather than levels: a return's scale hardly depends on the price, so one floor in bps
 * suits every instrument. A move of IMMEDIATE_LOG_RETURN or more (a decimal shift, ×10) is an
 * outlier at once. Neither a held nor a flagged tick feeds the variance or becomes the level, and
 * every variance update is clipped to VARIANCE_CLIP_Z σ: a genuine news jump of 30σ would
 * otherwise inflate σ for hundreds of ticks and hide every spike after it.
 *
 * A move that another venue confirms (within `outlierJumpWindow` ticks of the instrument, within
 * `outlierJumpConfirmZ` σ) is a genuine jump: the confirming tick is accepted at once, not held,
 * and the held tick it confirms is accepted without waiting for its venue's way back (the market
 * itself may have gone out and back meanwhile: a fast dip is seen by several venues, a bad tick by one).
 * A move out of a stale, frozen price (a feed catching up) is accepted at once too.
 *
 * A held tick does not wait for ever: once its venue has been quiet for `outlierHeldTimeoutIntervals`
 * of its quote intervals, the next tick of the instrument decides it with the other venues'
 * median standing in for the venue's next quote (the same out-and-back rule), and `endOfStream`
 * decides whatever is still held when the stream ends. The decision latency is bounded.
 */
export class OutlierDetector {
  private readonly table: Float64Array;
  private readonly rejects: Uint8Array;
  private readonly venues: number;
  /** Updates that use 1/(n+1) rather than α: those where 1/(n+1) > α. */
  private readonly exactUpdates: number;
  /**
   * The EWMA weight of update n: 1/(n+1) for n < exactUpdates, then α (the last entry). A table,
   * not `n < exactUpdates ? 1 / (n + 1) : this.alpha`: Turbofan read the field tagged, so the
   * branches met as a tagged value and 1/(n+1) was boxed on every warm-up update.
   */
  private readonly weights: Float64Array;
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
  private readonly jumpWindowUs: number;
  private readonly crossVenue: boolean;
  private readonly scorerRows: Float64Array;
  private readonly order: Uint8Array;
  private readonly firstUs: Float64Array;
  private readonly scorerCells: Float64Array;
  private readonly timeoutIntervals: number;
  /** Next cell endOfStream looks at. */
  private flushAt = 0;
  /** z-score of the last tick flagged or held (signed; NaN for a non-price). */
  lastZ = 0;
  /** After a held tick is judged: its id (source · 2³² + seq, as passed) and send time; after PreviousOutlier its two-sided z (signed). */
  previousId = NaN;
  previousUs = NaN;
  previousZ = NaN;
  /** After ExpiredOutlier or ExpiredAccepted: the decided tick's id, send time, venue; after ExpiredOutlier its two-sided z (signed). */
  expiredId = NaN;
  expiredUs = NaN;
  expiredZ = NaN;
  expiredVenue = -1;
  expiredInstrument = -1;
  /** The tick `onQuote` reads (analytics/current-tick.ts): the analyzer's, shared by its detectors. */
  readonly tick: Float64Array;

  constructor(state: AnalyticsSharedState, config: OutlierConfig, tick: Float64Array = createCurrentTick()) {
    this.tick = tick;
    checkRange('outlierAlpha', config.outlierAlpha, 1e-9, 1);
    checkRange('outlierWarmup', config.outlierWarmup, 0, 1e9, true);
    checkRange('outlierZ', config.outlierZ, Number.MIN_VALUE, 1e6);
    checkRange('outlierSigmaFloorBps', config.outlierSigmaFloorBps, 0, 1e6);
    checkRange('outlierMaxRejects', config.outlierMaxRejects, 0, 255, true);
    checkRange('outlierSigmaFloorHalfSpreads', config.outlierSigmaFloorHalfSpreads, 0, 1e6);
    checkRange('outlierReanchorAfterFlat', config.outlierReanchorAfterFlat, 0, 255, true);
    checkRange('outlierJumpWindow', config.outlierJumpWindow, 0, 1e9, true);
    checkRange('outlierJumpConfirmZ', config.outlierJumpConfirmZ, 0, 1e6);
    if (config.outlierJumpWindowUs !== undefined) checkRange('outlierJumpWindowUs', config.outlierJumpWindowUs, 0, 1e12);
    checkRange('outlierHeldTimeoutIntervals', config.outlierHeldTimeoutIntervals ?? 0, 0, 1e6);
    this.table = outlierTable(state);
    this.rejects = outlierRejectTable(state);
    this.venues = state.dims.venues;
    this.exactUpdates = exactUpdates(config.outlierAlpha);
    this.weights = new Float64Array(this.exactUpdates + 1);
    for (let u = 0; u < this.exactUpdates; u++) this.weights[u] = 1 / (u + 1);
    this.weights[this.exactUpdates] = config.outlierAlpha;
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
    this.jumpWindowUs = config.outlierJumpWindowUs ?? Infinity;
    this.crossVenue = config.outlierCrossVenue ?? false;
    this.scorerRows = scorerRowTable(state);
    this.order = scorerOrderTable(state);
    this.firstUs = outlierFirstUsTable(state);
    this.scorerCells = scorerCellTable(state);
    this.timeoutIntervals = config.outlierHeldTimeoutIntervals ?? 0;
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
   * Feeds one tick's mid and its relative half spread ((ask − bid) / (ask + bid)), with the tick's
   * id (source · 2³² + seq) and send time, which come back with the verdict when the tick is held
   * and judged later. Returns OutlierVerdict bits; `lastZ` holds the z-score of a flagged or held
   * tick, `previousId/Us/Z` those of a held tick judged an outlier.
   */
  onTick(instrument: number, venue: number, mid: number, halfSpread = 0, id = NaN, timeUs = NaN): number {
    const k = this.tick;
    k[TickSlot.mid] = mid;
    k[TickSlot.halfSpread] = halfSpread;
    k[TickSlot.id] = id;
    k[TickSlot.timeUs] = timeUs;
    return this.onQuote(instrument, venue);
  }

  /**
   * `onTick` with the tick's mid, half spread, id and send time already in `tick`: no double
   * crosses the call (a non-inlined call boxes each one into a heap number).
   */
  onQuote(instrument: number, venue: number): number {
    const k = this.tick;
    const mid = k[TickSlot.mid];
    const halfSpread = k[TickSlot.halfSpread];
    const id = k[TickSlot.id];
    const timeUs = k[TickSlot.timeUs];
    // The rare calls below take the mid read again from `tick`, not `mid`: Turbofan boxes a double
    // argument where its uses meet, which for `mid` would be here, on every tick.
    // Not a price at all (NaN, ≤ 0, ∞): flag it and keep it out of the state.
    if (!(mid > 0 && mid < Infinity)) {
      this.lastZ = NaN;
      return OutlierVerdict.Outlier;
    }
    const cell = instrument * this.venues + venue;
    const t = this.table;
    const o = cell * OUTLIER_STRIDE;
    // A held move waits `jumpWindow` ticks of its instrument for confirmation; the ticks are
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
    let verdict = 0;
    // A held tick of another venue past its deadline (NaN, never passed, while none is held or
    // the timeout is off).
    // The rare calls take the time read again from `tick` too (as they do the mid, below).
    if (timeUs > J[j + OutlierJumpField.deadline]) verdict = this.expire(instrument, venue, k[TickSlot.timeUs]);
    let last = t[o + OutlierField.lastMid];
    if (last !== last) {
      t[o + OutlierField.lastMid] = mid;
      this.firstUs[cell] = timeUs;
      return verdict;
    }
    const mean = t[o + OutlierField.mean];
    const variance = t[o + OutlierField.variance];
    const n = t[o + OutlierField.n];
    const fs = this.floorHalfSpreads * halfSpread;
    const floor2 = fs * fs > this.floor2 ? fs * fs : this.floor2;
    const scale2 = variance > floor2 ? variance : floor2;
    // Each leg of an out-and-back move must pass outlierZ/2 σ: squared, (Z/2)² · scale².
    const leg2 = 0.25 * this.threshold2 * scale2;
    const held = t[o + OutlierField.heldMid];
    if (held === held) {
      t[o + OutlierField.heldMid] = NaN;
      const out = t[o + OutlierField.heldRet];
      const back = logReturn(mid, held);
      this.previousId = t[o + OutlierField.heldId];
      this.previousUs = t[o + OutlierField.heldUs];
      // The way back: past outlierZ/2 σ (without the half-spread floor, which only keeps quoting
      // noise from being held) and more than halfway to the old level; a move that stays does neither.
      const v2 = variance > this.floor2 ? variance : this.floor2;
      const backMin2 = 0.25 * this.threshold2 * v2;
      const halfway2 = 0.25 * out * out;
      if (out * back < 0 && back * back > (backMin2 > halfway2 ? backMin2 : halfway2)) {
        // Out and back: the held tick was bad; the level stays where it was before it.
        const minLeg = back * back < out * out ? -back : out;
        this.previousZ = (2 * minLeg) / Math.sqrt(scale2);
        verdict |= OutlierVerdict.PreviousOutlier;
      } else {
        // It stayed: a genuine move, now the level (its return feeds the variance, clipped).
        this.update(o, n, mean, variance, scale2, out);
        t[o + OutlierField.lastMid] = held;
        last = held;
        verdict |= OutlierVerdict.PreviousAccepted;
      }
    }
    const r = logReturn(mid, last);
    // A return no price can make in one tick (non-finite from an underflowing or overflowing
    // ratio, or beyond a thousand-fold move) is flagged and kept out of the mean, the variance
    // and the jump candidate: one such pair of prices would otherwise poison the cell for good.
    // A move past IMMEDIATE_LOG_RETURN is flagged at once too: no market makes it between quotes.
    if (!(r < IMMEDIATE_LOG_RETURN && r > -IMMEDIATE_LOG_RETURN)) {
      this.lastZ = r > 0 ? Infinity : r < 0 ? -Infinity : NaN;
      this.flat[cell] = 0;
      this.reject(cell, o, k[TickSlot.mid]);
      return verdict | OutlierVerdict.Outlier;
    }
    // Re-read: judging a held tick as genuine has just fed its return in.
    const curMean = t[o + OutlierField.mean];
    const curN = t[o + OutlierField.n];
    const d = r - curMean;
    if (curN >= this.warmup && d * d > leg2 && (!this.crossVenue || this.apartFromOthers(instrument, venue, k[TickSlot.mid], leg2))) {
      this.lastZ = d / Math.sqrt(scale2);
      if (this.reanchorAfter > 0 && this.flat[cell] >= this.reanchorAfter) {
        this.accept(cell, o, k[TickSlot.mid]);
        return verdict;
      }
      // (Times unknown or going back: the tick window alone.)
      if (
        candidate === candidate &&
        J[j + OutlierJumpField.venue] !== venue &&
        !(timeUs - J[j + OutlierJumpField.us] > this.jumpWindowUs)
      ) {
        const e = r - candidate;
        if (e * e <= this.confirm2 * scale2) {
          // Two venues moved alike: a genuine move. This tick is the venue's level at once, and so
          // is the held tick that raised the candidate if it is still held: the market may move
          // back before that venue quotes again (a fast dip), and its way back is then no sign
          // of a bad tick.
          J[j + OutlierJumpField.ret] = NaN;
          this.acceptHeld(instrument * this.venues + J[j + OutlierJumpField.venue]);
          this.accept(cell, o, k[TickSlot.mid]);
          return verdict;
        }
      }
      if (this.jumpWindow > 0) {
        J[j + OutlierJumpField.ret] = r;
        J[j + OutlierJumpField.left] = this.jumpWindow;
        J[j + OutlierJumpField.venue] = venue;
        J[j + OutlierJumpField.us] = timeUs;
      }
      t[o + OutlierField.heldMid] = mid;
      t[o + OutlierField.heldRet] = d;
      t[o + OutlierField.heldId] = id;
      t[o + OutlierField.heldUs] = timeUs;
      if (this.timeoutIntervals > 0) {
        const deadline = this.deadlineOf(cell, k[TickSlot.timeUs]);
        const dl = J[j + OutlierJumpField.deadline];
        if (!(dl <= deadline)) J[j + OutlierJumpField.deadline] = deadline;
      }
      this.flat[cell] = 0;
      const h2 = halfSpread * halfSpread;
      const far = d * d > this.threshold2 * (scale2 > h2 ? scale2 : h2);
      return verdict | (far ? OutlierVerdict.Held | OutlierVerdict.Far : OutlierVerdict.Held);
    }
    this.update(o, curN, curMean, t[o + OutlierField.variance], scale2, d);
    t[o + OutlierField.lastMid] = mid;
    if (this.rejects[cell] !== 0) this.rejects[cell] = 0;
    const f = this.flat[cell];
    if (r === 0) {
      if (f < 255) this.flat[cell] = f + 1;
    } else if (f !== 0) this.flat[cell] = 0;
    return verdict;
  }

  /**
   * When a tick of `cell` held at `heldUs` is to be decided without its venue's next quote: after
   * `outlierHeldTimeoutIntervals` of the venue's mean quote interval on the instrument, from its
   * first quote and its updates so far (the source scorer's count; NaN while none is known).
   * Read only when a tick is held: nothing per tick.
   */
  private deadlineOf(cell: number, heldUs: number): number {
    const iv = (heldUs - this.firstUs[cell]) / this.scorerCells[cell * SCORER_CELL_STRIDE + ScorerField.updates];
    return iv > 0 && iv < Infinity ? heldUs + this.timeoutIntervals * iv : NaN;
  }

  /**
   * A tick of `venue` at `timeUs` found the instrument's earliest deadline passed: decides one held
   * tick of another venue past its deadline (the rest, if any, on the next ticks) and sets the
   * deadline to the earliest left. O(venues), once per deadline.
   */
  private expire(instrument: number, venue: number, timeUs: number): number {
    const V = this.venues;
    const t = this.table;
    let verdict = 0;
    let next = NaN;
    for (let u = 0; u < V; u++) {
      // The venue's own held tick is judged by the tick at hand.
      if (u === venue) continue;
      const cell = instrument * V + u;
      const o = cell * OUTLIER_STRIDE;
      if (t[o + OutlierField.heldMid] !== t[o + OutlierField.heldMid]) continue;
      const deadline = this.deadlineOf(cell, t[o + OutlierField.heldUs]);
      if (verdict === 0 && timeUs > deadline) verdict = this.decideHeld(instrument, u, cell);
      else if (deadline === deadline && !(next <= deadline)) next = deadline;
    }
    this.jumps[instrument * OUTLIER_JUMP_STRIDE + OutlierJumpField.deadline] = next;
    return verdict;
  }

  /**
   * Decides the cell's held tick without its venue's next quote, whose place the median of the
   * other venues' latest mids takes in the out-and-back rule, with the whole outlierZ σ on the way
   * back: past it and more than halfway, the held tick was bad (the others never went there);
   * otherwise it is the venue's level. The whole threshold because this is one-sided evidence: a
   * venue's own genuine departure (a dislocation, a tradeable cross) is just as far from the
   * others, and only its venue's next quote, staying, would show it; with Z/2 the timeout flagged
   * such departures. With no such median (fewer than two other venues, or the cross-venue test
   * off) only a move past outlierZ σ on its own is an outlier.
   */
  private decideHeld(instrument: number, venue: number, cell: number): number {
    const t = this.table;
    const o = cell * OUTLIER_STRIDE;
    const held = t[o + OutlierField.heldMid];
    const out = t[o + OutlierField.heldRet];
    t[o + OutlierField.heldMid] = NaN;
    this.expiredId = t[o + OutlierField.heldId];
    this.expiredUs = t[o + OutlierField.heldUs];
    this.expiredVenue = venue;
    this.expiredInstrument = instrument;
    const variance = t[o + OutlierField.variance];
    const v2 = variance > this.floor2 ? variance : this.floor2;
    const m = this.crossVenue ? this.othersMedian(instrument, venue) : NaN;
    if (m === m) {
      const back = logReturn(m, held);
      const backMin2 = this.threshold2 * v2;
      const halfway2 = 0.25 * out * out;
      if (out * back < 0 && back * back > (backMin2 > halfway2 ? backMin2 : halfway2)) {
        // The z of the evidence there is: the way back alone (signed as the move out).
        this.expiredZ = -back / Math.sqrt(v2);
        return OutlierVerdict.ExpiredOutlier;
      }
    } else if (out * out > this.threshold2 * v2) {
      this.expiredZ = out / Math.sqrt(v2);
      return OutlierVerdict.ExpiredOutlier;
    }
    this.update(o, t[o + OutlierField.n], t[o + OutlierField.mean], variance, v2, out);
    t[o + OutlierField.lastMid] = held;
    return OutlierVerdict.ExpiredAccepted;
  }

  /**
   * The stream has ended: decides the next tick still held (as a timed-out one is) and returns
   * ExpiredOutlier or ExpiredAccepted with expiredId/Us/Z/Venue, or 0 once none is left. Call
   * until it returns 0: undecided ticks would otherwise never be judged.
   */
  endOfStream(): number {
    const t = this.table;
    const cells = t.length / OUTLIER_STRIDE;
    while (this.flushAt < cells) {
      const cell = this.flushAt++;
      if (t[cell * OUTLIER_STRIDE + OutlierField.heldMid] === t[cell * OUTLIER_STRIDE + OutlierField.heldMid]) {
        const instrument = (cell / this.venues) | 0;
        return this.decideHeld(instrument, cell - instrument * this.venues, cell);
      }
    }
    this.flushAt = 0;
    for (let k = OutlierJumpField.deadline; k < this.jumps.length; k += OUTLIER_JUMP_STRIDE) this.jumps[k] = NaN;
    return 0;
  }

  /**
   * One EWMA step of the cell's mean and variance with the return deviation `d` (return less the
   * mean), clipped to ±VARIANCE_CLIP_Z σ once warmed up: a genuine jump moves the level, not the
   * scale. max(α, 1/(n+1)) makes the first updates the exact sample mean and (population)
   * variance, so the warm-up does not start from a variance biased towards zero.
   */
  private update(o: number, n: number, mean: number, variance: number, scale2: number, d: number): void {
    const t = this.table;
    if (n >= this.warmup) {
      const c2 = VARIANCE_CLIP_Z2 * scale2;
      if (d * d > c2) d = d > 0 ? Math.sqrt(c2) : -Math.sqrt(c2);
    }
    const a = this.weights[n < this.exactUpdates ? n : this.exactUpdates];
    t[o + OutlierField.mean] = mean + a * d;
    t[o + OutlierField.variance] = (1 - a) * (variance + a * d * d);
    t[o + OutlierField.n] = n + 1;
  }

  /** Whether `mid` is further than √leg2 from the other venues' median (true without one). */
  private apartFromOthers(instrument: number, venue: number, mid: number, leg2: number): boolean {
    const m = this.othersMedian(instrument, venue);
    if (!(m === m)) return true;
    const dc = logReturn(mid, m);
    return dc * dc > leg2;
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

  /**
   * Takes the cell's held tick, if it has one, as its level (without feeding the variance, as a
   * confirmed jump is taken): another venue's tick confirmed its move. The candidate is the latest
   * held move of the instrument, so a tick still held on its venue is the one that raised it.
   */
  private acceptHeld(cell: number): void {
    const o = cell * OUTLIER_STRIDE;
    const held = this.table[o + OutlierField.heldMid];
    if (held !== held) return;
    this.table[o + OutlierField.heldMid] = NaN;
    this.accept(cell, o, held);
  }

  /** Takes `mid` as the cell's new level without feeding its return into the mean and variance. */
  private accept(cell: number, o: number, mid: number): void {
    this.table[o + OutlierField.lastMid] = mid;
    this.rejects[cell] = 0;
    this.flat[cell] = 0;
  }
}

/**
 * Variance updates are clipped to this many σ: wide enough that a calm cell's own returns pass
 * whole (a Student-t(4) return is past 4σ about once in 200), narrow enough that one genuine jump
 * cannot multiply σ.
 */
const VARIANCE_CLIP_Z2 = 4 * 4;

/**
 * ln 3: a move of ×3 or ÷3 between two quotes of a venue is an outlier at once, without waiting
 * for the next tick (a decimal shift is ln 10); no genuine move between quotes comes near it.
 */
export const IMMEDIATE_LOG_RETURN = Math.log(3);

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

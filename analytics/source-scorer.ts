import { checkRange } from './config-check.js';
import {
  ORDER_ROWS,
  OrderRow,
  SCORER_CELL_STRIDE,
  SCORER_INSTRUMENT_STRIDE,
  SCORER_ROWS,
  ScorerInstrumentField,
  ScorerField,
  ScorerRow,
  scorerCellTable,
  scorerInstrumentTable,
  scorerOrderTable,
  scorerRowTable,
  type AnalyticsSharedState,
} from './analytics-state.js';
import { TickSlot, createCurrentTick } from './current-tick.js';

export interface SourceScorerConfig {
  /** A venue's latest quote takes part in the consensus while younger than this (µs). */
  scorerFreshUs: number;
  /** Staleness decay exp(−age/τ) of a venue's score, τ in µs. */
  scorerStalenessTauUs: number;
  /** EWMA weight of a new squared deviation. */
  scorerDevAlpha: number;
  /**
   * EWMA weight of a new uptime sample (one per update of the venue). A sample is the share of
   * the time since the venue's previous update that its quote was fresh, and 0 while its price is
   * stalled: a feed repeating a stale price is not up.
   */
  scorerUptimeAlpha: number;
  /** EWMA weight of a new stalled/not-stalled sample (one per update of the venue). */
  scorerStallAlpha: number;
  /** A venue whose mid has not changed for this many of its updates may be stalled (see the two below). */
  scorerStallAfter: number;
  /**
   * ...and only once the consensus has moved away from that unchanged mid: by more than this many
   * consensus spreads further than it was when the mid was set. On a price grid a venue's mid
   * stays put while the fair value moves less than a tick; its noise and the grid keep it within
   * a fraction of a spread of the others.
   */
  scorerStallAwaySpreads: number;
  /**
   * ...and has stayed away this long (µs, from the first of the venue's updates, the
   * stallAfter-th unchanged one or later, that saw it): a lagging feed is behind a jump for its
   * lag (tens of ms), a stale one for good.
   */
  scorerStallAwayUs: number;
  /** Fresh venues needed before deviations are scored (capped at the venue count). */
  scorerMinVenues: number;
  /**
   * A quote is judged retrospectively, against the median of the first this-many other venues'
   * quotes sent after it (2: the mean of the next two, the nearest in time to the quote's own) (capped at venues − 1). Judged against the others' latest quotes at
   * the time instead, a venue with a slower feed looks better: the others' latest quotes are
   * older than its own, and the later its own view of the market, the closer it sits to them.
   * 0 = the old way (the fresh venues' median at the quote's own time).
   */
  scorerReferenceVenues: number;
  /**
   * When > 0 (µs), instead: a quote is judged at the instrument's first tick at least this long
   * after it, against the median of the other fresh venues' latest quotes then; while it waits,
   * its venue's later quotes are not judged. Past the largest feed lag, every venue has shown the
   * market of the quote's time, so the reference's error is the market's move since, the same
   * for every venue, and the order of the venues' mean squared deviations is that of their own
   * errors (noise, lag, stale quotes). Judged against the next few quotes instead, the reference
   * is whichever venues quote right after this one: fast venues after a slow one's quote (the
   * market it lags behind), slow ones after a fast one's, so its error depends on the venue's lag
   * and the ranking punishes lag more than the venue's distance from the fair value does.
   */
  scorerReferenceAfterUs: number;
  /** Deviation component = exp(−k · EWMA of squared normalised deviation). */
  scorerDevK: number;
  /** Cap on one squared deviation, so one wild tick costs a bounded amount of score. */
  scorerDevClamp: number;
  /** Floor on the consensus spread used for normalising, in bps of the consensus mid. */
  scorerMinSpreadBps: number;
  /** Pyth's publisher ranking weights: uptime, deviation, absence of stalled prices. */
  scorerWeightUptime: number;
  scorerWeightDeviation: number;
  scorerWeightStall: number;
}

/**
 * The stall rule for a feed of continuous prices (no tick grid), where a venue's mid never repeats
 * by chance: any unchanged run the consensus moves away from is stale, at once. The defaults are
 * for a price grid, where an unchanged mid is the normal case while the market moves less than a
 * tick.
 */
export const CONTINUOUS_PRICE_STALL: Readonly<Pick<SourceScorerConfig, 'scorerStallAwaySpreads' | 'scorerStallAwayUs'>> = Object.freeze({
  scorerStallAwaySpreads: 0,
  scorerStallAwayUs: 0,
});

/**
 * Keeps the order row `o[ord .. ord+venues)` (venues in ascending order of `t[row + venue]`, ties
 * in any order; never-quoted venues hold +∞ and so come last) and its inverse `o[pos ..]` in step
 * after `venue`'s value changed: one insertion-sort step, shifting it past its neighbours while
 * out of order. The medians read only the values, which are the same for every order of the
 * ties. Ties were broken by venue index before, for the mids: on a price grid, where venues share
 * a mid, that took two compares a step and more steps (past the equal ones), and was the
 * scorer's largest line group in the profile.
 */
function reposition(t: Float64Array, row: number, o: Uint8Array, ord: number, pos: number, venues: number, venue: number): void {
  const x = t[row + venue];
  let p = o[pos + venue];
  while (p > 0) {
    const w = o[ord + p - 1];
    if (!(t[row + w] > x)) break;
    o[ord + p] = w;
    o[pos + w] = p;
    p--;
  }
  while (p < venues - 1) {
    const w = o[ord + p + 1];
    if (!(t[row + w] < x)) break;
    o[ord + p] = w;
    o[pos + w] = p;
    p++;
  }
  o[ord + p] = venue;
  o[pos + venue] = p;
}

/**
 * Median of the row's values over the `count` quoted venues whose latest quote is at most
 * `windowUs` before `nowUs` (exactly `count` of them, at least one), walking the sorted quoted
 * venues; a direct lookup when every quoted venue counts (the usual case). The fresh venues are
 * (timeUs, freshUs); the venues that quoted after a time t, a retrospective reference, are
 * (t, AFTER): t - last <= -Number.MIN_VALUE exactly when last > t (a difference of doubles is 0
 * only when they are equal).
 *
 * The window comes in and the median goes out through `w` (MedianSlot), not as arguments and a
 * result: Turbofan does not always inline this at every call site, and a call that is not
 * inlined boxes each double argument and the result (most ticks call it: 20 bytes a tick in a
 * pipeline worker).
 */
function medianWithin(
  t: Float64Array,
  row: number,
  rLast: number,
  order: Uint8Array,
  base: number,
  quoted: number,
  count: number,
  w: Float64Array,
): void {
  const lo = (count - 1) >> 1;
  const hi = count >> 1;
  if (count === quoted) {
    w[MedianSlot.median] = 0.5 * (t[row + order[base + lo]] + t[row + order[base + hi]]);
    return;
  }
  const nowUs = w[MedianSlot.nowUs];
  const windowUs = w[MedianSlot.windowUs];
  let seen = 0;
  let low = NaN;
  for (let j = 0; j < quoted; j++) {
    const u = order[base + j];
    if (!(nowUs - t[rLast + u] <= windowUs)) continue;
    if (seen === lo) low = t[row + u];
    if (seen === hi) {
      w[MedianSlot.median] = 0.5 * (low + t[row + u]);
      return;
    }
    seen++;
  }
  w[MedianSlot.median] = NaN; // unreachable: `count` venues are within the window
}

/**
 * medianWithin over the `count` fresh quoted venues other than `skip` (whose place in the sorted
 * order is `skipPos`): a direct lookup around it when every quoted venue but it counts.
 */
function medianOfOthers(
  t: Float64Array,
  row: number,
  rLast: number,
  order: Uint8Array,
  base: number,
  skipPos: number,
  quoted: number,
  count: number,
  skip: number,
  w: Float64Array,
): void {
  const lo = (count - 1) >> 1;
  const hi = count >> 1;
  if (count === quoted - 1) {
    w[MedianSlot.median] = 0.5 * (t[row + order[base + lo + +(lo >= skipPos)]] + t[row + order[base + hi + +(hi >= skipPos)]]);
    return;
  }
  const nowUs = w[MedianSlot.nowUs];
  const windowUs = w[MedianSlot.windowUs];
  let seen = 0;
  let low = NaN;
  for (let j = 0; j < quoted; j++) {
    const u = order[base + j];
    if (u === skip || !(nowUs - t[rLast + u] <= windowUs)) continue;
    if (seen === lo) low = t[row + u];
    if (seen === hi) {
      w[MedianSlot.median] = 0.5 * (low + t[row + u]);
      return;
    }
    seen++;
  }
  w[MedianSlot.median] = NaN; // unreachable: `count` venues other than `skip` are within the window
}

/** medianWithin's window for the venues that quoted strictly after its `nowUs`. */
const AFTER = -Number.MIN_VALUE;

/** medianWithin's window (its end and length) and its median. */
const MedianSlot = { nowUs: 0, windowUs: 1, median: 2 } as const;

/** SourceScorer.quote: the quote onQuote feeds (the analyzer's current tick, analytics/current-tick.ts). */
export const QuoteSlot = { bid: TickSlot.bid, ask: TickSlot.ask, timeUs: TickSlot.timeUs } as const;
const DeviationSlot = { mid: 0, reference: 1, medSpread: 2 } as const;

/**
 * Source confidence (Pyth-style publisher ranking): per instrument, the consensus is the median
 * of the fresh venues' latest mids; each venue is scored on uptime, deviation from consensus in
 * units of the consensus spread, and absence of stalled prices, decayed by the age of its last
 * quote.
 */
export class SourceScorer {
  private readonly rows: Float64Array;
  private readonly cells: Float64Array;
  private readonly instruments: number;
  private readonly venues: number;
  private readonly order: Uint8Array;
  private readonly perInstrument: Float64Array;
  /** The quote `onQuote` feeds (QuoteSlot): the caller writes it, so that no double crosses the call. */
  readonly quote: Float64Array;
  /** A quote's mid, its reference and the fresh venues' median spread, for addDeviation (DeviationSlot). */
  private readonly deviation = new Float64Array(3);
  /** medianWithin's window (MedianSlot) of the fresh venues at the tick's time, set by onQuote. */
  private readonly freshWindow = new Float64Array(3);
  /** medianWithin's window of the venues that quoted after a waiting quote (judge). */
  private readonly afterWindow = new Float64Array(3);
  /** medianWithin's window for the public medians at a given time (rowMedian). */
  private readonly queryWindow = new Float64Array(3);
  private readonly freshUs: number;
  private readonly tauUs: number;
  private readonly devAlpha: number;
  private readonly uptimeAlpha: number;
  private readonly stallAlpha: number;
  private readonly stallAfter: number;
  private readonly stallAwaySpreads: number;
  private readonly stallAwayUs: number;
  private readonly minVenues: number;
  private readonly refVenues: number;
  private readonly refAfterUs: number;
  private readonly devK: number;
  private readonly devClamp: number;
  private readonly minSpreadFrac: number;
  private readonly wUptime: number;
  private readonly wDev: number;
  private readonly wStall: number;
  /** Consecutive updates with an unchanged mid, after the last onTick (stalled once ≥ scorerStallAfter). */
  lastRun = 0;
  /** The last onTick's quote is the first stalled one of its run (one 'stale' alert per run). */
  stallBegan = false;

  constructor(state: AnalyticsSharedState, config: SourceScorerConfig, tick: Float64Array = createCurrentTick()) {
    this.quote = tick;
    checkRange('scorerFreshUs', config.scorerFreshUs, 0, Number.MAX_VALUE);
    checkRange('scorerStalenessTauUs', config.scorerStalenessTauUs, Number.MIN_VALUE, Number.MAX_VALUE);
    checkRange('scorerDevAlpha', config.scorerDevAlpha, Number.MIN_VALUE, 1);
    checkRange('scorerUptimeAlpha', config.scorerUptimeAlpha, Number.MIN_VALUE, 1);
    checkRange('scorerStallAlpha', config.scorerStallAlpha, Number.MIN_VALUE, 1);
    checkRange('scorerStallAfter', config.scorerStallAfter, 1, 1e9, true);
    checkRange('scorerStallAwaySpreads', config.scorerStallAwaySpreads, 0, 1e6);
    checkRange('scorerStallAwayUs', config.scorerStallAwayUs, 0, Number.MAX_VALUE);
    checkRange('scorerMinVenues', config.scorerMinVenues, 1, 64, true);
    checkRange('scorerReferenceVenues', config.scorerReferenceVenues, 0, 63, true);
    checkRange('scorerReferenceAfterUs', config.scorerReferenceAfterUs, 0, Number.MAX_VALUE);
    checkRange('scorerDevK', config.scorerDevK, 0, 1e6);
    checkRange('scorerDevClamp', config.scorerDevClamp, Number.MIN_VALUE, Number.MAX_VALUE);
    checkRange('scorerMinSpreadBps', config.scorerMinSpreadBps, Number.MIN_VALUE, 1e6);
    checkRange('scorerWeightUptime', config.scorerWeightUptime, 0, 1e6);
    checkRange('scorerWeightDeviation', config.scorerWeightDeviation, 0, 1e6);
    checkRange('scorerWeightStall', config.scorerWeightStall, 0, 1e6);
    const wSum = config.scorerWeightUptime + config.scorerWeightDeviation + config.scorerWeightStall;
    if (!(wSum > 0)) throw new RangeError('config.scorerWeight* must not all be 0');
    this.rows = scorerRowTable(state);
    this.cells = scorerCellTable(state);
    this.instruments = state.dims.instruments;
    this.venues = state.dims.venues;
    this.order = scorerOrderTable(state);
    this.perInstrument = scorerInstrumentTable(state);
    this.freshUs = config.scorerFreshUs;
    this.freshWindow[MedianSlot.windowUs] = config.scorerFreshUs;
    this.afterWindow[MedianSlot.windowUs] = AFTER;
    this.queryWindow[MedianSlot.windowUs] = config.scorerFreshUs;
    this.tauUs = config.scorerStalenessTauUs;
    this.devAlpha = config.scorerDevAlpha;
    this.uptimeAlpha = config.scorerUptimeAlpha;
    this.stallAlpha = config.scorerStallAlpha;
    this.stallAfter = config.scorerStallAfter;
    this.stallAwaySpreads = config.scorerStallAwaySpreads;
    this.stallAwayUs = config.scorerStallAwayUs;
    this.minVenues = Math.min(config.scorerMinVenues, this.venues);
    this.refVenues = Math.min(config.scorerReferenceVenues, this.venues - 1);
    this.refAfterUs = config.scorerReferenceAfterUs;
    this.devK = config.scorerDevK;
    this.devClamp = config.scorerDevClamp;
    this.minSpreadFrac = config.scorerMinSpreadBps * 1e-4;
    // Normalised so a score stays in [0, 1] whatever weights are configured.
    this.wUptime = config.scorerWeightUptime / wSum;
    this.wDev = config.scorerWeightDeviation / wSum;
    this.wStall = config.scorerWeightStall / wSum;
  }

  /**
   * Feeds one quote: O(venues) at worst, no allocation. Returns true when the venue's price counts
   * as stalled on this tick. `badTick`: the tick was flagged as an outlier (see below).
   */
  onTick(instrument: number, venue: number, bid: number, ask: number, timeUs: number, badTick = false): boolean {
    const q = this.quote;
    q[QuoteSlot.bid] = bid;
    q[QuoteSlot.ask] = ask;
    q[QuoteSlot.timeUs] = timeUs;
    return this.onQuote(instrument, venue, badTick);
  }

  /**
   * `onTick` with the quote already in `quote`: a double passed to a call that is not inlined is
   * a heap number allocated per tick, and the analyzer's hot loop makes none.
   */
  onQuote(instrument: number, venue: number, badTick: boolean): boolean {
    const q = this.quote;
    const bid = q[QuoteSlot.bid];
    const ask = q[QuoteSlot.ask];
    const timeUs = q[QuoteSlot.timeUs];
    const mid = 0.5 * (bid + ask);
    // Not a price, or no time: would poison the medians and EWMAs with NaN/∞ (and a NaN time
    // reads as "never quoted", breaking the sorted orders).
    if (!(mid > 0 && mid < Infinity) || !Number.isFinite(timeUs)) {
      this.lastRun = 0;
      this.stallBegan = false;
      return false;
    }
    // Every median below (here, judgeDue, judge, spreadMedian) is of the venues fresh at this time.
    const w = this.freshWindow;
    w[MedianSlot.nowUs] = timeUs;
    const t = this.rows;
    const c = this.cells;
    const V = this.venues;
    const rBase = instrument * SCORER_ROWS * V;
    const rMid = rBase + ScorerRow.mid * V;
    const rSpread = rBase + ScorerRow.spread * V;
    const rLast = rBase + ScorerRow.lastUs * V;
    const o = (instrument * V + venue) * SCORER_CELL_STRIDE;

    const prevMid = t[rMid + venue];
    const prevSpread = t[rSpread + venue];
    const spread = ask - bid;
    const run = prevMid === mid ? c[o + ScorerField.sameRun] + 1 : 0;
    c[o + ScorerField.sameRun] = run;
    c[o + ScorerField.updates] += 1;
    this.lastRun = run;
    const prevUs = t[rLast + venue];
    t[rMid + venue] = mid;
    t[rSpread + venue] = spread;
    t[rLast + venue] = timeUs;

    const ob = instrument * ORDER_ROWS * V;
    const midOrd = ob + OrderRow.midOrder * V;
    const spreadOrd = ob + OrderRow.spreadOrder * V;
    if (mid !== prevMid) reposition(t, rMid, this.order, midOrd, ob + OrderRow.midPos * V, V, venue);
    if (spread !== prevSpread) reposition(t, rSpread, this.order, spreadOrd, ob + OrderRow.spreadPos * V, V, venue);
    // Venues quoted, and fresh at timeUs: all the quoted ones while a bound on the oldest latest
    // quote is fresh (t − last only grows as last falls), the usual case; counted otherwise. The
    // bound is the oldest quote time when last counted; quotes since are newer, unless times ran
    // backwards, which lowers it.
    const I = this.perInstrument;
    const s = instrument * SCORER_INSTRUMENT_STRIDE;
    let quoted = I[s + ScorerInstrumentField.quoted];
    if (prevUs !== prevUs) I[s + ScorerInstrumentField.quoted] = ++quoted;
    let oldest = I[s + ScorerInstrumentField.oldestUs];
    if (timeUs < oldest) {
      oldest = timeUs;
      I[s + ScorerInstrumentField.oldestUs] = oldest;
    }
    if (timeUs < I[s + ScorerInstrumentField.latestUs]) I[s + ScorerInstrumentField.disordered] = 1;
    else I[s + ScorerInstrumentField.latestUs] = timeUs;
    let fresh = quoted;
    if (!(timeUs - oldest <= this.freshUs)) {
      oldest = Infinity;
      fresh = 0;
      for (let w = 0; w < V; w++) {
        const last = t[rLast + w];
        if (last < oldest) oldest = last;
        // A quote from the "future" (another generator's clock) counts as fresh; NaN never does.
        fresh += +(timeUs - last <= this.freshUs);
      }
      I[s + ScorerInstrumentField.oldestUs] = oldest;
    }

    // Stalled: the same mid for stallAfter updates while the market moved away from it: the
    // consensus further from it, by more than scorerStallAwaySpreads consensus spreads, than when
    // the venue's mid last changed, for scorerStallAwayUs. On a price grid an unchanged mid is the
    // normal case while the fair value moves less than a tick (53% of clean ticks read as stalled
    // on a 0.5 bp grid by the count alone), and a venue that led a move has the market catch up
    // with it; a lagging feed is behind a jump for its lag only. Once found stalled, a run stays
    // so until the venue's mid changes (one 'stale' alert per run).
    let stalled = false;
    this.stallBegan = false;
    if (run === 0) {
      if (fresh >= this.minVenues) {
        medianWithin(t, rMid, rLast, this.order, midOrd, quoted, fresh, w);
        c[o + ScorerField.runConsensus] = w[MedianSlot.median];
      } else {
        c[o + ScorerField.runConsensus] = mid;
      }
    } else if (c[o + ScorerField.runConsensus] === Infinity) {
      stalled = true;
    } else if (run >= this.stallAfter) {
      // Looked at from the stallAfter-th unchanged update on only: most unchanged runs on a grid
      // are shorter, and this keeps the medians and the away row off their ticks.
      // Too few fresh venues to tell where the market is: an unchanged mid counts as left behind.
      let away = fresh < this.minVenues;
      if (!away) {
        medianWithin(t, rMid, rLast, this.order, midOrd, quoted, fresh, w);
        const consensus = w[MedianSlot.median];
        medianWithin(t, rSpread, rLast, this.order, spreadOrd, quoted, fresh, w);
        const medSpread = w[MedianSlot.median];
        // spreadScale(medSpread, consensus), written out: most ticks on a price grid come here, and
        // Turbofan did not inline the call, boxing both doubles on each.
        const floor = consensus * this.minSpreadFrac;
        const scale = medSpread > floor ? medSpread : floor;
        away = Math.abs(consensus - mid) - Math.abs(c[o + ScorerField.runConsensus] - mid) > this.stallAwaySpreads * scale;
      }
      const rAway = rBase + ScorerRow.awayUs * V;
      if (!away) {
        t[rAway + venue] = NaN;
      } else {
        // A run's first look starts its clock afresh (the row may hold an earlier run's time).
        let since = run === this.stallAfter ? NaN : t[rAway + venue];
        if (since !== since) {
          since = timeUs;
          t[rAway + venue] = timeUs;
        }
        if (timeUs - since >= this.stallAwayUs) {
          stalled = true;
          this.stallBegan = true;
          c[o + ScorerField.runConsensus] = Infinity;
        }
      }
    }
    c[o + ScorerField.stall] += this.stallAlpha * ((stalled ? 1 : 0) - c[o + ScorerField.stall]);
    // Uptime sample = share of the time since the venue's previous quote during which that
    // quote was still fresh, 0 while stalled; a first quote means the venue is up now.
    const firstQuote = prevUs !== prevUs;
    if (firstQuote) {
      c[o + ScorerField.uptime] = 1;
    } else {
      const gap = timeUs - prevUs;
      const sample = stalled ? 0 : gap <= this.freshUs ? 1 : this.freshUs / gap;
      c[o + ScorerField.uptime] += this.uptimeAlpha * (sample - c[o + ScorerField.uptime]);
    }
    if (this.refAfterUs > 0) {
      // Most ticks find no waiting quote due (each waits about as long as a few of the
      // instrument's ticks take): a lower bound on the waiting times skips the visit.
      if (timeUs - I[s + ScorerInstrumentField.pendingDueUs] >= this.refAfterUs) {
        this.judgeDue(instrument, rBase, midOrd, ob + OrderRow.midPos * V, spreadOrd, quoted, fresh);
      }
      // The tick waits to be judged unless a quote of the venue waits already (see above: a bad
      // tick never does). The bound: the first waiting quote's time when none waited, later ones
      // are newer, unless times ran backwards, which lowers it.
      const rPendUs = rBase + ScorerRow.pendingUs * V;
      if (!badTick && t[rPendUs + venue] !== t[rPendUs + venue]) {
        t[rPendUs + venue] = timeUs;
        t[rBase + ScorerRow.pendingMid * V + venue] = mid;
        if (V <= 31) I[s + ScorerInstrumentField.pending] = I[s + ScorerInstrumentField.pending] | (1 << venue);
        if (!(I[s + ScorerInstrumentField.pendingDueUs] <= timeUs)) I[s + ScorerInstrumentField.pendingDueUs] = timeUs;
      }
      return stalled;
    }
    const k = this.refVenues;
    if (k === 0) {
      // A tick already judged bad (an outlier) is counted as an update but not as a deviation: the
      // score measures how a source quotes, and one wild tick would otherwise weigh in for dozens
      // of updates, more for venues whose bad ticks happen to be larger.
      if (fresh >= this.minVenues && !badTick) {
        const d = this.deviation;
        d[DeviationSlot.mid] = mid;
        medianWithin(t, rMid, rLast, this.order, midOrd, quoted, fresh, w);
        d[DeviationSlot.reference] = w[MedianSlot.median];
        this.spreadMedian(rBase, spreadOrd, quoted, fresh);
        this.addDeviation(instrument, venue);
      }
      return stalled;
    }
    // Retrospective reference: this tick is news to every quote still waiting to be judged that
    // is older than it and whose venue this one had not quoted since; a waiting quote is judged
    // once `k` other venues have quoted after it, against the median of those newer quotes.
    const rPendUs = rBase + ScorerRow.pendingUs * V;
    const rPendNewer = rBase + ScorerRow.pendingNewer * V;
    // The venue's own waiting quote is superseded: it was not judged in time, so it is dropped.
    t[rPendUs + venue] = NaN;
    // Up to 31 venues, visit only those with a quote waiting (a few at any time), by their bits in
    // the instrument's pending mask; beyond that, every venue. One loop, one call site.
    const byMask = V <= 31;
    let mask = byMask ? I[s + ScorerInstrumentField.pending] & ~(1 << venue) : 0;
    let m = mask;
    let u = -1;
    for (;;) {
      if (byMask) {
        if (m === 0) break;
        u = 31 - Math.clz32(m & -m);
        m &= m - 1;
      } else if (++u >= V) {
        break;
      }
      // The tick as news to venue u's waiting quote: counted when newer than it and the first of
      // its venue since (a first quote, prevUs NaN, is news to everyone); judged once `k` other
      // venues have quoted after it.
      const pu = t[rPendUs + u];
      if (pu === pu) {
        if (!(timeUs > pu) || prevUs > pu) continue;
        const newer = t[rPendNewer + u] + 1;
        t[rPendNewer + u] = newer;
        if (newer === 1) t[rBase + ScorerRow.pendingFirst * V + u] = venue;
        if (newer < k) continue;
        this.judge(instrument, u, venue, k, rBase, midOrd, spreadOrd, quoted, fresh);
      }
      mask &= ~(1 << u);
    }
    if (byMask) {
      // See above: a bad tick is counted as an update, never judged.
      if (!badTick) mask |= 1 << venue;
      I[s + ScorerInstrumentField.pending] = mask;
    }
    if (!badTick) {
      t[rPendUs + venue] = timeUs;
      t[rBase + ScorerRow.pendingMid * V + venue] = mid;
      t[rPendNewer + venue] = 0;
    }
    return stalled;
  }

  /**
   * The time-based reference (scorerReferenceAfterUs): judges every waiting quote of the
   * instrument that has waited long enough, against the median of the other fresh venues' latest
   * mids, and keeps the earliest time still waiting as the instrument's bound.
   */
  private judgeDue(
    instrument: number,
    rBase: number,
    midOrd: number,
    midPos: number,
    spreadOrd: number,
    quoted: number,
    fresh: number,
  ): void {
    // The tick's time from `quote`, not an argument: Turbofan boxed a double argument of this call on every tick.
    const timeUs = this.quote[QuoteSlot.timeUs];
    const t = this.rows;
    const V = this.venues;
    const I = this.perInstrument;
    const s = instrument * SCORER_INSTRUMENT_STRIDE;
    const rPendUs = rBase + ScorerRow.pendingUs * V;
    const rLast = rBase + ScorerRow.lastUs * V;
    const after = this.refAfterUs;
    // Up to 31 venues, visit only those with a quote waiting, by their bits in the instrument's
    // pending mask; beyond that, every venue.
    const byMask = V <= 31;
    let mask = byMask ? I[s + ScorerInstrumentField.pending] : 0;
    let spread = false;
    let earliest = Infinity;
    let m = mask;
    let u = -1;
    for (;;) {
      if (byMask) {
        if (m === 0) break;
        u = 31 - Math.clz32(m & -m);
        m &= m - 1;
      } else if (++u >= V) {
        break;
      }
      const pu = t[rPendUs + u];
      if (!(timeUs - pu >= after)) {
        if (pu < earliest) earliest = pu;
        continue;
      }
      t[rPendUs + u] = NaN;
      mask &= ~(1 << u);
      // The others: the fresh venues but u (u is fresh when its latest quote is).
      const others = fresh - +(timeUs - t[rLast + u] <= this.freshUs);
      if (others < 1 || others < this.minVenues - 1) continue;
      const d = this.deviation;
      d[DeviationSlot.mid] = t[rBase + ScorerRow.pendingMid * V + u];
      medianOfOthers(t, rBase + ScorerRow.mid * V, rLast, this.order, midOrd, this.order[midPos + u], quoted, others, u, this.freshWindow);
      d[DeviationSlot.reference] = this.freshWindow[MedianSlot.median];
      // The median spread is the tick's, the same for every quote judged here (a few a call).
      if (!spread) {
        this.spreadMedian(rBase, spreadOrd, quoted, fresh);
        spread = true;
      }
      this.addDeviation(instrument, u);
    }
    if (byMask) I[s + ScorerInstrumentField.pending] = mask;
    I[s + ScorerInstrumentField.pendingDueUs] = earliest;
  }

  /**
   * Judges venue u's waiting quote against the median of the `k` other venues' quotes sent after
   * it (the venues whose latest quote is newer than it; `venue`'s tick is the k-th), and folds the
   * deviation in.
   */
  private judge(
    instrument: number,
    u: number,
    venue: number,
    k: number,
    rBase: number,
    midOrd: number,
    spreadOrd: number,
    quoted: number,
    fresh: number,
  ): void {
    const t = this.rows;
    const V = this.venues;
    const rPendUs = rBase + ScorerRow.pendingUs * V;
    const rMid = rBase + ScorerRow.mid * V;
    const pu = t[rPendUs + u];
    t[rPendUs + u] = NaN;
    let reference: number;
    if (k <= 2 && k !== quoted && this.perInstrument[instrument * SCORER_INSTRUMENT_STRIDE + ScorerInstrumentField.disordered] === 0) {
      // While the instrument's times never went back, the venues whose latest quote is newer than
      // pu are exactly those counted as news to it: the first and this one. The median of one or
      // two values, 0.5 · (a + b), does not depend on their order (nor does 0.5 · (a + a)).
      reference = 0.5 * (t[rMid + t[rBase + ScorerRow.pendingFirst * V + u]] + t[rMid + venue]);
    } else {
      const w = this.afterWindow;
      w[MedianSlot.nowUs] = pu;
      medianWithin(t, rMid, rBase + ScorerRow.lastUs * V, this.order, midOrd, quoted, k, w);
      reference = w[MedianSlot.median];
    }
    const d = this.deviation;
    d[DeviationSlot.mid] = t[rBase + ScorerRow.pendingMid * V + u];
    d[DeviationSlot.reference] = reference;
    this.spreadMedian(rBase, spreadOrd, quoted, fresh);
    this.addDeviation(instrument, u);
  }

  /**
   * The unit prices are judged in: the fresh venues' median spread, but never less than
   * minSpreadFrac of `price` (a locked or missing spread would make every move look huge).
   */
  private spreadScale(medSpread: number, price: number): number {
    const floor = price * this.minSpreadFrac;
    return medSpread > floor ? medSpread : floor;
  }

  /**
   * The fresh venues' median spread at the tick's time (NaN when none is fresh) into `deviation`,
   * for addDeviation.
   */
  private spreadMedian(rBase: number, spreadOrd: number, quoted: number, fresh: number): void {
    const V = this.venues;
    // Not `fresh > 0 ? … : NaN`: Turbofan (V8 11) gives a conditional with a NaN arm a tagged
    // value, a heap number allocated per call; an assignment in an `if` stays a double.
    let medSpread = NaN;
    if (fresh > 0) {
      // The fresh window onQuote set: the tick's time.
      const w = this.freshWindow;
      medianWithin(this.rows, rBase + ScorerRow.spread * V, rBase + ScorerRow.lastUs * V, this.order, spreadOrd, quoted, fresh, w);
      medSpread = w[MedianSlot.median];
    }
    this.deviation[DeviationSlot.medSpread] = medSpread;
  }

  /**
   * Folds one quote's squared deviation from its reference, in units of the fresh venues' median
   * spread at the tick's time (the three in `deviation`), into its cell's EWMA.
   */
  private addDeviation(instrument: number, venue: number): void {
    const c = this.cells;
    const o = (instrument * this.venues + venue) * SCORER_CELL_STRIDE;
    const mid = this.deviation[DeviationSlot.mid];
    const reference = this.deviation[DeviationSlot.reference];
    const medSpread = this.deviation[DeviationSlot.medSpread];
    const scale = this.spreadScale(medSpread, reference);
    const x = (mid - reference) / scale;
    const sq = Math.min(x * x, this.devClamp);
    const devN = c[o + ScorerField.devN];
    const a = Math.max(this.devAlpha, 1 / (devN + 1));
    c[o + ScorerField.dev] += a * (sq - c[o + ScorerField.dev]);
    c[o + ScorerField.devN] = devN + 1;
  }

  /**
   * The venue's score as of its latest tick, before staleness decay: 40% uptime, 40%
   * exp(−k · deviation), 20% absence of stalls (Pyth's weights by default). NaN before its first
   * quote. Its inputs change only on the venue's own ticks, so this is computed on demand rather
   * than on every tick.
   */
  quality(instrument: number, venue: number): number {
    const V = this.venues;
    if (
      this.rows[(instrument * SCORER_ROWS + ScorerRow.lastUs) * V + venue] !==
      this.rows[(instrument * SCORER_ROWS + ScorerRow.lastUs) * V + venue]
    )
      return NaN;
    const c = this.cells;
    const o = (instrument * V + venue) * SCORER_CELL_STRIDE;
    return (
      this.wUptime * c[o + ScorerField.uptime] +
      this.wDev * Math.exp(-this.devK * c[o + ScorerField.dev]) +
      this.wStall * (1 - c[o + ScorerField.stall])
    );
  }

  /** Time of the venue's latest quote of the instrument (NaN = never). */
  lastQuoteUs(instrument: number, venue: number): number {
    return this.rows[(instrument * SCORER_ROWS + ScorerRow.lastUs) * this.venues + venue];
  }

  /** Deviation samples scored so far for the cell (how settled its score is). */
  deviationSamples(instrument: number, venue: number): number {
    return this.cells[(instrument * this.venues + venue) * SCORER_CELL_STRIDE + ScorerField.devN];
  }

  /** Updates of the venue's quote of the instrument so far. */
  updates(instrument: number, venue: number): number {
    return this.cells[(instrument * this.venues + venue) * SCORER_CELL_STRIDE + ScorerField.updates];
  }

  /** Median of the fresh venues' latest mids at `nowUs` (NaN when none is fresh). */
  consensus(instrument: number, nowUs: number): number {
    return this.rowMedian(instrument, ScorerRow.mid, OrderRow.midOrder, nowUs);
  }

  /** Median of the fresh venues' latest spreads at `nowUs` (NaN when none is fresh). */
  consensusSpread(instrument: number, nowUs: number): number {
    return this.rowMedian(instrument, ScorerRow.spread, OrderRow.spreadOrder, nowUs);
  }

  private rowMedian(instrument: number, row: number, orderRow: number, nowUs: number): number {
    const t = this.rows;
    const V = this.venues;
    const rBase = instrument * SCORER_ROWS * V;
    const rLast = rBase + ScorerRow.lastUs * V;
    let quoted = 0;
    let fresh = 0;
    for (let u = 0; u < V; u++) {
      const last = t[rLast + u];
      if (nowUs - last <= this.freshUs) fresh++;
      if (last === last) quoted++;
    }
    if (fresh === 0) return NaN;
    const ord = (instrument * ORDER_ROWS + orderRow) * V;
    const w = this.queryWindow;
    w[MedianSlot.nowUs] = nowUs;
    medianWithin(t, rBase + row * V, rLast, this.order, ord, quoted, fresh, w);
    return w[MedianSlot.median];
  }

  /** Score in [0, 1] of one (instrument, venue) at `nowUs`: its quality × exp(−age/τ); NaN when the venue never quoted it. */
  score(instrument: number, venue: number, nowUs: number): number {
    const V = this.venues;
    const last = this.rows[(instrument * SCORER_ROWS + ScorerRow.lastUs) * V + venue];
    if (last !== last) return NaN;
    const age = nowUs > last ? nowUs - last : 0;
    return this.quality(instrument, venue) * Math.exp(-age / this.tauUs);
  }

  /** Latest quote time over every cell: the default "now" for scoring a replay or a finished run. */
  latestUs(): number {
    const t = this.rows;
    const V = this.venues;
    let latest = -Infinity;
    for (let i = 0; i < this.instruments; i++) {
      const row = (i * SCORER_ROWS + ScorerRow.lastUs) * V;
      for (let v = 0; v < V; v++) if (t[row + v] > latest) latest = t[row + v];
    }
    return latest;
  }

  /**
   * Fills `out[v]` with venue v's score averaged over the instruments it has quoted (0 if none).
   * O(instruments × venues): for reports, not per tick.
   */
  venueScores(out: Float64Array, nowUs: number = this.latestUs()): void {
    const V = this.venues;
    if (out.length < V) throw new RangeError(`venueScores needs an array of at least ${V} entries, got ${out.length}`);
    for (let v = 0; v < V; v++) {
      let sum = 0;
      let count = 0;
      for (let i = 0; i < this.instruments; i++) {
        const s = this.score(i, v, nowUs);
        if (s === s) {
          sum += s;
          count++;
        }
      }
      out[v] = count > 0 ? sum / count : 0;
    }
  }

  /** Venue indices best → worst (ties by index). */
  ranking(nowUs: number = this.latestUs()): number[] {
    const scores = new Float64Array(this.venues);
    this.venueScores(scores, nowUs);
    return Array.from({ length: this.venues }, (_, v) => v).sort((a, b) => scores[b] - scores[a] || a - b);
  }
}

import {
  SCORER_ROWS, ScorerRow, midOrderTable, scorerTable, spreadOrderTable, type AnalyticsSharedState,
} from './analytics-state.js';

export interface SourceScorerConfig {
  /** A venue's latest quote takes part in the consensus while younger than this (µs). */
  scorerFreshUs: number;
  /** Staleness decay exp(−age/τ) of a venue's score, τ in µs. */
  scorerStalenessTauUs: number;
  /** EWMA weight of a new squared deviation. */
  scorerDevAlpha: number;
  /** EWMA weight of a new uptime sample (one per update of the venue). */
  scorerUptimeAlpha: number;
  /** EWMA weight of a new stalled/not-stalled sample (one per update of the venue). */
  scorerStallAlpha: number;
  /** A venue whose mid has not changed for this many of its updates is stalled. */
  scorerStallAfter: number;
  /** Fresh venues needed before deviations are scored (capped at the venue count). */
  scorerMinVenues: number;
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

function checkRange(name: string, value: number, lo: number, hi: number, integer = false): void {
  if (!Number.isFinite(value) || value < lo || value > hi || (integer && !Number.isInteger(value))) {
    throw new RangeError(`config.${name} must be ${integer ? 'an integer' : 'a number'} in ${lo}..${hi}, got ${value}`);
  }
}

/**
 * Sorts one row of an instrument's block (mids or spreads) into `values`/`venuesOut`, taking the
 * venues in `order` — their order after the previous tick — so the insertion sort meets an
 * almost sorted input and does ~one comparison per venue. Writes the new order back. Venues that
 * never quoted keep their places after the quoted ones. Returns how many venues have quoted.
 */
function sortRow(
  t: Float64Array, row: number, order: Uint8Array, orderBase: number, venues: number,
  values: Float64Array, venuesOut: Uint8Array,
): number {
  let n = 0;
  let tail = venues;
  for (let k = 0; k < venues; k++) {
    const u = order[orderBase + k];
    const x = t[row + u];
    if (x !== x) {
      venuesOut[--tail] = u;
      continue;
    }
    let j = n;
    while (j > 0 && values[j - 1] > x) {
      values[j] = values[j - 1];
      venuesOut[j] = venuesOut[j - 1];
      j--;
    }
    values[j] = x;
    venuesOut[j] = u;
    n++;
  }
  for (let k = 0; k < venues; k++) order[orderBase + k] = venuesOut[k];
  return n;
}

/**
 * Median of the sorted `values[0..n)` restricted to the venues marked fresh (`fresh[u] === 1`),
 * `k` of them (k ≥ 1).
 */
function freshMedian(values: Float64Array, venuesOf: Uint8Array, n: number, fresh: Uint8Array, k: number): number {
  const lo = (k - 1) >> 1;
  const hi = k >> 1;
  let seen = 0;
  let low = NaN;
  for (let j = 0; j < n; j++) {
    if (fresh[venuesOf[j]] === 0) continue;
    if (seen === lo) low = values[j];
    if (seen === hi) return 0.5 * (low + values[j]);
    seen++;
  }
  return NaN; // unreachable when k counts the fresh venues among the n
}

/**
 * Source confidence (Pyth-style publisher ranking): per instrument, the consensus is the median
 * of the fresh venues' latest mids; each venue is scored on uptime, deviation from consensus in
 * units of the consensus spread, and absence of stalled prices, decayed by the age of its last
 * quote.
 */
export class SourceScorer {
  private readonly table: Float64Array;
  private readonly instruments: number;
  private readonly venues: number;
  private readonly midOrder: Uint8Array;
  private readonly spreadOrder: Uint8Array;
  private readonly sorted: Float64Array;
  private readonly sortedVenues: Uint8Array;
  private readonly fresh: Uint8Array;
  private readonly freshUs: number;
  private readonly tauUs: number;
  private readonly devAlpha: number;
  private readonly uptimeAlpha: number;
  private readonly stallAlpha: number;
  private readonly stallAfter: number;
  private readonly minVenues: number;
  private readonly devK: number;
  private readonly devClamp: number;
  private readonly minSpreadFrac: number;
  private readonly wUptime: number;
  private readonly wDev: number;
  private readonly wStall: number;

  constructor(state: AnalyticsSharedState, config: SourceScorerConfig) {
    checkRange('scorerFreshUs', config.scorerFreshUs, 0, Number.MAX_VALUE);
    checkRange('scorerStalenessTauUs', config.scorerStalenessTauUs, Number.MIN_VALUE, Number.MAX_VALUE);
    checkRange('scorerDevAlpha', config.scorerDevAlpha, Number.MIN_VALUE, 1);
    checkRange('scorerUptimeAlpha', config.scorerUptimeAlpha, Number.MIN_VALUE, 1);
    checkRange('scorerStallAlpha', config.scorerStallAlpha, Number.MIN_VALUE, 1);
    checkRange('scorerStallAfter', config.scorerStallAfter, 1, 1e9, true);
    checkRange('scorerMinVenues', config.scorerMinVenues, 1, 64, true);
    checkRange('scorerDevK', config.scorerDevK, 0, 1e6);
    checkRange('scorerDevClamp', config.scorerDevClamp, Number.MIN_VALUE, Number.MAX_VALUE);
    checkRange('scorerMinSpreadBps', config.scorerMinSpreadBps, Number.MIN_VALUE, 1e6);
    checkRange('scorerWeightUptime', config.scorerWeightUptime, 0, 1e6);
    checkRange('scorerWeightDeviation', config.scorerWeightDeviation, 0, 1e6);
    checkRange('scorerWeightStall', config.scorerWeightStall, 0, 1e6);
    const wSum = config.scorerWeightUptime + config.scorerWeightDeviation + config.scorerWeightStall;
    if (!(wSum > 0)) throw new RangeError('config.scorerWeight* must not all be 0');
    this.table = scorerTable(state);
    this.instruments = state.dims.instruments;
    this.venues = state.dims.venues;
    this.midOrder = midOrderTable(state);
    this.spreadOrder = spreadOrderTable(state);
    this.sorted = new Float64Array(this.venues);
    this.sortedVenues = new Uint8Array(this.venues);
    this.fresh = new Uint8Array(this.venues);
    this.freshUs = config.scorerFreshUs;
    this.tauUs = config.scorerStalenessTauUs;
    this.devAlpha = config.scorerDevAlpha;
    this.uptimeAlpha = config.scorerUptimeAlpha;
    this.stallAlpha = config.scorerStallAlpha;
    this.stallAfter = config.scorerStallAfter;
    this.minVenues = Math.min(config.scorerMinVenues, this.venues);
    this.devK = config.scorerDevK;
    this.devClamp = config.scorerDevClamp;
    this.minSpreadFrac = config.scorerMinSpreadBps * 1e-4;
    // Normalised so a score stays in [0, 1] whatever weights are configured.
    this.wUptime = config.scorerWeightUptime / wSum;
    this.wDev = config.scorerWeightDeviation / wSum;
    this.wStall = config.scorerWeightStall / wSum;
  }

  /**
   * Feeds one quote. O(venues) in practice (see sortRow). Returns true when the venue's price
   * counts as stalled on this tick.
   */
  onTick(instrument: number, venue: number, bid: number, ask: number, timeUs: number): boolean {
    const mid = 0.5 * (bid + ask);
    // Not a price: would poison the medians and EWMAs with NaN/∞.
    if (!(mid > 0 && mid < Infinity)) return false;
    const t = this.table;
    const V = this.venues;
    const block = instrument * SCORER_ROWS * V;
    const rMid = block + ScorerRow.mid * V;
    const rSpread = block + ScorerRow.spread * V;
    const rLast = block + ScorerRow.lastUs * V;

    const run = t[rMid + venue] === mid ? t[block + ScorerRow.sameRun * V + venue] + 1 : 0;
    const stalled = run >= this.stallAfter;
    t[block + ScorerRow.sameRun * V + venue] = run;
    const iStall = block + ScorerRow.stall * V + venue;
    t[iStall] += this.stallAlpha * ((stalled ? 1 : 0) - t[iStall]);

    // Uptime sample = share of the time since the previous quote during which that quote was
    // still fresh; a venue's first quote means it is up now.
    const iUp = block + ScorerRow.uptime * V + venue;
    const prevUs = t[rLast + venue];
    if (prevUs !== prevUs) {
      t[iUp] = 1;
    } else {
      const gap = timeUs - prevUs;
      const sample = gap <= this.freshUs ? 1 : this.freshUs / gap;
      t[iUp] += this.uptimeAlpha * (sample - t[iUp]);
    }
    t[rMid + venue] = mid;
    t[rSpread + venue] = ask - bid;
    t[rLast + venue] = timeUs;

    const fresh = this.fresh;
    let k = 0;
    for (let u = 0; u < V; u++) {
      // Never quoted (NaN) is not fresh; a quote from the "future" (another clock) is.
      const f = timeUs - t[rLast + u] <= this.freshUs ? 1 : 0;
      fresh[u] = f;
      k += f;
    }
    if (k < this.minVenues) return stalled;

    const sorted = this.sorted;
    const sortedVenues = this.sortedVenues;
    const orderBase = instrument * V;
    let n = sortRow(t, rMid, this.midOrder, orderBase, V, sorted, sortedVenues);
    const consensus = freshMedian(sorted, sortedVenues, n, fresh, k);
    n = sortRow(t, rSpread, this.spreadOrder, orderBase, V, sorted, sortedVenues);
    const medSpread = freshMedian(sorted, sortedVenues, n, fresh, k);
    const spreadFloor = consensus * this.minSpreadFrac;
    const scale = medSpread > spreadFloor ? medSpread : spreadFloor;
    const x = (mid - consensus) / scale;
    const sq = Math.min(x * x, this.devClamp);
    const iDevN = block + ScorerRow.devN * V + venue;
    const iDev = block + ScorerRow.dev * V + venue;
    const devN = t[iDevN];
    const a = Math.max(this.devAlpha, 1 / (devN + 1));
    t[iDev] += a * (sq - t[iDev]);
    t[iDevN] = devN + 1;
    return stalled;
  }

  /** Score in [0, 1] of one (instrument, venue) at `nowUs`; NaN when the venue never quoted it. */
  score(instrument: number, venue: number, nowUs: number): number {
    const V = this.venues;
    const t = this.table;
    const block = instrument * SCORER_ROWS * V;
    const last = t[block + ScorerRow.lastUs * V + venue];
    if (last !== last) return NaN;
    const age = nowUs > last ? nowUs - last : 0;
    const quality = this.wUptime * t[block + ScorerRow.uptime * V + venue]
      + this.wDev * Math.exp(-this.devK * t[block + ScorerRow.dev * V + venue])
      + this.wStall * (1 - t[block + ScorerRow.stall * V + venue]);
    return quality * Math.exp(-age / this.tauUs);
  }

  /** Latest quote time over every cell: the default "now" for scoring a replay or a finished run. */
  latestUs(): number {
    const t = this.table;
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

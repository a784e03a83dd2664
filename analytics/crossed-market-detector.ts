import {
  CROSS_PAIR_STRIDE, QUOTE_STRIDE, crossPairTable, quoteTable, type AnalyticsSharedState,
} from './analytics-state.js';

export interface CrossedMarketConfig {
  /** Taker fee per venue in bps (missing entries = 0). A cross must survive both legs' fees. */
  venueFeesBps: readonly number[];
}

/** State of a whole instrument across its venues. */
export const CrossState = { None: 0, Locked: 1, Crossed: 2 } as const;
export type CrossState = (typeof CrossState)[keyof typeof CrossState];

/** Bits returned by `onTick`. */
export const CrossFlag = {
  /** The ticking venue's quote is locked (net bid = net ask) with another venue's. */
  Locked: 1,
  /** The ticking venue's quote crosses another venue's (net bid > net ask, either direction). */
  Crossed: 2,
  /** The instrument became crossed on this tick: an arbitrage window opened. */
  WindowOpened: 4,
  /** No venue pair of the instrument crosses any more: the open window closed on this tick. */
  WindowClosed: 8,
} as const;

/**
 * Cross-venue arbitrage: venue u's bid net of u's fee above venue w's ask plus w's fee
 * (crossed), or equal to it (locked), for u ≠ w.
 *
 * Per instrument it keeps the number of crossed and of locked ordered venue pairs. A tick only
 * changes the pairs that contain its venue, so one O(venues) pass re-compares them with the old
 * and the new quote and adjusts the counts: exact, and the comparisons are almost always false,
 * which keeps the loop free of unpredictable branches (a best/second-best scan is not).
 */
export class CrossedMarketDetector {
  private readonly quotes: Float64Array;
  private readonly pairs: Uint16Array;
  private readonly venues: number;
  /** Multiplier on a bid for what selling there nets: 1 − fee. */
  private readonly sellFactor: Float64Array;
  /** Multiplier on an ask for what buying there costs: 1 + fee. */
  private readonly buyFactor: Float64Array;

  constructor(state: AnalyticsSharedState, config: CrossedMarketConfig) {
    this.quotes = quoteTable(state);
    this.pairs = crossPairTable(state);
    this.venues = state.dims.venues;
    const fees = config.venueFeesBps;
    if (fees.length > this.venues) {
      throw new RangeError(`config.venueFeesBps has ${fees.length} entries but there are ${this.venues} venues`);
    }
    this.sellFactor = new Float64Array(this.venues);
    this.buyFactor = new Float64Array(this.venues);
    for (let v = 0; v < this.venues; v++) {
      const bps = fees[v] ?? 0;
      if (!Number.isFinite(bps) || bps < 0 || bps >= 10_000) {
        throw new RangeError(`config.venueFeesBps[${v}] must be a number in 0..<10000, got ${bps}`);
      }
      this.sellFactor[v] = 1 - bps * 1e-4;
      this.buyFactor[v] = 1 + bps * 1e-4;
    }
  }

  /**
   * Replaces the venue's quote and re-evaluates the instrument. A side that is not a positive
   * finite price is stored as "no quote" (NaN), which takes that side out of every comparison;
   * pass NaN, NaN to withdraw a quote (e.g. a tick already judged bad).
   * Returns CrossFlag bits.
   */
  onTick(instrument: number, venue: number, bid: number, ask: number): number {
    const q = this.quotes;
    const sell = this.sellFactor;
    const buy = this.buyFactor;
    const base = instrument * this.venues;
    const o = (base + venue) * QUOTE_STRIDE;
    // Recomputed from the stored raw quote, so the old comparisons repeat bit for bit.
    const oldBid = q[o] * sell[venue];
    const oldAsk = q[o + 1] * buy[venue];
    const b = bid > 0 && bid < Infinity ? bid : NaN;
    const a = ask > 0 && ask < Infinity ? ask : NaN;
    q[o] = b;
    q[o + 1] = a;
    const newBid = b * sell[venue];
    const newAsk = a * buy[venue];

    let crossedNow = 0;
    let lockedNow = 0;
    let crossedBefore = 0;
    let lockedBefore = 0;
    // NaN (no quote) fails every comparison, so absent sides drop out on their own.
    for (let u = 0, p = base * QUOTE_STRIDE; u < this.venues; u++, p += QUOTE_STRIDE) {
      if (u === venue) continue;
      const ub = q[p] * sell[u];
      const ua = q[p + 1] * buy[u];
      if (newBid > ua) crossedNow++;
      if (ub > newAsk) crossedNow++;
      if (newBid === ua) lockedNow++;
      if (ub === newAsk) lockedNow++;
      if (oldBid > ua) crossedBefore++;
      if (ub > oldAsk) crossedBefore++;
      if (oldBid === ua) lockedBefore++;
      if (ub === oldAsk) lockedBefore++;
    }

    const c = instrument * CROSS_PAIR_STRIDE;
    const pairsBefore = this.pairs[c];
    const pairsAfter = pairsBefore + crossedNow - crossedBefore;
    this.pairs[c] = pairsAfter;
    this.pairs[c + 1] += lockedNow - lockedBefore;

    let flags = crossedNow > 0 ? CrossFlag.Crossed : lockedNow > 0 ? CrossFlag.Locked : 0;
    if (pairsAfter > 0 && pairsBefore === 0) flags |= CrossFlag.WindowOpened;
    else if (pairsAfter === 0 && pairsBefore > 0) flags |= CrossFlag.WindowClosed;
    return flags;
  }

  crossState(instrument: number): CrossState {
    const c = instrument * CROSS_PAIR_STRIDE;
    if (this.pairs[c] > 0) return CrossState.Crossed;
    return this.pairs[c + 1] > 0 ? CrossState.Locked : CrossState.None;
  }

  isCrossed(instrument: number): boolean {
    return this.crossState(instrument) === CrossState.Crossed;
  }

  /** Locked and not crossed. */
  isLocked(instrument: number): boolean {
    return this.crossState(instrument) === CrossState.Locked;
  }

  /** Ordered venue pairs (bid venue, ask venue) of the instrument that are crossed / locked. */
  pairCounts(instrument: number): { crossed: number; locked: number } {
    const c = instrument * CROSS_PAIR_STRIDE;
    return { crossed: this.pairs[c], locked: this.pairs[c + 1] };
  }
}

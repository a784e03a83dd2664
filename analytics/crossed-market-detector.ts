import {
  CROSS_TRADEABLE_STRIDE,
  CROSS_PAIR_STRIDE,
  QUOTE_STRIDE,
  crossOpenedTable,
  crossQuoteTable,
  crossPairTable,
  crossTradeableTable,
  quoteTable,
  type AnalyticsSharedState,
} from './analytics-state.js';
import { TickSlot, createCurrentTick } from './current-tick.js';
import { checkRange } from './config-check.js';
import { buyFactor, sellFactor } from './market-conventions.js';
import { QuoteConsensus, VenueClass, departedClass } from './quote-consensus.js';

export interface CrossedMarketConfig {
  /**
   * Taker fee per venue in bps (missing entries = 0, entries past the venue count ignored). A
   * cross must survive both legs' fees.
   */
  venueFeesBps: readonly number[];
  /**
   * A crossed window is reported as tradeable once it has stayed open this long (µs of the
   * ticks' send times; 0 = at once). Crosses that a lagging or stale feed shows for a moment
   * close before then: they are phantoms. The default is the feed lag venues are known to have
   * (tens of ms); it is the operator's knowledge of the feeds, not of any one stream. Absent: 0.
   */
  arbitrageConfirmUs?: number;
  /**
   * Confirmation also needs a crossed pair both of whose quotes were sent after the window opened
   * (absent: false). Feeds re-send a quote only when it changes, so a cross against a stale quote,
   * a lagging feed's view or a bad tick stays open until that venue's next quote, however long
   * that takes; a venue whose own book has moved past the others' keeps crossing when both sides
   * quote again.
   */
  arbitrageConfirmByRequote?: boolean;
  /**
   * Confirm by the consensus of the venues instead (absent: false; arbitrageConfirmUs and
   * arbitrageConfirmByRequote are then not used): a cross is tradeable while one of its legs is a
   * venue whose own book departed from the consensus (two quotes in a row more than a consensus
   * spread off, having moved there itself) and the other is consistent with the consensus or
   * departed the other way (analytics/quote-consensus.ts). A cross against a stale or lagging
   * quote (the market moved away from it), a single bad tick, or a venue that always sits off the
   * others (biased) is a phantom. Confirmed once per such episode.
   */
  arbitrageConsensus?: boolean;
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
  /** The instrument became locked (some pair locked, none crossed) on this tick. */
  LockOpened: 16,
  /**
   * The open window has now lasted arbitrageConfirmUs (or, with arbitrageConsensus, a
   * consensus-consistent cross began): reported as tradeable, once per window (episode).
   */
  Confirmed: 32,
} as const;

/**
 * Cross-venue arbitrage: venue u's bid net of u's fee above venue w's ask plus w's fee
 * (crossed), or equal to it (locked), for u ≠ w.
 *
 * Per instrument it keeps the number of crossed and of locked ordered venue pairs. A tick only
 * changes the pairs that contain its venue, so an O(venues) pass re-compares them with the old
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
  private readonly openedUs: Float64Array;
  private readonly confirmUs: number;
  private readonly byRequote: boolean;
  private readonly quoteUs: Float64Array;
  private readonly byConsensus: boolean;
  private readonly tradeable: Uint8Array;
  /** The venues' classes against the consensus, as of the last `consensusCross` call. */
  readonly consensus: QuoteConsensus;

  /** The tick `onQuote` reads (analytics/current-tick.ts): the analyzer's, shared by its detectors. */
  readonly tick: Float64Array;

  constructor(state: AnalyticsSharedState, config: CrossedMarketConfig, tick: Float64Array = createCurrentTick()) {
    this.tick = tick;
    this.byConsensus = config.arbitrageConsensus ?? false;
    this.tradeable = crossTradeableTable(state);
    this.consensus = new QuoteConsensus(state, tick);
    this.confirmUs = config.arbitrageConfirmUs ?? 0;
    checkRange('arbitrageConfirmUs', this.confirmUs, 0, 1e12);
    this.openedUs = crossOpenedTable(state);
    this.byRequote = config.arbitrageConfirmByRequote ?? false;
    this.quoteUs = crossQuoteTable(state);
    this.quotes = quoteTable(state);
    this.pairs = crossPairTable(state);
    this.venues = state.dims.venues;
    const fees = config.venueFeesBps;
    this.sellFactor = new Float64Array(this.venues);
    this.buyFactor = new Float64Array(this.venues);
    for (let v = 0; v < this.venues; v++) {
      const bps = fees[v] ?? 0;
      if (!Number.isFinite(bps) || bps < 0 || bps >= 10_000) {
        throw new RangeError(`config.venueFeesBps[${v}] must be a number in 0..<10000, got ${bps}`);
      }
      this.sellFactor[v] = sellFactor(bps);
      this.buyFactor[v] = buyFactor(bps);
    }
  }

  /**
   * Replaces the venue's quote and re-evaluates the instrument. A side that is not a positive
   * finite price is stored as "no quote" (NaN), which takes that side out of every comparison;
   * pass NaN, NaN to withdraw a quote (e.g. a tick already judged bad). `nowUs` (the tick's send
   * time) times the open window for the tradeable confirmation; NaN leaves it untimed.
   * `withdrawn`: the tick was judged bad: its quote is recorded as sent (for the consensus
   * check) but takes no part in the book, as NaN, NaN would.
   * Returns CrossFlag bits.
   */
  onTick(instrument: number, venue: number, bid: number, ask: number, nowUs = NaN, withdrawn = false): number {
    const k = this.tick;
    k[TickSlot.bid] = bid;
    k[TickSlot.ask] = ask;
    k[TickSlot.timeUs] = nowUs;
    return this.onQuote(instrument, venue, withdrawn);
  }

  /** `onTick` with the tick's bid, ask and send time already in `tick`: no double crosses the call. */
  onQuote(instrument: number, venue: number, withdrawn: boolean): number {
    const k = this.tick;
    let bid = k[TickSlot.bid];
    let ask = k[TickSlot.ask];
    const nowUs = k[TickSlot.timeUs];
    const q = this.quotes;
    const o = (instrument * this.venues + venue) * QUOTE_STRIDE;
    const cc = this.consensus;
    // Withdrawn quotes: a real quote as sent, none in the book (see consensusCross). Also
    // stamps the quote's send time into quoteUs.
    const wasWithdrawn = cc.recordTick(instrument, venue) & (q[o] === q[o] ? 0 : 1);
    const nowWithdrawn = withdrawn && bid > 0 && ask >= bid && ask < Infinity ? 1 : 0;
    if (withdrawn) {
      bid = NaN;
      ask = NaN;
    }
    this.tradeable[CROSS_TRADEABLE_STRIDE * instrument + 1] += nowWithdrawn - wasWithdrawn;
    const c = instrument * CROSS_PAIR_STRIDE;
    const crossedBefore = this.pairs[c];
    const lockedBefore = this.pairs[c + 1];
    // The old quote's pairs only matter if the instrument had any crossed or locked pair at all:
    // the rare case, so the common tick makes one pass over the venues, not two.
    const old = crossedBefore + lockedBefore > 0 ? this.pairsWith(instrument, o) : 0;
    // Not `… ? … : NaN`, and the quote read back from the table rather than passed: Turbofan
    // (V8 11) gives a conditional with a NaN arm a tagged value, and a call's double arguments
    // are heap numbers, each allocated per tick.
    let netBid = NaN;
    if (bid > 0 && bid < Infinity) netBid = bid * this.sellFactor[venue];
    let netAsk = NaN;
    if (ask > 0 && ask < Infinity) netAsk = ask * this.buyFactor[venue];
    q[o] = netBid;
    q[o + 1] = netAsk;
    const now = this.pairsWith(instrument, o);

    const crossedNow = now >> 8;
    const lockedNow = now & 0xff;
    const crossedAfter = crossedBefore + crossedNow - (old >> 8);
    const lockedAfter = lockedBefore + lockedNow - (old & 0xff);
    this.pairs[c] = crossedAfter;
    this.pairs[c + 1] = lockedAfter;

    let flags = crossedNow > 0 ? CrossFlag.Crossed : lockedNow > 0 ? CrossFlag.Locked : 0;
    if (crossedAfter > 0 && crossedBefore === 0) {
      flags |= CrossFlag.WindowOpened;
      this.openedUs[instrument] = nowUs;
    } else if (crossedAfter === 0 && crossedBefore > 0) {
      flags |= CrossFlag.WindowClosed;
      this.openedUs[instrument] = NaN;
    }
    if (this.byConsensus) {
      // Only a crossed book, or one with a quote withdrawn, can hold a consensus-consistent
      // cross: the check runs on those ticks only.
      const t = CROSS_TRADEABLE_STRIDE * instrument;
      const tradeableNow =
        (crossedAfter > 0 || this.tradeable[t + 1] > 0) && this.consensusCross(instrument, this.tradeable[t] === 1) ? 1 : 0;
      if (tradeableNow === 1 && this.tradeable[t] === 0) flags |= CrossFlag.Confirmed;
      this.tradeable[t] = tradeableNow;
    } else if (
      // An open, unconfirmed window (NaN otherwise, which fails the test) that has lasted long enough.
      crossedAfter > 0 &&
      nowUs - this.openedUs[instrument] >= this.confirmUs &&
      (!this.byRequote || this.requotedPair(instrument, this.openedUs[instrument]))
    ) {
      flags |= CrossFlag.Confirmed;
      this.openedUs[instrument] = NaN;
    }
    if (crossedAfter === 0 && lockedAfter > 0 && !(crossedBefore === 0 && lockedBefore > 0)) flags |= CrossFlag.LockOpened;
    return flags;
  }

  /**
   * Crossed and locked pairs between a venue, quoting what the table holds for it at `o` at the
   * time of the call, and every other venue, packed as crossed << 8 | locked
   * (each at most 2 × 63). The loop runs over all venues, itself included, and then takes its
   * own pairs back out: cheaper than a skip whose position changes every tick.
   */
  private pairsWith(instrument: number, o: number): number {
    const q = this.quotes;
    const netBid = q[o];
    const netAsk = q[o + 1];
    let crossed = 0;
    let locked = 0;
    // NaN (no quote) fails every comparison, so absent sides drop out on their own.
    const start = instrument * this.venues * QUOTE_STRIDE;
    for (let p = start, end = start + this.venues * QUOTE_STRIDE; p < end; p += QUOTE_STRIDE) {
      const ub = q[p];
      const ua = q[p + 1];
      // ≥ first: one rarely-true test per pair instead of two.
      if (netBid >= ua) netBid > ua ? crossed++ : locked++;
      if (ub >= netAsk) ub > netAsk ? crossed++ : locked++;
    }
    // Against itself both tests compared netBid with netAsk.
    if (netBid >= netAsk) netBid > netAsk ? (crossed -= 2) : (locked -= 2);
    return (crossed << 8) | locked;
  }

  /**
   * Whether the instrument has a cross net of fees between a venue departed from the consensus and
   * a venue that witnesses the market stood still meanwhile (QuoteConsensus.witnesses, the feed
   * lag being arbitrageConfirmUs). Leaves the venues' classes in `consensus.classes`.
   * O(venues × departed venues) after the classification.
   */
  consensusCross(instrument: number, open = false): boolean {
    const cc = this.consensus;
    // An open tradeable cross is followed on every tick until it ends (its departed venue may
    // quote again at its new level, which the cheap pre-check does not see).
    if (!(open || this.mayHaveDepartedCross(instrument)) || !cc.classify(instrument)) return false;
    const cls = cc.classes;
    const q = this.quotes;
    const V = this.venues;
    const start = instrument * V * QUOTE_STRIDE;
    for (let u = 0; u < V; u++) {
      const cu = cls[u];
      if (!departedClass(cu)) continue;
      const up = cu === VenueClass.DepartedUp;
      // A venue departed up sells into the others' asks; one departed down buys from their bids.
      // Its quote as sent, net of its fee: a departed quote was sent twice, so it is no bad tick
      // even where the outlier test withdrew it from the book.
      const half = 0.5 * cc.spread(instrument, u);
      const mine = up ? (cc.mid(instrument, u) - half) * this.sellFactor[u] : (cc.mid(instrument, u) + half) * this.buyFactor[u];
      for (let w = 0; w < V; w++) {
        if (w === u || !cc.witnesses(instrument, w, u, this.confirmUs)) continue;
        if (up ? mine > q[start + w * QUOTE_STRIDE + 1] : q[start + w * QUOTE_STRIDE] > mine) return true;
      }
    }
    return false;
  }

  /**
   * Whether a venue of a crossed pair (or one withdrawn from the book) moved, between its two
   * quotes before the latest, by more than the narrowest spread quoted, towards the side it
   * crosses on: a departed leg of a tradeable cross needs that (a move wider than the median
   * spread). Two O(venues) passes
   * without sorting: a crossed book of stale, biased or frozen quotes, whose venues stand
   * still, is not classified on every tick.
   */
  private mayHaveDepartedCross(instrument: number): boolean {
    if (!this.consensus.mayHaveDeparted(instrument)) return false;
    if (this.tradeable[CROSS_TRADEABLE_STRIDE * instrument + 1] > 0 || this.consensus.holdsDeparture(instrument)) return true;
    const q = this.quotes;
    const V = this.venues;
    const start = instrument * V * QUOTE_STRIDE;
    // Best and second best net bid and ask: the best of the others, for any venue.
    let bid1 = -Infinity,
      bid2 = -Infinity,
      ask1 = Infinity,
      ask2 = Infinity;
    for (let p = start, end = start + V * QUOTE_STRIDE; p < end; p += QUOTE_STRIDE) {
      const b = q[p];
      const a = q[p + 1];
      if (b > bid1) {
        bid2 = bid1;
        bid1 = b;
      } else if (b > bid2) bid2 = b;
      if (a < ask1) {
        ask2 = ask1;
        ask1 = a;
      } else if (a < ask2) ask2 = a;
    }
    const cc = this.consensus;
    let minSpread = Infinity;
    for (let v = 0; v < V; v++) {
      const s = cc.spread(instrument, v);
      if (s < minSpread) minSpread = s;
    }
    for (let v = 0; v < V; v++) {
      const b = q[start + v * QUOTE_STRIDE];
      const a = q[start + v * QUOTE_STRIDE + 1];
      // Its bid crossing having moved up, or its ask crossing having moved down.
      const move = cc.moveBefore(instrument, v);
      if ((move > minSpread && b > (a === ask1 ? ask2 : ask1)) || (-move > minSpread && a < (b === bid1 ? bid2 : bid1))) return true;
    }
    return false;
  }

  /**
   * Whether some crossed pair's two quotes were both sent after `sinceUs`. O(venues²), only on
   * ticks of an open window past its confirmation time.
   */
  private requotedPair(instrument: number, sinceUs: number): boolean {
    const q = this.quotes;
    const V = this.venues;
    const start = instrument * V * QUOTE_STRIDE;
    const times = instrument * V;
    for (let u = 0; u < V; u++) {
      if (!(this.quoteUs[times + u] > sinceUs)) continue;
      const bid = q[start + u * QUOTE_STRIDE];
      for (let w = 0; w < V; w++) {
        if (w !== u && bid > q[start + w * QUOTE_STRIDE + 1] && this.quoteUs[times + w] > sinceUs) return true;
      }
    }
    return false;
  }

  /**
   * The widest cross of the instrument net of fees, in bps of the ask side: max over venue pairs
   * of netBid(u) / netAsk(w) − 1 (≤ 0 when nothing crosses; NaN without two quotes). O(venues²),
   * for alerts, not per tick.
   */
  crossBps(instrument: number): number {
    const q = this.quotes;
    const start = instrument * this.venues * QUOTE_STRIDE;
    let best = NaN;
    for (let u = 0; u < this.venues; u++) {
      const bid = q[start + u * QUOTE_STRIDE];
      for (let w = 0; w < this.venues; w++) {
        if (w === u) continue;
        const edge = bid / q[start + w * QUOTE_STRIDE + 1] - 1;
        if (edge > best || best !== best) best = edge;
      }
    }
    return best * 1e4;
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

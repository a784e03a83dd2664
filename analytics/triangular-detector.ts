import {
  CROSS_TRADEABLE_STRIDE,
  QUOTE_STRIDE,
  crossQuoteTable,
  crossTradeableTable,
  fxLegTable,
  fxPairUpdateTable,
  fxPairTradeableTable,
  fxTriangleOpenedTable,
  fxTriangleTable,
  quoteTable,
  stateFxLayout,
  type AnalyticsSharedState,
} from './analytics-state.js';
import { TickSlot, createCurrentTick } from './current-tick.js';
import type { CrossedMarketConfig } from './crossed-market-detector.js';
import { cycleWeightBackward, cycleWeightForward, lnAsk, negLnBid, type FxLayout } from './market-conventions.js';
import { QuoteConsensus, VenueClass } from './quote-consensus.js';

/** Bits returned by `onTick`. */
export const TriFlag = {
  /** After this tick some triangle containing the pair is profitable net of fees. */
  Open: 1,
  /** A cycle of a triangle containing the pair became profitable on this tick. */
  Opened: 2,
  /** A cycle that was profitable is not any more. */
  Closed: 4,
  /**
   * A cycle has stayed open arbitrageConfirmUs and (with arbitrageConfirmByRequote) each of its
   * three legs' best quotes was sent after it opened: reported as tradeable, once per opening.
   * With arbitrageConsensus: the pair is now, and was not before this tick, in a triangle open on
   * consensus-consistent legs only thanks to a departed venue (see onTick).
   */
  Confirmed: 8,
} as const;

/**
 * Triangular FX arbitrage. Each FX pair keeps its best net-of-fee bid and ask across venues as
 * graph edge weights −ln(bid) (selling the base) and ln(ask) (buying it back); a triangle's cycle
 * with negative total weight turns one unit of a currency into more than one. A tick changes
 * only its pair's edges, so only the (currencies − 2) triangles containing that pair are
 * rechecked, each in both directions, taking bid or ask by the direction each leg is traded in:
 * O(venues + currencies) per tick, no allocation.
 *
 * It reads the venues' net quotes from the state's quote table, so it runs after the
 * CrossedMarketDetector has stored the tick (a withdrawn quote, NaN, takes no part).
 */
export class TriangularDetector {
  readonly layout: FxLayout | null;
  private readonly quotes: Float64Array;
  private readonly legs: Float64Array;
  private readonly triangles: Uint8Array;
  private readonly venues: number;
  /** Instrument of the first pair, and the pair count (0 without an FX universe). */
  readonly first: number;
  readonly pairs: number;
  /** Set when onTick returns Opened: the cycles opened on that tick, and the most profitable one. */
  lastOpened = 0;
  lastClosed = 0;
  lastProfitBps = 0;
  lastTriangle = -1;
  /** 0 = forward (a → b → c → a), 1 = backward. */
  lastCycle = 0;

  private readonly openedUs: Float64Array;
  private readonly quoteUs: Float64Array;
  private readonly confirmUs: number;
  private readonly byRequote: boolean;
  /** Set when onTick returns Confirmed: cycles confirmed on that tick. */
  lastConfirmed = 0;
  private readonly byConsensus: boolean;
  private readonly consensus: QuoteConsensus;
  private readonly pairTradeable: Uint8Array;
  /** The crossed-market detector's per-instrument state (3 per instrument): +0 is 1 while a tradeable cross is open. */
  private readonly crossTradeable: Uint8Array;
  /**
   * Per leg of a triangle (AB, BC, AC) as trusted by the consensus: −ln best net bid, ln best net
   * ask over the consistent and the witnessed departed venues (+0, +1), and over the consistent
   * venues alone (+2, +3).
   */
  private readonly trusted = new Float64Array(12);
  /**
   * Per pair: its trusted legs (as `trusted`'s four), and the pair's tick count (fxPairUpdates)
   * they were computed at. Everything they depend on (the pair's quotes, classes, witnesses,
   * tradeable cross and the scorer's view of its venues) changes only on a tick of the pair, which
   * counts one up: a leg is classified again only after its pair ticked. (A sum of the venues'
   * epoch-µs quote times, the key before, lost changes of a few µs to rounding.) The key lives with
   * the cache and the count in the shared state, so a worker that takes the pairs over from
   * another recomputes what changed meanwhile.
   */
  private readonly legCache: Float64Array;
  private readonly legKey: Float64Array;
  private readonly pairUpdates: Float64Array;
  /** The tick `onQuote` reads (analytics/current-tick.ts): the analyzer's, shared by its detectors. */
  readonly tick: Float64Array;

  /** `config`: the crossed-market confirmation (absent: confirmed at once, on time alone). */
  constructor(
    state: AnalyticsSharedState,
    config: Pick<CrossedMarketConfig, 'arbitrageConfirmUs' | 'arbitrageConfirmByRequote' | 'arbitrageConsensus'> = {},
    tick: Float64Array = createCurrentTick(),
  ) {
    this.tick = tick;
    this.byConsensus = config.arbitrageConsensus ?? false;
    this.consensus = new QuoteConsensus(state, tick);
    this.pairTradeable = fxPairTradeableTable(state);
    this.crossTradeable = crossTradeableTable(state);
    this.legCache = new Float64Array((stateFxLayout(state)?.pairs ?? 0) * 4);
    this.legKey = new Float64Array(stateFxLayout(state)?.pairs ?? 0).fill(NaN);
    this.pairUpdates = fxPairUpdateTable(state);
    this.openedUs = fxTriangleOpenedTable(state);
    this.quoteUs = crossQuoteTable(state);
    this.confirmUs = config.arbitrageConfirmUs ?? 0;
    this.byRequote = config.arbitrageConfirmByRequote ?? false;
    this.layout = stateFxLayout(state);
    this.quotes = quoteTable(state);
    this.legs = fxLegTable(state);
    this.triangles = fxTriangleTable(state);
    this.venues = state.dims.venues;
    this.first = this.layout?.first ?? 0;
    this.pairs = this.layout?.pairs ?? 0;
  }

  /** Whether instrument is an FX pair of the layout. */
  isPair(instrument: number): boolean {
    return instrument - this.first >= 0 && instrument - this.first < this.pairs;
  }

  /** Re-evaluates the triangles of the instrument's pair after its quote changed. Returns TriFlag bits (0 for a non-FX instrument). */
  onTick(instrument: number, nowUs = NaN): number {
    this.tick[TickSlot.timeUs] = nowUs;
    return this.onQuote(instrument);
  }

  /** `onTick` with the tick's send time already in `tick`: no double crosses the call. */
  onQuote(instrument: number): number {
    const nowUs = this.tick[TickSlot.timeUs];
    const p = instrument - this.first;
    if (!(p >= 0 && p < this.pairs)) return 0;
    this.pairUpdates[p]++;
    const fx = this.layout!;
    const q = this.quotes;
    const start = instrument * this.venues * QUOTE_STRIDE;
    // Best across venues; NaN (no quote) is skipped by the comparisons.
    let bestBid = NaN;
    let bestAsk = NaN;
    for (let k = start, end = start + this.venues * QUOTE_STRIDE; k < end; k += QUOTE_STRIDE) {
      const b = q[k];
      const a = q[k + 1];
      if (b > bestBid || bestBid !== bestBid) bestBid = b;
      if (a < bestAsk || bestAsk !== bestAsk) bestAsk = a;
    }
    const L = this.legs;
    const nb = negLnBid(bestBid);
    const na = lnAsk(bestAsk);
    const changed = nb !== L[2 * p] || na !== L[2 * p + 1];
    L[2 * p] = nb;
    L[2 * p + 1] = na;
    const T = this.triangles;
    const per = fx.trianglesPerPair;
    let open = 0;
    let opened = 0;
    let closed = 0;
    let bestWeight = 0;
    let confirmed = 0;
    const O = this.openedUs;
    for (let k = 0; k < per; k++) {
      const tri = fx.pairTriangles[p * per + k];
      if (!changed) {
        open |= T[tri];
        continue;
      }
      const ab = fx.trianglePairs[tri * 3];
      const bc = fx.trianglePairs[tri * 3 + 1];
      const ac = fx.trianglePairs[tri * 3 + 2];
      const wf = cycleWeightForward(L[2 * ab], L[2 * bc], L[2 * ac + 1]);
      const wb = cycleWeightBackward(L[2 * ac], L[2 * bc + 1], L[2 * ab + 1]);
      const bits = (wf < 0 ? 1 : 0) | (wb < 0 ? 2 : 0);
      const before = T[tri];
      if (bits !== before) {
        T[tri] = bits;
        const up = bits & ~before;
        const down = before & ~bits;
        if (up !== 0) {
          opened += (up & 1) + (up >> 1);
          if ((up & 1) !== 0 && wf < bestWeight) {
            bestWeight = wf;
            this.lastTriangle = tri;
            this.lastCycle = 0;
          }
          if ((up & 2) !== 0 && wb < bestWeight) {
            bestWeight = wb;
            this.lastTriangle = tri;
            this.lastCycle = 1;
          }
        }
        if (down !== 0) closed += (down & 1) + (down >> 1);
        if ((up & 1) !== 0) O[2 * tri] = nowUs;
        if ((up & 2) !== 0) O[2 * tri + 1] = nowUs;
        if ((down & 1) !== 0) O[2 * tri] = NaN;
        if ((down & 2) !== 0) O[2 * tri + 1] = NaN;
      }
      open |= bits;
    }
    if (this.byConsensus) {
      // Trusted legs can only open a cycle the raw legs open: the check runs on those ticks only.
      const now = open !== 0 && this.consensusOpen(p) ? 1 : 0;
      if (now === 1 && this.pairTradeable[p] === 0) confirmed++;
      this.pairTradeable[p] = now;
    }
    // Open cycles waiting for confirmation (NaN otherwise, which fails the time test).
    for (let k = 0; !this.byConsensus && k < per; k++) {
      const tri = fx.pairTriangles[p * per + k];
      if (T[tri] === 0) continue;
      for (let cyc = 0; cyc < 2; cyc++) {
        const since = O[2 * tri + cyc];
        if (nowUs - since >= this.confirmUs && (!this.byRequote || this.requoted(tri, cyc, since))) {
          O[2 * tri + cyc] = NaN;
          confirmed++;
        }
      }
    }
    this.lastOpened = opened;
    this.lastClosed = closed;
    this.lastConfirmed = confirmed;
    if (opened > 0) this.lastProfitBps = -bestWeight * 1e4;
    return (
      (open !== 0 ? TriFlag.Open : 0) |
      (opened > 0 ? TriFlag.Opened : 0) |
      (closed > 0 ? TriFlag.Closed : 0) |
      (confirmed > 0 ? TriFlag.Confirmed : 0)
    );
  }

  /**
   * Whether a triangle containing pair p has a cycle open on trusted legs (consistent venues and,
   * on a pair with a tradeable cross, departed ones a consistent venue witnessed, as for crosses:
   * QuoteConsensus; needs the crossed-market detector in consensus mode) that is not open
   * on the consistent venues alone: a venue's own book moved and opened it. A cycle open only
   * through stale, lagging or bad quotes is a phantom; one open on consistent quotes alone is
   * their noise. The pair's tradeable state is per pair, as the pair's own ticks report it.
   */
  private consensusOpen(p: number): boolean {
    const fx = this.layout!;
    const per = fx.trianglesPerPair;
    const L = this.trusted;
    const C = this.legCache;
    for (let k = 0; k < per; k++) {
      const tri = fx.pairTriangles[p * per + k];
      if (this.triangles[tri] === 0) continue;
      const ab = fx.trianglePairs[tri * 3];
      const bc = fx.trianglePairs[tri * 3 + 1];
      const ac = fx.trianglePairs[tri * 3 + 2];
      // A departed venue whose cross with its pair's other venues is not tradeable is not trusted
      // (see trustedLeg): without one, trusted legs are the consistent ones and nothing opens.
      const X = this.crossTradeable;
      if (
        X[CROSS_TRADEABLE_STRIDE * (this.first + ab)] === 0 &&
        X[CROSS_TRADEABLE_STRIDE * (this.first + bc)] === 0 &&
        X[CROSS_TRADEABLE_STRIDE * (this.first + ac)] === 0
      )
        continue;
      for (let leg = 0; leg < 3; leg++) {
        const x = fx.trianglePairs[tri * 3 + leg];
        const key = this.pairUpdates[x];
        if (this.legKey[x] !== key) {
          this.trustedLeg(x, x * 4);
          this.legKey[x] = key;
        }
        for (let j = 0; j < 4; j++) L[leg * 4 + j] = C[x * 4 + j];
      }
      // Legs AB at 0, BC at 4, AC at 8: +0 −ln bid, +1 ln ask (trusted); +2, +3 (consistent only).
      const wf = cycleWeightForward(L[0], L[4], L[9]);
      const wb = cycleWeightBackward(L[8], L[5], L[1]);
      if (wf < 0 && !(cycleWeightForward(L[2], L[6], L[11]) < 0)) return true;
      if (wb < 0 && !(cycleWeightBackward(L[10], L[7], L[3]) < 0)) return true;
    }
    return false;
  }

  /** Fills legCache[out..out+4) for a pair (see `trusted`). O(venues²) at worst. */
  private trustedLeg(pair: number, out: number): void {
    const instrument = this.first + pair;
    const cc = this.consensus;
    const L = this.legCache;
    let bid = NaN,
      ask = NaN,
      cBid = NaN,
      cAsk = NaN;
    if (cc.classify(instrument)) {
      const cls = cc.classes;
      const q = this.quotes;
      const V = this.venues;
      const start = instrument * V * QUOTE_STRIDE;
      for (let v = 0; v < V; v++) {
        const c = cls[v];
        const b = q[start + v * QUOTE_STRIDE];
        const a = q[start + v * QUOTE_STRIDE + 1];
        if (c === VenueClass.Consistent) {
          if (b > cBid || cBid !== cBid) cBid = b;
          if (a < cAsk || cAsk !== cAsk) cAsk = a;
        } else if (
          (c === VenueClass.DepartedUp || c === VenueClass.DepartedDown) &&
          this.crossTradeable[CROSS_TRADEABLE_STRIDE * instrument] === 1 &&
          this.witnessed(instrument, v)
        ) {
          if (b > bid || bid !== bid) bid = b;
          if (a < ask || ask !== ask) ask = a;
        }
      }
    }
    if (cBid > bid || bid !== bid) bid = cBid;
    if (cAsk < ask || ask !== ask) ask = cAsk;
    L[out] = negLnBid(bid);
    L[out + 1] = lnAsk(ask);
    L[out + 2] = negLnBid(cBid);
    L[out + 3] = lnAsk(cAsk);
  }

  /** Whether some other venue of the instrument witnessed that departed venue u moved on its own. */
  private witnessed(instrument: number, u: number): boolean {
    for (let w = 0; w < this.venues; w++) if (w !== u && this.consensus.witnesses(instrument, w, u, this.confirmUs)) return true;
    return false;
  }

  /**
   * Whether each leg of the triangle's cycle (forward: sell ab, sell bc, buy ac; backward: sell
   * ac, buy bc, buy ab) has its best net quote from a venue that quoted after `sinceUs`: a
   * triangle open only against a quote not sent again since is a stale one's phantom.
   */
  private requoted(tri: number, cyc: number, sinceUs: number): boolean {
    const fx = this.layout!;
    const ab = fx.trianglePairs[tri * 3];
    const bc = fx.trianglePairs[tri * 3 + 1];
    const ac = fx.trianglePairs[tri * 3 + 2];
    return cyc === 0
      ? this.bestFresh(ab, 0, sinceUs) && this.bestFresh(bc, 0, sinceUs) && this.bestFresh(ac, 1, sinceUs)
      : this.bestFresh(ac, 0, sinceUs) && this.bestFresh(bc, 1, sinceUs) && this.bestFresh(ab, 1, sinceUs);
  }

  /** Whether the venue with the pair's best net bid (side 0) or ask (side 1) quoted after `sinceUs`. O(venues). */
  private bestFresh(pair: number, side: number, sinceUs: number): boolean {
    const instrument = this.first + pair;
    const q = this.quotes;
    const V = this.venues;
    const start = instrument * V * QUOTE_STRIDE + side;
    let best = NaN;
    let bestV = -1;
    for (let v = 0; v < V; v++) {
      const x = q[start + v * QUOTE_STRIDE];
      if (side === 0 ? x > best || best !== best : x < best || best !== best) {
        if (x === x) {
          best = x;
          bestV = v;
        }
      }
    }
    return bestV >= 0 && this.quoteUs[instrument * V + bestV] > sinceUs;
  }

  /** Open cycles of a triangle: bit 0 forward, bit 1 backward. */
  triangleState(triangle: number): number {
    return this.triangles[triangle];
  }

  /** Whether any triangle containing the instrument's pair is open. */
  pairOpen(instrument: number): boolean {
    const p = instrument - this.first;
    if (!(p >= 0 && p < this.pairs)) return false;
    const fx = this.layout!;
    for (let k = 0; k < fx.trianglesPerPair; k++) if (this.triangles[fx.pairTriangles[p * fx.trianglesPerPair + k]] !== 0) return true;
    return false;
  }
}

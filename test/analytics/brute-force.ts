/**
 * Brute-force references for the arbitrage detectors, from plain arrays of raw quotes: every
 * ordered venue pair for crosses, every triangle and both its cycles for FX. No incremental
 * state, nothing shared with the detectors but the fee arithmetic and the (written-once) cycle
 * formulas, which they must agree with to the last bit.
 */
import { buyFactor, fxLayout, sellFactor, type FxLayout } from '../../analytics/market-conventions.js';

export class BruteBook {
  readonly bids: number[][];
  readonly asks: number[][];
  private readonly sell: number[];
  private readonly buy: number[];

  constructor(
    instruments: number,
    readonly venues: number,
    feesBps: readonly number[],
  ) {
    this.bids = Array.from({ length: instruments }, () => new Array<number>(venues).fill(NaN));
    this.asks = Array.from({ length: instruments }, () => new Array<number>(venues).fill(NaN));
    this.sell = Array.from({ length: venues }, (_, v) => sellFactor(feesBps[v] ?? 0));
    this.buy = Array.from({ length: venues }, (_, v) => buyFactor(feesBps[v] ?? 0));
  }

  /** A side that is not a positive finite price is no quote. */
  set(instrument: number, venue: number, bid: number, ask: number): void {
    const valid = (p: number): number => (p > 0 && p < Infinity ? p : NaN);
    this.bids[instrument]![venue] = valid(bid);
    this.asks[instrument]![venue] = valid(ask);
  }

  netBid(i: number, v: number): number {
    return this.bids[i]![v]! * this.sell[v]!;
  }
  netAsk(i: number, v: number): number {
    return this.asks[i]![v]! * this.buy[v]!;
  }

  /** Whether venue v's quote crosses any other venue's, net of fees. */
  crossed(i: number, v: number): boolean {
    for (let w = 0; w < this.venues; w++) {
      if (w !== v && (this.netBid(i, v) > this.netAsk(i, w) || this.netBid(i, w) > this.netAsk(i, v))) return true;
    }
    return false;
  }

  bestNetBid(i: number): number {
    let best = NaN;
    for (let v = 0; v < this.venues; v++) {
      const b = this.netBid(i, v);
      if (!Number.isNaN(b) && !(b <= best)) best = b;
    }
    return best;
  }

  bestNetAsk(i: number): number {
    let best = NaN;
    for (let v = 0; v < this.venues; v++) {
      const a = this.netAsk(i, v);
      if (!Number.isNaN(a) && !(a >= best)) best = a;
    }
    return best;
  }
}

/** Open cycles of every triangle of the layout (bit 0 forward a→b→c→a, bit 1 backward), from scratch. */
export function bruteTriangles(book: BruteBook, fx: FxLayout): number[] {
  const negLnBid = (i: number): number => {
    const b = book.bestNetBid(i);
    return b > 0 ? -Math.log(b) : Infinity;
  };
  const lnAsk = (i: number): number => {
    const a = book.bestNetAsk(i);
    return a > 0 ? Math.log(a) : Infinity;
  };
  const out: number[] = [];
  for (let t = 0; t < fx.triangles; t++) {
    const [ab, bc, ac] = [0, 1, 2].map((k) => fx.first + fx.trianglePairs[t * 3 + k]!) as [number, number, number];
    // Selling a for b, b for c, buying a back with c; and the other way round.
    const forward = negLnBid(ab) + negLnBid(bc) + lnAsk(ac);
    const backward = negLnBid(ac) + lnAsk(bc) + lnAsk(ab);
    out.push((forward < 0 ? 1 : 0) | (backward < 0 ? 2 : 0));
  }
  return out;
}

/** The same cycles as products of rates (no logs): agrees with bruteTriangles away from break-even. */
export function productCycles(book: BruteBook, fx: FxLayout, t: number): [number, number] {
  const [ab, bc, ac] = [0, 1, 2].map((k) => fx.first + fx.trianglePairs[t * 3 + k]!) as [number, number, number];
  return [
    (book.bestNetBid(ab) * book.bestNetBid(bc)) / book.bestNetAsk(ac),
    book.bestNetBid(ac) / (book.bestNetAsk(bc) * book.bestNetAsk(ab)),
  ];
}

export { fxLayout };

/**
 * Conventions the analytics assume about the market, shared with the synthetic generator so
 * that both sides agree without configuration travelling through Kafka: the venues' taker fees
 * and the layout of the FX universe (which instruments are currency pairs, and the triangles
 * they form). Pure data and arithmetic; no per-tick allocation.
 */

/** Taker fee of venue v in bps by default: 0.10, 0.15, 0.20, 0.25, 0.30, then again from 0.10. */
export function defaultVenueFeeBps(venue: number): number {
  return 0.1 + 0.05 * (venue % 5);
}

/** The default fee schedule for up to 64 venues (a detector uses the first `venues` entries). */
export const DEFAULT_VENUE_FEES_BPS: readonly number[] = Object.freeze(Array.from({ length: 64 }, (_, v) => defaultVenueFeeBps(v)));

/** Net factors of a venue fee: what selling at the bid nets (1 − fee) and buying at the ask costs (1 + fee). */
export function sellFactor(feeBps: number): number {
  return 1 - feeBps * 1e-4;
}
export function buyFactor(feeBps: number): number {
  return 1 + feeBps * 1e-4;
}

export const FX_CURRENCY_NAMES = ['USD', 'EUR', 'JPY', 'GBP', 'CHF', 'AUD', 'CAD', 'NZD', 'SEK', 'NOK'] as const;
/** Value of one unit of each currency in USD, to start the synthetic FX market from plausible rates. */
export const FX_USD_VALUE: readonly number[] = [1, 1.08, 1 / 150, 1.27, 1 / 0.88, 0.66, 0.73, 0.61, 0.095, 0.094];
export const MAX_FX_CURRENCIES = FX_CURRENCY_NAMES.length;
/** Default FX universe: 5 currencies (10 pairs, 10 triangles) on instruments 20..29. */
export const DEFAULT_FX_CURRENCIES = 5;
export const DEFAULT_FX_FIRST_INSTRUMENT = 20;

/**
 * The FX universe: `currencies` currencies, every pair (a, b) with a < b quoted as the price of
 * one a in units of b, on instruments `first .. first + pairs − 1` in the order
 * (0,1), (0,2), ..., (0,C−1), (1,2), ... Every three currencies a < b < c form a triangle of the
 * pairs AB, BC and AC; its two cycles, in −log rates of what each leg nets after fees, are
 *
 *   a → b → c → a: sell a at bid(AB), sell b at bid(BC), buy a at ask(AC)
 *                  weight = −ln bidAB − ln bidBC + ln askAC
 *   a → c → b → a: sell a at bid(AC), buy b at ask(BC), buy a at ask(AB)
 *                  weight = −ln bidAC + ln askBC + ln askAB
 *
 * and a cycle of negative weight is an opportunity. All pairs share one key group (partition key).
 */
export interface FxLayout {
  currencies: number;
  first: number;
  pairs: number;
  triangles: number;
  /** Per pair: its base (a) and quote (b) currency. */
  base: Uint8Array;
  quote: Uint8Array;
  /** Per triangle: pair indices AB, BC, AC (3 per triangle). */
  trianglePairs: Uint16Array;
  /** Per pair: the currencies − 2 triangles containing it. */
  pairTriangles: Uint16Array;
  trianglesPerPair: number;
}

/** Pairs of `currencies` currencies. */
export function fxPairCount(currencies: number): number {
  return (currencies * (currencies - 1)) / 2;
}

/** Index of pair (a, b), a < b, in the layout's order. */
export function fxPairIndex(currencies: number, a: number, b: number): number {
  return a * currencies - (a * (a + 1)) / 2 + (b - a - 1);
}

/**
 * The FX universe for a market of `instruments`, or null when it is off (currencies 0) or does
 * not fit (fewer than first + pairs instruments). Both the generator and the analytics call this
 * with the same arguments, so they agree on which instruments are pairs.
 */
export function fxLayout(
  instruments: number,
  currencies: number = DEFAULT_FX_CURRENCIES,
  first: number = DEFAULT_FX_FIRST_INSTRUMENT,
): FxLayout | null {
  if (!Number.isInteger(currencies) || currencies < 0 || currencies > MAX_FX_CURRENCIES) {
    throw new RangeError(`fx currencies must be an integer in 0..${MAX_FX_CURRENCIES}, got ${currencies}`);
  }
  if (!Number.isInteger(first) || first < 0) throw new RangeError(`fx first instrument must be a non-negative integer, got ${first}`);
  if (currencies < 3) return null;
  const pairs = fxPairCount(currencies);
  if (first + pairs > instruments) return null;
  const base = new Uint8Array(pairs);
  const quote = new Uint8Array(pairs);
  for (let a = 0; a < currencies; a++) {
    for (let b = a + 1; b < currencies; b++) {
      const p = fxPairIndex(currencies, a, b);
      base[p] = a;
      quote[p] = b;
    }
  }
  const triangles = (currencies * (currencies - 1) * (currencies - 2)) / 6;
  const trianglesPerPair = currencies - 2;
  const trianglePairs = new Uint16Array(triangles * 3);
  const pairTriangles = new Uint16Array(pairs * trianglesPerPair);
  const filled = new Uint8Array(pairs);
  let t = 0;
  for (let a = 0; a < currencies; a++) {
    for (let b = a + 1; b < currencies; b++) {
      for (let c = b + 1; c < currencies; c++) {
        const legs = [fxPairIndex(currencies, a, b), fxPairIndex(currencies, b, c), fxPairIndex(currencies, a, c)];
        for (let k = 0; k < 3; k++) {
          trianglePairs[t * 3 + k] = legs[k]!;
          pairTriangles[legs[k]! * trianglesPerPair + filled[legs[k]!]++] = t;
        }
        t++;
      }
    }
  }
  return { currencies, first, pairs, triangles, base, quote, trianglePairs, pairTriangles, trianglesPerPair };
}

/**
 * Weights of a triangle's two cycles from its legs' −ln(best net bid) and ln(best net ask)
 * (+∞ when a side has no quote). Written once here so the generator's ground truth and the
 * detector add the same numbers in the same order and agree to the last bit.
 */
export function cycleWeightForward(negLnBidAB: number, negLnBidBC: number, lnAskAC: number): number {
  return negLnBidAB + negLnBidBC + lnAskAC;
}
export function cycleWeightBackward(negLnBidAC: number, lnAskBC: number, lnAskAB: number): number {
  return negLnBidAC + lnAskBC + lnAskAB;
}

/** −ln of a best net bid (+∞ when there is none: NaN or ≤ 0). */
export function negLnBid(bestNetBid: number): number {
  return bestNetBid > 0 ? -Math.log(bestNetBid) : Infinity;
}
/** ln of a best net ask (+∞ when there is none). */
export function lnAsk(bestNetAsk: number): number {
  return bestNetAsk > 0 && bestNetAsk < Infinity ? Math.log(bestNetAsk) : Infinity;
}

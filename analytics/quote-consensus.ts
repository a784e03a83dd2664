import {
  CROSS_TRADEABLE_STRIDE,
  CROSS_MID_STRIDE,
  CrossMidField,
  SCORER_CELL_STRIDE,
  ScorerField,
  crossMidTable,
  crossQuoteTable,
  crossTradeableTable,
  scorerCellTable,
  type AnalyticsSharedState,
} from './analytics-state.js';
import { TickSlot, createCurrentTick } from './current-tick.js';

/**
 * How a venue's quote stands against the instrument's consensus (the median mid of the venues'
 * latest quotes, and their median spread S), from its last three quotes as sent:
 *
 *   Consistent    within S of the consensus mid: an ordinary quote of the market.
 *   DepartedUp    its last two quotes are both more than S above the consensus and within S of
 *   DepartedDown  each other (the same book sent again), and it got there itself: the first of
 *                 them moved up from the quote before by at least S and its own spread (on a
 *                 tick grid a move of exactly one spread is one) (down likewise); once found,
 *                 it stays departed while its quotes stay off on that side and it has not
 *                 moved back by more than its own spread (its book may ride the market's
 *                 moves meanwhile). The venue's own book moved past the others': a real
 *                 price, and a cross against it is tradeable if the market, as another venue
 *                 saw it, never came to that level meanwhile (`witnesses`). Not for a venue the
 *                 source scorer finds off the consensus by habit (HABITUAL_DEVIATION): Off.
 *   Stale         more than S off and unchanged over its last three quotes: the market moved away
 *                 from it (a stale, frozen or lagging feed). A cross against it is a phantom.
 *   Off           more than S off otherwise: a single bad tick not sent again, or a venue that
 *                 sits off the consensus all the time (a biased feed). A phantom too.
 *   None          no quote.
 *
 * A cross needs a bid more than the two half spreads above an ask, so one of its legs is at
 * least about S off the consensus whatever the cause: what tells a real cross from a phantom is
 * whether that leg moved there itself and stayed (a re-sent quote), or was left behind.
 */
export const VenueClass = { None: 0, Consistent: 1, DepartedUp: 2, DepartedDown: 3, Stale: 4, Off: 5 } as const;
export type VenueClass = (typeof VenueClass)[keyof typeof VenueClass];

/** Whether a class is a quote a tradeable cross may use (consistent or departed). */
export function tradeableClass(c: number): boolean {
  return c === VenueClass.Consistent || c === VenueClass.DepartedUp || c === VenueClass.DepartedDown;
}

export function departedClass(c: number): boolean {
  return c === VenueClass.DepartedUp || c === VenueClass.DepartedDown;
}

/**
 * A venue whose quotes have sat this far off the consensus on average (the source scorer's EWMA of
 * squared deviations in consensus spreads: RMS half a spread) quotes off the others by habit (a
 * biased feed): its departures from the consensus are not moves of its own book.
 */
export const HABITUAL_DEVIATION = 0.25;
/** A habit needs a history: the deviation counts once the venue has this many samples (as the ranking's evalScoreWarmup). */
export const HABIT_MIN_SAMPLES = 20;

/**
 * A departure's own move must reach a spread: `move > ONE_SPREAD · spread` is "at least one
 * spread" on a tick grid, where a move of exactly one spread is common, with room for the
 * rounding of prices that are whole multiples of a tick size (a nil move with a nil spread fails).
 */
export const ONE_SPREAD = 1 - 1e-9;

/** The consensus needs this many quoting venues; with fewer nothing is classified (all None). */
export const MIN_CONSENSUS_VENUES = 3;

export class QuoteConsensus {
  private readonly mids: Float64Array;
  /** Per cell: send time of the latest quote (shared with the crossed-market detector's re-quote rule). */
  private readonly times: Float64Array;
  private readonly venues: number;
  private readonly sortedMids: Float64Array;
  private readonly sortedSpreads: Float64Array;
  /** The venue's latest mid and spread as sent (NaN: none). */
  mid(instrument: number, venue: number): number {
    return this.mids[(instrument * this.venues + venue) * CROSS_MID_STRIDE + CrossMidField.mid];
  }
  spread(instrument: number, venue: number): number {
    return this.mids[(instrument * this.venues + venue) * CROSS_MID_STRIDE + CrossMidField.spread];
  }

  /** The move between the venue's two quotes before the latest, signed (NaN: fewer than three). */
  moveBefore(instrument: number, venue: number): number {
    const o = (instrument * this.venues + venue) * CROSS_MID_STRIDE;
    return this.mids[o + CrossMidField.prevMid] - this.mids[o + CrossMidField.prevMid2];
  }

  /** When the venue's latest quote was sent (NaN: none, or untimed). */
  quoteUs(instrument: number, venue: number): number {
    return this.times[instrument * this.venues + venue];
  }

  /** When a departed venue's departure began: the send time of the first of its off quotes. */
  departedUs(instrument: number, venue: number): number {
    return this.mids[(instrument * this.venues + venue) * CROSS_MID_STRIDE + CrossMidField.departedUs];
  }

  /**
   * Whether venue w witnesses that departed venue u moved on its own: w is consistent with the
   * consensus now, its latest quote was sent at least a feed lag (`lagUs`) after u's departure,
   * and u's latest quote crosses (before fees) every quote w sent from a feed lag before the
   * departure until now. A market move u showed early or late would have reached w's feed
   * within that span, so w would have quoted u's level at some point in it; a quote u is alone
   * at all along is u's own. (w's spread then is taken to be its latest; NaN spans, which do not
   * reach back far enough, fail.) Call after `classify`.
   */
  witnesses(instrument: number, w: number, u: number, lagUs: number): boolean {
    if (this.classes[w] !== VenueClass.Consistent) return false;
    const m = this.mids;
    const V = this.venues;
    const ou = (instrument * V + u) * CROSS_MID_STRIDE;
    const ow = (instrument * V + w) * CROSS_MID_STRIDE;
    const departedUs = m[ou + CrossMidField.departedUs];
    if (!(this.times[instrument * V + w] >= departedUs + lagUs)) return false;
    const sinceUs = departedUs - lagUs;
    // The span is covered by w's current steady run, or by it and the run before.
    const inRun = m[ow + CrossMidField.steadyUs] <= sinceUs;
    if (!inRun && !(m[ow + CrossMidField.runBeforeUs] <= sinceUs)) return false;
    const low = inRun ? m[ow + CrossMidField.low] : Math.min(m[ow + CrossMidField.low], m[ow + CrossMidField.runBeforeLow]);
    const high = inRun ? m[ow + CrossMidField.high] : Math.max(m[ow + CrossMidField.high], m[ow + CrossMidField.runBeforeHigh]);
    const halves = 0.5 * (m[ou + CrossMidField.spread] + m[ow + CrossMidField.spread]);
    const mu = m[ou + CrossMidField.mid];
    return this.classes[u] === VenueClass.DepartedUp ? mu - halves > high : low - halves > mu;
  }

  /** The source scorer's cells (read only): each venue's long-run deviation from the consensus. */
  private readonly scorer: Float64Array;

  /**
   * Per instrument, +2: venues whose move before the latest quote exceeds their spread (`movers`);
   * +3: venues holding a departure found before (`holdsDeparture`).
   */
  private readonly counts: Uint8Array;

  /** Filled by `classify`: a VenueClass per venue. */
  readonly classes: Uint8Array;
  /** Set by `classify`: the consensus mid and spread (NaN with too few venues). */
  consensusMid = NaN;
  consensusSpread = NaN;

  /** The tick `recordTick` reads (analytics/current-tick.ts): the analyzer's, shared by its detectors. */
  readonly tick: Float64Array;

  constructor(state: AnalyticsSharedState, tick: Float64Array = createCurrentTick()) {
    this.tick = tick;
    this.mids = crossMidTable(state);
    this.times = crossQuoteTable(state);
    this.counts = crossTradeableTable(state);
    this.scorer = scorerCellTable(state);
    this.venues = state.dims.venues;
    this.sortedMids = new Float64Array(this.venues);
    this.sortedSpreads = new Float64Array(this.venues);
    this.classes = new Uint8Array(this.venues);
  }

  /**
   * Records a quote as the venue sent it (a tick judged bad included: its re-send, or not, is
   * what tells a bad tick from a move). Not a positive finite bid ≤ ask: recorded as no quote.
   * Returns 1 when the venue's previous quote was one (0 otherwise): an integer, not a double,
   * so that nothing is boxed per tick.
   */
  record(instrument: number, venue: number, bid: number, ask: number, nowUs: number): number {
    const k = this.tick;
    k[TickSlot.bid] = bid;
    k[TickSlot.ask] = ask;
    k[TickSlot.timeUs] = nowUs;
    return this.recordTick(instrument, venue);
  }

  /** `record` with the quote already in `tick` (bid, ask, timeUs): no double crosses the call. */
  recordTick(instrument: number, venue: number): number {
    const k = this.tick;
    const bid = k[TickSlot.bid];
    const ask = k[TickSlot.ask];
    const nowUs = k[TickSlot.timeUs];
    const m = this.mids;
    const cell = instrument * this.venues + venue;
    const o = cell * CROSS_MID_STRIDE;
    const previous = m[o + CrossMidField.mid];
    const wasMover = mover(m[o + CrossMidField.prevMid] - m[o + CrossMidField.prevMid2], m[o + CrossMidField.spread]);
    m[o + CrossMidField.prevMid2] = m[o + CrossMidField.prevMid];
    m[o + CrossMidField.prevMid] = previous;
    m[o + CrossMidField.prevUs] = this.times[cell];
    this.times[cell] = nowUs;
    // Not `valid ? … : NaN`: Turbofan (V8 11) gives a conditional with a NaN arm a tagged value,
    // a heap number allocated per tick each (the replay's largest allocation site); an
    // assignment in an `if` stays a double.
    let mid = NaN;
    let spread = NaN;
    if (bid > 0 && ask >= bid && ask < Infinity) {
      mid = 0.5 * (bid + ask);
      spread = ask - bid;
    }
    m[o + CrossMidField.mid] = mid;
    m[o + CrossMidField.spread] = spread;
    this.counts[CROSS_TRADEABLE_STRIDE * instrument + 2] += mover(previous - m[o + CrossMidField.prevMid2], spread) - wasMover;
    // A held departure ends when the venue moves back by more than its own spread (or stops
    // quoting): its dislocation is over. It outlasts the steady run, which a dislocated book
    // riding the market's moves soon leaves; classify also ends it, but runs on few ticks.
    if (m[o + CrossMidField.departedUs] === m[o + CrossMidField.departedUs]) {
      const back = m[o + CrossMidField.departedSide] > 0 ? previous - mid : mid - previous;
      if (!(back <= spread)) {
        m[o + CrossMidField.departedUs] = NaN;
        this.counts[CROSS_TRADEABLE_STRIDE * instrument + 3]--;
      }
    }
    // A quote more than its own spread from any of the run's (or no quote) starts a new steady run.
    const low = mid < m[o + CrossMidField.low] ? mid : m[o + CrossMidField.low];
    const high = mid > m[o + CrossMidField.high] ? mid : m[o + CrossMidField.high];
    if (high - low <= spread) {
      m[o + CrossMidField.low] = low;
      m[o + CrossMidField.high] = high;
    } else {
      m[o + CrossMidField.runBeforeLow] = m[o + CrossMidField.low];
      m[o + CrossMidField.runBeforeHigh] = m[o + CrossMidField.high];
      m[o + CrossMidField.runBeforeUs] = m[o + CrossMidField.steadyUs];
      m[o + CrossMidField.low] = mid;
      m[o + CrossMidField.high] = mid;
      m[o + CrossMidField.steadyUs] = nowUs;
    }
    return previous === previous ? 1 : 0;
  }

  /**
   * Whether some venue of the instrument could be departed: one moved by more than its own
   * spread between its two quotes before the latest, or holds a departure found before. O(1),
   * kept up by `record` and `classify`: spares
   * `classify` on most ticks of a crossed book.
   */
  mayHaveDeparted(instrument: number): boolean {
    const t = CROSS_TRADEABLE_STRIDE * instrument;
    return this.counts[t + 2] > 0 || this.counts[t + 3] > 0;
  }

  /** Whether some venue of the instrument holds a departure found before (see classify). O(1). */
  holdsDeparture(instrument: number): boolean {
    return this.counts[CROSS_TRADEABLE_STRIDE * instrument + 3] > 0;
  }

  /**
   * Classifies every venue of the instrument into `classes`. Returns false (all None) when fewer
   * than MIN_CONSENSUS_VENUES venues quote. O(venues²) at worst (insertion sorts of ≤ 64 values),
   * for the rare ticks on which a cross or a triangle is open; no allocation.
   */
  classify(instrument: number): boolean {
    const m = this.mids;
    const V = this.venues;
    const base = instrument * V * CROSS_MID_STRIDE;
    const cls = this.classes;
    const sm = this.sortedMids;
    const ss = this.sortedSpreads;
    let n = 0;
    for (let v = 0; v < V; v++) {
      const o = base + v * CROSS_MID_STRIDE;
      const mid = m[o + CrossMidField.mid];
      if (!(mid === mid)) continue;
      insertSorted(sm, n, mid);
      insertSorted(ss, n, m[o + CrossMidField.spread]);
      n++;
    }
    cls.fill(VenueClass.None);
    if (n < MIN_CONSENSUS_VENUES) {
      this.consensusMid = NaN;
      this.consensusSpread = NaN;
      return false;
    }
    const h = n >> 1;
    const c = (n & 1) === 1 ? sm[h] : 0.5 * (sm[h - 1] + sm[h]);
    const s = (n & 1) === 1 ? ss[h] : 0.5 * (ss[h - 1] + ss[h]);
    this.consensusMid = c;
    this.consensusSpread = s;
    for (let v = 0; v < V; v++) {
      const o = base + v * CROSS_MID_STRIDE;
      const m1 = m[o + CrossMidField.mid];
      if (!(m1 === m1)) continue;
      const m2 = m[o + CrossMidField.prevMid];
      const m3 = m[o + CrossMidField.prevMid2];
      const d1 = m1 - c;
      const d2 = m2 - c;
      const moved = m2 - m3;
      // The same book sent twice: a bad tick followed by another off quote is no departure.
      const resent = m1 - m2 <= s && m2 - m1 <= s && mover(moved, ONE_SPREAD * m[o + CrossMidField.spread]) === 1;
      // A venue found departed stays so while it has not moved back (record() ends the departure
      // on a move back by more than its spread) and quotes off the consensus on the same side: its
      // later quotes re-send the departed book, riding the market's moves.
      const side = m[o + CrossMidField.departedSide];
      const stays = m[o + CrossMidField.departedUs] === m[o + CrossMidField.departedUs];
      // Its own move, unless it sits off the others by habit (then Off, as a biased feed).
      const sc = (instrument * V + v) * SCORER_CELL_STRIDE;
      const own = !(this.scorer[sc + ScorerField.dev] >= HABITUAL_DEVIATION && this.scorer[sc + ScorerField.devN] >= HABIT_MIN_SAMPLES);
      // NaN history (fewer than three quotes) fails every test below: Off until there is one.
      if (d1 <= s && d1 >= -s) cls[v] = VenueClass.Consistent;
      else if (own && d1 > s && ((d2 > s && moved > ONE_SPREAD * s && resent) || (stays && side > 0))) cls[v] = VenueClass.DepartedUp;
      else if (own && d1 < -s && ((d2 < -s && -moved > ONE_SPREAD * s && resent) || (stays && side < 0))) cls[v] = VenueClass.DepartedDown;
      else if (m1 === m2 && m2 === m3) cls[v] = VenueClass.Stale;
      else cls[v] = VenueClass.Off;
      const departed = cls[v] === VenueClass.DepartedUp || cls[v] === VenueClass.DepartedDown;
      const newSide = cls[v] === VenueClass.DepartedUp ? 1 : -1;
      // A new departure, or one to the other side while an old one was held (the venue re-sent a
      // book past the consensus the other way: a departure of its own, from its own time).
      if (departed && !(stays && side === newSide)) {
        m[o + CrossMidField.departedUs] = m[o + CrossMidField.prevUs];
        m[o + CrossMidField.departedSide] = newSide;
        if (!stays) this.counts[CROSS_TRADEABLE_STRIDE * instrument + 3]++;
      } else if (!departed && stays) {
        m[o + CrossMidField.departedUs] = NaN;
        this.counts[CROSS_TRADEABLE_STRIDE * instrument + 3]--;
      }
    }
    return true;
  }
}

/** 1 when a move exceeds the spread either way (0 with NaN). */
function mover(move: number, spread: number): number {
  return move > spread || -move > spread ? 1 : 0;
}

/** Inserts x (not NaN) into the ascending prefix a[0..n). */
function insertSorted(a: Float64Array, n: number, x: number): void {
  let k = n;
  while (k > 0 && !(a[k - 1] <= x)) {
    a[k] = a[k - 1];
    k--;
  }
  a[k] = x;
}

import {
  cycleWeightBackward,
  cycleWeightForward,
  DEFAULT_FX_CURRENCIES,
  DEFAULT_FX_FIRST_INSTRUMENT,
  defaultVenueFeeBps,
  FX_USD_VALUE,
  fxLayout,
  lnAsk,
  negLnBid,
  type FxLayout,
} from '../analytics/market-conventions.js';
import { TICK_EVENT_SHIFT, TickEvent, TickFlag } from '../wire/tick-frame.js';
import { Prng } from './prng.js';

/**
 * A market with a hidden fair value per instrument, quoted by venues that see it late, noisily
 * and sometimes not at all; the truth (fair value, the fault schedule) stays beside the stream in
 * a `MarketTruth` keyed by seq and never rides in the ticks (their wire `flags` are 0).
 *
 * Fair value: log price with Student-t(ν) innovations scaled by a GARCH(1,1) variance per
 * instrument (heavy tails, volatility clustering), plus market-wide news jumps every instrument
 * takes at once. Venue v quotes the fair value as it was `lagUs[v]` ago (feed lag 0–50 ms), times
 * its own slowly varying noise (graded across venues), rounded to the instrument's tick grid,
 * with its own spread in whole ticks; a tick goes to a venue whose quote changed (feeds publish
 * on change). Now and then a venue resends its previous quote (stale but plausible).
 *
 * Faults, from the schedule: single-tick spikes sized in units of the cell's true return σ
 * (measured on the clean quotes the venue would have sent), decimal shifts, and venue
 * dislocations (a venue's own book moves past the others': a tradeable cross). A cross of the
 * quotes whose truth book (every venue quoting the current fair value, no lag, no staleness, no
 * bad tick) does not cross is a phantom.
 *
 * FX: with `fxCurrencies` ≥ 3 (and room for the pairs), instruments DEFAULT_FX_FIRST_INSTRUMENT..
 * are the currency pairs of the analytics' FX layout (analytics/market-conventions.ts), their fair
 * values cross rates of per-currency fair values (USD the numeraire), so fair triangles are
 * consistent and only a venue's dislocation opens one in the truth; a triangle open in the quotes
 * (lag, noise, stale, bad ticks) but not in the fair cross rates is a phantom.
 */
export interface FairValueMarketOptions {
  seed: number;
  instruments: number;
  venues: number;
  /** Intended ticks per second (sets how much fair time passes per tick). */
  ratePerSec: number;
  /** Tick size in bps of the instrument's starting price. */
  tickBps: number;
  /** Fair-value volatility, bps per √second, before the GARCH clustering. */
  volBpsPerSqrtSec: number;
  /** Student-t degrees of freedom of the fair-value innovations. */
  tailNu: number;
  /** Per venue quote noise: base + step·rank (bps), rank a seeded permutation of 0..venues-1. */
  noiseBaseBps: number;
  noiseStepBps: number;
  /** Largest venue feed lag, ms (each venue gets a seeded lag in 0..maxLagMs). */
  maxLagMs: number;
  /** Probability that a tick resends the venue's previous quote. */
  staleProb: number;
  /** Probability per tick of a market-wide news jump, and its size in bps (sign random). */
  newsProb: number;
  newsBps: number;
  /** Probability per tick of a spike; its size is uniform in spikeMinSigma..spikeMaxSigma. */
  spikeProb: number;
  spikeMinSigma: number;
  spikeMaxSigma: number;
  /** Probability per tick of a ×10 / ÷10 decimal shift. */
  decimalShiftProb: number;
  /** Probability per tick of a venue dislocation, how far past the best opposite quote (bps) and for how many of the venue's updates. */
  dislocationProb: number;
  dislocationBps: number;
  dislocationUpdates: number;
  /** The venues' quoted spread in ticks (spread of venue v: spreadTicks + v % 3). */
  spreadTicks: number;
  /**
   * Faulty sources: on every this-many-th instrument (0 = none), from a fifth of the stream on,
   * one seeded venue quotes `biasTicks` ticks too high and another freezes for good.
   */
  faultyEvery: number;
  biasTicks: number;
  /** Currencies of the FX universe (0: none; it is also off when its pairs do not fit the instruments). */
  fxCurrencies: number;
  /** Instruments are spread over this many key groups (record key / partition), `instrument % keyGroups`. */
  keyGroups: number;
}

export const FAIR_VALUE_MARKET_DEFAULTS: Readonly<Omit<FairValueMarketOptions, 'seed'>> = Object.freeze({
  instruments: 50,
  venues: 12,
  // Market time per tick: 2,000 ticks/s over 50 instruments × 12 venues is a quote per venue
  // every 0.3 s and per instrument every 25 ms, so a 50 ms feed lag spans a couple of moves.
  ratePerSec: 2_000,
  tickBps: 1,
  // About 1.5 %/√day: a busy, fairly volatile instrument (20 % a year is ~0.8 bp/√s).
  volBpsPerSqrtSec: 2,
  tailNu: 4,
  noiseBaseBps: 0.05,
  noiseStepBps: 0.05,
  maxLagMs: 50,
  staleProb: 0.02,
  newsProb: 1e-5,
  newsBps: 40,
  spikeProb: 2e-3,
  spikeMinSigma: 2,
  spikeMaxSigma: 12,
  decimalShiftProb: 2e-4,
  dislocationProb: 2e-4,
  dislocationBps: 3,
  dislocationUpdates: 3,
  spreadTicks: 2,
  faultyEvery: 10,
  biasTicks: 3,
  fxCurrencies: DEFAULT_FX_CURRENCIES,
  keyGroups: 1,
});

/**
 * What regenerates a generated stream, and so its truth, exactly: the market's seed and options,
 * the schedule (start, rate; tick k was generated at startUs + k·10⁶/ratePerSec) and the stream's
 * length. `checksum` (the sum of every bid and ask sent) proves a regeneration matches.
 */
export interface FairValueStreamSpec {
  market: 'fair-value';
  seed: number;
  options: Omit<FairValueMarketOptions, 'seed'>;
  /** The schedule's length: the truth's capacity, and where the faulty sources start. */
  ticks: number;
  startUs: number;
  ratePerSec: number;
  generated: number;
  checksum: number;
}

/**
 * The fair-value market of a run: its size and time scale from the run, the rest at defaults;
 * `inject` null turns bad ticks, dislocations and faulty sources off, `scale` multiplies their rates.
 */
export function fairValueOptionsFor(
  run: { instruments: number; venues: number; ratePerSec: number; inject?: { scale?: number } | null },
  keyGroups: number,
): Omit<FairValueMarketOptions, 'seed'> {
  const d = FAIR_VALUE_MARKET_DEFAULTS;
  const scale = run.inject == null ? 0 : (run.inject.scale ?? 1);
  return {
    ...d,
    instruments: run.instruments,
    venues: run.venues,
    ratePerSec: run.ratePerSec,
    keyGroups,
    spikeProb: Math.min(1, d.spikeProb * scale),
    decimalShiftProb: Math.min(1, d.decimalShiftProb * scale),
    dislocationProb: Math.min(1, d.dislocationProb * scale),
    faultyEvery: run.inject == null ? 0 : d.faultyEvery,
  };
}

/** What a tick is, in the truth: spikes and decimal shifts are bad ticks; the rest are clean. */
export const TruthKind = { Clean: 0, Spike: 1, DecimalShift: 2, Stale: 3, Dislocation: 4, FaultySource: 5 } as const;

/**
 * The side channel: one entry per seq (in-process; a split run would write it to the loadgen part
 * file). Plain typed arrays, filled as ticks are generated.
 */
export interface MarketTruth {
  ticks: number;
  instrument: Uint32Array;
  venue: Uint16Array;
  kind: Uint8Array;
  /** Bad ticks: |log error| in units of the cell's true return σ (0 for clean ticks). */
  sizeSigma: Float32Array;
  /** 1 when, after this tick, the truth book of the instrument crosses net of fees (tradeable). */
  tradeable: Uint8Array;
  /** 1 when, after this tick, the quoted book crosses net of fees while the truth book does not (phantom). */
  phantom: Uint8Array;
  /** 1 when, after this tick, the quoted book crosses with no fees at all (the naive baseline's view). */
  naiveCross: Uint8Array;
  /**
   * FX ticks: 1 when, after this tick, a triangle containing the pair is open net of fees in the
   * fair cross rates' book (tradeable); open in the quoted book only (phantom); open in the quoted
   * book with no fees (the naive baseline's view).
   */
  triTradeable: Uint8Array;
  triPhantom: Uint8Array;
  triNaive: Uint8Array;
  /**
   * The tick's TickFlag bits (wire/tick-frame.ts), as the side channel carries them: InjectedOutlier
   * with the Spike / DecimalShift event on bad ticks, InjectedFrozen on a frozen source's ticks, and
   * the TickEvent of a faulty source's first tick on a panel instrument (BiasedSource, FrozenSource).
   */
  labels: Uint16Array;
  /** The faulty venues (−1: none). */
  biasedVenue: number;
  frozenVenue: number;
  /** Seqs of the ticks on which a market-wide news jump happened (genuine moves, never labelled bad). */
  newsSeqs: number[];
  /** Per venue: quote noise (bps), feed lag (µs) and fee (bps). */
  noiseBps: Float64Array;
  /**
   * Per venue: mean |log(quoted mid / fair value now)| over its clean ticks, bps:
   * what its quotes are worth as a source (noise, lag and staleness together); the ranking's truth.
   */
  errorBps: Float64Array;
  lagUs: Float64Array;
  feeBps: Float64Array;
}

/**
 * Fair-value records kept per instrument for the lagging venues: enough for the moves an
 * instrument makes within the largest lag (4× the expected count, at least 16), at most 512.
 */
export function lagRingSize(o: Pick<FairValueMarketOptions, 'ratePerSec' | 'instruments' | 'maxLagMs'>): number {
  const moves = (o.ratePerSec / o.instruments) * (o.maxLagMs / 1000);
  let size = 16;
  while (size < 512 && size < 4 * moves + 8) size *= 2;
  return size;
}

/** Slots of FairValueMarket.scratch. */
const OUT = 0;
const DT = 1;
const DT_TICK = 2;

export class FairValueMarket {
  readonly o: FairValueMarketOptions;
  readonly truth: MarketTruth;
  // The current tick, read after nextTick() like MarketModel's fields.
  instrument = 0;
  venue = 0;
  bid = 0;
  ask = 0;
  bidSize = 1;
  askSize = 1;
  keyGroup = 0;
  /** The tick's TickFlag labels (wire/tick-frame.ts) for the side channel; never written to the wire. */
  flags = 0;
  /** The intended time of the last tick, µs. */
  intendedUs = 0;
  /** Running sum of every tick's bid and ask: a regenerated stream must reproduce it exactly. */
  checksum = 0;
  readonly keyGroups: number;
  readonly instruments: number;
  readonly venues: number;
  /** Whether per-tick truth is kept (scoring) or only the stream is generated (a run). */
  readonly recording: boolean;
  private readonly lagRing: number;
  private readonly rng: Prng;
  private readonly tick: Float64Array;
  private readonly logFair: Float64Array;
  private readonly garchH: Float64Array;
  private readonly lastUs: Float64Array;
  private readonly ringT: Float64Array;
  private readonly ringF: Float64Array;
  private readonly ringHead: Uint32Array;
  private readonly cellMid: Float64Array;
  private readonly cellBid: Float64Array;
  private readonly cellAsk: Float64Array;
  /** Per cell: the noise and dislocation (log) of the venue's latest quote: its book now is fair now + these. */
  private readonly noiseNow: Float64Array;
  private readonly dislocNow: Float64Array;
  private readonly errSum: Float64Array;
  /** Per cell: the quote last sent (bad ticks and faulty sources included): the book a feed reader sees. */
  private readonly wireBid: Float64Array;
  private readonly wireAsk: Float64Array;
  /** Per cell: 1 once its faulty source started (its first faulty tick carries the label). */
  private readonly faultStarted: Uint8Array;
  private readonly faultFromSeq: number;
  /**
   * Scheduled venue updates: a binary min-heap of due times with their cells (at most one entry
   * per cell, which pendingFlag marks), so taking the earliest costs O(log pending) however many
   * cells wait out their feed lag at a high tick rate.
   */
  private readonly heapDue: Float64Array;
  private readonly heapCell: Int32Array;
  private heapSize = 0;
  private readonly pendingFlag: Uint8Array;
  private readonly errN: Float64Array;
  private readonly cellVar: Float64Array;
  private readonly cellN: Uint32Array;
  private readonly dislocLeft: Uint16Array;
  private readonly dislocSign: Int8Array;
  private readonly sellF: Float64Array;
  private readonly buyF: Float64Array;
  private seq = 0;
  readonly fx: FxLayout | null;
  private readonly fxFirst: number;
  private readonly fxPairs: number;
  /** Per currency: log USD value, GARCH variance, last move time (FX pairs' fair values are their cross rates). */
  private readonly curLog: Float64Array;
  private readonly curH: Float64Array;
  private readonly curLast: Float64Array;
  /** Per triangle leg: best net bid and ask, truth / quoted / fee-less quoted (scratch of labelTriangles). */
  private readonly legs = new Float64Array(6);
  /**
   * [OUT] a double result (Student-t draw, lagged fair value),
   * [DT] a step's length, [DT_TICK] the time between ticks (the step of a first move), s. Doubles
   * cross calls here: one passed as an argument to, or returned from, a call that is not inlined
   * is boxed, an allocation per tick. (DT_TICK is here rather than a field because the field's
   * value merged with a computed dt was boxed on every move.)
   */
  private readonly scratch = new Float64Array(3);
  /** √(ν/(ν−2)): scales a Student-t draw to unit variance (a root per fair move saved). */
  private readonly tScale: number;
  /** [0] the intended time of the tick `generate` makes (TickModel.tickTime). */
  readonly tickTime = new Float64Array(1);
  private readonly omega: number;

  /**
   * @param options.ticks the stream's length: the truth's capacity (per-tick truth is kept for
   *   that many ticks), and where the faulty sources start (a fifth of it).
   * @param options.recordTicks keep per-tick truth for the first this-many ticks only (default: all).
   * @param options.record false: keep no per-tick truth (a run: the stream is regenerated with
   *   record on to be scored, run/run-quality.ts); the per-venue truth is kept either way.
   */
  constructor(options: Partial<FairValueMarketOptions> & { seed: number; ticks: number; record?: boolean; recordTicks?: number }) {
    const { ticks: total, record, recordTicks, ...given } = options;
    const o: FairValueMarketOptions = { ...FAIR_VALUE_MARKET_DEFAULTS, ...given };
    this.o = o;
    const { instruments: I, venues: V } = o;
    if (!Number.isInteger(I) || I < 1 || !Number.isInteger(V) || V < 2 || V > 64) {
      throw new RangeError(`fair-value market needs ≥ 1 instrument and 2..64 venues, got ${I} × ${V}`);
    }
    if (!Number.isInteger(o.keyGroups) || o.keyGroups < 1 || o.keyGroups > I) {
      throw new RangeError(`fair-value market key groups must be an integer in 1..${I}, got ${o.keyGroups}`);
    }
    this.keyGroups = o.keyGroups;
    this.instruments = I;
    this.venues = V;
    this.recording = record ?? true;
    this.lagRing = lagRingSize(o);
    this.rng = new Prng(o.seed);
    const n = this.recording ? Math.min(total, recordTicks ?? total) : 0;
    this.truth = {
      ticks: 0,
      instrument: new Uint32Array(n),
      venue: new Uint16Array(n),
      kind: new Uint8Array(n),
      sizeSigma: new Float32Array(n),
      tradeable: new Uint8Array(n),
      phantom: new Uint8Array(n),
      naiveCross: new Uint8Array(n),
      triTradeable: new Uint8Array(n),
      triPhantom: new Uint8Array(n),
      triNaive: new Uint8Array(n),
      labels: new Uint16Array(n),
      biasedVenue: -1,
      frozenVenue: -1,
      newsSeqs: [],
      noiseBps: new Float64Array(V),
      errorBps: new Float64Array(V),
      lagUs: new Float64Array(V),
      feeBps: new Float64Array(V),
    };
    const rank = Array.from({ length: V }, (_, v) => v);
    for (let k = V - 1; k > 0; k--) {
      const j = this.rng.nextBelow(k + 1);
      [rank[k], rank[j]] = [rank[j]!, rank[k]!];
    }
    this.sellF = new Float64Array(V);
    this.buyF = new Float64Array(V);
    for (let v = 0; v < V; v++) {
      this.truth.noiseBps[v] = o.noiseBaseBps + o.noiseStepBps * rank[v]!;
      this.truth.lagUs[v] = this.rng.nextFloat() * o.maxLagMs * 1000;
      this.truth.feeBps[v] = defaultVenueFeeBps(v);
      this.sellF[v] = 1 - this.truth.feeBps[v]! * 1e-4;
      this.buyF[v] = 1 + this.truth.feeBps[v]! * 1e-4;
    }
    this.tick = new Float64Array(I);
    this.logFair = new Float64Array(I);
    this.garchH = new Float64Array(I);
    this.lastUs = new Float64Array(I).fill(NaN);
    const LAG_RING = this.lagRing;
    this.ringT = new Float64Array(I * LAG_RING).fill(-Infinity);
    this.ringF = new Float64Array(I * LAG_RING);
    this.ringHead = new Uint32Array(I);
    this.scratch[DT_TICK] = 1 / o.ratePerSec;
    // Unconditional variance per second of the GARCH(1,1) with α = 0.06, β = 0.92.
    this.omega = 0.02;
    this.tScale = Math.sqrt(o.tailNu / (o.tailNu - 2));
    this.fx = o.fxCurrencies >= 3 ? fxLayout(I, o.fxCurrencies, DEFAULT_FX_FIRST_INSTRUMENT) : null;
    this.fxFirst = this.fx?.first ?? 0;
    this.fxPairs = this.fx?.pairs ?? 0;
    const C = this.fx?.currencies ?? 0;
    this.curLog = new Float64Array(C);
    this.curH = new Float64Array(C).fill(1);
    this.curLast = new Float64Array(C).fill(NaN);
    for (let k = 0; k < C; k++) this.curLog[k] = Math.log(FX_USD_VALUE[k]!);
    for (let i = 0; i < I; i++) {
      // Drawn for every instrument, so the FX universe leaves the other instruments' prices as they were.
      const drawn = 20 + this.rng.nextFloat() * 200;
      const p = i - this.fxFirst;
      const price = p >= 0 && p < this.fxPairs ? Math.exp(this.curLog[this.fx!.base[p]!]! - this.curLog[this.fx!.quote[p]!]!) : drawn;
      this.tick[i] = price * o.tickBps * 1e-4;
      this.logFair[i] = Math.log(price);
      this.garchH[i] = 1;
      for (let k = 0; k < LAG_RING; k++) this.ringF[i * LAG_RING + k] = this.logFair[i]!;
    }
    const cells = I * V;
    this.cellMid = new Float64Array(cells).fill(NaN);
    this.cellBid = new Float64Array(cells).fill(NaN);
    this.cellAsk = new Float64Array(cells).fill(NaN);
    this.noiseNow = new Float64Array(cells).fill(NaN);
    this.dislocNow = new Float64Array(cells);
    this.errSum = new Float64Array(V);
    this.errN = new Float64Array(V);
    this.pendingFlag = new Uint8Array(cells);
    this.heapDue = new Float64Array(cells);
    this.heapCell = new Int32Array(cells);
    this.cellVar = new Float64Array(cells);
    this.cellN = new Uint32Array(cells);
    this.dislocLeft = new Uint16Array(cells);
    this.dislocSign = new Int8Array(cells);
    this.wireBid = new Float64Array(cells).fill(NaN);
    this.wireAsk = new Float64Array(cells).fill(NaN);
    this.faultStarted = new Uint8Array(cells);
    this.faultFromSeq = Math.floor(total / 5);
    if (o.faultyEvery > 0) {
      this.truth.biasedVenue = this.rng.nextBelow(V);
      this.truth.frozenVenue = (this.truth.biasedVenue + 1 + this.rng.nextBelow(V - 1)) % V;
    }
  }

  /** Student-t(ν) scaled to unit variance, into scratch[OUT]. */
  private studentT(): void {
    const nu = this.o.tailNu;
    let chi = 0;
    const rng = this.rng;
    const drawn = rng.drawn;
    for (let k = 0; k < nu; k++) {
      rng.drawGaussian();
      const g = drawn[0]!;
      chi += g * g;
    }
    rng.drawGaussian();
    this.scratch[OUT] = drawn[0]! / Math.sqrt(chi / nu) / this.tScale;
  }

  private isFx(i: number): boolean {
    return i >= this.fxFirst && i - this.fxFirst < this.fxPairs;
  }

  /** The instrument's fair value now (log): an FX pair's is the cross rate of its currencies' values now. */
  private fairNow(i: number): number {
    const p = i - this.fxFirst;
    if (p >= 0 && p < this.fxPairs) return this.curLog[this.fx!.base[p]!]! - this.curLog[this.fx!.quote[p]!]!;
    return this.logFair[i]!;
  }

  /** One GARCH–Student-t step of a log value over scratch[DT] seconds; updates the variance state. */
  private step(log: Float64Array, h: Float64Array, k: number): void {
    const dt = this.scratch[DT]!;
    if (!(dt > 0)) return;
    const hk = h[k]!;
    this.studentT();
    const eps = this.scratch[OUT]!;
    log[k] += this.o.volBpsPerSqrtSec * 1e-4 * Math.sqrt(hk * dt) * eps;
    // GARCH(1,1) on the standardised shock: h' = ω + α ε² h + β h, mean 1.
    h[k] = this.omega + 0.06 * eps * eps * hk + 0.92 * hk;
  }

  /** Advances an FX pair's currency to the tick's time (USD, the numeraire, stays put). */
  private advanceCurrency(c: number): void {
    if (c === 0) return;
    const nowUs = this.tickTime[0]!;
    const last = this.curLast[c]!;
    this.curLast[c] = nowUs;
    this.scratch[DT] = last === last ? (nowUs - last) * 1e-6 : this.scratch[DT_TICK]!;
    this.step(this.curLog, this.curH, c);
  }

  /** Advances the instrument's fair value to the tick's time and records it for the lagging venues. */
  private advance(i: number): void {
    const nowUs = this.tickTime[0]!;
    if (this.isFx(i)) {
      const p = i - this.fxFirst;
      this.advanceCurrency(this.fx!.base[p]!);
      this.advanceCurrency(this.fx!.quote[p]!);
      this.logFair[i] = this.curLog[this.fx!.base[p]!]! - this.curLog[this.fx!.quote[p]!]!; // fairNow(i)
      this.record(i);
      return;
    }
    const last = this.lastUs[i]!;
    const dt = last === last ? (nowUs - last) * 1e-6 : this.scratch[DT_TICK]!;
    this.lastUs[i] = nowUs;
    if (dt > 0) {
      const h = this.garchH[i]!;
      this.studentT();
      const eps = this.scratch[OUT]!;
      const sigma = this.o.volBpsPerSqrtSec * 1e-4 * Math.sqrt(h * dt);
      this.logFair[i] += sigma * eps;
      // GARCH(1,1) on the standardised shock: h' = ω + α ε² h + β h, mean 1.
      this.garchH[i] = this.omega + 0.06 * eps * eps * h + 0.92 * h;
    }
    this.record(i);
  }

  /** Records the instrument's fair value at the tick's time for the lagging venues. */
  private record(i: number): void {
    const nowUs = this.tickTime[0]!;
    const LAG_RING = this.lagRing;
    const head = (this.ringHead[i]! + 1) % LAG_RING;
    this.ringHead[i] = head;
    this.ringT[i * LAG_RING + head] = nowUs;
    this.ringF[i * LAG_RING + head] = this.logFair[i]!;
  }

  /** Into scratch[OUT]: the fair value venue v, by its feed lag, sees at the tick's time (the newest record at or before then). */
  private lagged(i: number, v: number): void {
    const mask = this.lagRing - 1;
    const base = i * this.lagRing;
    const head = this.ringHead[i]!;
    const t = this.tickTime[0]! - this.truth.lagUs[v]!;
    const T = this.ringT;
    // The newest record at or before t among the ring's newest lagRing - 1, else the oldest slot.
    // Times only grow from the oldest slot to the newest (unwritten slots hold -Infinity), so
    // "T <= t" is false then true along the age: a binary search over the age finds the same
    // record a walk back from the head would. The walk was the generator's costliest step: a busy
    // instrument has hundreds of records within a slow venue's 50 ms lag (ring up to 512).
    let lo = 0;
    let hi = mask;
    while (lo < hi) {
      const age = (lo + hi) >>> 1;
      if (T[base + ((head - age) & mask)]! <= t) hi = age;
      else lo = age + 1;
    }
    this.scratch[OUT] = this.ringF[base + ((head - lo) & mask)]!;
  }

  /** The venue's bid on the instrument's tick grid for a log mid (its ask is `spreadTicks(v)` ticks above). */
  private bidTicks(i: number, v: number, logMid: number): number {
    return Math.floor(Math.exp(logMid) / this.tick[i]! - this.spreadOf(v) / 2 + 0.5);
  }

  private spreadOf(v: number): number {
    return this.o.spreadTicks + (v % 3);
  }

  /** Queues an update of every venue whose quote of instrument i the latest fair move changes, due after its lag. */
  private scheduleChanges(i: number): void {
    const V = this.o.venues;
    const f = this.logFair[i]!;
    for (let w = 0; w < V; w++) {
      const c = i * V + w;
      if (this.pendingFlag[c] === 1) continue;
      const nz = this.noiseNow[c]!;
      const changed = nz !== nz || this.bidTicks(i, w, f + nz + this.dislocNow[c]!) * this.tick[i]! !== this.cellBid[c];
      if (!changed) continue;
      this.pendingFlag[c] = 1;
      this.heapPush(c, w);
    }
  }

  /** Removes and returns the cell of the earliest update due by the tick's time, or −1. */
  private takeDue(): number {
    if (this.heapSize === 0 || this.heapDue[0]! > this.tickTime[0]!) return -1;
    const D = this.heapDue;
    const C = this.heapCell;
    const cell = C[0]!;
    const n = --this.heapSize;
    // Sift the last entry down from the root.
    const due = D[n]!;
    const c = C[n]!;
    let k = 0;
    for (;;) {
      const l = 2 * k + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && D[r]! < D[l]! ? r : l;
      if (!(D[m]! < due)) break;
      D[k] = D[m]!;
      C[k] = C[m]!;
      k = m;
    }
    D[k] = due;
    C[k] = c;
    this.pendingFlag[cell] = 0;
    return cell;
  }

  /** Queues cell's update, due after its venue w's feed lag from the tick's time. */
  private heapPush(cell: number, w: number): void {
    const due = this.tickTime[0]! + this.truth.lagUs[w]!;
    const D = this.heapDue;
    const C = this.heapCell;
    let k = this.heapSize++;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (!(D[parent]! > due)) break;
      D[k] = D[parent]!;
      C[k] = C[parent]!;
      k = parent;
    }
    D[k] = due;
    C[k] = cell;
  }

  /** Generates the next tick at `nowUs`: fields instrument, venue, bid, ask; the truth entry at its seq. */
  nextTick(nowUs: number): void {
    // Small enough to be inlined into the caller, so the time is stored unboxed.
    this.tickTime[0] = nowUs;
    this.generate();
  }

  /** nextTick at tickTime[0]. */
  generate(): void {
    const o = this.o;
    const rng = this.rng;
    // The draws made on every tick go through drawn[0] (see loadgen/prng.ts); rare ones use nextFloat.
    const drawn = rng.drawn;
    const V = o.venues;
    rng.drawFloat();
    if (drawn[0]! < o.newsProb) {
      const jump = (rng.nextFloat() < 0.5 ? -1 : 1) * o.newsBps * 1e-4;
      // Market-wide news moves every instrument but the FX pairs (whose values are cross rates).
      for (let k = 0; k < o.instruments; k++) if (!this.isFx(k)) this.logFair[k] += jump;
      this.truth.newsSeqs.push(this.seq);
    }
    const t = this.truth;
    // Feeds publish on change: a fair move schedules, for each venue whose quote it changes, an
    // update due after that venue's feed lag. Due updates go out first (earliest first); when
    // none is due, an instrument's fair value moves on and one of its venues refreshes.
    let i: number;
    let v: number;
    const due = this.takeDue();
    if (due >= 0) {
      i = (due / V) | 0;
      v = due - i * V;
    } else {
      i = rng.nextBelow(o.instruments);
      this.advance(i);
      this.scheduleChanges(i);
      v = rng.nextBelow(V);
    }
    const cell = i * V + v;
    const rec = this.recording;
    if (rec && this.seq >= t.instrument.length)
      throw new RangeError(`fair-value market: more than the ${t.instrument.length} ticks its truth was sized for`);
    const seq = this.seq++;
    if (rec) {
      t.instrument[seq] = i;
      t.venue[seq] = v;
      t.ticks = this.seq;
    }
    let flags = 0;
    let kind: number = TruthKind.Clean;
    let size = 0;
    // Venue noise: a slow AR(1) offset per cell, redrawn a little on each of the venue's quotes.
    const prevNoise = this.noiseNow[cell]!;
    rng.drawGaussian();
    const fresh = t.noiseBps[v]! * 1e-4 * drawn[0]!;
    const noise = prevNoise === prevNoise ? 0.9 * prevNoise + 0.4359 * fresh : fresh;
    // Dislocation: the venue's own book moves; truth and quote alike.
    if (this.dislocLeft[cell] === 0) {
      rng.drawFloat();
      if (drawn[0]! < o.dislocationProb) {
        this.dislocLeft[cell] = o.dislocationUpdates;
        this.dislocSign[cell] = rng.nextFloat() < 0.5 ? -1 : 1;
        kind = TruthKind.Dislocation;
      }
    }
    let disloc = 0;
    if (this.dislocLeft[cell]! > 0) {
      this.dislocLeft[cell]--;
      const spreadBps = (o.spreadTicks + (v % 3)) * o.tickBps;
      disloc = this.dislocSign[cell]! * (spreadBps + 2 * this.maxFeeBps() + o.dislocationBps) * 1e-4;
    }
    let stale = false;
    if (kind === TruthKind.Clean && this.cellBid[cell] === this.cellBid[cell]) {
      rng.drawFloat();
      stale = drawn[0]! < o.staleProb;
    }
    if (stale) {
      kind = TruthKind.Stale;
    } else {
      this.lagged(i, v);
      const seen = this.scratch[OUT]! + noise + disloc;
      const bt = this.bidTicks(i, v, seen);
      this.cellBid[cell] = bt * this.tick[i]!;
      this.cellAsk[cell] = (bt + this.spreadOf(v)) * this.tick[i]!;
      this.noiseNow[cell] = noise;
      this.dislocNow[cell] = disloc;
      // The cell's true return σ: EWMA of the squared log returns of the clean quotes.
      const mid = 0.5 * (this.cellBid[cell]! + this.cellAsk[cell]!);
      const prev = this.cellMid[cell]!;
      if (prev === prev) {
        // Most quotes leave the mid where it was: their return is exactly log(1) = 0, without the log.
        const r = mid === prev ? 0 : Math.log(mid / prev);
        const n = this.cellN[cell]!;
        const a = n < 50 ? 1 / (n + 1) : 0.02;
        this.cellVar[cell] = (1 - a) * this.cellVar[cell]! + a * r * r;
        this.cellN[cell] = n + 1;
      }
      this.cellMid[cell] = mid;
    }
    let bid = this.cellBid[cell]!;
    let ask = this.cellAsk[cell]!;
    const fault =
      o.faultyEvery > 0 && seq >= this.faultFromSeq && i % o.faultyEvery === o.faultyEvery - 1 && !this.isFx(i)
        ? v === t.biasedVenue
          ? TickEvent.BiasedSource
          : v === t.frozenVenue
            ? TickEvent.FrozenSource
            : 0
        : 0;
    if (fault !== 0) {
      // A faulty source: its own quotes go wrong for good (biased up, or frozen where they were).
      if (this.faultStarted[cell] === 0) {
        this.faultStarted[cell] = 1;
        flags |= fault << TICK_EVENT_SHIFT;
      }
      if (fault === TickEvent.FrozenSource) flags |= TickFlag.InjectedFrozen;
      if (fault === TickEvent.BiasedSource) {
        bid += o.biasTicks * this.tick[i]!;
        ask += o.biasTicks * this.tick[i]!;
      } else if (this.wireBid[cell] === this.wireBid[cell]) {
        bid = this.wireBid[cell]!;
        ask = this.wireAsk[cell]!;
      }
      kind = TruthKind.FaultySource;
    }
    // Bad ticks go out on the wire only: the venue's next quote is clean again.
    // √var > 0 exactly when var > 0: the root is taken only where a bad tick may be drawn.
    if (kind !== TruthKind.Dislocation && kind !== TruthKind.FaultySource && this.cellN[cell]! >= 50 && this.cellVar[cell]! > 0) {
      rng.drawFloat();
      const u = drawn[0]!;
      const sigma = Math.sqrt(this.cellVar[cell]!);
      if (u < o.spikeProb) {
        const k = o.spikeMinSigma + (o.spikeMaxSigma - o.spikeMinSigma) * rng.nextFloat();
        const f = Math.exp((rng.nextFloat() < 0.5 ? -1 : 1) * k * sigma);
        const tick = this.tick[i]!;
        const shiftTicks = Math.round((0.5 * (bid + ask) * (f - 1)) / tick);
        if (shiftTicks !== 0) {
          bid += shiftTicks * tick;
          ask += shiftTicks * tick;
          kind = TruthKind.Spike;
          size = Math.abs(Math.log((0.5 * (bid + ask)) / this.cellMid[cell]!)) / sigma;
          flags |= TickFlag.InjectedOutlier | (TickEvent.Spike << TICK_EVENT_SHIFT);
        }
      } else if (u < o.spikeProb + o.decimalShiftProb) {
        const f = rng.nextFloat() < 0.5 ? 10 : 0.1;
        bid *= f;
        ask *= f;
        kind = TruthKind.DecimalShift;
        size = Math.log(10) / sigma;
        flags |= TickFlag.InjectedOutlier | (TickEvent.DecimalShift << TICK_EVENT_SHIFT);
      }
    }
    this.intendedUs = this.tickTime[0]!;
    this.instrument = i;
    this.venue = v;
    // Every FX pair in the first pair's group: a triangle's legs then reach one worker in the
    // order they were quoted (analytics/market-conventions.ts); spread over groups they race.
    this.keyGroup = (i - this.fxFirst) >>> 0 < this.fxPairs ? this.fxFirst % this.keyGroups : i % this.keyGroups;
    this.bid = bid;
    this.ask = ask;
    this.flags = flags;
    this.checksum += bid + ask;
    this.wireBid[cell] = bid;
    this.wireAsk[cell] = ask;
    // The ranking's truth: what the venue's quotes are worth where it is not a faulty source
    // (recorded only: a run's regeneration computes it).
    // FX pairs are left out, as the analyzer leaves them out of its venue averages.
    if (
      rec &&
      kind !== TruthKind.Spike &&
      kind !== TruthKind.DecimalShift &&
      !this.isFx(i) &&
      !(o.faultyEvery > 0 && i % o.faultyEvery === o.faultyEvery - 1)
    ) {
      const e = Math.log(0.5 * (bid + ask)) - this.logFair[i]!;
      this.errSum[v] += Math.abs(e);
      this.errN[v]++;
      t.errorBps[v] = (this.errSum[v]! / this.errN[v]!) * 1e4;
    }
    if (rec) {
      t.kind[seq] = kind;
      t.sizeSigma[seq] = size;
      t.labels[seq] = flags;
      this.labelCrosses(seq, i, cell, bid, ask);
      if (this.isFx(i)) this.labelTriangles(seq, i - this.fxFirst);
    }
  }

  private maxFeeBps(): number {
    let m = 0;
    for (let v = 0; v < this.o.venues; v++) m = Math.max(m, this.truth.feeBps[v]!);
    return m;
  }

  /**
   * Labels the instrument's books after this tick: the truth book (each venue's quote rebuilt
   * from its fair value now, i.e. the instrument's plus the venue's dislocation: no lag, no
   * staleness, no noise, no bad tick) crossing net of fees is tradeable; the quoted book crossing net of
   * fees without it is a phantom. The quoted book is every venue's last quote as sent, bad ticks
   * and faulty sources included: what a naive reader of the feed sees.
   */
  private labelCrosses(seq: number, i: number, cell: number, bid: number, ask: number): void {
    const V = this.o.venues;
    const base = i * V;
    let tBid = -Infinity,
      tAsk = Infinity,
      qBid = -Infinity,
      qAsk = Infinity,
      nBid = -Infinity,
      nAsk = Infinity;
    let tBidV = -1,
      tAskV = -1,
      qBidV = -1,
      qAskV = -1;
    for (let w = 0; w < V; w++) {
      const c = base + w;
      const nz = this.noiseNow[c]!;
      if (nz !== nz) continue;
      const bt = this.bidTicks(i, w, this.fairNow(i) + this.dislocNow[c]!) * this.tick[i]!;
      const tb = bt * this.sellF[w]!;
      const ta = (bt + this.spreadOf(w) * this.tick[i]!) * this.buyF[w]!;
      if (tb > tBid) {
        tBid = tb;
        tBidV = w;
      }
      if (ta < tAsk) {
        tAsk = ta;
        tAskV = w;
      }
      const b = c === cell ? bid : this.wireBid[c]!;
      const a = c === cell ? ask : this.wireAsk[c]!;
      if (b * this.sellF[w]! > qBid) {
        qBid = b * this.sellF[w]!;
        qBidV = w;
      }
      if (a * this.buyF[w]! < qAsk) {
        qAsk = a * this.buyF[w]!;
        qAskV = w;
      }
      if (b > nBid) nBid = b;
      if (a < nAsk) nAsk = a;
    }
    const tradeable = tBidV >= 0 && tAskV >= 0 && tBidV !== tAskV && tBid > tAsk;
    const quoted = qBidV >= 0 && qAskV >= 0 && qBidV !== qAskV && qBid > qAsk;
    this.truth.tradeable[seq] = tradeable ? 1 : 0;
    this.truth.phantom[seq] = quoted && !tradeable ? 1 : 0;
    this.truth.naiveCross[seq] = nBid > nAsk ? 1 : 0;
  }

  /**
   * Fills `legs` with pair p's best net bid and ask over the venues that quote it: mode 0 the
   * truth book (fair cross rate now plus the venue's dislocation, on the grid, net of fees),
   * 1 the quoted book (the last quotes sent, net of fees), 2 the quoted book without fees.
   */
  private bestOfPair(p: number, mode: number, out: number): void {
    const V = this.o.venues;
    const i = this.fxFirst + p;
    const tick = this.tick[i]!;
    const fair = this.fairNow(i);
    let bb = -Infinity,
      ba = Infinity;
    for (let w = 0; w < V; w++) {
      const c = i * V + w;
      if (this.noiseNow[c] !== this.noiseNow[c]) continue;
      let b: number, a: number;
      if (mode === 0) {
        const bt = this.bidTicks(i, w, fair + this.dislocNow[c]!) * tick;
        b = bt * this.sellF[w]!;
        a = (bt + this.spreadOf(w) * tick) * this.buyF[w]!;
      } else if (mode === 1) {
        b = this.wireBid[c]! * this.sellF[w]!;
        a = this.wireAsk[c]! * this.buyF[w]!;
      } else {
        b = this.wireBid[c]!;
        a = this.wireAsk[c]!;
      }
      if (b > bb) bb = b;
      if (a < ba) ba = a;
    }
    this.legs[out] = negLnBid(bb > 0 ? bb : NaN);
    this.legs[out + 1] = lnAsk(ba < Infinity ? ba : NaN);
  }

  /** Whether a triangle containing pair p is open in the given book (see bestOfPair). */
  private triangleOpen(p: number, mode: number): boolean {
    const fx = this.fx!;
    const L = this.legs;
    for (let k = 0; k < fx.trianglesPerPair; k++) {
      const tri = fx.pairTriangles[p * fx.trianglesPerPair + k]!;
      this.bestOfPair(fx.trianglePairs[tri * 3]!, mode, 0); // AB
      this.bestOfPair(fx.trianglePairs[tri * 3 + 1]!, mode, 2); // BC
      this.bestOfPair(fx.trianglePairs[tri * 3 + 2]!, mode, 4); // AC
      if (cycleWeightForward(L[0]!, L[2]!, L[5]!) < 0 || cycleWeightBackward(L[4]!, L[3]!, L[1]!) < 0) return true;
    }
    return false;
  }

  /** Labels FX pair p's triangles after this tick: tradeable in the fair cross rates, phantom in the quotes only, fee-less in the quotes. */
  private labelTriangles(seq: number, p: number): void {
    const tradeable = this.triangleOpen(p, 0);
    this.truth.triTradeable[seq] = tradeable ? 1 : 0;
    this.truth.triPhantom[seq] = !tradeable && this.triangleOpen(p, 1) ? 1 : 0;
    this.truth.triNaive[seq] = this.triangleOpen(p, 2) ? 1 : 0;
  }
}

import {
  buyFactor,
  cycleWeightBackward,
  cycleWeightForward,
  lnAsk,
  negLnBid,
  sellFactor,
  type FxLayout,
} from '../analytics/market-conventions.js';
import { injectedCountsZero, type InjectedCounts, type InjectedSources } from '../analytics/ground-truth.js';
import { TICK_EVENT_MASK, TICK_EVENT_SHIFT, TickEvent, TickFlag } from '../wire/tick-frame.js';
import { Prng } from './prng.js';

/**
 * Ground truth for the analytics: labelled anomalies injected into the clean market stream.
 *
 * Rates are per tick (the triangular one per FX tick). Magnitudes are in units the detectors can
 * be judged by: a spike is k·σ where σ is the local volatility of the venue's mid return on that
 * tick — the exact standard deviation of the clean return given the time since the venue's last
 * quote (GBM over that time plus both quotes' noise) — floored at the venue's half spread, the
 * granularity below which a move is not distinguishable from quoting noise (Brownlees & Gallo's
 * γ). Arbitrage shifts are the smallest that cross net of fees by `arbitrageMarginBps`, and at
 * most `maxShiftHalfSpreads` half spreads, so that they are not bad ticks themselves.
 */
export interface InjectConfig {
  /** Multiplies every rate below (default 1). */
  scale: number;
  /** Seed of the injection stream; by default derived from the market seed. */
  seed: number | undefined;
  spikeRate: number;
  decimalShiftRate: number;
  frozenRunRate: number;
  genuineJumpRate: number;
  arbitrageRate: number;
  /** Per tick of an FX pair. */
  triangularRate: number;
  /** Spike size in σ, uniform in [min, max]. */
  spikeSigmaMin: number;
  spikeSigmaMax: number;
  /** Frozen run length in updates of the venue, uniform integer in [min, max]. */
  frozenRunMin: number;
  frozenRunMax: number;
  /** Genuine jump size in bps, uniform in [min, max], either sign. */
  jumpBpsMin: number;
  jumpBpsMax: number;
  /** Duration of an arbitrage window or triangular mispricing, ms, uniform in [min, max]. */
  windowMsMin: number;
  windowMsMax: number;
  /** How far past the fees an injected cross or triangle goes, bps. */
  arbitrageMarginBps: number;
  /** Largest injected arbitrage shift, in half spreads of the shifted venue (else the window is not injected). */
  maxShiftHalfSpreads: number;
  /** Updates a (instrument, venue) series has before anomalies are injected into it (a detector needs a reference). */
  minHistory: number;
  /**
   * Faulty sources live on a panel of non-FX instruments: of every `sourcePanelEvery` instruments
   * (0 = none), one has a biased venue and another a frozen venue (i ≡ every/4 and 3·every/4).
   * One fault per instrument, so a biased venue can be checked to rank below every clean venue.
   */
  sourcePanelEvery: number;
  /** A faulty venue turns faulty at its this-many-th update of a panel instrument. */
  faultAfterUpdates: number;
  /** Persistent bias of the biased venue, in consensus spreads (median venue spread). */
  biasSpreads: number;
  /** The bias ramps in over this many updates of the venue. */
  biasRampUpdates: number;
  /** Extra quote noise (std. dev., in consensus spreads) of the noisiest venue; the others are graded down to 0. */
  noiseSpreads: number;
  /** Events kept in the log (ids keep counting past it). */
  eventLogLimit: number;
}

export const INJECT_DEFAULTS: Readonly<InjectConfig> = Object.freeze({
  scale: 1,
  seed: undefined,
  spikeRate: 5e-4,
  decimalShiftRate: 2e-4,
  frozenRunRate: 5e-5,
  genuineJumpRate: 1e-5,
  arbitrageRate: 2e-4,
  triangularRate: 2e-3,
  spikeSigmaMin: 8,
  spikeSigmaMax: 16,
  frozenRunMin: 20,
  frozenRunMax: 60,
  jumpBpsMin: 15,
  jumpBpsMax: 40,
  windowMsMin: 1,
  windowMsMax: 20,
  arbitrageMarginBps: 0.1,
  maxShiftHalfSpreads: 3,
  minHistory: 64,
  sourcePanelEvery: 20,
  faultAfterUpdates: 50,
  biasSpreads: 3,
  biasRampUpdates: 50,
  noiseSpreads: 0.25,
  eventLogLimit: 10_000,
});

/** One injected event. `tick` is the index of the model's tick that starts it (= the tick's seq). */
export interface InjectedEvent {
  id: number;
  kind: number;
  tick: number;
  instrument: number;
  venue: number;
  intendedUs: number;
  /** Spike: σ multiple (signed); decimal shift: factor; frozen run: updates; jump: bps; window/triangle: shift bps; source: bias bps or 0. */
  magnitude: number;
}

/** What the injector needs to know about the market it corrupts. */
export interface MarketFacts {
  seed: number;
  instruments: number;
  venues: number;
  venueSpreadBps: Float64Array;
  venueFeesBps: readonly number[];
  /** Std. dev. of the GBM log return per √µs. */
  sigmaPerSqrtUs: number;
  /** Half-width of the clean uniform quote noise (fraction of the mid). */
  venueNoiseHalfWidth: number;
  fx: FxLayout | null;
}

/** The quote being generated, rewritten in place. */
export interface TickInProgress {
  instrument: number;
  venue: number;
  bid: number;
  ask: number;
  /** Multiplies the instrument's common mid (a genuine jump). */
  scaleMid(instrument: number, factor: number): void;
}

const State = { Free: 0, FrozenRun: 1, Window: 2, Cooldown: 3, Biased: 4, FrozenSource: 5 } as const;
/**
 * Per (instrument, venue) cell, a hot record of HOT_STRIDE doubles laid out as a row per
 * instrument, so a tick touches only its instrument's row: +0 bid and +1 ask, the venue's last
 * good quote (NaN after a bad tick: bad ticks are not quotes) — the generator's true book —,
 * +2 the time of its last quote, and +3 as two int32s: the cell's update count and its bits
 * (state in the low 3, INJECTED while its quote is an injected shift, JUMP_PENDING while it owes
 * a genuine jump its label). What only rare states need (remaining updates, shift, window end)
 * lives in a cold record of COLD_STRIDE.
 */
const HOT_STRIDE = 4;
const Hot = { bid: 0, ask: 1, lastUs: 2, meta: 3 } as const;
const STATE_MASK = 7;
const INJECTED = 8;
const JUMP_PENDING = 16;
const COLD_STRIDE = 4;
const Cold = { remaining: 0, shift: 1, untilUs: 2 } as const;
const Role = { Normal: 0, Fx: 1, PanelBiased: 2, PanelFrozen: 3 } as const;
/** Slots of Injector.times. */
const PREV = 0;
const NOW = 1;
/**
 * What a special tick's method returns: the tick's TickFlag labels (bits 0..11), the TickEvent
 * starting on it (bits 12..15), and above them whether the quote is a bad tick (not a quote for
 * the true book) or an injected shift (its crosses are injected ones).
 */
const Outcome = { outlier: 1 << 16, injected: 1 << 17 } as const;
const LABEL_BITS = 0x0fff;

function median(values: Float64Array): number {
  const s = Array.from(values).sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) >> 1]! : 0.5 * (s[n / 2 - 1]! + s[n / 2]!);
}

function checkConfig(c: InjectConfig): void {
  const nonNeg = (name: keyof InjectConfig, max = Infinity): void => {
    const v = c[name] as number;
    if (!Number.isFinite(v) || v < 0 || v > max) throw new RangeError(`inject.${name} must be a number in 0..${max}, got ${String(v)}`);
  };
  for (const k of ['spikeRate', 'decimalShiftRate', 'frozenRunRate', 'genuineJumpRate', 'arbitrageRate', 'triangularRate'] as const)
    nonNeg(k, 1);
  for (const k of [
    'scale',
    'spikeSigmaMin',
    'spikeSigmaMax',
    'jumpBpsMin',
    'jumpBpsMax',
    'windowMsMin',
    'windowMsMax',
    'arbitrageMarginBps',
    'maxShiftHalfSpreads',
    'biasSpreads',
    'noiseSpreads',
  ] as const)
    nonNeg(k);
  for (const k of [
    'frozenRunMin',
    'frozenRunMax',
    'minHistory',
    'sourcePanelEvery',
    'faultAfterUpdates',
    'biasRampUpdates',
    'eventLogLimit',
  ] as const) {
    nonNeg(k);
    if (!Number.isInteger(c[k])) throw new RangeError(`inject.${k} must be an integer, got ${c[k]}`);
  }
  const sum = (c.spikeRate + c.decimalShiftRate + c.frozenRunRate + c.genuineJumpRate + c.arbitrageRate + c.triangularRate) * c.scale;
  if (sum > 1) throw new RangeError(`inject rates × scale must add up to at most 1, got ${sum}`);
  if (
    c.spikeSigmaMax < c.spikeSigmaMin ||
    c.jumpBpsMax < c.jumpBpsMin ||
    c.windowMsMax < c.windowMsMin ||
    c.frozenRunMax < c.frozenRunMin
  ) {
    throw new RangeError('inject ranges must have max ≥ min');
  }
  if (c.frozenRunMin < 1 || c.biasRampUpdates < 1 || c.faultAfterUpdates < 2) {
    throw new RangeError('inject.frozenRunMin and biasRampUpdates must be ≥ 1, faultAfterUpdates ≥ 2');
  }
}

/**
 * Injects the anomalies, keeps the generator's true book (each venue's last real quote, net of
 * fees) and labels every tick against it. Draws its randomness from its own Prng, so the clean
 * stream's instrument, venue, noise and size choices for a seed are the same with or without
 * injection. All state is in typed arrays sized at construction; `apply` allocates nothing
 * (except an event-log entry per injected event, up to the log limit).
 */
export class Injector {
  private readonly tally: InjectedCounts = injectedCountsZero();
  readonly sources: InjectedSources;
  readonly events: InjectedEvent[] = [];
  readonly config: Readonly<InjectConfig>;
  private readonly rng: Prng;
  private readonly V: number;
  private readonly fx: FxLayout | null;
  private readonly fxFirst: number;
  private readonly fxPairs: number;
  private readonly role: Uint8Array;
  private readonly halfSpread: Float64Array;
  private readonly sell: Float64Array;
  private readonly buy: Float64Array;
  private readonly noiseHalfWidth: Float64Array;
  private readonly noiseVar: Float64Array;
  private readonly baseNoiseVar: number;
  private readonly sigma2PerUs: number;
  private readonly biasFrac: number;
  private readonly biasedVenue: number;
  private readonly frozenVenue: number;
  // Cumulative per-tick thresholds on one uniform draw.
  private readonly cSpike: number;
  private readonly cShift: number;
  private readonly cFrozen: number;
  private readonly cJump: number;
  private readonly cArb: number;
  private readonly cTri: number;
  private readonly margin: number;

  private readonly hot: Float64Array;
  /** Int32 view of `hot`: the update count at 2·(record + 3), the bits at 2·(record + 3) + 1. */
  private readonly hotInt: Int32Array;
  private readonly cold: Float64Array;
  /** Per FX pair: −ln best net bid and ln best net ask of the true book. */
  private readonly fxNegLnBid: Float64Array;
  private readonly fxLnAsk: Float64Array;
  /** The best net quotes the logs above were taken of. */
  private readonly fxBestBid: Float64Array;
  private readonly fxBestAsk: Float64Array;
  private tickIndex = -1;
  /**
   * [PREV] the time of the cell's previous quote, [NOW] the tick's intended time. Times reach the
   * per-tick methods here rather than as arguments: a double passed to a call that is not
   * inlined is boxed, an allocation per tick.
   */
  private readonly times = new Float64Array(2);
  /** Ticks left until the next event draw (geometric gaps with the per-tick event rate). */
  private countdown: number;

  constructor(facts: MarketFacts, config: Partial<InjectConfig> = {}) {
    const given = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as Partial<InjectConfig>;
    for (const name of Object.keys(given)) {
      if (!Object.hasOwn(INJECT_DEFAULTS, name)) throw new RangeError(`inject.${name} is not an injection option`);
    }
    const c: InjectConfig = { ...INJECT_DEFAULTS, ...given };
    checkConfig(c);
    this.config = Object.freeze(c);
    const V = facts.venues;
    const cells = facts.instruments * V;
    this.V = V;
    // A stream of its own, seeded apart from the market's.
    this.rng = new Prng(c.seed ?? (facts.seed * 31 + 0x1abe1) % Number.MAX_SAFE_INTEGER);
    this.fx = facts.fx;
    this.fxFirst = facts.fx?.first ?? 0;
    this.fxPairs = facts.fx?.pairs ?? 0;

    this.halfSpread = new Float64Array(V);
    this.sell = new Float64Array(V);
    this.buy = new Float64Array(V);
    for (let v = 0; v < V; v++) {
      this.halfSpread[v] = (facts.venueSpreadBps[v]! * 1e-4) / 2;
      const fee = facts.venueFeesBps[v] ?? 0;
      this.sell[v] = sellFactor(fee);
      this.buy[v] = buyFactor(fee);
    }
    const consensusSpreadBps = median(facts.venueSpreadBps);
    const consensusSpread = consensusSpreadBps * 1e-4;
    this.biasFrac = c.biasSpreads * consensusSpread;
    this.baseNoiseVar = (facts.venueNoiseHalfWidth * facts.venueNoiseHalfWidth) / 3;
    this.sigma2PerUs = facts.sigmaPerSqrtUs * facts.sigmaPerSqrtUs;

    // Graded noise: the k-th venue of a seeded shuffle gets k/(V−1) of the top level.
    const order = Array.from({ length: V }, (_, v) => v);
    for (let k = V - 1; k > 0; k--) {
      const j = this.rng.nextBelow(k + 1);
      [order[k], order[j]] = [order[j]!, order[k]!];
    }
    this.noiseHalfWidth = new Float64Array(V);
    this.noiseVar = new Float64Array(V);
    const noiseSpreads = new Array<number>(V).fill(0);
    order.forEach((venue, k) => {
      const sd = V > 1 ? (c.noiseSpreads * k) / (V - 1) : 0;
      noiseSpreads[venue] = sd;
      this.noiseVar[venue] = (sd * consensusSpread) ** 2;
      this.noiseHalfWidth[venue] = Math.sqrt(3) * sd * consensusSpread;
    });
    // Faulty venues, distinct, drawn from the injection stream.
    this.biasedVenue = V >= 3 && c.sourcePanelEvery > 0 ? this.rng.nextBelow(V) : -1;
    this.frozenVenue = this.biasedVenue >= 0 ? (this.biasedVenue + 1 + this.rng.nextBelow(V - 1)) % V : -1;
    this.sources = {
      biasedVenue: this.biasedVenue,
      frozenVenue: this.frozenVenue,
      biasSpreads: c.biasSpreads,
      panelEvery: c.sourcePanelEvery,
      noiseSpreads,
      noiseBps: noiseSpreads.map((s) => s * consensusSpreadBps),
      consensusSpreadBps,
    };

    this.role = new Uint8Array(facts.instruments);
    const every = c.sourcePanelEvery;
    for (let i = 0; i < facts.instruments; i++) {
      if (i - this.fxFirst >= 0 && i - this.fxFirst < this.fxPairs) this.role[i] = Role.Fx;
      else if (every > 0 && this.biasedVenue >= 0 && i % every === Math.floor(every / 4)) this.role[i] = Role.PanelBiased;
      else if (every > 1 && this.biasedVenue >= 0 && i % every === Math.floor((3 * every) / 4)) this.role[i] = Role.PanelFrozen;
    }

    const s = c.scale;
    this.cSpike = c.spikeRate * s;
    this.cShift = this.cSpike + c.decimalShiftRate * s;
    this.cFrozen = this.cShift + c.frozenRunRate * s;
    this.cJump = this.cFrozen + c.genuineJumpRate * s;
    this.cArb = this.cJump + c.arbitrageRate * s;
    this.cTri = this.cArb + c.triangularRate * s;
    this.margin = c.arbitrageMarginBps * 1e-4;
    this.countdown = this.nextGap();

    this.hot = new Float64Array(cells * HOT_STRIDE);
    this.hotInt = new Int32Array(this.hot.buffer);
    for (let k = 0; k < cells; k++) {
      this.hot[k * HOT_STRIDE + Hot.bid] = NaN;
      this.hot[k * HOT_STRIDE + Hot.ask] = NaN;
      this.hot[k * HOT_STRIDE + Hot.lastUs] = NaN;
    }
    this.cold = new Float64Array(cells * COLD_STRIDE);
    this.fxNegLnBid = new Float64Array(this.fxPairs).fill(Infinity);
    this.fxLnAsk = new Float64Array(this.fxPairs).fill(Infinity);
    this.fxBestBid = new Float64Array(this.fxPairs).fill(NaN);
    this.fxBestAsk = new Float64Array(this.fxPairs).fill(NaN);
  }

  /** What was injected so far. */
  get counts(): InjectedCounts {
    this.tally.ticks = this.tickIndex + 1;
    return this.tally;
  }

  /** The venue injected as faulty on instrument i (-1: none). */
  faultyVenue(instrument: number): number {
    const role = this.role[instrument];
    return role === Role.PanelBiased ? this.biasedVenue : role === Role.PanelFrozen ? this.frozenVenue : -1;
  }

  /**
   * Rewrites the clean quote in `t` (generated at intended time `nowUs`) with whatever is
   * injected on this tick, updates the true book, and returns the tick's flags.
   */
  apply(t: TickInProgress, nowUs: number): number {
    // Small enough to be inlined into the market's tick, so the time is stored unboxed.
    this.times[NOW] = nowUs;
    return this.applyNow(t);
  }

  private applyNow(t: TickInProgress): number {
    const nowUs = this.times[NOW]!;
    this.tickIndex++;
    const V = this.V;
    const i = t.instrument;
    const v = t.venue;
    const H = this.hot;
    const HI = this.hotInt;
    const row = i * V * HOT_STRIDE;
    const h = row + v * HOT_STRIDE;
    const m = 2 * (h + Hot.meta);
    HI[m] += 1;
    this.times[PREV] = H[h + Hot.lastUs]!;
    H[h + Hot.lastUs] = nowUs;
    const role = this.role[i];
    if (role !== Role.Fx && this.noiseHalfWidth[v] > 0) {
      const x = 1 + this.noiseHalfWidth[v] * (2 * this.rng.nextFloat() - 1);
      t.bid *= x;
      t.ask *= x;
    }
    // The common tick: a free cell and no event due. Everything else goes through `special`,
    // which rewrites the quote in `t` and returns the outcome.
    let outcome = 0;
    const eventDue = --this.countdown <= 0;
    if ((HI[m + 1] & (STATE_MASK | JUMP_PENDING)) !== 0 || eventDue || role >= Role.PanelBiased) {
      if (eventDue) this.countdown = this.nextGap();
      outcome = this.special(t, h, eventDue);
    }
    let flags = outcome & LABEL_BITS;
    const bid = t.bid;
    const ask = t.ask;

    // The true book and the labels read from it. Bad ticks are not quotes: a detector should
    // take them out of the book, as the FrameAnalyzer does with the ticks it flags.
    if ((outcome & Outcome.outlier) !== 0) {
      H[h + Hot.bid] = NaN;
      H[h + Hot.ask] = NaN;
      HI[m + 1] &= ~INJECTED;
    } else {
      H[h + Hot.bid] = bid;
      H[h + Hot.ask] = ask;
      const injectedQuote = (outcome & Outcome.injected) !== 0;
      if (injectedQuote) HI[m + 1] |= INJECTED;
      else HI[m + 1] &= ~INJECTED;
      // Net of fees exactly as the detector stores them: price × (1 ∓ fee).
      const nb = bid * this.sell[v];
      const na = ask * this.buy[v];
      // Every venue, this one included (its own quote never crosses itself), without branches:
      // crosses are rare, so data-dependent branches would mostly be mispredicted work.
      const own = injectedQuote ? 1 : 0;
      let injected = 0;
      let market = 0;
      for (let w = 0, k = row; w < V; w++, k += HOT_STRIDE) {
        const x = +(nb > H[k + Hot.ask] * this.buy[w]) | +(H[k + Hot.bid] * this.sell[w] > na);
        const inj = own | ((HI[2 * (k + Hot.meta) + 1] & INJECTED) >>> 3);
        injected |= x & inj;
        market |= x & (inj ^ 1);
      }
      if (injected !== 0) flags |= TickFlag.InjectedArbitrage;
      if (market !== 0) flags |= TickFlag.MarketCross;
    }
    if (role === Role.Fx && this.triangleOpenAfter(i - this.fxFirst, row)) flags |= TickFlag.TriangularOpen;

    if (flags !== 0) this.countLabels(flags);
    return flags | (outcome & TICK_EVENT_MASK);
  }

  /** Counts a labelled tick by its labels. */
  private countLabels(flags: number): void {
    const k = this.tally;
    k.labelledTicks++;
    if ((flags & TickFlag.InjectedOutlier) !== 0) k.outlierTicks++;
    if ((flags & TickFlag.InjectedFrozen) !== 0) k.frozenTicks++;
    if ((flags & TickFlag.GenuineJump) !== 0) k.jumpTicks++;
    if ((flags & TickFlag.InjectedArbitrage) !== 0) k.arbitrageTicks++;
    if ((flags & TickFlag.MarketCross) !== 0) k.marketCrossTicks++;
    if ((flags & TickFlag.TriangularOpen) !== 0) k.triangularTicks++;
  }

  /** Logs an event starting on the tick in progress (with its id) and returns its TickEvent bits. */
  private logEvent(kind: number, t: TickInProgress, nowUs: number, magnitude: number): number {
    const id = this.tally.events++;
    if (this.events.length < this.config.eventLogLimit) {
      this.events.push({ id, kind, tick: this.tickIndex, instrument: t.instrument, venue: t.venue, intendedUs: nowUs, magnitude });
    }
    return kind << TICK_EVENT_SHIFT;
  }

  /** Ticks until the next event is drawn: geometric with the per-tick event probability. */
  private nextGap(): number {
    if (!(this.cTri > 0)) return Infinity;
    if (this.cTri >= 1) return 1;
    const u = this.rng.nextFloat();
    return 1 + Math.floor(Math.log(1 - u) / Math.log(1 - this.cTri));
  }

  /**
   * A cell with an injected state, a faulty-source instrument, or an event due: one method per
   * state or event, each rewriting the quote in `t` and returning the outcome (labels, event
   * bits, Outcome bits). `h` is the cell's hot record; `prevUs` the time of its previous quote.
   */
  private special(t: TickInProgress, h: number, eventDue: boolean): number {
    const m1 = 2 * (h + Hot.meta) + 1;
    const bits = this.hotInt[m1];
    const st = bits & STATE_MASK;
    let jump = 0;
    if ((bits & JUMP_PENDING) !== 0 && st !== State.FrozenRun && st !== State.FrozenSource) {
      jump = TickFlag.GenuineJump;
      this.hotInt[m1] = bits & ~JUMP_PENDING;
    }
    switch (st) {
      case State.FrozenRun:
        return this.frozenRunTick(t, h);
      case State.Window:
        return jump | this.windowTick(t, h);
      case State.Cooldown:
        return jump | this.cooldownTick(h);
      case State.Biased:
        return jump | this.biasedTick(t, h);
      case State.FrozenSource:
        return this.frozenTick(t, h);
      default:
        return jump | this.freeTick(t, h, eventDue);
    }
  }

  /** The cell's cold record (rare states' slots). */
  private coldOf(h: number): number {
    return (h / HOT_STRIDE) * COLD_STRIDE;
  }

  /** The cell's update count (this tick included). */
  private updatesOf(h: number): number {
    return this.hotInt[2 * (h + Hot.meta)];
  }

  /** Repeats the cell's last good quote: a frozen tick. */
  private frozenTick(t: TickInProgress, h: number): number {
    t.bid = this.hot[h + Hot.bid];
    t.ask = this.hot[h + Hot.ask];
    return TickFlag.InjectedFrozen;
  }

  private frozenRunTick(t: TickInProgress, h: number): number {
    const c = this.coldOf(h);
    if (--this.cold[c + Cold.remaining] <= 0) this.setState(h, c, State.Cooldown, 1); // the catch-up tick after the run is left clean
    return this.frozenTick(t, h);
  }

  private windowTick(t: TickInProgress, h: number): number {
    const c = this.coldOf(h);
    if (this.times[NOW]! >= this.cold[c + Cold.untilUs]) {
      this.setState(h, c, State.Free, 0); // this closing tick is clean
      return 0;
    }
    t.bid *= this.cold[c + Cold.shift];
    t.ask *= this.cold[c + Cold.shift];
    return Outcome.injected;
  }

  private cooldownTick(h: number): number {
    const c = this.coldOf(h);
    if (--this.cold[c + Cold.remaining] <= 0) this.setState(h, c, State.Free, 0);
    return 0;
  }

  private biasedTick(t: TickInProgress, h: number): number {
    const c = this.coldOf(h);
    const ramp = Math.min(1, (this.updatesOf(h) - this.cold[c + Cold.remaining] + 1) / this.config.biasRampUpdates);
    const f = 1 + this.cold[c + Cold.shift] * ramp;
    t.bid *= f;
    t.ask *= f;
    return 0;
  }

  /** A free cell: a faulty source turns faulty at its appointed update; otherwise maybe an event starts. */
  private freeTick(t: TickInProgress, h: number, eventDue: boolean): number {
    const role = this.role[t.instrument];
    const v = t.venue;
    const upd = this.updatesOf(h);
    // Events start rarely: their methods take the times as arguments, each read in its branch
    // (read once above them all, they were boxed on every call).
    if (
      ((role === Role.PanelBiased && v === this.biasedVenue) || (role === Role.PanelFrozen && v === this.frozenVenue)) &&
      upd >= this.config.faultAfterUpdates
    ) {
      return role === Role.PanelBiased ? this.startBiased(t, h, this.times[NOW]!) : this.startFrozenSource(t, h, this.times[NOW]!);
    }
    if (!eventDue || upd <= this.config.minHistory) return 0;
    // Which event: in proportion to the rates.
    const u = this.rng.nextFloat() * this.cTri;
    if (u < this.cSpike) return this.spike(t, this.times[PREV]!, this.times[NOW]!);
    if (u < this.cShift) return this.decimalShift(t, this.times[NOW]!);
    if (u < this.cFrozen) return this.frozenRun(t, h, this.times[NOW]!);
    if (u < this.cJump) return role === Role.Normal ? this.genuineJump(t, this.times[NOW]!) : 0;
    if (u < this.cArb) return role === Role.Normal ? this.arbitrageWindow(t, h, this.times[NOW]!) : 0;
    return role === Role.Fx ? this.triangularWindow(t, h, this.times[NOW]!) : 0;
  }

  private startBiased(t: TickInProgress, h: number, nowUs: number): number {
    const c = this.coldOf(h);
    const sign = this.rng.nextFloat() < 0.5 ? -1 : 1;
    this.setState(h, c, State.Biased, this.updatesOf(h));
    this.cold[c + Cold.shift] = sign * this.biasFrac;
    const f = 1 + this.cold[c + Cold.shift] / this.config.biasRampUpdates;
    t.bid *= f;
    t.ask *= f;
    this.tally.biasedSources++;
    return this.logEvent(TickEvent.BiasedSource, t, nowUs, sign * this.biasFrac * 1e4);
  }

  /** A frozen source needs a good last quote to repeat (there is none right after a bad tick). */
  private startFrozenSource(t: TickInProgress, h: number, nowUs: number): number {
    if (this.hot[h + Hot.bid] !== this.hot[h + Hot.bid]) return 0;
    this.setState(h, this.coldOf(h), State.FrozenSource, 0);
    this.tally.frozenSources++;
    return this.frozenTick(t, h) | this.logEvent(TickEvent.FrozenSource, t, nowUs, 0);
  }

  private spike(t: TickInProgress, prevUs: number, nowUs: number): number {
    const v = t.venue;
    const gamma = this.halfSpread[v];
    let variance = 2 * (this.baseNoiseVar + this.noiseVar[v]);
    const dt = nowUs - prevUs;
    if (dt > 0) variance += this.sigma2PerUs * dt * (this.role[t.instrument] === Role.Fx ? 2 : 1);
    const sigma = Math.max(Math.sqrt(variance), gamma);
    const k = this.config.spikeSigmaMin + (this.config.spikeSigmaMax - this.config.spikeSigmaMin) * this.rng.nextFloat();
    const signed = this.rng.nextFloat() < 0.5 ? -k : k;
    const f = Math.exp(signed * sigma);
    t.bid *= f;
    t.ask *= f;
    this.tally.spikes++;
    return TickFlag.InjectedOutlier | Outcome.outlier | this.logEvent(TickEvent.Spike, t, nowUs, signed);
  }

  private decimalShift(t: TickInProgress, nowUs: number): number {
    const f = this.rng.nextFloat() < 0.5 ? 10 : 0.1;
    t.bid *= f;
    t.ask *= f;
    this.tally.decimalShifts++;
    return TickFlag.InjectedOutlier | Outcome.outlier | this.logEvent(TickEvent.DecimalShift, t, nowUs, f);
  }

  /** A frozen run needs a good last quote to repeat. */
  private frozenRun(t: TickInProgress, h: number, nowUs: number): number {
    if (this.hot[h + Hot.bid] !== this.hot[h + Hot.bid]) return 0;
    const span = this.config.frozenRunMax - this.config.frozenRunMin + 1;
    const length = this.config.frozenRunMin + this.rng.nextBelow(span);
    const c = this.coldOf(h);
    if (length > 1) this.setState(h, c, State.FrozenRun, length - 1);
    else this.setState(h, c, State.Cooldown, 1);
    this.tally.frozenRuns++;
    return this.frozenTick(t, h) | this.logEvent(TickEvent.FrozenRun, t, nowUs, length);
  }

  /** A genuine jump: the instrument's common mid moves, and every other venue's next quote carries the label. */
  private genuineJump(t: TickInProgress, nowUs: number): number {
    const i = t.instrument;
    const bps = this.config.jumpBpsMin + (this.config.jumpBpsMax - this.config.jumpBpsMin) * this.rng.nextFloat();
    const signed = this.rng.nextFloat() < 0.5 ? -bps : bps;
    const f = Math.exp(signed * 1e-4);
    t.scaleMid(i, f);
    t.bid *= f;
    t.ask *= f;
    const V = this.V;
    for (let w = 0; w < V; w++) if (w !== t.venue) this.hotInt[2 * ((i * V + w) * HOT_STRIDE + Hot.meta) + 1] |= JUMP_PENDING;
    this.tally.genuineJumps++;
    return TickFlag.GenuineJump | this.logEvent(TickEvent.GenuineJump, t, nowUs, signed);
  }

  private arbitrageWindow(t: TickInProgress, h: number, nowUs: number): number {
    const f = this.crossingShift(t.instrument, t.venue, t.bid, t.ask);
    if (f === 1) return 0;
    this.tally.arbitrageWindows++;
    return this.shiftWindow(t, h, f, nowUs, TickEvent.ArbitrageWindow);
  }

  private triangularWindow(t: TickInProgress, h: number, nowUs: number): number {
    const f = this.triangleShift(t.instrument - this.fxFirst, t.venue, t.bid, t.ask);
    if (f === 1) return 0;
    this.tally.triangular++;
    return this.shiftWindow(t, h, f, nowUs, TickEvent.Triangular);
  }

  /** Shifts the venue's quote by `factor` for a drawn window (the state ends it). */
  private shiftWindow(t: TickInProgress, h: number, factor: number, nowUs: number, event: number): number {
    t.bid *= factor;
    t.ask *= factor;
    const cfg = this.config;
    const ms = cfg.windowMsMin + (cfg.windowMsMax - cfg.windowMsMin) * this.rng.nextFloat();
    const c = this.coldOf(h);
    this.setState(h, c, State.Window, 0);
    this.cold[c + Cold.shift] = factor;
    this.cold[c + Cold.untilUs] = nowUs + ms * 1000;
    return Outcome.injected | this.logEvent(event, t, nowUs, Math.log(factor) * 1e4);
  }

  /** Sets a cell's state (keeping its other bits) and its remaining-updates slot. */
  private setState(h: number, c: number, state: number, remaining: number): void {
    const m1 = 2 * (h + Hot.meta) + 1;
    this.hotInt[m1] = (this.hotInt[m1] & ~STATE_MASK) | state;
    this.cold[c + Cold.remaining] = remaining;
  }

  /**
   * The factor on venue v's quote that crosses another venue's true quote net of fees by the
   * margin, the smallest over venues and directions; 1 when none is within the shift cap.
   */
  private crossingShift(i: number, v: number, bid: number, ask: number): number {
    const V = this.V;
    const row = i * V * HOT_STRIDE;
    const netBid = bid * this.sell[v];
    const netAsk = ask * this.buy[v];
    let best = Infinity;
    let dir = 0;
    for (let w = 0; w < V; w++) {
      if (w === v) continue;
      const wBid = this.hot[row + w * HOT_STRIDE + Hot.bid] * this.sell[w];
      const wAsk = this.hot[row + w * HOT_STRIDE + Hot.ask] * this.buy[w];
      if (wAsk === wAsk) {
        const up = Math.log((wAsk * (1 + this.margin)) / netBid);
        if (up > 0 && up < best) {
          best = up;
          dir = 1;
        }
      }
      if (wBid === wBid) {
        const down = Math.log(netAsk / (wBid * (1 - this.margin)));
        if (down > 0 && down < best) {
          best = down;
          dir = -1;
        }
      }
    }
    if (dir === 0 || best > this.config.maxShiftHalfSpreads * this.halfSpread[v]) return 1;
    return Math.exp(dir * best);
  }

  /**
   * The factor on venue v's quote of FX pair p that opens a triangle containing p (net of fees,
   * past the margin), the smallest over p's triangles and both cycles; 1 when none is within the cap.
   */
  private triangleShift(p: number, v: number, bid: number, ask: number): number {
    const fx = this.fx!;
    const nb = this.fxNegLnBid;
    const na = this.fxLnAsk;
    const ownNegLnBid = -Math.log(bid * this.sell[v]);
    const ownLnAsk = Math.log(ask * this.buy[v]);
    let best = Infinity;
    let dir = 0;
    const consider = (delta: number, d: number): void => {
      if (delta > 0 && delta < best) {
        best = delta;
        dir = d;
      }
    };
    for (let k = 0; k < fx.trianglesPerPair; k++) {
      const tri = fx.pairTriangles[p * fx.trianglesPerPair + k]!;
      const ab = fx.trianglePairs[tri * 3]!;
      const bc = fx.trianglePairs[tri * 3 + 1]!;
      const ac = fx.trianglePairs[tri * 3 + 2]!;
      // Skip a triangle that is open already; otherwise the shifted quote becomes its best.
      if (cycleWeightForward(nb[ab]!, nb[bc]!, na[ac]!) < 0 || cycleWeightBackward(nb[ac]!, na[bc]!, na[ab]!) < 0) continue;
      if (p === ab) {
        consider(ownNegLnBid + nb[bc]! + na[ac]! + this.margin, 1); // forward, via AB's bid: shift up
        consider(ownLnAsk + nb[ac]! + na[bc]! + this.margin, -1); // backward, via AB's ask: shift down
      } else if (p === bc) {
        consider(ownNegLnBid + nb[ab]! + na[ac]! + this.margin, 1);
        consider(ownLnAsk + nb[ac]! + na[ab]! + this.margin, -1);
      } else {
        consider(ownLnAsk + nb[ab]! + nb[bc]! + this.margin, -1); // forward, via AC's ask
        consider(ownNegLnBid + na[bc]! + na[ab]! + this.margin, 1); // backward, via AC's bid
      }
    }
    if (dir === 0 || best > this.config.maxShiftHalfSpreads * this.halfSpread[v]) return 1;
    return Math.exp(dir * best);
  }

  /** Refreshes FX pair p's best quotes from the true book (row `row` of the hot records) and says whether a triangle containing p is open. */
  private triangleOpenAfter(p: number, row: number): boolean {
    const V = this.V;
    let bestBid = NaN;
    let bestAsk = NaN;
    for (let w = 0; w < V; w++) {
      const b = this.hot[row + w * HOT_STRIDE + Hot.bid] * this.sell[w];
      const a = this.hot[row + w * HOT_STRIDE + Hot.ask] * this.buy[w];
      if (b > bestBid || bestBid !== bestBid) bestBid = b;
      if (a < bestAsk || bestAsk !== bestAsk) bestAsk = a;
    }
    const nb = this.fxNegLnBid;
    const na = this.fxLnAsk;
    // The logs only when the pair's best quotes moved (same inputs, same weights).
    if (!(bestBid === this.fxBestBid[p] || (bestBid !== bestBid && this.fxBestBid[p] !== this.fxBestBid[p]))) {
      this.fxBestBid[p] = bestBid;
      nb[p] = negLnBid(bestBid);
    }
    if (!(bestAsk === this.fxBestAsk[p] || (bestAsk !== bestAsk && this.fxBestAsk[p] !== this.fxBestAsk[p]))) {
      this.fxBestAsk[p] = bestAsk;
      na[p] = lnAsk(bestAsk);
    }
    const fx = this.fx!;
    for (let k = 0; k < fx.trianglesPerPair; k++) {
      const tri = fx.pairTriangles[p * fx.trianglesPerPair + k]!;
      const ab = fx.trianglePairs[tri * 3]!;
      const bc = fx.trianglePairs[tri * 3 + 1]!;
      const ac = fx.trianglePairs[tri * 3 + 2]!;
      if (cycleWeightForward(nb[ab]!, nb[bc]!, na[ac]!) < 0 || cycleWeightBackward(nb[ac]!, na[bc]!, na[ab]!) < 0) return true;
    }
    return false;
  }
}

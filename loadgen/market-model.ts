import {
  DEFAULT_FX_CURRENCIES,
  DEFAULT_FX_FIRST_INSTRUMENT,
  DEFAULT_VENUE_FEES_BPS,
  FX_USD_VALUE,
  fxLayout,
  type FxLayout,
} from '../analytics/market-conventions.js';
import type { InjectedCounts, InjectedSources } from '../analytics/ground-truth.js';
import { Injector, type InjectConfig, type InjectedEvent } from './injector.js';
import { Prng } from './prng.js';
import { ZipfSampler } from './zipf-sampler.js';

export interface MarketModelConfig {
  seed: number;
  instruments: number;
  venues: number;
  /** Instruments are spread over this many key groups (record key / partition choice). Default: one per instrument. */
  keyGroups?: number;
  /** Zipf exponent of instrument activity. Default 1.0. */
  zipfExponent?: number;
  /** Annualised volatility of every mid price (0.3 = 30%/year). Default 0.3. */
  annualVolatility?: number;
  /**
   * Market seconds that pass per second of intended time. 1 = real-time volatility. Raise it to
   * see larger moves in a short run; note that a quiet instrument's venues then disagree more
   * between their (older) quotes, so more cross-venue quotes cross without any injected anomaly.
   * Default 1.
   */
  timeAcceleration?: number;
  /** Initial mids are log-uniform in [basePriceMin, basePriceMax]. Defaults 10 and 1000. */
  basePriceMin?: number;
  basePriceMax?: number;
  /** Spread of venue 0; venue v quotes baseSpreadBps·(1 + 0.5·v) unless venueSpreadBps is given. Default 1. */
  baseSpreadBps?: number;
  /** Full bid–ask spread per venue in basis points; length must equal `venues`. */
  venueSpreadBps?: readonly number[];
  /**
   * Std. dev. of each quote's independent offset from the common mid, in bps. Default 0.05. The
   * offset is uniform, so it is bounded by √3 times this: cheap to draw, and quotes taken at the
   * same moment cannot cross however many are drawn, as long as that bound is below the half-spreads.
   */
  venueNoiseBps?: number;
  /** Quote sizes are whole lots, uniform in [minSizeLots, maxSizeLots]. Defaults 100 and 10000. */
  minSizeLots?: number;
  maxSizeLots?: number;
  /**
   * An FX universe (analytics/market-conventions.ts): `currencies` currencies whose pairs are
   * instruments firstInstrument.. (defaults 5 and 20), priced as cross rates of per-currency GBMs,
   * so that every triangle is consistent up to quoting noise, all in one key group. Absent or
   * null: no FX (every instrument has its own GBM). It is also off when the pairs do not fit.
   */
  fx?: { currencies?: number; firstInstrument?: number } | null;
  /** Taker fee per venue in bps, for the ground-truth book of crosses. Default: the analytics' default schedule. */
  venueFeesBps?: readonly number[];
  /**
   * Ground-truth anomalies (loadgen/injector.ts), drawn from a Prng of their own so the clean
   * stream's choices for a seed stay the same. Absent or null: a clean stream with flags 0.
   */
  inject?: Partial<InjectConfig> | null;
}

export const MARKET_MODEL_DEFAULTS = {
  zipfExponent: 1.0,
  annualVolatility: 0.3,
  timeAcceleration: 1,
  basePriceMin: 10,
  basePriceMax: 1000,
  baseSpreadBps: 1,
  venueNoiseBps: 0.05,
  minSizeLots: 100,
  maxSizeLots: 10_000,
} as const;

const US_PER_YEAR = 365.25 * 24 * 3600 * 1e6;
const BPS = 1e-4;

/**
 * The synthetic market. Each instrument has one mid price following geometric Brownian motion;
 * each venue quotes around that common mid with its own half-spread, so in the clean stream
 * cross-venue quotes taken at the same moment do not cross.
 *
 * `nextTick` is the hot path: it writes the tick into the public fields below instead of
 * returning an object, and all state lives in typed arrays sized at construction.
 */
export class MarketModel {
  readonly instruments: number;
  readonly venues: number;
  readonly keyGroups: number;

  // The tick produced by the last nextTick call.
  instrument = 0;
  venue = 0;
  keyGroup = 0;
  bid = 0;
  ask = 0;
  bidSize = 0;
  askSize = 0;
  flags = 0;
  intendedUs = 0;

  readonly fx: FxLayout | null;

  private readonly rng: Prng;
  private readonly activity: ZipfSampler;
  private readonly mid: Float64Array;
  /** Intended time of each instrument's last move; NaN before its first tick. */
  private readonly lastMoveUs: Float64Array;
  private readonly groupOfInstrument: Uint32Array;
  private readonly venueHalfSpread: Float64Array;
  private readonly sigmaPerSqrtUs: number;
  /** Half-width of the uniform quote offset, as a fraction of the mid. */
  private readonly venueNoiseHalfWidth: number;
  private readonly minSizeLots: number;
  private readonly sizeChoices: number;
  /** FX: first pair's instrument, pair count, and per currency its log USD value and last move time. */
  private readonly fxFirst: number;
  private readonly fxPairs: number;
  private readonly fxLogValue: Float64Array;
  private readonly fxLastUs: Float64Array;
  private readonly injector: Injector | null;
  /**
   * [0] the intended time of the tick `generate` makes. Doubles cross calls through typed arrays:
   * one passed as an argument to (or returned from) a call that is not inlined is boxed, an allocation.
   */
  readonly tickTime = new Float64Array(1);

  constructor(config: MarketModelConfig) {
    const c = resolveConfig(config);
    this.instruments = c.instruments;
    this.venues = c.venues;
    this.keyGroups = c.keyGroups;
    this.rng = new Prng(c.seed);
    this.activity = new ZipfSampler(c.instruments, c.zipfExponent);

    this.mid = new Float64Array(c.instruments);
    const logRange = Math.log(c.basePriceMax / c.basePriceMin);
    for (let i = 0; i < c.instruments; i++) {
      this.mid[i] = c.basePriceMin * Math.exp(logRange * this.rng.nextFloat());
    }
    this.lastMoveUs = new Float64Array(c.instruments).fill(Number.NaN);

    // A table rather than `% keyGroups` so that later groupings (FX triangles sharing a group)
    // only change how it is filled.
    this.groupOfInstrument = new Uint32Array(c.instruments);
    for (let i = 0; i < c.instruments; i++) this.groupOfInstrument[i] = i % c.keyGroups;

    this.venueHalfSpread = new Float64Array(c.venues);
    for (let v = 0; v < c.venues; v++) this.venueHalfSpread[v] = (c.venueSpreadBps[v] * BPS) / 2;

    this.sigmaPerSqrtUs = c.annualVolatility * Math.sqrt(c.timeAcceleration / US_PER_YEAR);
    this.venueNoiseHalfWidth = Math.sqrt(3) * c.venueNoiseBps * BPS;
    this.minSizeLots = c.minSizeLots;
    this.sizeChoices = c.maxSizeLots - c.minSizeLots + 1;

    this.fx =
      config.fx == null
        ? null
        : fxLayout(c.instruments, config.fx.currencies ?? DEFAULT_FX_CURRENCIES, config.fx.firstInstrument ?? DEFAULT_FX_FIRST_INSTRUMENT);
    this.fxFirst = this.fx?.first ?? 0;
    this.fxPairs = this.fx?.pairs ?? 0;
    this.fxLogValue = new Float64Array(this.fx?.currencies ?? 0);
    this.fxLastUs = new Float64Array(this.fx?.currencies ?? 0).fill(Number.NaN);
    if (this.fx !== null) {
      const fx = this.fx;
      for (let k = 0; k < fx.currencies; k++) this.fxLogValue[k] = Math.log(FX_USD_VALUE[k]!);
      // All pairs in the first pair's key group, so a triangle's pairs reach one worker in order.
      const group = this.groupOfInstrument[fx.first];
      for (let p = 0; p < fx.pairs; p++) {
        this.groupOfInstrument[fx.first + p] = group;
        this.mid[fx.first + p] = Math.exp(this.fxLogValue[fx.base[p]!] - this.fxLogValue[fx.quote[p]!]);
      }
    }

    const fees = config.venueFeesBps ?? DEFAULT_VENUE_FEES_BPS;
    this.injector =
      config.inject == null
        ? null
        : new Injector(
            {
              seed: c.seed,
              instruments: c.instruments,
              venues: c.venues,
              venueSpreadBps: c.venueSpreadBps,
              venueFeesBps: Array.from({ length: c.venues }, (_, v) => fees[v] ?? 0),
              sigmaPerSqrtUs: this.sigmaPerSqrtUs,
              venueNoiseHalfWidth: this.venueNoiseHalfWidth,
              fx: this.fx,
            },
            config.inject,
          );
  }

  /** What was injected so far (null without injection). */
  get injected(): Readonly<InjectedCounts> | null {
    return this.injector?.counts ?? null;
  }

  /** The faulty and noisy venues (null without injection). */
  get injectedSources(): Readonly<InjectedSources> | null {
    return this.injector?.sources ?? null;
  }

  /** The injected events with their ids, in order (up to the log limit). */
  get injectedEvents(): readonly InjectedEvent[] {
    return this.injector?.events ?? [];
  }

  /** Multiplies an instrument's common mid: a genuine jump every venue will quote from now on. */
  scaleMid(instrument: number, factor: number): void {
    this.mid[instrument] *= factor;
  }

  keyGroupOf(instrument: number): number {
    return this.groupOfInstrument[instrument];
  }

  /** Current common mid of an instrument (before venue spread and noise). */
  midOf(instrument: number): number {
    return this.mid[instrument];
  }

  /**
   * Generates the next tick at intended time `intendedUs` into the public fields. The same seed
   * and the same sequence of intended times always give the same ticks. Small enough to be
   * inlined into the caller, so the time reaches `generate` unboxed.
   */
  nextTick(intendedUs: number): void {
    this.tickTime[0] = intendedUs;
    this.generate();
  }

  /** nextTick at tickTime[0]. */
  generate(): void {
    const intendedUs = this.tickTime[0]!;
    const rng = this.rng;
    const instrument = this.activity.sample(rng);
    const venue = rng.nextBelow(this.venues);

    let mid: number;
    const pair = instrument - this.fxFirst;
    if (pair >= 0 && pair < this.fxPairs) {
      this.fxStep(pair);
      mid = this.mid[instrument];
    } else {
      // GBM step over the time since this instrument last moved, so volatility per unit of time
      // does not depend on the tick rate or on how active the instrument is. An instrument's first
      // tick (dt is NaN) only starts its clock; an out-of-order time neither moves it nor rewinds it.
      const dt = intendedUs - this.lastMoveUs[instrument];
      const sigmaSqrtDt = dt > 0 ? this.sigmaPerSqrtUs * Math.sqrt(dt) : 0;
      mid = this.mid[instrument] * Math.exp(sigmaSqrtDt * rng.nextGaussian() - 0.5 * sigmaSqrtDt * sigmaSqrtDt);
      this.mid[instrument] = mid;
      if (!(dt <= 0)) this.lastMoveUs[instrument] = intendedUs;
    }

    const center = mid * (1 + this.venueNoiseHalfWidth * (2 * rng.nextFloat() - 1));
    const half = this.venueHalfSpread[venue];
    this.intendedUs = intendedUs;
    this.instrument = instrument;
    this.venue = venue;
    this.keyGroup = this.groupOfInstrument[instrument];
    this.bid = center * (1 - half);
    this.ask = center * (1 + half);
    this.bidSize = this.minSizeLots + rng.nextBelow(this.sizeChoices);
    this.askSize = this.minSizeLots + rng.nextBelow(this.sizeChoices);

    // Anomaly injection, after the clean quote is final: it may rewrite bid/ask (and, for a
    // genuine jump, the mid) and labels the tick. Its randomness comes from its own Prng, so the
    // clean stream's draws for a seed are the same with or without it.
    this.flags = this.injector === null ? 0 : this.injector.apply(this, intendedUs);
  }

  /**
   * Moves both currencies of FX pair p to the tick's intended time (GBM in log USD value; USD is the
   * numeraire and stays put) and sets the pair's mid to their cross rate. Two normals are drawn
   * whatever happens, so the stream's draws do not depend on the timing.
   */
  private fxStep(p: number): void {
    const intendedUs = this.tickTime[0]!;
    const fx = this.fx!;
    const a = fx.base[p]!;
    const b = fx.quote[p]!;
    // Base then quote currency, each with its own normal (one loop: a helper taking the normal as
    // an argument would box it when not inlined).
    for (let k = 0; k < 2; k++) {
      const c = k === 0 ? a : b;
      const z = this.rng.nextGaussian();
      if (c === 0) continue;
      const dt = intendedUs - this.fxLastUs[c];
      if (dt > 0) {
        const s = this.sigmaPerSqrtUs * Math.sqrt(dt);
        this.fxLogValue[c] += s * z - 0.5 * s * s;
      }
      if (!(dt <= 0)) this.fxLastUs[c] = intendedUs;
    }
    this.mid[fx.first + p] = Math.exp(this.fxLogValue[a] - this.fxLogValue[b]);
  }
}

interface ResolvedMarketModelConfig {
  seed: number;
  instruments: number;
  venues: number;
  keyGroups: number;
  zipfExponent: number;
  annualVolatility: number;
  timeAcceleration: number;
  basePriceMin: number;
  basePriceMax: number;
  venueSpreadBps: Float64Array;
  venueNoiseBps: number;
  minSizeLots: number;
  maxSizeLots: number;
}

function fail(option: string, rule: string, value: unknown): never {
  throw new RangeError(`MarketModelConfig.${option} must be ${rule}, got ${String(value)}`);
}

function requireInteger(option: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) fail(option, `an integer in ${min}..${max}`, value);
  return value;
}

function requireFinite(option: string, value: number, minExclusive: number, maxExclusive = Infinity): number {
  if (!Number.isFinite(value) || !(value > minExclusive) || !(value < maxExclusive)) {
    const upper = maxExclusive === Infinity ? '' : ` and < ${maxExclusive}`;
    fail(option, `a finite number > ${minExclusive}${upper}`, value);
  }
  return value;
}

function resolveConfig(config: MarketModelConfig): ResolvedMarketModelConfig {
  const d = MARKET_MODEL_DEFAULTS;
  if (!Number.isSafeInteger(config.seed)) fail('seed', 'a safe integer', config.seed);
  const instruments = requireInteger('instruments', config.instruments, 1, 0xffffffff);
  const venues = requireInteger('venues', config.venues, 1, 0xffff);
  const keyGroups = requireInteger('keyGroups', config.keyGroups ?? instruments, 1, instruments);

  const zipfExponent = config.zipfExponent ?? d.zipfExponent;
  if (!Number.isFinite(zipfExponent) || zipfExponent < 0) fail('zipfExponent', 'a finite number ≥ 0', zipfExponent);
  const annualVolatility = config.annualVolatility ?? d.annualVolatility;
  if (!Number.isFinite(annualVolatility) || annualVolatility < 0) {
    fail('annualVolatility', 'a finite number ≥ 0', annualVolatility);
  }
  const timeAcceleration = requireFinite('timeAcceleration', config.timeAcceleration ?? d.timeAcceleration, 0);

  const basePriceMin = requireFinite('basePriceMin', config.basePriceMin ?? d.basePriceMin, 0);
  const basePriceMax = requireFinite('basePriceMax', config.basePriceMax ?? d.basePriceMax, 0);
  if (basePriceMax < basePriceMin) fail('basePriceMax', `≥ basePriceMin (${basePriceMin})`, basePriceMax);

  // Spreads below 100% keep bid > 0; the noise cap keeps the quote centre positive (√3·1000 bps < 100%).
  const venueSpreadBps = new Float64Array(venues);
  if (config.venueSpreadBps !== undefined) {
    if (config.venueSpreadBps.length !== venues) {
      fail('venueSpreadBps', `an array of ${venues} spreads (one per venue)`, `${config.venueSpreadBps.length} entries`);
    }
    for (let v = 0; v < venues; v++) {
      venueSpreadBps[v] = requireFinite(`venueSpreadBps[${v}]`, config.venueSpreadBps[v], 0, 10_000);
    }
  } else {
    const base = requireFinite('baseSpreadBps', config.baseSpreadBps ?? d.baseSpreadBps, 0);
    for (let v = 0; v < venues; v++) {
      venueSpreadBps[v] = requireFinite('baseSpreadBps', base * (1 + 0.5 * v), 0, 10_000);
    }
  }
  const venueNoiseBps = config.venueNoiseBps ?? d.venueNoiseBps;
  if (!Number.isFinite(venueNoiseBps) || venueNoiseBps < 0 || venueNoiseBps >= 1000) {
    fail('venueNoiseBps', 'a finite number in [0, 1000)', venueNoiseBps);
  }

  // f32 on the wire holds integers exactly up to 2^24.
  const minSizeLots = requireInteger('minSizeLots', config.minSizeLots ?? d.minSizeLots, 1, 2 ** 24);
  const maxSizeLots = requireInteger('maxSizeLots', config.maxSizeLots ?? d.maxSizeLots, minSizeLots, 2 ** 24);

  return {
    seed: config.seed,
    instruments,
    venues,
    keyGroups,
    zipfExponent,
    annualVolatility,
    timeAcceleration,
    basePriceMin,
    basePriceMax,
    venueSpreadBps,
    venueNoiseBps,
    minSizeLots,
    maxSizeLots,
  };
}

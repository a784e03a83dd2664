import { FrameReader, TickFlag, validateFrame } from '../wire/tick-frame.js';
import type { AnalyticsSharedState } from './analytics-state.js';
import { CrossFlag, CrossedMarketDetector, type CrossedMarketConfig } from './crossed-market-detector.js';
import { OutlierDetector, type OutlierConfig } from './outlier-detector.js';
import { SourceScorer, type SourceScorerConfig } from './source-scorer.js';

export interface AnalyticsConfig extends OutlierConfig, SourceScorerConfig, CrossedMarketConfig {
  /**
   * A tick flagged as an outlier withdraws its venue's quote from arbitrage detection instead of
   * replacing it: a ×10 decimal shift would otherwise be reported as a huge cross.
   */
  arbitrageSkipsOutliers: boolean;
}

export const DEFAULT_ANALYTICS_CONFIG: Readonly<AnalyticsConfig> = Object.freeze({
  outlierAlpha: 0.02,
  outlierWarmup: 30,
  outlierZ: 6,
  // A few ticks of a liquid instrument: below this, sigma is quantisation noise, not risk.
  outlierSigmaFloorBps: 2,
  outlierMaxRejects: 3,
  scorerFreshUs: 2_000_000,
  scorerStalenessTauUs: 10_000_000,
  scorerDevAlpha: 0.02,
  scorerUptimeAlpha: 0.02,
  scorerStallAlpha: 0.05,
  scorerStallAfter: 20,
  scorerMinVenues: 3,
  scorerDevK: 0.5,
  scorerDevClamp: 100,
  scorerMinSpreadBps: 0.5,
  scorerWeightUptime: 0.4,
  scorerWeightDeviation: 0.4,
  scorerWeightStall: 0.2,
  venueFeesBps: Object.freeze([] as number[]),
  arbitrageSkipsOutliers: true,
});

/**
 * Per-analyzer event counts. Each worker sends deltas (`takeCounters`); the main thread sums
 * them with `addCounters`. Ground-truth fields compare detections with the TickFlag labels.
 */
export interface AnalyticsCounters {
  frames: number;
  /** Frames rejected by validateFrame; none of their ticks is counted or analysed. */
  badFrames: number;
  /** Ticks in valid frames, including out-of-range ones. */
  ticks: number;
  /** Ticks whose instrument or venue lies outside the state's dims (skipped). */
  ticksOutOfRange: number;
  outliersFlagged: number;
  /** Flagged and labelled InjectedOutlier. */
  outliersFlaggedTrue: number;
  /** Labelled InjectedOutlier but not flagged. */
  outliersMissed: number;
  stalledTicks: number;
  /** Stalled and labelled InjectedFrozen. */
  stalledTicksTrue: number;
  /** Labelled InjectedFrozen but not stalled. */
  frozenMissed: number;
  /** Ticks whose venue crosses another venue after the update. */
  crossedTicks: number;
  /** Crossed and labelled InjectedArbitrage. */
  crossedTicksTrue: number;
  /** Labelled InjectedArbitrage but not crossed. */
  arbitrageMissed: number;
  /** Ticks whose venue is locked with another venue (and crosses none). */
  lockedTicks: number;
  /** Instruments going from not crossed to crossed. */
  arbitrageWindows: number;
  arbitrageWindowsClosed: number;
}

export function analyticsCountersZero(): AnalyticsCounters {
  return {
    frames: 0, badFrames: 0, ticks: 0, ticksOutOfRange: 0,
    outliersFlagged: 0, outliersFlaggedTrue: 0, outliersMissed: 0,
    stalledTicks: 0, stalledTicksTrue: 0, frozenMissed: 0,
    crossedTicks: 0, crossedTicksTrue: 0, arbitrageMissed: 0, lockedTicks: 0,
    arbitrageWindows: 0, arbitrageWindowsClosed: 0,
  };
}

const COUNTER_KEYS = Object.keys(analyticsCountersZero()) as ReadonlyArray<keyof AnalyticsCounters>;

/** Adds `from` into `into` field by field and returns `into`. */
export function addCounters(into: AnalyticsCounters, from: Readonly<AnalyticsCounters>): AnalyticsCounters {
  for (const k of COUNTER_KEYS) into[k] += from[k];
  return into;
}

/**
 * Defaults overlaid with the given options. An option given as undefined keeps its default; an
 * unknown name (a typo in a config file) is refused rather than silently ignored. The detectors
 * check the values.
 */
export function resolveAnalyticsConfig(config: Partial<AnalyticsConfig>): Readonly<AnalyticsConfig> {
  const given = Object.entries(config).filter(([, value]) => value !== undefined);
  for (const [name] of given) {
    if (!Object.hasOwn(DEFAULT_ANALYTICS_CONFIG, name)) throw new RangeError(`config.${name} is not an analytics option`);
  }
  const resolved: AnalyticsConfig = { ...DEFAULT_ANALYTICS_CONFIG, ...(Object.fromEntries(given) as Partial<AnalyticsConfig>) };
  if (typeof resolved.arbitrageSkipsOutliers !== 'boolean') {
    throw new RangeError(`config.arbitrageSkipsOutliers must be a boolean, got ${String(resolved.arbitrageSkipsOutliers)}`);
  }
  if (!Array.isArray(resolved.venueFeesBps)) throw new RangeError('config.venueFeesBps must be an array of bps');
  return Object.freeze(resolved);
}

/** Runs the three detectors over every tick of a frame. One per worker thread, over shared state. */
export class FrameAnalyzer {
  readonly counters: AnalyticsCounters = analyticsCountersZero();
  readonly config: Readonly<AnalyticsConfig>;
  readonly outliers: OutlierDetector;
  readonly sources: SourceScorer;
  readonly arbitrage: CrossedMarketDetector;
  private readonly reader = new FrameReader();
  private readonly instruments: number;
  private readonly venues: number;
  private readonly skipOutliers: boolean;

  constructor(state: AnalyticsSharedState, config: Partial<AnalyticsConfig> = {}) {
    this.config = resolveAnalyticsConfig(config);
    this.outliers = new OutlierDetector(state, this.config);
    this.sources = new SourceScorer(state, this.config);
    this.arbitrage = new CrossedMarketDetector(state, this.config);
    this.instruments = state.dims.instruments;
    this.venues = state.dims.venues;
    this.skipOutliers = this.config.arbitrageSkipsOutliers;
  }

  /**
   * Analyses one frame, tick by tick in order. Never throws on bad input: a poison frame would
   * otherwise be retried forever by an at-least-once consumer; it is counted instead.
   */
  analyze(frame: Uint8Array): void {
    const c = this.counters;
    if (validateFrame(frame) !== null) {
      c.badFrames++;
      return;
    }
    const r = this.reader.reset(frame);
    const n = r.tickCount;
    // Locals, written back once per frame: keeps the loop free of property stores.
    let outOfRange = 0;
    let flagged = 0, flaggedTrue = 0, missed = 0;
    let stalledN = 0, stalledTrue = 0, frozenMissed = 0;
    let crossed = 0, crossedTrue = 0, arbMissed = 0, locked = 0, opened = 0, closed = 0;
    for (let i = 0; i < n; i++) {
      const instrument = r.instrument(i);
      const venue = r.venue(i);
      if (instrument >= this.instruments || venue >= this.venues) {
        outOfRange++;
        continue;
      }
      const flags = r.flags(i);
      const bid = r.bid(i);
      const ask = r.ask(i);

      const isOutlier = this.outliers.onTick(instrument, venue, 0.5 * (bid + ask));
      if (isOutlier) {
        flagged++;
        if ((flags & TickFlag.InjectedOutlier) !== 0) flaggedTrue++;
      } else if ((flags & TickFlag.InjectedOutlier) !== 0) {
        missed++;
      }

      if (this.sources.onTick(instrument, venue, bid, ask, r.sendTimeUs(i))) {
        stalledN++;
        if ((flags & TickFlag.InjectedFrozen) !== 0) stalledTrue++;
      } else if ((flags & TickFlag.InjectedFrozen) !== 0) {
        frozenMissed++;
      }

      const x = isOutlier && this.skipOutliers
        ? this.arbitrage.onTick(instrument, venue, NaN, NaN)
        : this.arbitrage.onTick(instrument, venue, bid, ask);
      if ((x & CrossFlag.Crossed) !== 0) {
        crossed++;
        if ((flags & TickFlag.InjectedArbitrage) !== 0) crossedTrue++;
      } else {
        if ((x & CrossFlag.Locked) !== 0) locked++;
        if ((flags & TickFlag.InjectedArbitrage) !== 0) arbMissed++;
      }
      if ((x & CrossFlag.WindowOpened) !== 0) opened++;
      if ((x & CrossFlag.WindowClosed) !== 0) closed++;
    }
    c.frames++;
    c.ticks += n;
    c.ticksOutOfRange += outOfRange;
    c.outliersFlagged += flagged;
    c.outliersFlaggedTrue += flaggedTrue;
    c.outliersMissed += missed;
    c.stalledTicks += stalledN;
    c.stalledTicksTrue += stalledTrue;
    c.frozenMissed += frozenMissed;
    c.crossedTicks += crossed;
    c.crossedTicksTrue += crossedTrue;
    c.arbitrageMissed += arbMissed;
    c.lockedTicks += locked;
    c.arbitrageWindows += opened;
    c.arbitrageWindowsClosed += closed;
  }

  /** Returns the counts since the last call and zeroes them (per-worker deltas). */
  takeCounters(): AnalyticsCounters {
    const out = { ...this.counters };
    for (const k of COUNTER_KEYS) this.counters[k] = 0;
    return out;
  }
}

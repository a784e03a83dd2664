import { nowUs, type ClockUs } from '../wire/clock.js';
import { FrameReader, TickFlag, validateFrame } from '../wire/tick-frame.js';
import type { Alert, AlertKind } from './alerts.js';
import { SCORER_CELL_STRIDE, ScorerField, evalInstrumentTable, scorerCellTable, type AnalyticsSharedState } from './analytics-state.js';
import { GroundTruthTracker } from './ground-truth-tracker.js';
import { CrossFlag, CrossedMarketDetector, type CrossedMarketConfig } from './crossed-market-detector.js';
import { DEFAULT_VENUE_FEES_BPS } from './market-conventions.js';
import { OUTLIER_WITHHELD, OutlierDetector, OutlierVerdict, type OutlierConfig } from './outlier-detector.js';
import { SourceScorer, type SourceScorerConfig } from './source-scorer.js';
import { TickLabels } from './tick-labels.js';
import { TriFlag, TriangularDetector } from './triangular-detector.js';
import { analyticsCountersZero, NUMBER_KEYS, type AnalyticsCounters } from './analytics-counters.js';
import { TickSlot, createCurrentTick } from './current-tick.js';

export interface AnalyticsConfig extends OutlierConfig, SourceScorerConfig, CrossedMarketConfig {
  /**
   * A tick flagged as an outlier withdraws its venue's quote from arbitrage detection instead of
   * replacing it: a ×10 decimal shift would otherwise be reported as a huge cross.
   */
  arbitrageSkipsOutliers: boolean;
  /** Scoring only: a biased source should rank below every clean venue of an instrument within this many of its updates. */
  evalBiasedWithin: number;
  /** Scoring only: a frozen source should score below `evalFrozenScore` within this many of its updates. */
  evalFrozenWithin: number;
  evalFrozenScore: number;
  /** Scoring only: a venue's scores enter the ranking averages once it has this many deviation samples on an instrument. */
  evalScoreWarmup: number;
}

export const DEFAULT_ANALYTICS_CONFIG: Readonly<AnalyticsConfig> = Object.freeze({
  outlierAlpha: 0.02,
  outlierWarmup: 30,
  outlierZ: 6,
  outlierSigmaFloorBps: 0.1,
  // Half a half spread of the tick's own quote: on the fair-value market's grid σ is about a tick
  // and the half spread 1–2 ticks, so a whole half spread hid most 4–6σ spikes (each leg had to
  // pass 3 half spreads). The simple market moves genuinely by up to 3 half spreads and back: it
  // runs with SIMPLE_MARKET_OUTLIERS (outlier-detector.ts).
  outlierSigmaFloorHalfSpreads: 0.5,
  outlierMaxRejects: 3,
  // Off: a frozen feed catching up moves out and stays, which the two-sided test accepts on its own.
  outlierReanchorAfterFlat: 0,
  outlierJumpWindow: 10,
  outlierJumpConfirmZ: 2,
  // A feed lag, as arbitrageConfirmUs: a genuine jump reaches the other feeds within it.
  outlierJumpWindowUs: 50_000,
  outlierCrossVenue: true,
  // A held tick whose venue stays quiet for 8 of its quote intervals is decided from the other
  // venues' quotes. Quotes come in bursts (feeds publish on change), so quiet spells of 4 mean
  // intervals were common: each decided without the venue's own evidence.
  outlierHeldTimeoutIntervals: 8,
  scorerFreshUs: 2_000_000,
  scorerStalenessTauUs: 10_000_000,
  scorerDevAlpha: 0.02,
  scorerUptimeAlpha: 0.02,
  scorerStallAlpha: 0.05,
  scorerStallAfter: 5,
  // Half a consensus spread (1–2 ticks on the default grid) beyond where the consensus stood, for
  // a quarter second: five times the largest feed lag the fair-value market models (50 ms).
  scorerStallAwaySpreads: 0.5,
  scorerStallAwayUs: 250_000,
  scorerMinVenues: 3,
  scorerReferenceVenues: 2,
  // Twice the largest feed lag the fair-value market models (50 ms): by then every venue has
  // shown the market of the quote's time (SourceScorer). Overrides scorerReferenceVenues.
  scorerReferenceAfterUs: 100_000,
  scorerDevK: 1,
  // 1 spread: a quote further than a consensus spread from the later quotes is wrong whatever its
  // size; the cap keeps the rare large miss (a spike the outlier test let through, a reference
  // quote caught mid-jump) from outweighing how a source quotes the rest of the time.
  scorerDevClamp: 1,
  scorerMinSpreadBps: 0.5,
  scorerWeightUptime: 0.4,
  scorerWeightDeviation: 0.4,
  scorerWeightStall: 0.2,
  venueFeesBps: DEFAULT_VENUE_FEES_BPS,
  arbitrageConfirmUs: 50_000,
  arbitrageConfirmByRequote: true,
  arbitrageConsensus: true,
  arbitrageSkipsOutliers: true,
  evalBiasedWithin: 500,
  evalFrozenWithin: 200,
  evalFrozenScore: 0.5,
  evalScoreWarmup: 20,
});

export { addCounters, analyticsCountersZero, COUNTER_FIELDS, type AnalyticsCounters } from './analytics-counters.js';

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
  if (typeof resolved.arbitrageConsensus !== 'boolean') {
    throw new RangeError(`config.arbitrageConsensus must be a boolean, got ${String(resolved.arbitrageConsensus)}`);
  }
  if (typeof resolved.arbitrageConfirmByRequote !== 'boolean') {
    throw new RangeError(`config.arbitrageConfirmByRequote must be a boolean, got ${String(resolved.arbitrageConfirmByRequote)}`);
  }
  if (!Array.isArray(resolved.venueFeesBps)) throw new RangeError('config.venueFeesBps must be an array of bps');
  for (const k of ['evalBiasedWithin', 'evalFrozenWithin', 'evalScoreWarmup'] as const) {
    if (!Number.isInteger(resolved[k]) || resolved[k] < 0)
      throw new RangeError(`config.${k} must be a non-negative integer, got ${resolved[k]}`);
  }
  if (!(resolved.evalFrozenScore >= 0 && resolved.evalFrozenScore <= 1)) {
    throw new RangeError(`config.evalFrozenScore must be a number in 0..1, got ${resolved.evalFrozenScore}`);
  }
  return Object.freeze(resolved);
}

const NO_ALERTS: readonly Alert[] = Object.freeze([]);

/**
 * Runs the detectors over every tick of a frame — outliers, source confidence, cross-venue and
 * triangular arbitrage — collects their alerts, and scores them against the generator's labels.
 * One per worker thread, over shared state; allocates nothing per tick (an alert per detection).
 */
export class FrameAnalyzer {
  readonly counters: AnalyticsCounters = analyticsCountersZero();
  readonly config: Readonly<AnalyticsConfig>;
  readonly outliers: OutlierDetector;
  readonly sources: SourceScorer;
  readonly arbitrage: CrossedMarketDetector;
  readonly triangular: TriangularDetector;
  private readonly reader = new FrameReader();
  /** The tick under analysis, written once per tick and read by every detector's onQuote. */
  private readonly tick = createCurrentTick();
  private readonly instruments: number;
  private readonly venues: number;
  private readonly skipOutliers: boolean;
  private readonly clock: ClockUs;
  /** The scorer's per-cell line, whose evalOpen slot says the cell has an event to follow. */
  private readonly scorerCells: Float64Array;
  private readonly faultyInstrument: Uint8Array;
  /** Scoring against the labels: called only on labelled ticks and cells with an event open. */
  private readonly truth: GroundTruthTracker;
  private readonly scoreSum: Float64Array;
  private readonly scoreCount: Float64Array;
  private alerts: Alert[] | null = null;
  private readonly labels: TickLabels | null;

  /** @param clock stamps `detectedUs` on alerts (default: wall clock, µs since epoch). */
  constructor(state: AnalyticsSharedState, config: Partial<AnalyticsConfig> = {}, clock: ClockUs = nowUs) {
    this.config = resolveAnalyticsConfig(config);
    this.outliers = new OutlierDetector(state, this.config, this.tick);
    this.sources = new SourceScorer(state, this.config, this.tick);
    this.arbitrage = new CrossedMarketDetector(state, this.config, this.tick);
    this.triangular = new TriangularDetector(state, this.config, this.tick);
    this.instruments = state.dims.instruments;
    this.venues = state.dims.venues;
    this.skipOutliers = this.config.arbitrageSkipsOutliers;
    this.clock = clock;
    this.scorerCells = scorerCellTable(state);
    this.faultyInstrument = evalInstrumentTable(state);
    this.truth = new GroundTruthTracker(state, this.config, this.sources, this.counters, this.tick);
    this.scoreSum = new Float64Array(this.venues);
    this.scoreCount = new Float64Array(this.venues);
    this.labels = state.labels ? new TickLabels(state.labels) : null;
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
    const outliers = this.outliers;
    const sources = this.sources;
    const tick = this.tick;
    const arbitrage = this.arbitrage;
    const triangular = this.triangular;
    const V = this.venues;
    const scoreWarmup = this.config.evalScoreWarmup;
    const fxFirst = triangular.first;
    const fxPairs = triangular.pairs;
    const labels = this.labels;
    const truth = this.truth;
    // Locals for the per-tick counts, written back once per frame: keeps the loop free of
    // property stores. Rare, labelled events update `c` directly.
    let outOfRange = 0;
    let flagged = 0,
      flaggedTrue = 0,
      missed = 0;
    let stalledN = 0,
      stalledTrue = 0,
      frozenMissed = 0;
    let crossed = 0,
      crossedTrue = 0,
      arbMissed = 0,
      locked = 0,
      opened = 0,
      closed = 0;
    let fxTicks = 0,
      triOpen = 0,
      triTrue = 0,
      triMissed = 0;
    for (let i = 0; i < n; i++) {
      const instrument = r.instrument(i);
      const venue = r.venue(i);
      if (instrument >= this.instruments || venue >= V) {
        outOfRange++;
        continue;
      }
      // Labels come from the side channel, never from the wire (whose flags field is reserved).
      const flags = labels === null ? 0 : labels.read(r.tickSource(i), r.seq(i));
      const bid = r.bid(i);
      const ask = r.ask(i);
      const sendTimeUs = r.sendTimeUs(i);
      const isFx = instrument - fxFirst < fxPairs && instrument >= fxFirst;

      // The tick for the detectors' onQuote (analytics/current-tick.ts), written once: only
      // small integers cross their calls.
      tick[TickSlot.bid] = bid;
      tick[TickSlot.ask] = ask;
      tick[TickSlot.timeUs] = sendTimeUs;
      tick[TickSlot.mid] = 0.5 * (bid + ask);
      tick[TickSlot.halfSpread] = (ask - bid) / (ask + bid);
      tick[TickSlot.id] = r.tickSource(i) * 2 ** 32 + r.seq(i);
      const verdict = outliers.onQuote(instrument, venue);
      // Withheld (flagged, or held until the venue's next tick judges it): out of the book and the scores.
      const isOutlier = (verdict & OUTLIER_WITHHELD) !== 0;
      if ((verdict & OutlierVerdict.Outlier) !== 0) {
        flagged++;
        if ((flags & TickFlag.InjectedOutlier) !== 0) flaggedTrue++;
        this.alert(r, i, 'outlier', instrument, venue, outliers.lastZ);
      } else if ((flags & TickFlag.InjectedOutlier) !== 0) {
        // A held bad tick counts as missed until it is judged an outlier: one never judged (the
        // stream ended first) is undecided, and undecided is a miss.
        missed++;
      }
      // The venue's held tick, judged an outlier by this one.
      if ((verdict & OutlierVerdict.PreviousOutlier) !== 0) {
        this.heldFlagged(outliers.previousId, instrument, venue, outliers.previousUs, outliers.previousZ);
      }
      // Another venue's held tick, its venue quiet too long, judged an outlier from the others' quotes.
      if ((verdict & OutlierVerdict.ExpiredOutlier) !== 0) {
        this.heldFlagged(outliers.expiredId, instrument, outliers.expiredVenue, outliers.expiredUs, outliers.expiredZ);
      }

      const stalled = sources.onQuote(instrument, venue, isOutlier);
      if (stalled) {
        stalledN++;
        if ((flags & TickFlag.InjectedFrozen) !== 0) stalledTrue++;
        if (sources.stallBegan) this.alert(r, i, 'stale', instrument, venue, sources.lastRun);
      } else if ((flags & TickFlag.InjectedFrozen) !== 0) {
        frozenMissed++;
      }
      // The ranking's venue averages: every 8th update of a settled venue (a sample is plenty,
      // and it keeps an exp off the per-tick path).
      if (
        (sources.updates(instrument, venue) & 7) === 0 &&
        this.faultyInstrument[instrument] === 0 &&
        !isFx &&
        sources.deviationSamples(instrument, venue) >= scoreWarmup
      ) {
        const quality = sources.quality(instrument, venue);
        if (quality === quality) {
          this.scoreSum[venue] += Math.round(quality * 1e6);
          this.scoreCount[venue]++;
        }
      }

      const x = arbitrage.onQuote(instrument, venue, isOutlier && this.skipOutliers);
      const isCrossed = (x & CrossFlag.Crossed) !== 0;
      if (isCrossed) {
        crossed++;
        if ((flags & (TickFlag.InjectedArbitrage | TickFlag.MarketCross)) !== 0) crossedTrue++;
      } else {
        if ((x & CrossFlag.Locked) !== 0) locked++;
        if ((flags & TickFlag.InjectedArbitrage) !== 0) arbMissed++;
      }
      if ((x & CrossFlag.WindowOpened) !== 0) {
        opened++;
        this.alert(r, i, 'crossed', instrument, venue, arbitrage.crossBps(instrument));
      }
      if ((x & CrossFlag.WindowClosed) !== 0) closed++;
      if ((x & CrossFlag.Confirmed) !== 0) this.alert(r, i, 'tradeable', instrument, venue, arbitrage.crossBps(instrument));
      if ((x & CrossFlag.LockOpened) !== 0) this.alert(r, i, 'locked', instrument, venue, 0);

      const tri = isFx ? triangular.onQuote(instrument) : 0;
      if (isFx) {
        fxTicks++;
        const labelled = (flags & TickFlag.TriangularOpen) !== 0;
        if ((tri & TriFlag.Open) !== 0) {
          triOpen++;
          if (labelled) triTrue++;
        } else if (labelled) {
          triMissed++;
        }
        if ((tri & TriFlag.Opened) !== 0) c.triangularWindows += triangular.lastOpened;
        // Reported once confirmed, as crosses are: an opening alone is mostly stale quotes' phantoms.
        if ((tri & TriFlag.Confirmed) !== 0) this.alert(r, i, 'triangular', instrument, venue, triangular.lastProfitBps);
        if ((tri & TriFlag.Closed) !== 0) c.triangularWindowsClosed += triangular.lastClosed;
      }

      // Scoring against the labels: rare paths only (a labelled tick, or a cell with an open event).
      if (flags !== 0)
        truth.onLabelled(flags, instrument, venue, (verdict & OutlierVerdict.Outlier) !== 0, isCrossed, (tri & TriFlag.Open) !== 0);
      if (this.scorerCells[(instrument * V + venue) * SCORER_CELL_STRIDE + ScorerField.evalOpen] !== 0) {
        truth.follow(instrument, venue, flags, stalled);
      }
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
    c.fxTicks += fxTicks;
    c.triangularTicks += triOpen;
    c.triangularTicksTrue += triTrue;
    c.triangularMissed += triMissed;
  }

  /**
   * The stream has ended (a run's last frame analysed, a replay done): decides every tick still
   * held for its venue's next quote, which will not come, so each tick ends judged. Their alerts
   * follow through takeAlerts. Call once, after the last frame, with no frame in flight on any
   * analyzer of the shared state.
   */
  endOfStream(): void {
    const outliers = this.outliers;
    for (let v = outliers.endOfStream(); v !== 0; v = outliers.endOfStream()) {
      if ((v & OutlierVerdict.ExpiredOutlier) !== 0) {
        this.heldFlagged(outliers.expiredId, outliers.expiredInstrument, outliers.expiredVenue, outliers.expiredUs, outliers.expiredZ);
      }
    }
  }

  /**
   * A held tick (id = source · 2³² + seq) judged an outlier after its own tick was analysed: its
   * alert, and its labels read again from the side channel. A rare path: the counters directly.
   */
  private heldFlagged(id: number, instrument: number, venue: number, sendTimeUs: number, z: number): void {
    const labels = this.labels;
    const heldSource = Math.floor(id / 2 ** 32);
    const heldSeq = id - heldSource * 2 ** 32;
    const heldFlags = labels === null || !(id >= 0) ? 0 : labels.read(heldSource, heldSeq);
    const c = this.counters;
    c.outliersFlagged++;
    if ((heldFlags & TickFlag.InjectedOutlier) !== 0) {
      c.outliersFlaggedTrue++;
      c.outliersMissed--;
    }
    if (heldFlags !== 0) this.truth.onHeldFlagged(heldFlags);
    this.alertAt(heldSeq, heldSource, 'outlier', instrument, venue, sendTimeUs, z);
  }

  /**
   * An alert for tick i of the frame, sent at the current tick's time: read here, not passed, as a
   * double argument of these calls would be boxed where their branches meet, on every tick.
   */
  private alert(r: FrameReader, i: number, kind: AlertKind, instrument: number, venue: number, value: number): void {
    this.alertAt(r.seq(i), r.tickSource(i), kind, instrument, venue, this.tick[TickSlot.timeUs], value);
  }

  /** An alert for the tick (source, seq), which need not be in the frame at hand (a held outlier). */
  private alertAt(
    seq: number,
    source: number,
    kind: AlertKind,
    instrument: number,
    venue: number,
    sendTimeUs: number,
    value: number,
  ): void {
    const detectedUs = this.clock();
    const alert: Alert = { kind, instrument, venue, seq, source, sendTimeUs, detectedUs, value };
    (this.alerts ??= []).push(alert);
    const c = this.counters;
    const latency = Math.round(detectedUs - sendTimeUs);
    c.alerts++;
    c.alertLatencyUsSum += latency;
    if (latency > c.alertLatencyUsMax) c.alertLatencyUsMax = latency;
    switch (kind) {
      case 'outlier':
        c.alertsOutlier++;
        c.alertLatencyUsSumOutlier += latency;
        break;
      case 'stale':
        c.alertsStale++;
        c.alertLatencyUsSumStale += latency;
        break;
      case 'crossed':
        c.alertsCrossed++;
        c.alertLatencyUsSumCrossed += latency;
        break;
      case 'locked':
        c.alertsLocked++;
        c.alertLatencyUsSumLocked += latency;
        break;
      case 'triangular':
        c.alertsTriangular++;
        c.alertLatencyUsSumTriangular += latency;
        break;
      case 'tradeable':
        c.alertsTradeable++;
        break;
    }
  }

  /** The alerts raised since the last call, in tick order (a shared empty list when there were none). */
  takeAlerts(): readonly Alert[] {
    const out = this.alerts ?? NO_ALERTS;
    this.alerts = null;
    return out;
  }

  /** Returns the counts since the last call and zeroes them (per-worker deltas). */
  takeCounters(): AnalyticsCounters {
    const out: AnalyticsCounters = {
      ...this.counters,
      venueScoreSum: Array.from(this.scoreSum),
      venueScoreCount: Array.from(this.scoreCount),
    };
    for (const k of NUMBER_KEYS) this.counters[k] = 0;
    this.scoreSum.fill(0);
    this.scoreCount.fill(0);
    return out;
  }
}

import type { AnalyticsCounters } from '../analytics/frame-analyzer.js';
import type { RunResult } from './run-result.js';
import { mergeDetections, type SerializedDetections } from '../analytics/detection-log.js';
import { FairValueMarket, type FairValueStreamSpec, type MarketTruth } from '../loadgen/fair-value-market.js';
import {
  analyticsQualityBlock,
  faultyScoreOf,
  hampelFlags,
  scoreCrossesAndSources,
  scoreOutliers,
  SCORE_DEFAULTS,
  type AnalyticsQualityBlock,
  type SeedScore,
} from './quality-score.js';

/**
 * Scores a run on the fair-value market at merge time: each load generator's stream is
 * regenerated from its part's few numbers (seed, options, schedule; loadgen/fair-value-market.ts
 * FairValueStreamSpec) with the truth recorded this time, its checksum compared with the one the
 * generator sent, and the ingest parts' flagged seqs scored against that truth exactly as
 * `firehose score` scores its in-process replay (run/quality-score.ts). Nothing here runs while
 * ticks flow: the producer's hot path keeps no per-tick truth, and the detectors never see it.
 */

/**
 * Ticks scored per source: a longer run is scored on its first this-many ticks (the figures say
 * how many). Regenerating and scoring costs about 3 µs of CPU per tick, so this bounds the wait
 * at the end of a run to ~15 s; an interrupted run scores INTERRUPTED_SCORED_TICKS (its result
 * is due within seconds of the interrupt).
 */
export const MAX_SCORED_TICKS = 5_000_000;
export const INTERRUPTED_SCORED_TICKS = 300_000;

export interface RegeneratedStream {
  truth: MarketTruth;
  mids: Float64Array;
  halves: Float64Array;
  /** True when the whole stream was regenerated and its checksum matched; false on a mismatch; null when only a prefix was scored. */
  checksumMatched: boolean | null;
}

/** Regenerates the first `limit` ticks of a fair-value stream with its truth. */
export function regenerateStream(spec: FairValueStreamSpec, limit = MAX_SCORED_TICKS): RegeneratedStream {
  const n = Math.min(spec.generated, limit);
  const market = new FairValueMarket({ ...spec.options, seed: spec.seed, ticks: spec.ticks, recordTicks: Math.max(1, n) });
  const mids = new Float64Array(n);
  const halves = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    // Bit for bit the schedule's intended time (loadgen/open-loop-schedule.ts).
    market.nextTick(spec.startUs + (k * 1e6) / spec.ratePerSec);
    mids[k] = 0.5 * (market.bid + market.ask);
    halves[k] = (market.ask - market.bid) / (market.ask + market.bid);
  }
  return { truth: market.truth, mids, halves, checksumMatched: n === spec.generated ? market.checksum === spec.checksum : null };
}

export interface RunQuality {
  block: AnalyticsQualityBlock;
  scoredTicks: number;
  generatedTicks: number;
  checksumMatched: boolean | null;
  detectionsTruncated: number;
}

/**
 * The quality block of a run: one entry per fair-value load generator (the block's "seeds"),
 * null when no generator ran the fair-value market. `counters` are the merged analytics
 * counters: the venues' run-long score averages and the faulty-source checks come from them.
 */
export function scoreRunQuality(
  specs: readonly FairValueStreamSpec[],
  sources: readonly number[],
  detections: readonly SerializedDetections[],
  counters: AnalyticsCounters,
  limit = MAX_SCORED_TICKS,
): RunQuality | null {
  if (specs.length === 0) return null;
  const merged = mergeDetections(detections);
  const o = { ...SCORE_DEFAULTS, thresholds: [6] };
  const qualities = Array.from({ length: specs[0]!.options.venues }, (_, v) => {
    const n = counters.venueScoreCount[v] ?? 0;
    return n > 0 ? counters.venueScoreSum[v]! / 1e6 / n : NaN;
  });
  let scored = 0;
  let generated = 0;
  let matched: boolean | null = true;
  const seeds: SeedScore[] = specs.map((spec, k) => {
    const { truth, mids, halves, checksumMatched } = regenerateStream(spec, limit);
    if (checksumMatched === false) matched = false;
    else if (checksumMatched === null && matched === true) matched = null;
    const n = truth.ticks;
    scored += n;
    generated += spec.generated;
    const { instruments, venues } = spec.options;
    const lists = merged.bySource[String(sources[k])] ?? { outlier: [], tradeable: [], triangular: [] };
    const flagged = new Uint8Array(n);
    for (const seq of lists.outlier) if (seq < n) flagged[seq] = 1;
    const crossed = new Uint8Array(n);
    for (const seq of lists.tradeable) if (seq < n) crossed[seq] = 1;
    const triangles = new Uint8Array(n);
    for (const seq of lists.triangular) if (seq < n) triangles[seq] = 1;
    const outliers = scoreOutliers(truth, flagged, venues, o.matchTicks);
    const baselineOutliers = scoreOutliers(truth, hampelFlags(truth, mids, halves, instruments, venues, 6), venues, o.matchTicks);
    const point = (s: typeof outliers) => ({
      threshold: 6,
      precision: s.precision,
      recall: s.recall,
      f1: s.f1,
      falsePer10k: s.falsePer10k,
    });
    const faulty = faultyScoreOf(counters);
    return {
      seed: spec.seed,
      ticks: n,
      outliers,
      prCurve: [point(outliers)],
      baselineOutliers,
      baselinePrCurve: [point(baselineOutliers)],
      ...scoreCrossesAndSources(spec.seed, truth, { crossed, triangles, qualities, faulty }, instruments, o.matchTicks),
      replayTicksPerSec: NaN,
    };
  });
  return {
    block: analyticsQualityBlock(seeds, { ...o, ticks: scored, market: specs[0]!.options }),
    scoredTicks: scored,
    generatedTicks: generated,
    checksumMatched: matched,
    detectionsTruncated: merged.truncated,
  };
}

/**
 * Puts a run's fair-value quality into its result: the whole block as `analyticsQuality` (the
 * report's section), and the headline figures into `analytics` beside the counter-based ones
 * (new fields only; `sources.spearman` becomes ρ against the venues' true error, as it is null
 * on this market otherwise).
 */
export function attachRunQuality(result: RunResult, q: RunQuality): void {
  const b = q.block;
  const a = result.analytics;
  result.analyticsQuality = b;
  a.outliers.recallBySize = b.outliers.recallBySize;
  a.outliers.falsePer10k = b.outliers.falsePer10k;
  a.outliers.f1 = b.outliers.f1;
  a.arbitrage.tradeable = {
    precision: b.arbitrage.tradeable.precision,
    recall: b.arbitrage.tradeable.recall,
    events: b.arbitrage.tradeable.events,
    alerts: b.arbitrage.tradeable.alerts,
  };
  a.arbitrage.phantom = { classified: b.arbitrage.phantom.classified, events: b.arbitrage.phantom.events };
  a.arbitrage.triangular.fairValue = b.triangular;
  a.sources.spearman = Number.isFinite(b.sources.spearman) ? b.sources.spearman : null;
  a.sources.kendall = b.sources.kendall;
  a.sources.kendallPValue = b.sources.kendallPValueMax;
  a.baseline = { outliers: b.baseline.outliers, arbitrage: b.baseline.arbitrage, triangular: b.baseline.triangular };
  a.fairValue = {
    scoredTicks: q.scoredTicks,
    generatedTicks: q.generatedTicks,
    checksumMatched: q.checksumMatched,
    detectionsTruncated: q.detectionsTruncated,
  };
  if (q.checksumMatched === false)
    result.warnings.push(
      'the fair-value stream regenerated for scoring does not match the one sent (checksum): its quality figures are not valid',
    );
  if (q.scoredTicks < q.generatedTicks)
    result.warnings.push(`analytics quality scored on the first ${q.scoredTicks} of ${q.generatedTicks} ticks per source`);
}

import type { AnalyticsCounters } from './frame-analyzer.js';
import type { InjectedCounts, InjectedSources } from './ground-truth.js';

/**
 * Detector quality from merged counts: precision, recall, false-positive rates and delays for
 * each detector, the source ranking and its Spearman ρ against the injected noise. Pure: called
 * once on counts summed over every worker and process, so the ratios are exact.
 *
 * Definitions (a ratio with a zero denominator is null):
 *   outliers   per tick: precision = flagged & labelled InjectedOutlier / flagged;
 *              recall = flagged & labelled / labelled; the false-positive rate is over the ticks
 *              not labelled (genuine jumps included: a real move flagged is a false flag).
 *              Flagging happens on the offending tick or not at all: delay 0 ticks, and the µs
 *              are the alerts' detection latency (intended send time → detection).
 *   frozen     per run: recall = runs stalled before they ended / runs decided (detected or
 *              ended; a run still going when the stream ends is left out); delay = updates (and µs of
 *              intended time) from the run's first tick to the first stalled one; per tick:
 *              precision = stalled & labelled InjectedFrozen / stalled.
 *   arbitrage  per tick: precision = crossed & crossed in the generator's true book / crossed;
 *              recall = crossed & labelled InjectedArbitrage / labelled; trigger recall = injected
 *              windows crossed on their first tick. Triangular likewise per FX tick, against
 *              TriangularOpen and the injected mispricings' first ticks.
 *   sources    scores are the venues' mean score at their own ticks (instruments without injected
 *              faulty sources, FX excluded, sampled every 8th update); spearman = ρ(score, −noise):
 *              1 when the ranking follows the injected noise exactly. Biased / frozen: per
 *              (instrument, venue) with the fault, updates until it ranked below every clean venue / scored below 0.5.
 */
export interface AnalyticsScore {
  counters: AnalyticsCounters;
  /**
   * Fair-value market only (run/run-quality.ts): the baselines' scores beside the detectors'
   * (Hampel outliers, fee-less cross), and what the figures were scored on.
   */
  baseline?: {
    outliers: Record<string, unknown> & { f1: number };
    arbitrage: Record<string, unknown>;
    triangular: Record<string, unknown>;
  };
  fairValue?: { scoredTicks: number; generatedTicks: number; checksumMatched: boolean | null; detectionsTruncated: number };
  /** Counts of what the generator injected, and its faulty and noisy venues; null when nothing was injected. */
  injected: (InjectedCounts & { sources: InjectedSources }) | null;
  outliers: OutlierScore;
  sources: SourceScore;
  arbitrage: ArbitrageScore;
  alerts: AlertScore;
}

export interface OutlierScore {
  /** Fair-value market only: recall per band of the venue's true return σ, false flags per 10k clean ticks, F1. */
  recallBySize?: Record<string, number>;
  falsePer10k?: number;
  f1?: number;
  flagged: number;
  flaggedInjected: number;
  missedInjected: number;
  injectedTicks: number;
  precision: number | null;
  recall: number | null;
  spikeRecall: number | null;
  decimalShiftRecall: number | null;
  falsePositives: number;
  falsePositiveRate: number | null;
  falseFlagsPer10kTicks: number | null;
  genuineJumpTicks: number;
  flaggedOnGenuineJumps: number;
  delayTicks: number;
  alertLatencyUsMean: number | null;
  frozen: {
    started: number;
    runs: number;
    detected: number;
    recall: number | null;
    stalledTicks: number;
    precision: number | null;
    tickRecall: number | null;
    falsePositiveRate: number | null;
    delayTicksMean: number | null;
    delayTicksMax: number;
    delayUsMean: number | null;
    delayUsMax: number;
  };
}

export interface SourceScore {
  scores: number[];
  ranking: number[];
  noiseBps: number[] | null;
  spearman: number | null;
  /** Fair-value market only: Kendall τ of the scores against the venues' true error, and its permutation p-value. */
  kendall?: number;
  kendallPValue?: number;
  /**
   * Per (instrument, venue) turned faulty: detected at all, within the limit (`within` updates),
   * late (the limit passed undetected), undecided (the run ended first). recall = onTime / (onTime + late).
   */
  biased: FaultScore;
  frozen: FaultScore & { threshold: number };
}

export interface FaultScore {
  venue: number;
  cells: number;
  detected: number;
  onTime: number;
  late: number;
  undecided: number;
  recall: number | null;
  delayUpdatesMean: number | null;
  delayUpdatesMax: number;
  within: number;
}

export interface ArbitrageScore {
  /** Fair-value market only: tradeable-cross alerts against crosses of the fair values, and phantom crosses left unreported. */
  tradeable?: { precision: number; recall: number; events: number; alerts: number };
  phantom?: { classified: number; events: number };
  crossedTicks: number;
  lockedTicks: number;
  windows: number;
  windowsClosed: number;
  precision: number | null;
  recall: number | null;
  falsePositives: number;
  falsePositiveRate: number | null;
  injectedTicks: number;
  triggers: number;
  triggersFlagged: number;
  triggerRecall: number | null;
  marketCrossTicks: number;
  marketCrossRecall: number | null;
  delayTicks: number;
  alertLatencyUsMean: number | null;
  triangular: {
    /** Fair-value market only: triangle alerts against triangles the fair cross rates open (tradeable), and phantoms left unreported. */
    fairValue?: { tradeable: Record<string, number>; phantom: Record<string, number> };
    fxTicks: number;
    openTicks: number;
    precision: number | null;
    recall: number | null;
    falsePositives: number;
    falsePositiveRate: number | null;
    labelledTicks: number;
    triggers: number;
    triggersFlagged: number;
    triggerRecall: number | null;
    windows: number;
    windowsClosed: number;
    alertLatencyUsMean: number | null;
  };
}

export interface AlertScore {
  total: number;
  outlier: number;
  stale: number;
  crossed: number;
  locked: number;
  triangular: number;
  /** Crossed windows confirmed as tradeable (absent in results written before it existed). */
  tradeable?: number;
  latencyUsMean: number | null;
  latencyUsMax: number;
}

export interface ScoringInput {
  counters: AnalyticsCounters;
  injected: InjectedCounts | null;
  sources: InjectedSources | null;
  /** Limits the source checks were run with (FrameAnalyzer config). */
  biasedWithin: number;
  frozenWithin: number;
  frozenScore: number;
  venues: number;
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);
const round = (x: number | null, digits = 4): number | null => (x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits);

/** Ranks (1 = smallest), ties sharing their mean rank. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const out = new Array<number>(values.length);
  let k = 0;
  while (k < order.length) {
    let e = k;
    while (e + 1 < order.length && order[e + 1]!.v === order[k]!.v) e++;
    const mean = (k + e) / 2 + 1;
    for (let m = k; m <= e; m++) out[order[m]!.i] = mean;
    k = e + 1;
  }
  return out;
}

/** Spearman's ρ: Pearson correlation of the ranks (ties averaged). Null when either side is constant or too short. */
export function spearman(a: readonly number[], b: readonly number[]): number | null {
  const n = a.length;
  if (n !== b.length || n < 2) return null;
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (n + 1) / 2;
  let sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = ra[i]! - mean;
    const y = rb[i]! - mean;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : null;
}

export function scoreAnalytics(input: ScoringInput): AnalyticsScore {
  const c = input.counters;
  const truth = input.injected !== null && input.sources !== null;

  const outlierLabelled = c.outliersFlaggedTrue + c.outliersMissed;
  const outlierFalse = c.outliersFlagged - c.outliersFlaggedTrue;
  const analysed = c.ticks - c.ticksOutOfRange;
  const outliers: OutlierScore = {
    flagged: c.outliersFlagged,
    flaggedInjected: c.outliersFlaggedTrue,
    missedInjected: c.outliersMissed,
    injectedTicks: outlierLabelled,
    precision: truth ? round(ratio(c.outliersFlaggedTrue, c.outliersFlagged)) : null,
    recall: round(ratio(c.outliersFlaggedTrue, outlierLabelled)),
    spikeRecall: round(ratio(c.spikesFlagged, c.spikeTicks)),
    decimalShiftRecall: round(ratio(c.decimalShiftsFlagged, c.decimalShiftTicks)),
    falsePositives: outlierFalse,
    falsePositiveRate: round(ratio(outlierFalse, analysed - outlierLabelled), 7),
    falseFlagsPer10kTicks: round(ratio(outlierFalse * 1e4, analysed - outlierLabelled), 3),
    genuineJumpTicks: c.genuineJumpTicks,
    flaggedOnGenuineJumps: c.outliersFlaggedOnJumps,
    delayTicks: 0,
    alertLatencyUsMean: round(ratio(c.alertLatencyUsSumOutlier, c.alertsOutlier), 1),
    frozen: {
      started: c.frozenRunsStarted,
      runs: c.frozenRuns,
      detected: c.frozenRunsDetected,
      recall: round(ratio(c.frozenRunsDetected, c.frozenRuns)),
      stalledTicks: c.stalledTicks,
      precision: truth ? round(ratio(c.stalledTicksTrue, c.stalledTicks)) : null,
      tickRecall: round(ratio(c.stalledTicksTrue, c.stalledTicksTrue + c.frozenMissed)),
      falsePositiveRate: round(ratio(c.stalledTicks - c.stalledTicksTrue, analysed - (c.stalledTicksTrue + c.frozenMissed)), 7),
      delayTicksMean: round(ratio(c.frozenDelayTicksSum, c.frozenRunsDetected), 2),
      delayTicksMax: c.frozenDelayTicksMax,
      delayUsMean: round(ratio(c.frozenDelayUsSum, c.frozenRunsDetected), 1),
      delayUsMax: Math.round(c.frozenDelayUsMax),
    },
  };

  const V = input.venues;
  const scores: number[] = [];
  for (let v = 0; v < V; v++) {
    const n = c.venueScoreCount[v] ?? 0;
    scores.push(n > 0 ? Math.round(((c.venueScoreSum[v] ?? 0) / 1e6 / n) * 10_000) / 10_000 : 0);
  }
  const ranking = scores
    .map((score, venue) => ({ score, venue }))
    .sort((a, b) => b.score - a.score || a.venue - b.venue)
    .map((x) => x.venue);
  const noise = input.sources?.noiseBps.slice(0, V) ?? null;
  const rho =
    noise !== null && noise.length === V
      ? spearman(
          scores,
          noise.map((x) => -x),
        )
      : null;
  const sources: SourceScore = {
    scores,
    ranking,
    noiseBps: noise,
    spearman: round(rho),
    biased: {
      venue: input.sources?.biasedVenue ?? -1,
      cells: c.biasedSources,
      detected: c.biasedRankedLast,
      onTime: c.biasedOnTime,
      late: c.biasedLate,
      undecided: c.biasedSources - c.biasedOnTime - c.biasedLate,
      recall: round(ratio(c.biasedOnTime, c.biasedOnTime + c.biasedLate)),
      delayUpdatesMean: round(ratio(c.biasedDelaySum, c.biasedRankedLast), 1),
      delayUpdatesMax: c.biasedDelayMax,
      within: input.biasedWithin,
    },
    frozen: {
      venue: input.sources?.frozenVenue ?? -1,
      cells: c.frozenSources,
      detected: c.frozenSourcesBelow,
      onTime: c.frozenSourcesOnTime,
      late: c.frozenSourcesLate,
      undecided: c.frozenSources - c.frozenSourcesOnTime - c.frozenSourcesLate,
      recall: round(ratio(c.frozenSourcesOnTime, c.frozenSourcesOnTime + c.frozenSourcesLate)),
      delayUpdatesMean: round(ratio(c.frozenSourceDelaySum, c.frozenSourcesBelow), 1),
      delayUpdatesMax: c.frozenSourceDelayMax,
      within: input.frozenWithin,
      threshold: input.frozenScore,
    },
  };

  const crossedFalse = c.crossedTicks - c.crossedTicksTrue;
  const triFalse = c.triangularTicks - c.triangularTicksTrue;
  const arbitrage: ArbitrageScore = {
    crossedTicks: c.crossedTicks,
    lockedTicks: c.lockedTicks,
    windows: c.arbitrageWindows,
    windowsClosed: c.arbitrageWindowsClosed,
    precision: truth ? round(ratio(c.crossedTicksTrue, c.crossedTicks), 5) : null,
    recall: round(ratio(c.injectedArbitrageTicks - c.arbitrageMissed, c.injectedArbitrageTicks), 5),
    falsePositives: crossedFalse,
    falsePositiveRate: round(ratio(crossedFalse, analysed - c.injectedArbitrageTicks - c.marketCrossTicks), 7),
    injectedTicks: c.injectedArbitrageTicks,
    triggers: c.arbitrageTriggers,
    triggersFlagged: c.arbitrageTriggersFlagged,
    triggerRecall: round(ratio(c.arbitrageTriggersFlagged, c.arbitrageTriggers), 5),
    marketCrossTicks: c.marketCrossTicks,
    marketCrossRecall: round(ratio(c.marketCrossFlagged, c.marketCrossTicks)),
    delayTicks: 0,
    alertLatencyUsMean: round(ratio(c.alertLatencyUsSumCrossed, c.alertsCrossed), 1),
    triangular: {
      fxTicks: c.fxTicks,
      openTicks: c.triangularTicks,
      precision: truth ? round(ratio(c.triangularTicksTrue, c.triangularTicks), 5) : null,
      recall: round(ratio(c.triangularTicksTrue, c.triangularLabelled), 5),
      falsePositives: triFalse,
      falsePositiveRate: round(ratio(triFalse, c.fxTicks - c.triangularLabelled), 7),
      labelledTicks: c.triangularLabelled,
      triggers: c.triangularTriggers,
      triggersFlagged: c.triangularTriggersFlagged,
      triggerRecall: round(ratio(c.triangularTriggersFlagged, c.triangularTriggers), 5),
      windows: c.triangularWindows,
      windowsClosed: c.triangularWindowsClosed,
      alertLatencyUsMean: round(ratio(c.alertLatencyUsSumTriangular, c.alertsTriangular), 1),
    },
  };

  const alerts: AlertScore = {
    total: c.alerts,
    outlier: c.alertsOutlier,
    stale: c.alertsStale,
    crossed: c.alertsCrossed,
    locked: c.alertsLocked,
    triangular: c.alertsTriangular,
    tradeable: c.alertsTradeable ?? 0,
    latencyUsMean: round(ratio(c.alertLatencyUsSum, c.alerts), 1),
    latencyUsMax: Math.round(c.alertLatencyUsMax),
  };

  return {
    counters: c,
    injected: input.injected !== null && input.sources !== null ? { ...input.injected, sources: input.sources } : null,
    outliers,
    sources,
    arbitrage,
    alerts,
  };
}

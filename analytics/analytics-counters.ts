/**
 * Per-analyzer event counts. Each worker sends deltas (FrameAnalyzer.takeCounters); the main
 * thread sums them with `addCounters`, so counts from any number of workers and processes merge
 * exactly. Ratios are computed only from the merged counts (analytics/scoring.ts).
 *
 * ONE list below defines every counter: its name, and how it merges — 'sum' (added), 'max' (the
 * larger; the names ending in Max), 'array' (per venue, added element-wise). The type, the zero
 * value and the merge keys are all derived from it.
 *
 * "Labelled" means the generator's TickFlag ground truth (0 on a clean stream).
 */
export const COUNTER_FIELDS = {
  frames: 'sum',
  /** Frames rejected by validateFrame; none of their ticks is counted or analysed. */
  badFrames: 'sum',
  /** Ticks in valid frames, including out-of-range ones. */
  ticks: 'sum',
  /** Ticks whose instrument or venue lies outside the state's dims (skipped). */
  ticksOutOfRange: 'sum',

  // Outliers: spikes and decimal shifts (labelled InjectedOutlier), judged on the offending tick or, when
  // the detector held it, on its venue's next tick (a held one counts as missed until then).
  outliersFlagged: 'sum',
  /** Flagged and labelled InjectedOutlier. */
  outliersFlaggedTrue: 'sum',
  /** Labelled InjectedOutlier but not flagged. */
  outliersMissed: 'sum',
  spikeTicks: 'sum',
  spikesFlagged: 'sum',
  decimalShiftTicks: 'sum',
  decimalShiftsFlagged: 'sum',
  /** Ticks labelled GenuineJump (a real move reaching a venue), and those flagged: false flags on real moves. */
  genuineJumpTicks: 'sum',
  outliersFlaggedOnJumps: 'sum',

  // Stale prices: frozen runs and frozen sources (labelled InjectedFrozen).
  stalledTicks: 'sum',
  /** Stalled and labelled InjectedFrozen. */
  stalledTicksTrue: 'sum',
  /** Labelled InjectedFrozen but not stalled. */
  frozenMissed: 'sum',
  frozenTicks: 'sum',
  /**
   * Injected frozen runs seen starting; decided (detected, or ended undetected — a run still
   * going when the stream ends is neither); detected (stalled before the run ended); and the
   * delays from the run's first tick to detection.
   */
  frozenRunsStarted: 'sum',
  frozenRuns: 'sum',
  frozenRunsDetected: 'sum',
  frozenDelayTicksSum: 'sum',
  frozenDelayTicksMax: 'max',
  frozenDelayUsSum: 'sum',
  frozenDelayUsMax: 'max',

  // Source confidence against the injected faulty sources (one event per panel instrument).
  biasedSources: 'sum',
  /**
   * The biased venue found on the instrument (score below every clean venue's), at all / within
   * evalBiasedWithin of its updates. The name is kept for result.json: it once meant ranked last.
   */
  biasedRankedLast: 'sum',
  biasedOnTime: 'sum',
  /** ... not yet below every clean venue when evalBiasedWithin of its updates had passed (counted once, when the limit passes). */
  biasedLate: 'sum',
  /** Updates of the biased venue from the bias's start until it was found. */
  biasedDelaySum: 'sum',
  biasedDelayMax: 'max',
  /** The frozen venue scored below evalFrozenScore on the instrument, at all / within evalFrozenWithin of its updates; or not by then. */
  frozenSources: 'sum',
  frozenSourcesBelow: 'sum',
  frozenSourcesOnTime: 'sum',
  frozenSourcesLate: 'sum',
  frozenSourceDelaySum: 'sum',
  frozenSourceDelayMax: 'max',
  /**
   * Per venue: sum (in millionths, rounded, so sums merge exactly in any order) and count of its
   * score sampled at every 8th of its own updates (non-FX instruments without faulty sources).
   */
  venueScoreSum: 'array',
  venueScoreCount: 'array',

  // Cross-venue arbitrage.
  /** Ticks whose venue crosses another venue after the update. */
  crossedTicks: 'sum',
  /** Crossed and labelled crossed in the true book (InjectedArbitrage or MarketCross). */
  crossedTicksTrue: 'sum',
  /** Labelled InjectedArbitrage but not crossed. */
  arbitrageMissed: 'sum',
  injectedArbitrageTicks: 'sum',
  marketCrossTicks: 'sum',
  marketCrossFlagged: 'sum',
  /** Ticks whose venue is locked with another venue (and crosses none). */
  lockedTicks: 'sum',
  /** Instruments going from not crossed to crossed. */
  arbitrageWindows: 'sum',
  arbitrageWindowsClosed: 'sum',
  /** Triggering ticks of injected arbitrage windows, and those crossed on that very tick. */
  arbitrageTriggers: 'sum',
  arbitrageTriggersFlagged: 'sum',

  // Triangular FX arbitrage.
  fxTicks: 'sum',
  /** FX ticks after which a triangle containing the pair is open. */
  triangularTicks: 'sum',
  /** ... and labelled TriangularOpen. */
  triangularTicksTrue: 'sum',
  triangularLabelled: 'sum',
  triangularMissed: 'sum',
  /** Cycles opened / closed. */
  triangularWindows: 'sum',
  triangularWindowsClosed: 'sum',
  triangularTriggers: 'sum',
  triangularTriggersFlagged: 'sum',

  // Alerts (see analytics/alerts.ts), by kind, with detection latency (send time → detection).
  alerts: 'sum',
  alertsOutlier: 'sum',
  alertsStale: 'sum',
  alertsCrossed: 'sum',
  alertsLocked: 'sum',
  alertsTriangular: 'sum',
  /** Crossed windows that stayed open arbitrageConfirmUs (tradeable, not phantom). */
  alertsTradeable: 'sum',
  alertLatencyUsSum: 'sum',
  alertLatencyUsMax: 'max',
  alertLatencyUsSumOutlier: 'sum',
  alertLatencyUsSumStale: 'sum',
  alertLatencyUsSumCrossed: 'sum',
  alertLatencyUsSumLocked: 'sum',
  alertLatencyUsSumTriangular: 'sum',
} as const satisfies Record<string, 'sum' | 'max' | 'array'>;

type CounterFields = typeof COUNTER_FIELDS;
export type AnalyticsCounters = { -readonly [K in keyof CounterFields]: CounterFields[K] extends 'array' ? number[] : number };

type NumberKey = { [K in keyof CounterFields]: CounterFields[K] extends 'array' ? never : K }[keyof CounterFields];
type ArrayKey = { [K in keyof CounterFields]: CounterFields[K] extends 'array' ? K : never }[keyof CounterFields];

const FIELD_NAMES = Object.keys(COUNTER_FIELDS) as Array<keyof CounterFields>;
export const NUMBER_KEYS = FIELD_NAMES.filter((k): k is NumberKey => COUNTER_FIELDS[k] !== 'array');
const SUM_KEYS = FIELD_NAMES.filter((k): k is NumberKey => COUNTER_FIELDS[k] === 'sum');
const MAX_KEYS = FIELD_NAMES.filter((k): k is NumberKey => COUNTER_FIELDS[k] === 'max');
const ARRAY_KEYS = FIELD_NAMES.filter((k): k is ArrayKey => COUNTER_FIELDS[k] === 'array');

export function analyticsCountersZero(): AnalyticsCounters {
  const zero = {} as Record<string, number | number[]>;
  for (const k of FIELD_NAMES) zero[k] = COUNTER_FIELDS[k] === 'array' ? [] : 0;
  return zero as AnalyticsCounters;
}

/**
 * Adds `from` into `into` and returns `into`: counts are summed, `…Max` fields take the larger,
 * arrays add element-wise (growing as needed). A counter missing in `from` (an older part file)
 * counts as 0.
 */
export function addCounters(into: AnalyticsCounters, from: Readonly<Partial<AnalyticsCounters>>): AnalyticsCounters {
  for (const k of SUM_KEYS) into[k] += from[k] ?? 0;
  for (const k of MAX_KEYS) into[k] = Math.max(into[k], from[k] ?? 0);
  for (const k of ARRAY_KEYS) {
    const src = from[k] ?? [];
    const dst = into[k];
    for (let v = 0; v < src.length; v++) dst[v] = (dst[v] ?? 0) + (src[v] ?? 0);
  }
  return into;
}

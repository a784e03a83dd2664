/**
 * What a generator of labelled test data reports about the anomalies it injected: the ground
 * truth the analytics are scored against (analytics/scoring.ts). The synthetic generator
 * (loadgen/injector.ts) fills it; counts are sums, so parts from several generators merge by
 * adding them.
 */

/** How many of each class were injected (events) and labelled (ticks). */
export interface InjectedCounts {
  /** Events of every kind; each has an id in the generator's event log. */
  events: number;
  spikes: number;
  decimalShifts: number;
  frozenRuns: number;
  genuineJumps: number;
  arbitrageWindows: number;
  triangular: number;
  /** (instrument, venue) series turned into a biased / frozen source. */
  biasedSources: number;
  frozenSources: number;
  /** Ticks labelled InjectedOutlier, InjectedFrozen, GenuineJump, InjectedArbitrage, MarketCross, TriangularOpen. */
  outlierTicks: number;
  frozenTicks: number;
  jumpTicks: number;
  arbitrageTicks: number;
  marketCrossTicks: number;
  triangularTicks: number;
  /** Ticks with any label, and all ticks generated. */
  labelledTicks: number;
  ticks: number;
}

export function injectedCountsZero(): InjectedCounts {
  return {
    events: 0,
    spikes: 0,
    decimalShifts: 0,
    frozenRuns: 0,
    genuineJumps: 0,
    arbitrageWindows: 0,
    triangular: 0,
    biasedSources: 0,
    frozenSources: 0,
    outlierTicks: 0,
    frozenTicks: 0,
    jumpTicks: 0,
    arbitrageTicks: 0,
    marketCrossTicks: 0,
    triangularTicks: 0,
    labelledTicks: 0,
    ticks: 0,
  };
}

export function addInjectedCounts(into: InjectedCounts, from: Readonly<InjectedCounts>): InjectedCounts {
  for (const k of Object.keys(into) as Array<keyof InjectedCounts>) into[k] += from[k] ?? 0;
  return into;
}

/** Which venues are faulty and how noisy each is: the truth the source ranking is checked against. */
export interface InjectedSources {
  /** Venue quoting the panel instruments with a persistent bias (-1: none). */
  biasedVenue: number;
  /** Venue freezing on the panel instruments (-1: none). */
  frozenVenue: number;
  /** The bias, in consensus spreads. */
  biasSpreads: number;
  /** Every this-many-th non-FX instrument hosts the faulty sources (0 = none). */
  panelEvery: number;
  /** Per venue: extra quote noise, std. dev. in consensus spreads and in bps. */
  noiseSpreads: number[];
  noiseBps: number[];
  /** Median of the venues' spreads, bps. */
  consensusSpreadBps: number;
}

/** A generator's whole report. */
export interface InjectedTruth {
  counts: InjectedCounts;
  sources: InjectedSources;
}

import { createAnalyticsState } from '../analytics/analytics-state.js';
import { FrameAnalyzer, type AnalyticsConfig, type AnalyticsCounters } from '../analytics/frame-analyzer.js';
import { HampelFilter } from '../analytics/hampel-filter.js';
import { createTickLabels, TickLabels, type TickLabelsShared } from '../analytics/tick-labels.js';
import { kendall, permutationPValue, spearman } from '../analytics/rank-correlation.js';
import {
  FAIR_VALUE_MARKET_DEFAULTS,
  FairValueMarket,
  TruthKind,
  type FairValueMarketOptions,
  type MarketTruth,
} from '../loadgen/fair-value-market.js';
import { FrameBatcher } from '../loadgen/frame-batcher.js';
import { Prng } from '../loadgen/prng.js';

/**
 * Quality curves of the analytics on the fair-value market: frames generated in memory with the
 * truth kept beside them (never in the ticks), replayed through a FrameAnalyzer per threshold of
 * a sweep, detections taken from the analyzer's alerts by seq, and the same stream run through
 * the baselines (Hampel filter; fee-less, staleness-blind cross check). Every figure per seed,
 * then mean and min (max for false flags) over the seeds.
 */

export const SIZE_BANDS = [
  { name: '2-3', lo: 2, hi: 3 },
  { name: '3-4', lo: 3, hi: 4 },
  { name: '4-6', lo: 4, hi: 6 },
  { name: '6-8', lo: 6, hi: 8 },
  { name: '>8', lo: 8, hi: Infinity },
] as const;

export interface ScoreOptions {
  seeds: number[];
  ticks: number;
  market: Partial<Omit<FairValueMarketOptions, 'seed'>>;
  /** Detector z thresholds (and Hampel t) of the precision–recall sweep; the first is the headline. */
  thresholds: number[];
  /** Event-level matching: a detection within this many ticks of the instrument (cell, for outliers) belongs to the event. */
  matchTicks: number;
  analytics: Partial<AnalyticsConfig>;
  ticksPerRecord: number;
  keyGroups: number;
}

export const SCORE_DEFAULTS: ScoreOptions = {
  seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  ticks: 200_000,
  market: {},
  thresholds: [6, 3, 4, 5, 8, 10, 14],
  matchTicks: 3,
  analytics: {},
  ticksPerRecord: 64,
  keyGroups: 8,
};

export interface OutlierScore {
  recallBySize: Record<string, number>;
  badBySize: Record<string, number>;
  falsePer10k: number;
  precision: number;
  recall: number;
  f1: number;
  /** Event level: flags on a bad tick's cell within matchTicks after it are one event (bursts counted, not as extra false events). */
  burstFlags: number;
  falseEventsPer10k: number;
  /** False flags on a cell's first ticks (up to matchTicks) after a market-wide news jump: genuine moves, counted in falsePer10k all the same. */
  flagsOnNews: number;
}

export interface PrPoint {
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
  falsePer10k: number;
}

export interface CrossScore {
  precision: number;
  recall: number;
  events: number;
  alerts: number;
  phantomClassified: number;
  phantomEvents: number;
}

export interface SeedScore {
  seed: number;
  ticks: number;
  outliers: OutlierScore;
  prCurve: PrPoint[];
  baselineOutliers: OutlierScore;
  baselinePrCurve: PrPoint[];
  arbitrage: CrossScore;
  baselineArbitrage: CrossScore;
  /** Triangles (FX pairs) against the fair cross rates: the triangular detector's alerts, and the fee-less baseline's. */
  triangular: CrossScore;
  baselineTriangular: CrossScore;
  sources: {
    spearman: number;
    kendall: number;
    pValue: number;
    scores: number[];
    noiseBps: number[];
    errorBps: number[];
    faulty: FaultyScore;
  };
  replayTicksPerSec: number;
}

/** Generates one seed's stream: frames in producer order (seq = tick index, flags 0) and the truth. */
export function generateScoredStream(
  seed: number,
  o: ScoreOptions,
): { frames: Uint8Array[]; truth: MarketTruth; mids: Float64Array; halves: Float64Array } {
  const groups = Math.min(o.keyGroups, o.market.instruments ?? FAIR_VALUE_MARKET_DEFAULTS.instruments);
  const market = new FairValueMarket({ ...o.market, seed, ticks: o.ticks, keyGroups: groups });
  const frames: Uint8Array[] = [];
  let now = 1.7e15;
  const batcher = new FrameBatcher({
    keyGroups: groups,
    ticksPerRecord: o.ticksPerRecord,
    clock: () => now,
    onFrame: (_g, f) => {
      frames.push(f);
    },
  });
  const stepUs = 1e6 / market.o.ratePerSec;
  const mids = new Float64Array(o.ticks);
  const halves = new Float64Array(o.ticks);
  for (let k = 0; k < o.ticks; k++) {
    now = 1.7e15 + k * stepUs;
    market.nextTick(now);
    batcher.add(market.keyGroup, k >>> 0, 0, market.venue, market.instrument, 0, now, market.bid, market.ask, 1, 1);
    mids[k] = 0.5 * (market.bid + market.ask);
    halves[k] = (market.ask - market.bid) / (market.ask + market.bid);
  }
  batcher.flushAll(now);
  return { frames, truth: market.truth, mids, halves };
}

const isBad = (kind: number): boolean => kind === TruthKind.Spike || kind === TruthKind.DecimalShift;

/** Scores per-tick outlier flags (1 = flagged, by seq) against the truth. */
export function scoreOutliers(truth: MarketTruth, flagged: Uint8Array, venues: number, matchTicks: number): OutlierScore {
  const n = truth.ticks;
  const bad: Record<string, number> = {};
  const hit: Record<string, number> = {};
  for (const b of SIZE_BANDS) {
    bad[b.name] = 0;
    hit[b.name] = 0;
  }
  let tp = 0,
    fp = 0,
    fn = 0,
    clean = 0,
    burst = 0,
    falseEvents = 0;
  // Per cell: ticks of the cell since its last bad tick (to group a burst), and since its last false flag.
  const sinceBad = new Map<number, number>();
  const sinceFalse = new Map<number, number>();
  // Per cell: ticks since the latest news jump (counted from the cell's first tick after it).
  const sinceNews = new Map<number, number>();
  let newsIndex = 0;
  let newsEpoch = -1;
  const newsSeen = new Map<number, number>();
  let flagsOnNews = 0;
  for (let s = 0; s < n; s++) {
    const cell = truth.instrument[s]! * venues + truth.venue[s]!;
    while (newsIndex < truth.newsSeqs.length && truth.newsSeqs[newsIndex]! <= s) {
      newsEpoch = newsIndex;
      newsIndex++;
    }
    if (newsEpoch >= 0 && newsSeen.get(cell) !== newsEpoch) {
      newsSeen.set(cell, newsEpoch);
      sinceNews.set(cell, 0);
    }
    const sn = (sinceNews.get(cell) ?? Infinity) + 1;
    sinceNews.set(cell, sn);
    const f = flagged[s] === 1;
    // A faulty source's ticks are judged by the source checks, not as bad ticks or clean ones.
    if (truth.kind[s] === TruthKind.FaultySource) continue;
    if (isBad(truth.kind[s]!)) {
      const size = truth.sizeSigma[s]!;
      const band = SIZE_BANDS.find((b) => size >= b.lo && size < b.hi);
      if (band) {
        bad[band.name]!++;
        if (f) hit[band.name]!++;
      }
      if (f) tp++;
      else fn++;
      sinceBad.set(cell, 0);
      continue;
    }
    clean++;
    const sb = (sinceBad.get(cell) ?? Infinity) + 1;
    sinceBad.set(cell, sb);
    const sf = (sinceFalse.get(cell) ?? Infinity) + 1;
    sinceFalse.set(cell, sf);
    if (!f) continue;
    fp++;
    if (sn <= matchTicks) flagsOnNews++;
    if (sb <= matchTicks) {
      burst++;
      continue;
    }
    if (sf > matchTicks) falseEvents++;
    sinceFalse.set(cell, 0);
  }
  const recallBySize: Record<string, number> = {};
  for (const b of SIZE_BANDS) recallBySize[b.name] = bad[b.name]! > 0 ? hit[b.name]! / bad[b.name]! : NaN;
  const precision = tp + fp > 0 ? tp / (tp + fp) : 1;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 1;
  return {
    recallBySize,
    badBySize: bad,
    falsePer10k: clean > 0 ? (fp / clean) * 1e4 : 0,
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    burstFlags: burst,
    falseEventsPer10k: clean > 0 ? (falseEvents / clean) * 1e4 : 0,
    flagsOnNews,
  };
}

/**
 * Event-level cross scoring. An event is a run of ticks of an instrument with a per-tick label on
 * (tradeable, or phantom); an alert (by seq) on a tick of the instrument within the run, or within
 * matchTicks of its ticks before or after it, belongs to it. Recall: tradeable events with an
 * alert; precision: alerts that belong to a tradeable event; phantoms classified: phantom events
 * with no alert.
 */
export function scoreCrosses(
  truth: MarketTruth,
  alertSeqs: Uint8Array,
  instruments: number,
  matchTicks: number,
  tradeable: Uint8Array = truth.tradeable,
  phantomLabel: Uint8Array = truth.phantom,
): CrossScore {
  const n = truth.ticks;
  const counter = new Uint32Array(instruments);
  const openT = new Int32Array(instruments).fill(-1);
  const openP = new Int32Array(instruments).fill(-1);
  const trade: number[][] = Array.from({ length: instruments }, () => []);
  const phantom: number[][] = Array.from({ length: instruments }, () => []);
  const alerts: number[][] = Array.from({ length: instruments }, () => []);
  const track = (on: boolean, open: Int32Array, list: number[], i: number, k: number): void => {
    if (on && open[i] < 0) open[i] = k;
    else if (!on && open[i]! >= 0) {
      list.push(open[i]!, k - 1);
      open[i] = -1;
    }
  };
  for (let s = 0; s < n; s++) {
    const i = truth.instrument[s]!;
    const k = counter[i]!++;
    track(tradeable[s] === 1, openT, trade[i]!, i, k);
    track(phantomLabel[s] === 1, openP, phantom[i]!, i, k);
    if (alertSeqs[s] === 1) alerts[i]!.push(k);
  }
  for (let i = 0; i < instruments; i++) {
    if (openT[i]! >= 0) trade[i]!.push(openT[i]!, counter[i]! - 1);
    if (openP[i]! >= 0) phantom[i]!.push(openP[i]!, counter[i]! - 1);
  }
  // First index of a sorted list at or above x.
  const lowerBound = (list: number[], x: number, stride: number, offset: number): number => {
    let lo = 0,
      hi = list.length / stride;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (list[m * stride + offset]! < x) lo = m + 1;
      else hi = m;
    }
    return lo;
  };
  const anyAlertIn = (list: number[], from: number, to: number): boolean => {
    const j = lowerBound(list, from, 1, 0);
    return j < list.length && list[j]! <= to;
  };
  // Intervals are disjoint and sorted: the one that could hold k is the last starting at or before k + matchTicks.
  const inInterval = (spans: number[], k: number): boolean => {
    const j = lowerBound(spans, k + matchTicks + 1, 2, 0) - 1;
    return j >= 0 && spans[2 * j + 1]! + matchTicks >= k;
  };
  let events = 0,
    detected = 0,
    alertCount = 0,
    matchedAlerts = 0,
    phantomEvents = 0,
    phantomReported = 0;
  for (let i = 0; i < instruments; i++) {
    const t = trade[i]!;
    const p = phantom[i]!;
    const a = alerts[i]!;
    for (let e = 0; e < t.length; e += 2) {
      events++;
      if (anyAlertIn(a, t[e]! - matchTicks, t[e + 1]! + matchTicks)) detected++;
    }
    for (let e = 0; e < p.length; e += 2) {
      phantomEvents++;
      if (anyAlertIn(a, p[e]! - matchTicks, p[e + 1]! + matchTicks)) phantomReported++;
    }
    alertCount += a.length;
    for (const k of a) if (inInterval(t, k)) matchedAlerts++;
  }
  return {
    precision: alertCount > 0 ? matchedAlerts / alertCount : 1,
    recall: events > 0 ? detected / events : 1,
    events,
    alerts: alertCount,
    phantomClassified: phantomEvents > 0 ? 1 - phantomReported / phantomEvents : 1,
    phantomEvents,
  };
}

interface ReplayOut {
  flagged: Uint8Array;
  crossed: Uint8Array;
  triangles: Uint8Array;
  qualities: number[];
  ticksPerSec: number;
  /** The analyzer's own checks of the faulty sources (its counters); undecided cells are misses. */
  faulty: FaultyScore;
}

export interface FaultyScore {
  biasedCells: number;
  biasedOnTime: number;
  frozenCells: number;
  frozenOnTime: number;
  /** Ticks the scorer called stalled that are not labelled InjectedFrozen (a frozen source or a frozen run), and all ticks not so labelled. */
  staleFalse: number;
  staleClean: number;
}

/** The faulty-source and stale-quote checks of an analyzer's (merged) counters. */
export function faultyScoreOf(c: AnalyticsCounters): FaultyScore {
  return {
    biasedCells: c.biasedSources,
    biasedOnTime: c.biasedOnTime,
    frozenCells: c.frozenSources,
    frozenOnTime: c.frozenSourcesOnTime,
    staleFalse: c.stalledTicks - c.stalledTicksTrue,
    staleClean: c.ticks - c.ticksOutOfRange - c.frozenTicks,
  };
}

/** Replays the frames through a fresh analyzer; detections by seq from its alerts. */
export function replayThroughAnalyzer(
  frames: Uint8Array[],
  ticks: number,
  instruments: number,
  venues: number,
  config: Partial<AnalyticsConfig>,
  labels: TickLabelsShared | null = null,
  fxCurrencies = 0,
): ReplayOut {
  const state = createAnalyticsState({ instruments, venues, fxCurrencies });
  if (labels) state.labels = labels;
  const analyzer = new FrameAnalyzer(state, config, () => 0);
  const flagged = new Uint8Array(ticks);
  const crossed = new Uint8Array(ticks);
  const triangles = new Uint8Array(ticks);
  const t0 = performance.now();
  const take = (): void => {
    for (const a of analyzer.takeAlerts()) {
      if (a.kind === 'outlier') flagged[a.seq] = 1;
      else if (a.kind === 'tradeable') crossed[a.seq] = 1;
      else if (a.kind === 'triangular') triangles[a.seq] = 1;
    }
  };
  for (const frame of frames) {
    analyzer.analyze(frame);
    take();
  }
  // The stream ends here: ticks still held for their venue's next quote are decided now.
  analyzer.endOfStream();
  take();
  const seconds = (performance.now() - t0) / 1000;
  // The analyzer's own venue averages over the run (a sample of every settled venue's score),
  // as a run's result reports them.
  const counters = analyzer.takeCounters();
  const qualities: number[] = [];
  for (let v = 0; v < venues; v++) {
    const n = counters.venueScoreCount[v] ?? 0;
    qualities.push(n > 0 ? counters.venueScoreSum[v]! / 1e6 / n : NaN);
  }
  return { flagged, crossed, triangles, qualities, ticksPerSec: ticks / seconds, faulty: faultyScoreOf(counters) };
}

/**
 * The baseline cross (or triangle) check: an alert wherever the quoted book starts to cross (a
 * triangle starts to open) with no fees and no staleness check.
 */
export function naiveCrossAlerts(truth: MarketTruth, naive: Uint8Array = truth.naiveCross): Uint8Array {
  const out = new Uint8Array(truth.ticks);
  const prev = new Map<number, number>();
  for (let s = 0; s < truth.ticks; s++) {
    const i = truth.instrument[s]!;
    const c = naive[s]!;
    if (c === 1 && (prev.get(i) ?? 0) === 0) out[s] = 1;
    prev.set(i, c);
  }
  return out;
}

export function hampelFlags(
  truth: MarketTruth,
  mids: Float64Array,
  halves: Float64Array,
  instruments: number,
  venues: number,
  t: number,
): Uint8Array {
  const h = new HampelFilter(instruments * venues, 32, t);
  const out = new Uint8Array(truth.ticks);
  for (let s = 0; s < truth.ticks; s++) {
    if (h.flag(truth.instrument[s]! * venues + truth.venue[s]!, mids[s]!, halves[s]!)) out[s] = 1;
  }
  return out;
}

const pr = (threshold: number, s: OutlierScore): PrPoint => ({
  threshold,
  precision: s.precision,
  recall: s.recall,
  f1: s.f1,
  falsePer10k: s.falsePer10k,
});

export function scoreSeed(seed: number, o: ScoreOptions): SeedScore {
  const { frames, truth, mids, halves } = generateScoredStream(seed, o);
  const market = { ...new FairValueMarket({ ...o.market, seed, ticks: 1 }).o };
  const { instruments, venues } = market;
  const feeConfig = { venueFeesBps: Array.from(truth.feeBps) };
  // The faulty sources' start labels go beside the stream, as an in-process run's do.
  const labels = createTickLabels(1, Math.max(1, truth.ticks));
  const labelWriter = new TickLabels(labels);
  for (let s = 0; s < truth.ticks; s++) if (truth.labels[s] !== 0) labelWriter.write(0, s, truth.labels[s]!);
  const prCurve: PrPoint[] = [];
  const baselinePrCurve: PrPoint[] = [];
  let head: ReplayOut | null = null;
  let outliers: OutlierScore | null = null;
  let baselineOutliers: OutlierScore | null = null;
  let best = 0;
  for (const z of o.thresholds) {
    const r = replayThroughAnalyzer(
      frames,
      o.ticks,
      instruments,
      venues,
      { ...o.analytics, ...feeConfig, outlierZ: z },
      labels,
      market.fxCurrencies,
    );
    best = Math.max(best, r.ticksPerSec);
    const s = scoreOutliers(truth, r.flagged, venues, o.matchTicks);
    prCurve.push(pr(z, s));
    const b = scoreOutliers(truth, hampelFlags(truth, mids, halves, instruments, venues, z), venues, o.matchTicks);
    baselinePrCurve.push(pr(z, b));
    if (head === null) {
      head = r;
      outliers = s;
      baselineOutliers = b;
    }
  }
  const sortByThreshold = (a: PrPoint, b: PrPoint): number => a.threshold - b.threshold;
  prCurve.sort(sortByThreshold);
  baselinePrCurve.sort(sortByThreshold);
  return {
    seed,
    ticks: o.ticks,
    outliers: outliers!,
    prCurve,
    baselineOutliers: baselineOutliers!,
    baselinePrCurve,
    ...scoreCrossesAndSources(seed, truth, head!, instruments, o.matchTicks),
    replayTicksPerSec: best,
  };
}

/** What a seed's detectors raised, as the crosses/triangles/ranking scoring needs it. */
export interface SeedDetections {
  crossed: Uint8Array;
  triangles: Uint8Array;
  qualities: number[];
  faulty: FaultyScore;
}

/**
 * The crosses and triangles against the hidden truth beside their fee-less baselines, and the
 * venue ranking against each venue's true error: shared by `score` (replayed in-process) and a
 * run's merge (detections from the ingest part).
 */
export function scoreCrossesAndSources(
  seed: number,
  truth: MarketTruth,
  d: SeedDetections,
  instruments: number,
  matchTicks: number,
): Pick<SeedScore, 'arbitrage' | 'baselineArbitrage' | 'triangular' | 'baselineTriangular' | 'sources'> {
  // Truth of the ranking: the closer a venue's quotes stay to the hidden fair value, the better.
  const truthScore = Array.from(truth.errorBps, (x) => -x);
  const rng = new Prng(seed * 7919 + 1);
  const q = d.qualities;
  return {
    arbitrage: scoreCrosses(truth, d.crossed, instruments, matchTicks),
    baselineArbitrage: scoreCrosses(truth, naiveCrossAlerts(truth), instruments, matchTicks),
    triangular: scoreCrosses(truth, d.triangles, instruments, matchTicks, truth.triTradeable, truth.triPhantom),
    baselineTriangular: scoreCrosses(
      truth,
      naiveCrossAlerts(truth, truth.triNaive),
      instruments,
      matchTicks,
      truth.triTradeable,
      truth.triPhantom,
    ),
    sources: {
      spearman: spearman(q, truthScore),
      kendall: kendall(q, truthScore),
      pValue: permutationPValue(q, truthScore, kendall, 999, () => rng.nextFloat()),
      scores: q,
      noiseBps: Array.from(truth.noiseBps),
      errorBps: Array.from(truth.errorBps),
      faulty: d.faulty,
    },
  };
}

export interface Summary {
  mean: number;
  min: number;
  max: number;
}

export function summarize(values: number[]): Summary {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { mean: NaN, min: NaN, max: NaN };
  return { mean: v.reduce((a, b) => a + b, 0) / v.length, min: Math.min(...v), max: Math.max(...v) };
}

/**
 * The `analytics` block of a score run's result.json: headline figures are means over the seeds,
 * with the worst seed beside each (`…Min`, or `…Max` for false flags).
 */
export function analyticsQualityBlock(seeds: SeedScore[], o: ScoreOptions) {
  const mean = (f: (s: SeedScore) => number): number => summarize(seeds.map(f)).mean;
  const min = (f: (s: SeedScore) => number): number => summarize(seeds.map(f)).min;
  const max = (f: (s: SeedScore) => number): number => summarize(seeds.map(f)).max;
  const bands = (pick: (s: SeedScore) => OutlierScore, agg: typeof mean): Record<string, number> =>
    Object.fromEntries(SIZE_BANDS.map((b) => [b.name, round(agg((s) => pick(s).recallBySize[b.name]!))]));
  const curve = (pick: (s: SeedScore) => PrPoint[]): PrPoint[] =>
    pick(seeds[0]!).map((p, k) => ({
      threshold: p.threshold,
      precision: round(mean((s) => pick(s)[k]!.precision)),
      recall: round(mean((s) => pick(s)[k]!.recall)),
      f1: round(mean((s) => pick(s)[k]!.f1)),
      falsePer10k: round(mean((s) => pick(s)[k]!.falsePer10k)),
    }));
  const outlierBlock = (pick: (s: SeedScore) => OutlierScore, prPick: (s: SeedScore) => PrPoint[]) => ({
    recallBySize: bands(pick, mean),
    recallBySizeMin: bands(pick, min),
    badTicksBySize: Object.fromEntries(SIZE_BANDS.map((b) => [b.name, seeds.reduce((a, s) => a + pick(s).badBySize[b.name]!, 0)])),
    falsePer10k: round(mean((s) => pick(s).falsePer10k)),
    falsePer10kMax: round(max((s) => pick(s).falsePer10k)),
    falseEventsPer10k: round(mean((s) => pick(s).falseEventsPer10k)),
    burstFlags: seeds.reduce((a, s) => a + pick(s).burstFlags, 0),
    flagsOnNews: seeds.reduce((a, s) => a + pick(s).flagsOnNews, 0),
    precision: round(mean((s) => pick(s).precision)),
    recall: round(mean((s) => pick(s).recall)),
    f1: round(mean((s) => pick(s).f1)),
    f1Min: round(min((s) => pick(s).f1)),
    prCurve: curve(prPick),
  });
  const crossBlock = (pick: (s: SeedScore) => CrossScore) => ({
    tradeable: {
      precision: round(mean((s) => pick(s).precision)),
      precisionMin: round(min((s) => pick(s).precision)),
      recall: round(mean((s) => pick(s).recall)),
      recallMin: round(min((s) => pick(s).recall)),
      events: seeds.reduce((a, s) => a + pick(s).events, 0),
      alerts: seeds.reduce((a, s) => a + pick(s).alerts, 0),
    },
    phantom: {
      classified: round(mean((s) => pick(s).phantomClassified)),
      classifiedMin: round(min((s) => pick(s).phantomClassified)),
      events: seeds.reduce((a, s) => a + pick(s).phantomEvents, 0),
    },
  });
  return {
    quality: {
      market: 'fair-value',
      seeds: seeds.map((s) => s.seed),
      ticksPerSeed: o.ticks,
      thresholds: o.thresholds,
      headlineThreshold: o.thresholds[0],
      matchTicks: o.matchTicks,
      market_options: o.market,
    },
    outliers: outlierBlock(
      (s) => s.outliers,
      (s) => s.prCurve,
    ),
    arbitrage: crossBlock((s) => s.arbitrage),
    // Against fair cross rates: tradeable triangles, and phantom ones (open in the quotes only) left unreported.
    triangular: crossBlock((s) => s.triangular),
    sources: {
      spearman: round(mean((s) => s.sources.spearman)),
      spearmanMin: round(min((s) => s.sources.spearman)),
      kendall: round(mean((s) => s.sources.kendall)),
      kendallMin: round(min((s) => s.sources.kendall)),
      kendallPValueMax: round(max((s) => s.sources.pValue)),
      venues: seeds[0]!.sources.scores.length,
      // Found within the analyzer's evalBiasedWithin / evalFrozenWithin updates; undecided cells count as misses.
      biased: faultyBlock(seeds, (f) => [f.biasedCells, f.biasedOnTime]),
      frozen: faultyBlock(seeds, (f) => [f.frozenCells, f.frozenOnTime]),
      // Ticks called stalled among those not labelled InjectedFrozen, per 10k of all ticks not so labelled.
      stale: {
        falsePer10k: round(mean((s) => stalePer10k(s.sources.faulty))),
        falsePer10kMax: round(max((s) => stalePer10k(s.sources.faulty))),
      },
      perSeed: seeds.map((s) => ({
        seed: s.seed,
        scores: s.sources.scores.map(round),
        errorBps: s.sources.errorBps.map(round),
        noiseBps: s.sources.noiseBps.map(round),
      })),
    },
    baseline: {
      outliers: {
        name: 'hampel',
        window: 32,
        ...outlierBlock(
          (s) => s.baselineOutliers,
          (s) => s.baselinePrCurve,
        ),
      },
      arbitrage: { name: 'fee-less cross, no staleness check', ...crossBlock((s) => s.baselineArbitrage) },
      triangular: { name: 'fee-less triangle, no staleness check', ...crossBlock((s) => s.baselineTriangular) },
    },
    replay: { ticksPerSecPerWorker: Math.round(min((s) => s.replayTicksPerSec)) },
  };
}

function stalePer10k(f: FaultyScore): number {
  return f.staleClean > 0 ? (f.staleFalse / f.staleClean) * 1e4 : NaN;
}

function faultyBlock(seeds: SeedScore[], pick: (f: FaultyScore) => [number, number]) {
  const recalls = seeds.map((s) => {
    const [cells, found] = pick(s.sources.faulty);
    return cells > 0 ? found / cells : NaN;
  });
  const sum = summarize(recalls);
  return {
    cells: seeds.reduce((a, s) => a + pick(s.sources.faulty)[0], 0),
    foundOnTime: seeds.reduce((a, s) => a + pick(s.sources.faulty)[1], 0),
    recall: round(sum.mean),
    recallMin: round(sum.min),
  };
}

export type AnalyticsQualityBlock = ReturnType<typeof analyticsQualityBlock>;

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : x;
}

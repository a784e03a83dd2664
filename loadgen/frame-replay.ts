/**
 * Frames generated in memory and replayed through a FrameAnalyzer: the analytics' cost per tick
 * with no Kafka and no worker pool in the way (the frame-replay micro-benchmark), and a quick
 * offline check of detector quality against the injected ground truth.
 *
 *   node dist/loadgen/frame-replay.js [ticks] [--inject none] [--repeats N]
 */
import { pathToFileURL } from 'node:url';
import { createAnalyticsState } from '../analytics/analytics-state.js';
import { createTickLabels, TickLabels, type TickLabelsShared } from '../analytics/tick-labels.js';
import { FrameAnalyzer, addCounters, analyticsCountersZero, type AnalyticsConfig } from '../analytics/frame-analyzer.js';
import { CONTINUOUS_PRICE_STALL } from '../analytics/source-scorer.js';
import { SIMPLE_MARKET_OUTLIERS } from '../analytics/outlier-detector.js';
import { scoreAnalytics, type AnalyticsScore } from '../analytics/scoring.js';
import { FrameBatcher } from './frame-batcher.js';
import type { InjectConfig } from './injector.js';
import { MarketModel } from './market-model.js';

export interface ReplayOptions {
  seed: number;
  instruments: number;
  venues: number;
  ticks: number;
  /** Intended ticks per second of the generated stream (sets the market's time scale). */
  ratePerSec: number;
  /** Key groups frames are batched by (the partitions of a run). */
  keyGroups: number;
  ticksPerRecord: number;
  /** null: a clean stream. */
  inject: Partial<InjectConfig> | null;
  startUs?: number;
}

export const REPLAY_DEFAULTS: ReplayOptions = {
  seed: 1,
  instruments: 1000,
  venues: 5,
  ticks: 1_000_000,
  ratePerSec: 100_000,
  keyGroups: 8,
  ticksPerRecord: 64,
  inject: {},
};

/** Generates the workload of a run into memory: frames in the order a producer would send them. */
export function generateFrames(o: ReplayOptions): { frames: Uint8Array[]; model: MarketModel; labels: TickLabelsShared } {
  const labels = createTickLabels(1, Math.max(1, o.ticks));
  const writer = new TickLabels(labels);
  const model = new MarketModel({
    seed: o.seed,
    instruments: o.instruments,
    venues: o.venues,
    keyGroups: Math.min(o.instruments, o.keyGroups),
    fx: {},
    inject: o.inject,
  });
  const frames: Uint8Array[] = [];
  let now = o.startUs ?? 1.7e15;
  const batcher = new FrameBatcher({
    keyGroups: model.keyGroups,
    ticksPerRecord: o.ticksPerRecord,
    clock: () => now,
    onFrame: (_group, frame) => {
      frames.push(frame);
    },
  });
  const stepUs = 1e6 / o.ratePerSec;
  const start = now;
  for (let k = 0; k < o.ticks; k++) {
    now = start + k * stepUs;
    model.nextTick(now);
    writer.write(0, k, model.flags);
    batcher.add(model.keyGroup, k >>> 0, 0, model.venue, model.instrument, 0, now, model.bid, model.ask, model.bidSize, model.askSize);
  }
  batcher.flushAll(now);
  return { frames, model, labels };
}

export interface ReplayResult {
  ticks: number;
  /** Best of the repeats, ticks per second through one analyzer (one worker thread). */
  ticksPerSec: number;
  score: AnalyticsScore;
}

/**
 * Replays the frames through a fresh analyzer `repeats` times (state reset each time) and
 * reports the best throughput and the first pass's scores. The analyzer runs the simple market's
 * settings (see run/run-clients.ts): the stall rule for continuous prices (its frozen runs, 1–3 s
 * in a market that moves less than a spread meanwhile, are stale by that rule only) and the outlier
 * floor of a whole half spread; `config` goes on top.
 */
export function replayBenchmark(o: ReplayOptions, repeats = 3, config: Partial<AnalyticsConfig> = {}): ReplayResult {
  const analyzerConfig: Partial<AnalyticsConfig> = { ...CONTINUOUS_PRICE_STALL, ...SIMPLE_MARKET_OUTLIERS, ...config };
  const { frames, model, labels } = generateFrames(o);
  let best = 0;
  let first: AnalyticsScore | null = null;
  let ticks = 0;
  for (let rep = 0; rep < repeats; rep++) {
    const state = createAnalyticsState({ instruments: o.instruments, venues: o.venues });
    state.labels = labels;
    const analyzer = new FrameAnalyzer(state, analyzerConfig, () => 0);
    const t0 = performance.now();
    for (const frame of frames) {
      analyzer.analyze(frame);
      analyzer.takeAlerts();
    }
    const seconds = (performance.now() - t0) / 1000;
    const counters = addCounters(analyticsCountersZero(), analyzer.takeCounters());
    ticks = counters.ticks;
    best = Math.max(best, ticks / seconds);
    first ??= scoreAnalytics({
      counters,
      injected: model.injected ? { ...model.injected } : null,
      sources: model.injectedSources ? { ...model.injectedSources } : null,
      biasedWithin: analyzer.config.evalBiasedWithin,
      frozenWithin: analyzer.config.evalFrozenWithin,
      frozenScore: analyzer.config.evalFrozenScore,
      venues: o.venues,
    });
  }
  return { ticks, ticksPerSec: best, score: first! };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const k = args.indexOf(name);
    return k >= 0 ? args[k + 1] : undefined;
  };
  // The tick count is the one bare number: a flag's value (`--repeats 5`) is not it.
  const ticks = Number(args.find((a, k) => /^\d+$/.test(a) && !(args[k - 1] ?? '').startsWith('--')) ?? REPLAY_DEFAULTS.ticks);
  const options: ReplayOptions = {
    ...REPLAY_DEFAULTS,
    ticks,
    seed: Number(flag('--seed') ?? REPLAY_DEFAULTS.seed),
    instruments: Number(flag('--instruments') ?? REPLAY_DEFAULTS.instruments),
    inject: flag('--inject') === 'none' ? null : {},
  };
  const result = replayBenchmark(options, Number(flag('--repeats') ?? 3));
  const { counters: _counters, ...score } = result.score;
  process.stdout.write(
    `${JSON.stringify({ ticks: result.ticks, ticksPerSecPerWorker: Math.round(result.ticksPerSec), ...score }, null, 2)}\n`,
  );
}

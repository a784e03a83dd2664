/**
 * Frames generated in memory and replayed through a FrameAnalyzer: the analytics' cost per tick
 * with no Kafka and no worker pool in the way (the frame-replay micro-benchmark), and a quick
 * offline check of detector quality against the injected ground truth.
 *
 *   node dist/loadgen/frame-replay.js [ticks] [--market simple|fair-value] [--inject none] [--repeats N] [--seed N]
 *
 * Throughput is reported per wall second and per CPU second of the process: on a shared machine
 * the wall figure counts the time other processes held the core, the CPU one does not.
 */
import { pathToFileURL } from 'node:url';
import { createAnalyticsState } from '../analytics/analytics-state.js';
import { createTickLabels, TickLabels, type TickLabelsShared } from '../analytics/tick-labels.js';
import { FrameAnalyzer, addCounters, analyticsCountersZero, type AnalyticsConfig } from '../analytics/frame-analyzer.js';
import { CONTINUOUS_PRICE_STALL } from '../analytics/source-scorer.js';
import { SIMPLE_MARKET_OUTLIERS } from '../analytics/outlier-detector.js';
import { scoreAnalytics, type AnalyticsScore } from '../analytics/scoring.js';
import { FairValueMarket } from './fair-value-market.js';
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
  /** Best of the repeats, ticks per CPU second of the process (the wall clock less the time others held the core). */
  ticksPerCpuSec: number;
  score: AnalyticsScore;
}

/**
 * Copies the frames into one buffer, as an analytics task carries them (wire/frame-pack.ts): the
 * frame reader makes a view per buffer, and the batcher's frames each sit in a pool slab of two.
 */
export function packTogether(frames: readonly Uint8Array[]): Uint8Array[] {
  let total = 0;
  for (const f of frames) total += f.byteLength;
  const bytes = new Uint8Array(total);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const f of frames) {
    bytes.set(f, at);
    out.push(bytes.subarray(at, at + f.byteLength));
    at += f.byteLength;
  }
  return out;
}

/** Replays frames through the analyzer `make` builds; its wall and CPU seconds and the analyzer. */
function timedReplay(
  frames: readonly Uint8Array[],
  make: () => FrameAnalyzer,
): { seconds: number; cpuSeconds: number; analyzer: FrameAnalyzer } {
  const analyzer = make();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const frame of frames) {
    analyzer.analyze(frame);
    analyzer.takeAlerts();
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, analyzer };
}

/**
 * The fair-value market (the `firehose score` stream: hidden fair value, tick grid, lagging
 * venues, FX triangles) replayed `repeats` times through fresh analyzers with its venues' fees:
 * best ticks per second and per CPU second, and the alerts of one pass. Quality is scored by
 * `firehose score`; this measures the cost.
 */
export function replayFairValue(seed: number, ticks: number, repeats = 3): Omit<ReplayResult, 'score'> & { alerts: number } {
  const market = new FairValueMarket({ seed, ticks, keyGroups: 8 });
  const frames: Uint8Array[] = [];
  let now = 1.7e15;
  const batcher = new FrameBatcher({
    keyGroups: market.o.keyGroups,
    ticksPerRecord: REPLAY_DEFAULTS.ticksPerRecord,
    clock: () => now,
    onFrame: (_group, frame) => {
      frames.push(frame);
    },
  });
  const stepUs = 1e6 / market.o.ratePerSec;
  for (let k = 0; k < ticks; k++) {
    now = 1.7e15 + k * stepUs;
    market.nextTick(now);
    batcher.add(market.keyGroup, k >>> 0, 0, market.venue, market.instrument, 0, now, market.bid, market.ask, 1, 1);
  }
  batcher.flushAll(now);
  const labels = createTickLabels(1, Math.max(1, ticks));
  const writer = new TickLabels(labels);
  for (let k = 0; k < ticks; k++) writer.write(0, k, market.truth.labels[k]!);
  const { instruments, venues, fxCurrencies } = market.o;
  const config: Partial<AnalyticsConfig> = { venueFeesBps: Array.from(market.truth.feeBps) };
  const packed = packTogether(frames);
  let best = 0;
  let bestCpu = 0;
  let alerts = 0;
  for (let rep = 0; rep < repeats; rep++) {
    const r = timedReplay(packed, () => {
      const state = createAnalyticsState({ instruments, venues, fxCurrencies });
      state.labels = labels;
      return new FrameAnalyzer(state, config, () => 0);
    });
    best = Math.max(best, ticks / r.seconds);
    bestCpu = Math.max(bestCpu, ticks / r.cpuSeconds);
    alerts = r.analyzer.counters.alerts;
  }
  return { ticks, ticksPerSec: best, ticksPerCpuSec: bestCpu, alerts };
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
  const generated = generateFrames(o);
  const { model, labels } = generated;
  const frames = packTogether(generated.frames);
  let best = 0;
  let bestCpu = 0;
  let first: AnalyticsScore | null = null;
  let ticks = 0;
  for (let rep = 0; rep < repeats; rep++) {
    const { seconds, cpuSeconds, analyzer } = timedReplay(frames, () => {
      const state = createAnalyticsState({ instruments: o.instruments, venues: o.venues });
      state.labels = labels;
      return new FrameAnalyzer(state, analyzerConfig, () => 0);
    });
    const counters = addCounters(analyticsCountersZero(), analyzer.takeCounters());
    ticks = counters.ticks;
    best = Math.max(best, ticks / seconds);
    bestCpu = Math.max(bestCpu, ticks / cpuSeconds);
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
  return { ticks, ticksPerSec: best, ticksPerCpuSec: bestCpu, score: first! };
}

const USAGE = `usage: node dist/loadgen/frame-replay.js [ticks] [--market simple|fair-value] [--inject none] [--repeats N] [--seed N] [--instruments N]
  Replays generated frames through one FrameAnalyzer in this thread (no Kafka, no pool) and prints
  the best ticks per second and per CPU second over the repeats (the CPU figure leaves out the time
  other processes held the core); the simple market also prints its scores against the injected truth.
  ticks          ticks to generate (default ${REPLAY_DEFAULTS.ticks})
  --market       simple (default: MarketModel, 1,000 instruments, 5 venues) or fair-value (the
                 \`firehose score\` market: 50 instruments, 12 venues, tick grid, FX triangles)
  --inject none  simple market only: a clean stream
  --repeats N    passes over the frames, each through a fresh analyzer (default 3, at least 1)
  --seed N       market seed, a whole number (default 1)
  --instruments N simple market only (default ${REPLAY_DEFAULTS.instruments})
`;

export interface ReplayArgs {
  ticks: number;
  market: 'simple' | 'fair-value';
  inject: 'default' | 'none';
  repeats: number;
  seed: number;
  instruments: number;
}

const REPLAY_FLAGS = new Set(['--market', '--inject', '--repeats', '--seed', '--instruments']);

/**
 * The command line of this tool, checked before anything is generated: the options, or one line
 * naming the first bad one (`--repeats abc` read as NaN used to replay nothing and print NaN).
 */
export function parseReplayArgs(args: readonly string[]): { ok: ReplayArgs } | { error: string } {
  const values = new Map<string, string>();
  let ticksArg: string | undefined;
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    if (REPLAY_FLAGS.has(a)) {
      const v = args[k + 1];
      if (v === undefined || v.startsWith('--')) return { error: `${a} expects a value` };
      values.set(a, v);
      k++;
    } else if (a.startsWith('-')) {
      return { error: `unknown option ${a} (see --help)` };
    } else if (ticksArg === undefined) {
      ticksArg = a;
    } else {
      return { error: `unexpected argument "${a}": the tick count was already given as ${ticksArg}` };
    }
  }
  // Whole numbers in decimal only: Number() would also take '', '0x10', '1e3' and ' 7 '.
  const int = (name: string, text: string | undefined, fallback: number, min: number): number | string => {
    if (text === undefined) return fallback;
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    return Number.isSafeInteger(n) && n >= min ? n : `${name} expects a whole number >= ${min}, got "${text}"`;
  };
  const ticks = int('ticks', ticksArg, REPLAY_DEFAULTS.ticks, 1);
  const repeats = int('--repeats', values.get('--repeats'), 3, 1);
  const seed = int('--seed', values.get('--seed'), REPLAY_DEFAULTS.seed, 0);
  const instruments = int('--instruments', values.get('--instruments'), REPLAY_DEFAULTS.instruments, 1);
  for (const x of [ticks, repeats, seed, instruments]) if (typeof x === 'string') return { error: x };
  const market = values.get('--market') ?? 'simple';
  if (market !== 'simple' && market !== 'fair-value') return { error: `--market expects simple or fair-value, got "${market}"` };
  const inject = values.get('--inject') ?? 'default';
  if (inject !== 'none' && inject !== 'default') return { error: `--inject expects none, got "${inject}"` };
  return {
    ok: { ticks: ticks as number, market, inject, repeats: repeats as number, seed: seed as number, instruments: instruments as number },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const parsed = parseReplayArgs(args);
  if ('error' in parsed) {
    process.stderr.write(`frame-replay: ${parsed.error}\n`);
    process.exit(2);
  }
  const { ticks, seed, repeats, market, instruments, inject } = parsed.ok;
  if (market === 'fair-value') {
    const r = replayFairValue(seed, ticks, repeats);
    process.stdout.write(
      `${JSON.stringify({ market, ticks: r.ticks, ticksPerSecPerWorker: Math.round(r.ticksPerSec), ticksPerCpuSecPerWorker: Math.round(r.ticksPerCpuSec), alerts: r.alerts }, null, 2)}\n`,
    );
  } else {
    const options: ReplayOptions = { ...REPLAY_DEFAULTS, ticks, seed, instruments, inject: inject === 'none' ? null : {} };
    const result = replayBenchmark(options, repeats);
    const { counters: _counters, ...score } = result.score;
    process.stdout.write(
      `${JSON.stringify({ market, ticks: result.ticks, ticksPerSecPerWorker: Math.round(result.ticksPerSec), ticksPerCpuSecPerWorker: Math.round(result.ticksPerCpuSec), ...score }, null, 2)}\n`,
    );
  }
}

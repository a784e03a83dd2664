import { createAnalyticsState } from '../analytics/analytics-state.js';
import { FrameAnalyzer } from '../analytics/frame-analyzer.js';
import { FrameBatcher } from '../loadgen/frame-batcher.js';
import { MarketModel } from '../loadgen/market-model.js';
import { OpenLoopSchedule } from '../loadgen/open-loop-schedule.js';
import { TickSource, type TickModel } from '../loadgen/tick-source.js';
import { FairValueMarket, fairValueOptionsFor } from '../loadgen/fair-value-market.js';
import { nowUs } from '../wire/clock.js';
import type { ResourceUsage } from './types.js';

export interface NoTransportOptions {
  /** Ticks measured (after the warm-up). */
  ticks: number;
  /** Ticks run first and not measured, so that the JIT has compiled the hot paths. */
  warmupTicks: number;
  instruments: number;
  venues: number;
  partitions: number;
  ticksPerRecord: number;
  seed: number;
  /**
   * Spacing of the ticks' intended times. The market model's moves scale with the time between
   * an instrument's ticks, so the stream should look like the one sent at a realistic rate.
   */
  nominalRate: number;
  /** The generated market (default: fair-value, as a run's; generation is part of what is measured). */
  market?: 'fair-value' | 'simple';
}

export interface NoTransportResult {
  kind: 'no-transport-limit';
  market: 'fair-value' | 'simple';
  ticks: number;
  frames: number;
  elapsedSec: number;
  ticksPerSec: number;
  /** Analytics sanity: the detectors saw every tick. */
  analysedTicks: number;
  resources: ResourceUsage;
  cpuMsPerMillionTicks: number;
}

const CHUNK = 65_536;

/**
 * The no-transport limit: the same tick stream (schedule → market model → frame batcher) and the
 * same detectors (FrameAnalyzer over each finished frame), in one thread with nothing between
 * them, as fast as the thread goes. Any pipeline through Kafka is measured against this.
 */
export function runNoTransportLimit(options: NoTransportOptions): NoTransportResult {
  const total = options.warmupTicks + options.ticks;
  const state = createAnalyticsState({ instruments: options.instruments, venues: options.venues });
  const analyzer = new FrameAnalyzer(state);
  let frames = 0;
  // As the load generator does: one key group per partition.
  const keyGroups = Math.min(options.instruments, Math.max(options.partitions, 1));
  const model: TickModel =
    options.market === 'simple'
      ? new MarketModel({ seed: options.seed, instruments: options.instruments, venues: options.venues, keyGroups })
      : new FairValueMarket({
          ...fairValueOptionsFor(
            { instruments: options.instruments, venues: options.venues, ratePerSec: options.nominalRate, inject: {} },
            keyGroups,
          ),
          seed: options.seed,
          ticks: total,
          record: false,
        });
  const batcher = new FrameBatcher({
    keyGroups: model.keyGroups,
    ticksPerRecord: options.ticksPerRecord,
    clock: nowUs,
    onFrame: (_group, frame) => {
      frames++;
      analyzer.analyze(frame);
    },
  });
  const schedule = new OpenLoopSchedule(options.nominalRate, nowUs(), total);
  const source = new TickSource(model, batcher, 0, schedule);

  // Every tick is already "due": the schedule only supplies the intended times.
  while (source.emitted < options.warmupTicks) source.generateDue(Infinity, Math.min(CHUNK, options.warmupTicks - source.emitted));
  const framesBefore = frames;
  const ticksBefore = analyzer.counters.ticks;
  const cpu0 = process.cpuUsage();
  const t0 = nowUs();
  while (!source.finished) source.generateDue(Infinity, CHUNK);
  batcher.flushAll(nowUs());
  const elapsedSec = Math.max(1e-9, (nowUs() - t0) / 1e6);
  const cpu = process.cpuUsage(cpu0);
  const usage = process.resourceUsage();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    kind: 'no-transport-limit',
    market: options.market ?? 'fair-value',
    ticks: options.ticks,
    frames: frames - framesBefore,
    elapsedSec,
    ticksPerSec: options.ticks / elapsedSec,
    analysedTicks: analyzer.counters.ticks - ticksBefore,
    resources: { cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, maxRssMb: usage.maxRSS / 1024 },
    cpuMsPerMillionTicks: (cpuMs / options.ticks) * 1e6,
  };
}

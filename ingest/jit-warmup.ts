import { createAnalyticsState, type AnalyticsDims } from '../analytics/analytics-state.js';
import { FrameAnalyzer, type AnalyticsConfig } from '../analytics/frame-analyzer.js';
import { createTickLabels, type TickLabelsShared } from '../analytics/tick-labels.js';
import { createDeliveryLedger, DeliveryLedger } from '../metrics/delivery-ledger.js';
import { createLatencyHistogram, recordLatency } from '../metrics/latency-histogram.js';
import { LoadGenerator } from '../loadgen/load-generator.js';
import type { FrameProducer, OutgoingFrame } from '../kafka/client.js';
import { FrameReader } from '../wire/tick-frame.js';

/**
 * JIT warm-up on throwaway data, before a run's schedule starts. V8 compiles the hot paths
 * (tick generation, frame analysis, histogram recording) only after they have run a while; in a
 * measured run that shows up as a first second of high latency that belongs to the tool, not to
 * the pipeline under test. Nothing here touches the run's own state or counts.
 */
const WARMUP_TICKS = 200_000;

/** Throwaway frames from the real generator, with its labels beside them (as an in-process run's). */
export interface SyntheticStream {
  frames: Buffer[];
  labels: TickLabelsShared;
}

/**
 * Generates throwaway frames with the real generator (the default market, its bad ticks and
 * faulty sources on), its labels in a side channel of their own, so the analysis warm-up runs the
 * label-scoring paths too.
 */
export async function syntheticFrames(
  dims: AnalyticsDims,
  ticks = WARMUP_TICKS,
  market: 'fair-value' | 'simple' = 'fair-value',
): Promise<SyntheticStream> {
  const frames: Buffer[] = [];
  const labels = createTickLabels(1, ticks);
  const generator = new LoadGenerator({
    partitions: 8,
    ratePerSec: 1e9,
    ticks,
    instruments: dims.instruments,
    venues: dims.venues,
    seed: 0x5eed,
    source: 0,
    ticksPerRecord: 64,
    lingerUs: 1e9,
    clock: () => performance.now() * 1000,
    market,
    inject: {},
    labels,
  });
  const sink: FrameProducer = {
    connect: async () => {},
    send(frame: OutgoingFrame) {
      frames.push(frame.value);
      generator.callbacks.delivered(frame, 0);
      return true;
    },
    get pending() {
      return 0;
    },
    flush: async () => {},
    disconnect: async () => {},
  };
  await generator.run(sink);
  return { frames, labels };
}

/** Runs the analysis and measurement paths of a worker on throwaway frames. */
export function warmUpAnalysis(dims: AnalyticsDims, config: Partial<AnalyticsConfig>, stream: SyntheticStream): void {
  const state = createAnalyticsState(dims);
  state.labels = stream.labels;
  const analyzer = new FrameAnalyzer(state, config);
  const frames = stream.frames;
  const ledger = new DeliveryLedger(createDeliveryLedger(1, WARMUP_TICKS));
  const histogram = createLatencyHistogram();
  const reader = new FrameReader();
  for (const frame of frames) {
    analyzer.analyze(frame);
    analyzer.takeAlerts();
    reader.reset(frame);
    for (let i = 0; i < reader.tickCount; i++) {
      recordLatency(histogram, reader.sendTimeUs(i) % 10_000);
      ledger.mark(reader.tickSource(i), reader.seq(i));
    }
  }
  histogram.destroy();
}

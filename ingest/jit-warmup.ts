import { createAnalyticsState, type AnalyticsDims } from '../analytics/analytics-state.js';
import { FrameAnalyzer, type AnalyticsConfig } from '../analytics/frame-analyzer.js';
import { createTickLabels, type TickLabelsShared } from '../analytics/tick-labels.js';
import { createDeliveryLedger, DeliveryLedger } from '../metrics/delivery-ledger.js';
import { LoadGenerator } from '../loadgen/load-generator.js';
import type { FrameProducer, OutgoingFrame } from '../kafka/client.js';
import { packFrames, packFramesInto, packedByteLength } from '../wire/frame-pack.js';
import { FRAME_HEADER_BYTES, FrameReader, TICK_BYTES } from '../wire/tick-frame.js';
import { FrameTaskAnalysis } from './frame-task-analysis.js';
import type { FrameTask } from './worker-protocol.js';

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

/** Frames per warm-up task, as the dispatcher groups them. */
const WARMUP_FRAMES_PER_TASK = 256;
/** Ticks of the stream also analysed as one-tick frames without labels. */
const WARMUP_SINGLE_TICKS = 10_000;

/**
 * Runs a worker's task path (FrameTaskAnalysis: checks, analysis, latency tallies, ledger marks)
 * on throwaway frames: the labelled stream as it came, then part of it as one-tick frames with no
 * labels (a stream from another process, at one tick per record), so the paths measured are the
 * paths warmed (the worker's own were not: the warm-up recorded and marked through functions the
 * task path no longer calls).
 */
export function warmUpAnalysis(dims: AnalyticsDims, config: Partial<AnalyticsConfig>, stream: SyntheticStream): void {
  const frames = stream.frames;
  const labelled = createAnalyticsState(dims);
  labelled.labels = stream.labels;
  runTasks(new FrameAnalyzer(labelled, config), frames);
  runTasks(new FrameAnalyzer(createAnalyticsState(dims), config), singleTickFrames(frames, WARMUP_SINGLE_TICKS), true);
}

/**
 * `grouped`: every task as a task group's at one tick per record (ingest/partition-dispatcher.ts):
 * GROUP_RUNS partitions' runs, each in shared memory of its own (`packed`, then `more`). Warmed
 * only on one buffer, the workers' task path was compiled again on the run's first such tasks.
 */
function runTasks(analyzer: FrameAnalyzer, frames: Buffer[], grouped = false): void {
  const analysis = new FrameTaskAnalysis(analyzer, new DeliveryLedger(createDeliveryLedger(1, WARMUP_TICKS)), null);
  for (let from = 0, task = 0; from < frames.length; from += WARMUP_FRAMES_PER_TASK, task++) {
    const values = frames.slice(from, from + WARMUP_FRAMES_PER_TASK);
    if (grouped) {
      analysis.run(groupTask(values));
      continue;
    }
    const packed = packFrames(
      values,
      values.map(() => 0),
    );
    // Every other task as two runs of partitions, as a task group's.
    const half = values.length >> 1;
    const segments = task % 2 === 1 && half > 0 ? [0, 0, half, 1, 0, values.length - half] : undefined;
    analysis.run({ packed, count: values.length, partition: 0, offset: 0, ...(segments ? { segments } : {}) });
  }
  analysis.takeMeasurements();
}

const GROUP_RUNS = 4;

/** `values` as one task of GROUP_RUNS partitions' runs, each packed into a SharedArrayBuffer of its own. */
export function groupTask(values: Buffer[]): FrameTask {
  const per = Math.ceil(values.length / GROUP_RUNS);
  const buffers: SharedArrayBuffer[] = [];
  const segments: number[] = [];
  for (let r = 0; r * per < values.length; r++) {
    const part = values.slice(r * per, (r + 1) * per);
    const buffer = new SharedArrayBuffer(packedByteLength(part));
    packFramesInto(
      buffer,
      part,
      part.map(() => 0),
    );
    buffers.push(buffer);
    segments.push(r, 0, part.length);
  }
  const task: FrameTask = { packed: buffers[0]!, count: values.length, partition: 0, offset: 0, segments };
  if (buffers.length > 1) task.more = buffers.slice(1);
  return task;
}

/** The first `ticks` ticks of `frames`, each in a frame of its own (the header's tick count 1). */
function singleTickFrames(frames: Buffer[], ticks: number): Buffer[] {
  const out: Buffer[] = [];
  const reader = new FrameReader();
  for (const frame of frames) {
    const count = reader.reset(frame).tickCount;
    for (let i = 0; i < count && out.length < ticks; i++) {
      const single = Buffer.allocUnsafe(FRAME_HEADER_BYTES + TICK_BYTES);
      frame.copy(single, 0, 0, FRAME_HEADER_BYTES);
      single.writeUInt16LE(1, 6);
      frame.copy(single, FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + i * TICK_BYTES, FRAME_HEADER_BYTES + (i + 1) * TICK_BYTES);
      out.push(single);
    }
    if (out.length >= ticks) break;
  }
  return out;
}

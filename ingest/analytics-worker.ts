/**
 * The piscina worker: analyses whole frames, records every tick's latency, marks every tick in
 * the delivery ledger. Measurements stay in this thread (bounded HDR histograms) and leave it
 * only as encoded interval histograms over a BroadcastChannel.
 */
import { BroadcastChannel, threadId, workerData } from 'node:worker_threads';
import type { Alert } from '../analytics/alerts.js';
import { FrameAnalyzer } from '../analytics/frame-analyzer.js';
import { DeliveryLedger, MarkResult } from '../metrics/delivery-ledger.js';
import { createLatencyHistogram, encodeHistogram, initHistograms, recordLatency, type Histogram } from '../metrics/latency-histogram.js';
import { nowUs } from '../wire/clock.js';
import { syntheticFrames, warmUpAnalysis } from './jit-warmup.js';
import { FrameReader, validateFrame, validateTicks } from '../wire/tick-frame.js';
import { WarmupCutoff } from './warmup-cutoff.js';
import { PackedFrames } from '../wire/frame-pack.js';
import type { AnalyticsWorkerData, FrameTask, FrameTaskResult, StatsMessage, WorkerReport, WorkerStage } from './worker-protocol.js';

const data = workerData as AnalyticsWorkerData;
await initHistograms();
warmUpAnalysis(data.analytics.dims, data.analyticsConfig, await syntheticFrames(data.analytics.dims));

const analyzer = new FrameAnalyzer(data.analytics, data.analyticsConfig);
if (data.warm) Atomics.add(new Int32Array(data.warm), 0, 1);
const ledger = new DeliveryLedger(data.ledger);
const reader = new FrameReader();
const channel = new BroadcastChannel(data.statsChannel);

const e2eByPartition: Histogram[] = [];
const ticksByPartition: number[] = [];
const stages: Record<WorkerStage, Histogram> = {
  schedule: createLatencyHistogram(),
  transport: createLatencyHistogram(),
  queue: createLatencyHistogram(),
  analytics: createLatencyHistogram(),
};
/** Ticks sent during the warm-up (--warmup): kept apart from the headline histograms. */
const warmupCutoff = data.warmup ? new WarmupCutoff(data.warmup.cutoff, data.warmup.durationUs) : null;
const warmupE2e = createLatencyHistogram();
let duplicates = 0;
let unchecked = 0;
let lastReportUs = nowUs();

function partitionHistogram(partition: number): Histogram {
  let h = e2eByPartition[partition];
  if (!h) {
    h = createLatencyHistogram();
    e2eByPartition[partition] = h;
    ticksByPartition[partition] = 0;
  }
  return h;
}

function report(requestId: number): void {
  const message: WorkerReport = {
    type: 'report',
    workerId: threadId,
    requestId,
    atUs: nowUs(),
    e2eByPartition: [],
    stages: { schedule: '', transport: '', queue: '', analytics: '' },
    counters: analyzer.takeCounters(),
    duplicates,
    unchecked,
  };
  e2eByPartition.forEach((h, partition) => {
    if (h.totalCount === 0) return;
    message.e2eByPartition.push({ partition, ticks: ticksByPartition[partition] ?? 0, histogram: encodeHistogram(h) });
    h.reset();
    ticksByPartition[partition] = 0;
  });
  if (warmupE2e.totalCount > 0) {
    message.warmup = encodeHistogram(warmupE2e);
    warmupE2e.reset();
  }
  for (const stage of Object.keys(stages) as WorkerStage[]) {
    const h = stages[stage];
    if (h.totalCount > 0) message.stages[stage] = encodeHistogram(h);
    h.reset();
  }
  duplicates = 0;
  unchecked = 0;
  lastReportUs = message.atUs;
  channel.postMessage(message);
}

channel.onmessage = (event: unknown) => {
  const message = (event as { data: StatsMessage }).data;
  if (message.type === 'collect') report(message.requestId);
};
// The channel must not keep an idle worker alive; piscina owns the worker's lifetime.
(channel as unknown as { unref?: () => void }).unref?.();

const failEvery = data.failures && data.failures.share > 0 ? Math.max(1, Math.round(1 / data.failures.share)) : 0;
const killed = data.failures ? new Int32Array(data.failures.killed) : null;
let tasks = 0;
const packed = new PackedFrames();

export default function analyseFrames(task: FrameTask): FrameTaskResult {
  if (failEvery > 0) {
    tasks++;
    if (tasks === 100 && killed && Atomics.compareExchange(killed, 0, 0, 1) === 0) process.exit(1);
    if (tasks % failEvery === 0) throw new Error('injected analytics failure');
  }
  let ticks = 0;
  let problem: string | null = null;
  let alerts: Alert[] | null = null;
  let rejected: Array<{ index: number; problem: string }> | null = null;
  packed.reset(task.packed);
  // A task group's frames come partition after partition (task.segments: partition, offset, frames).
  const segments = task.segments;
  const segmentTicks: number[] | null = segments ? [] : null;
  let segment = 0;
  let partition = segments ? segments[0]! : task.partition;
  let segmentEnd = segments ? segments[2]! : packed.count;
  let segmentStartTicks = 0;
  for (let f = 0; f < packed.count; f++) {
    if (f === segmentEnd && segments && segmentTicks) {
      segmentTicks.push(ticks - segmentStartTicks);
      segmentStartTicks = ticks;
      segment += 3;
      partition = segments[segment]!;
      segmentEnd += segments[segment + 2]!;
    }
    const bytes = packed.frame(f);
    // Everything is checked before the analytics, the ledger or a histogram sees the frame, so
    // a refused frame leaves no trace and a retry cannot count anything twice.
    const frameProblem = validateFrame(bytes);
    if (frameProblem !== null) {
      problem ??= frameProblem;
      (rejected ??= []).push({ index: f, problem: frameProblem });
      continue;
    }
    const tickProblem = validateTicks(bytes);
    if (tickProblem !== null) {
      (rejected ??= []).push({ index: f, problem: tickProblem });
      continue;
    }
    ticks += analyseFrame(bytes, partition, packed.receivedUs(f));
    const raised = analyzer.takeAlerts();
    if (raised.length > 0) (alerts ??= []).push(...raised);
  }
  if (nowUs() - lastReportUs >= data.reportIntervalMs * 1000) report(0);
  // Most tasks raise no alert nor refuse a frame: leave the fields out rather than clone empty lists.
  const result: FrameTaskResult = { ticks, problem };
  if (alerts) result.alerts = alerts;
  if (rejected) result.rejected = rejected;
  if (segmentTicks) {
    segmentTicks.push(ticks - segmentStartTicks);
    result.segmentTicks = segmentTicks;
  }
  return result;
}

/** Analyses one valid frame (validateFrame and validateTicks passed) and records its latencies; returns its tick count. */
function analyseFrame(bytes: Uint8Array, partition: number, receivedUs: number): number {
  const startUs = nowUs();

  analyzer.analyze(bytes);
  const endUs = nowUs();

  reader.reset(bytes);
  const count = reader.tickCount;
  const producedAtUs = reader.producedAtUs;
  const source = reader.source;
  const e2e = partitionHistogram(partition);
  const schedule = stages.schedule;
  // Without --warmup every tick compares above -Infinity: one compare, no branch on the option.
  const cutoffUs = warmupCutoff === null || count === 0 ? -Infinity : warmupCutoff.cutoffFor(reader.sendTimeUs(0));
  for (let i = 0; i < count; i++) {
    const sendTimeUs = reader.sendTimeUs(i);
    recordLatency(sendTimeUs < cutoffUs ? warmupE2e : e2e, endUs - sendTimeUs);
    recordLatency(schedule, producedAtUs - sendTimeUs);
    // The header's source (every tick's equals it: validateTicks), never a tick's own claim.
    const mark = ledger.mark(source, reader.seq(i));
    if (mark === MarkResult.Duplicate) duplicates++;
    else if (mark === MarkResult.Unchecked) unchecked++;
  }
  ticksByPartition[partition] = (ticksByPartition[partition] ?? 0) + count;
  recordLatency(stages.transport, receivedUs - producedAtUs, count);
  recordLatency(stages.queue, startUs - receivedUs, count);
  recordLatency(stages.analytics, endUs - startUs, count);
  return count;
}

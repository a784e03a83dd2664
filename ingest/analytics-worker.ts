/**
 * The piscina worker: runs its tasks through a FrameTaskAnalysis (ingest/frame-task-analysis.ts).
 * Measurements stay in this thread (bounded HDR histograms) and leave it only as encoded interval
 * histograms over a BroadcastChannel.
 */
import { BroadcastChannel, threadId, workerData } from 'node:worker_threads';
import { FrameAnalyzer } from '../analytics/frame-analyzer.js';
import { DeliveryLedger } from '../metrics/delivery-ledger.js';
import { initHistograms } from '../metrics/latency-histogram.js';
import { nowUs } from '../wire/clock.js';
import { syntheticFrames, warmUpAnalysis } from './jit-warmup.js';
import { WarmupCutoff } from './warmup-cutoff.js';
import { FrameTaskAnalysis } from './frame-task-analysis.js';
import type { AnalyticsWorkerData, FrameTask, FrameTaskResult, StatsMessage, WorkerReport } from './worker-protocol.js';

const data = workerData as AnalyticsWorkerData;
await initHistograms();
warmUpAnalysis(data.analytics.dims, data.analyticsConfig, await syntheticFrames(data.analytics.dims));

const analysis = new FrameTaskAnalysis(
  new FrameAnalyzer(data.analytics, data.analyticsConfig),
  new DeliveryLedger(data.ledger),
  data.warmup ? new WarmupCutoff(data.warmup.cutoff, data.warmup.durationUs) : null,
);
if (data.warm) Atomics.add(new Int32Array(data.warm), 0, 1);
const channel = new BroadcastChannel(data.statsChannel);
let lastReportUs = nowUs();

function report(requestId: number): void {
  const atUs = nowUs();
  const message: WorkerReport = { type: 'report', workerId: threadId, requestId, atUs, ...analysis.takeMeasurements() };
  lastReportUs = atUs;
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

export default function analyseFrames(task: FrameTask): FrameTaskResult {
  if (failEvery > 0) {
    tasks++;
    if (tasks === 100 && killed && Atomics.compareExchange(killed, 0, 0, 1) === 0) process.exit(1);
    if (tasks % failEvery === 0) throw new Error('injected analytics failure');
  }
  const result = analysis.run(task);
  if (nowUs() - lastReportUs >= data.reportIntervalMs * 1000) report(0);
  return result;
}

/**
 * The piscina worker: analyses whole frames, records every tick's latency, marks every tick in
 * the delivery ledger. Measurements stay in this thread (bounded HDR histograms) and leave it
 * only as encoded interval histograms over a BroadcastChannel.
 */
import { BroadcastChannel, threadId, workerData } from 'node:worker_threads';
import { FrameAnalyzer } from '../analytics/frame-analyzer.js';
import { DeliveryLedger, MarkResult } from '../bench/delivery-ledger.js';
import {
  createLatencyHistogram, encodeHistogram, initHistograms, recordLatency, type Histogram,
} from '../bench/latency-histogram.js';
import { nowUs } from '../wire/clock.js';
import { FrameReader, validateFrame } from '../wire/tick-frame.js';
import type { AnalyticsWorkerData, FrameTask, FrameTaskResult, StatsMessage, WorkerReport, WorkerStage } from './worker-protocol.js';

const data = workerData as AnalyticsWorkerData;
await initHistograms();

const analyzer = new FrameAnalyzer(data.analytics, data.analyticsConfig);
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

export default function analyseFrame(task: FrameTask): FrameTaskResult {
  const startUs = nowUs();
  const bytes = new Uint8Array(task.frame);
  const problem = validateFrame(bytes);
  if (problem !== null) return { ticks: 0, problem };

  analyzer.analyze(bytes);
  const endUs = nowUs();
  const alerts = analyzer.takeAlerts();

  reader.reset(bytes);
  const count = reader.tickCount;
  const producedAtUs = reader.producedAtUs;
  const e2e = partitionHistogram(task.partition);
  const schedule = stages.schedule;
  for (let i = 0; i < count; i++) {
    const sendTimeUs = reader.sendTimeUs(i);
    recordLatency(e2e, endUs - sendTimeUs);
    recordLatency(schedule, producedAtUs - sendTimeUs);
    const mark = ledger.mark(reader.tickSource(i), reader.seq(i));
    if (mark === MarkResult.Duplicate) duplicates++;
    else if (mark === MarkResult.Unchecked) unchecked++;
  }
  ticksByPartition[task.partition] = (ticksByPartition[task.partition] ?? 0) + count;
  recordLatency(stages.transport, task.receivedUs - producedAtUs, count);
  recordLatency(stages.queue, startUs - task.receivedUs, count);
  recordLatency(stages.analytics, endUs - startUs, count);

  if (endUs - lastReportUs >= data.reportIntervalMs * 1000) report(0);
  // Most frames raise no alert: leave the field out rather than clone an empty list per frame.
  return alerts.length > 0 ? { ticks: count, problem: null, alerts } : { ticks: count, problem: null };
}

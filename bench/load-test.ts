import { randomUUID } from 'node:crypto';
import { createAnalyticsState } from '../analytics/analytics-state.js';
import { DEFAULT_ANALYTICS_CONFIG } from '../analytics/frame-analyzer.js';
import { SourceScorer } from '../analytics/source-scorer.js';
import type { FrameConsumer, FrameProducer } from '../kafka/client.js';
import { createFrameConsumer, createFrameProducer } from '../kafka/client-factory.js';
import { EmbeddedCluster } from '../kafka/embedded-cluster.js';
import { ensureTopic } from '../kafka/topic-admin.js';
import { LoadGenerator } from '../loadgen/load-generator.js';
import { PartitionDispatcher } from '../ingest/partition-dispatcher.js';
import { createAnalyticsPool, type AnalyticsPool } from '../ingest/worker-pool.js';
import type { RunConfig } from '../cli/run-config.js';
import { nowUs, type ClockUs } from '../wire/clock.js';
import { createDeliveryLedger, DeliveryLedger } from './delivery-ledger.js';
import { initHistograms } from './latency-histogram.js';
import { buildRunResult, type RunResult, type IngestTotals } from './run-result.js';
import { StatsCollector, type TimelinePoint } from './stats-collector.js';

export interface ProgressSnapshot {
  elapsedSec: number;
  durationSec: number;
  generated: number;
  produced: number;
  acked: number;
  consumed: number;
  lagTicks: number;
  sendRate: number;
  consumeRate: number;
  p99Us: number;
  phase: 'sending' | 'draining';
}

export interface LoadTestHooks {
  progress?(snapshot: ProgressSnapshot): void;
  log?(line: string): void;
}

/** A handle to stop a running test early (Ctrl-C). */
export interface LoadTestControl {
  stop(): void;
}

/**
 * One load test: embedded cluster (unless --brokers), topic, analytics pool, consumer group,
 * open-loop producer; runs the schedule, drains, and returns the merged result.
 */
export async function runLoadTest(config: RunConfig, hooks: LoadTestHooks = {}, control?: { onStart(c: LoadTestControl): void }): Promise<RunResult> {
  const clock: ClockUs = nowUs;
  const log = hooks.log ?? (() => {});
  const startedAt = new Date();
  await initHistograms();

  let cluster: EmbeddedCluster | null = null;
  let pool: AnalyticsPool | null = null;
  let producer: FrameProducer | null = null;
  let consumer: FrameConsumer | null = null;
  let collector: StatsCollector | null = null;
  let progressTimer: NodeJS.Timeout | undefined;
  let commitTimer: NodeJS.Timeout | undefined;
  try {
    let brokers = config.brokers;
    if (brokers === null) {
      cluster = await EmbeddedCluster.start({
        brokers: config.embeddedBrokers,
        // Kafka's default 3 s wait for more group members would show up as latency of the first ticks.
        groupInitialRebalanceDelayMs: 0,
        topics: [{ name: config.topic, partitions: config.partitions, replicationFactor: config.replicationFactor }],
      });
      brokers = cluster.bootstrapServers;
    } else {
      await ensureTopic(brokers, config.topic, config.partitions, config.replicationFactor);
    }

    const analytics = createAnalyticsState({ instruments: config.instruments, venues: config.venues });
    const ledger = createDeliveryLedger(config.sourceId + 1, config.ticks);
    const statsChannel = `firehose-stats-${randomUUID()}`;
    collector = new StatsCollector(statsChannel);
    const workerErrors: string[] = [];
    pool = createAnalyticsPool(config.workers, {
      analytics, analyticsConfig: {}, ledger, statsChannel, reportIntervalMs: 1000,
    }, (error) => workerErrors.push(String(error)));

    const ingest: IngestTotals = {
      consumedTicks: 0, frames: 0, malformedFrames: 0, failedFrames: 0, evictedRecords: 0,
      firstConsumedUs: 0, lastConsumedUs: 0, consumedByPartition: new Array<number>(config.partitions).fill(0),
      assignedPartitions: new Set<number>(), errors: [],
    };
    const activePool = pool;
    let consumerRef: FrameConsumer | null = null;
    const dispatcher = new PartitionDispatcher(
      (task, transfer) => activePool.run(task, transfer),
      {
        frameDone: (partition, _offset, result) => {
          if (result.problem !== null) { ingest.malformedFrames++; return; }
          const now = clock();
          if (ingest.firstConsumedUs === 0) ingest.firstConsumedUs = now;
          ingest.lastConsumedUs = now;
          ingest.consumedTicks += result.ticks;
          ingest.frames++;
          ingest.consumedByPartition[partition] = (ingest.consumedByPartition[partition] ?? 0) + result.ticks;
        },
        frameFailed: (_partition, _offset, error) => { ingest.failedFrames++; ingest.errors.push(String(error)); },
        offsetGap: (_partition, missing) => { ingest.evictedRecords += missing; },
        pause: () => consumerRef?.pause(),
        resume: () => consumerRef?.resume(),
        commit: (partition, nextOffset) => consumerRef?.commit(partition, nextOffset),
      },
      clock,
      Math.max(64, config.partitions * 8),
    );

    consumer = createFrameConsumer(config.client, {
      brokers, clientId: 'firehose-ingest', groupId: `firehose-${config.topic}`, topic: config.topic,
    }, {
      records: (partition, records) => dispatcher.push(partition, records),
      assigned: (partitions) => { for (const p of partitions) ingest.assignedPartitions.add(p); },
      revoked: (partitions) => dispatcher.revoke(partitions),
      error: (error) => { if (ingest.errors.length < 20) ingest.errors.push(error.message); },
    });
    consumerRef = consumer;
    await consumer.start();

    const loadgen = new LoadGenerator({
      partitions: config.partitions, ratePerSec: config.rate, ticks: config.ticks,
      instruments: config.instruments, venues: config.venues, seed: config.seed, source: config.sourceId,
      ticksPerRecord: config.ticksPerRecord, lingerUs: config.lingerMs * 1000, clock,
    });
    producer = createFrameProducer(config.client, {
      brokers, clientId: 'firehose-loadgen', topic: config.topic, acks: config.acks,
      compression: config.compression, lingerMs: config.lingerMs, maxPendingFrames: 20_000,
      idempotent: config.idempotent,
    }, loadgen.callbacks);
    await producer.connect();
    control?.onStart({ stop: () => loadgen.stop() });

    commitTimer = setInterval(() => dispatcher.commitFinished(), 200);
    const timeline: TimelinePoint[] = [];
    const runStartUs = loadgen.produceStats.startUs;
    let phase: ProgressSnapshot['phase'] = 'sending';
    let last = { us: clock(), produced: 0, consumed: 0 };
    const sample = (): void => {
      const now = clock();
      const stats = loadgen.produceStats;
      const dt = Math.max(1e-3, (now - last.us) / 1e6);
      const p99Us = collector!.takeIntervalP99();
      const snapshot: ProgressSnapshot = {
        elapsedSec: (now - runStartUs) / 1e6,
        durationSec: config.durationSec,
        generated: loadgen.generated,
        produced: stats.produced,
        acked: stats.acked,
        consumed: ingest.consumedTicks,
        lagTicks: Math.max(0, stats.acked - ingest.consumedTicks),
        sendRate: (stats.produced - last.produced) / dt,
        consumeRate: (ingest.consumedTicks - last.consumed) / dt,
        p99Us,
        phase,
      };
      timeline.push({
        t: Math.round(snapshot.elapsedSec * 10) / 10, producedTicks: stats.produced, consumedTicks: ingest.consumedTicks,
        lagTicks: snapshot.lagTicks, p99Us,
      });
      last = { us: now, produced: stats.produced, consumed: ingest.consumedTicks };
      hooks.progress?.(snapshot);
    };
    progressTimer = setInterval(sample, 1000);

    await loadgen.run(producer);
    phase = 'draining';
    log(`all ${loadgen.produceStats.produced} ticks sent; draining`);

    // Drain: wait until every acknowledged record was read (consumed, or skipped because retention
    // evicted it), or nothing moves for the drain timeout.
    const stats = loadgen.produceStats;
    const everyRecordRead = (): boolean => stats.endOffsetByPartition.every((end, p) => end <= 0 || dispatcher.nextOffset(p) >= end);
    let lastProgressUs = clock();
    let lastConsumed = -1;
    while (!(dispatcher.idle && (ingest.consumedTicks >= stats.acked || everyRecordRead()))) {
      if (ingest.consumedTicks !== lastConsumed) { lastConsumed = ingest.consumedTicks; lastProgressUs = clock(); }
      if (clock() - lastProgressUs > config.drainTimeoutSec * 1e6) {
        log(`drain timed out with ${stats.acked - ingest.consumedTicks} ticks unconsumed`);
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await dispatcher.whenIdle();
    dispatcher.commitFinished();
    clearInterval(progressTimer);
    progressTimer = undefined;
    sample();

    const answered = await collector.collect(pool.threads);
    if (!answered) log('warning: not every analytics worker answered the final stats request');

    const ledgerView = new DeliveryLedger(ledger);
    const distinctConsumed = ledgerView.countSeen(config.sourceId, stats.produced);
    const scorer = new SourceScorer(analytics, DEFAULT_ANALYTICS_CONFIG);
    const scores = new Float64Array(config.venues);
    scorer.venueScores(scores);
    return buildRunResult({
      config, startedAt, finishedAt: new Date(), brokers, embedded: cluster !== null,
      brokerCount: cluster ? cluster.brokerCount : brokers.split(',').length,
      generated: loadgen.generated, produce: stats, produceLatency: loadgen.produceLatency, ingest, collector,
      distinctConsumed, sourceScores: Array.from(scores, (s) => Math.round(s * 1000) / 1000),
      sourceRanking: scorer.ranking(), timeline, workerErrors, interrupted: loadgen.stopped,
    });
  } finally {
    if (progressTimer) clearInterval(progressTimer);
    if (commitTimer) clearInterval(commitTimer);
    await producer?.disconnect().catch(() => {});
    await consumer?.stop().catch(() => {});
    await pool?.destroy().catch(() => {});
    collector?.close();
    await cluster?.stop();
  }
}


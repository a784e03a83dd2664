import { randomUUID } from 'node:crypto';
import { createAnalyticsState } from '../analytics/analytics-state.js';
import type { TickLabelsShared } from '../analytics/tick-labels.js';
import { addCounters, DEFAULT_ANALYTICS_CONFIG, FrameAnalyzer, type AnalyticsConfig } from '../analytics/frame-analyzer.js';
import { SourceScorer } from '../analytics/source-scorer.js';
import { createDeliveryLedger, DeliveryLedger } from '../metrics/delivery-ledger.js';
import { encodeHistogram, initHistograms, type LatencySummary } from '../metrics/latency-histogram.js';
import type { ConsumeCounts, IngestPart } from './ingest-part.js';
import type { Alert } from '../analytics/alerts.js';
import { DetectionLog } from '../analytics/detection-log.js';
import { StatsCollector } from './stats-collector.js';
import type { ClientKind, ConsumedRecord, FrameConsumer, FrameProducer } from '../kafka/client.js';
import { DEAD_LETTER_MAX_MESSAGE_BYTES, deadLetterRecord } from './dead-letter.js';
import { createFrameConsumer, createFrameProducer } from '../kafka/client-factory.js';
import { FrameReader, frameByteLength, validateFrame } from '../wire/tick-frame.js';
import type { ClockUs } from '../wire/clock.js';
import { PartitionDispatcher, type DeadLetterKind } from './partition-dispatcher.js';
import { createAnalyticsPool, type AnalyticsPool } from './worker-pool.js';
import { STAGES } from './worker-protocol.js';
import { WarmupCutoff } from './warmup-cutoff.js';
import { warmUpDispatch } from './dispatch-warmup.js';
import { pause, SHUTDOWN_BUDGET_MS, ShutdownSteps } from '../kafka/shutdown-steps.js';

/**
 * What may wait for the workers before the consumer is paused: 256 frames of the default 64 ticks
 * in bytes, or this many records if they are smaller. Bounded in records alone (256), one tick per
 * record paused the consumer after almost every fetch (115 pauses in a 12 s run at 60k records/s).
 */
const MAX_QUEUED_BYTES = 256 * frameByteLength(64);
const MAX_QUEUED_RECORDS = 16_384;
/** This process's dispatcher path, warmed once (JIT code is the process's, whatever the session). */
let dispatchWarm: Promise<number> | null = null;
/** Longest the session waits for its workers' JIT warm-up before it joins the group. */
const WORKER_WARMUP_WAIT_MS = 20_000;

export interface IngestSessionOptions {
  brokers: string;
  client: ClientKind;
  topic: string;
  groupId: string;
  workers: number;
  instruments: number;
  venues: number;
  /** Share of analytics tasks made to fail, and one worker killed (a test aid); 0 for none. */
  injectWorkerFailures: number;
  /** FX currencies of the analytics state (absent: the default universe; 0 on the fair-value market, which has none). */
  fxCurrencies?: number;
  /** The generator's labels when it runs in this process (analytics/tick-labels.ts); absent: nothing is scored against labels. */
  labels?: TickLabelsShared | null;
  /** Most consecutive frames of a partition in one worker task. */
  framesPerTask: number;
  /** Load-generator ids 0..sources-1 are checked for loss and duplicates. */
  ledgerSources: number;
  /** Ticks per source the ledger can check. */
  ledgerCapacity: number;
  clock: ClockUs;
  log: (line: string) => void;
  /** Warm-up length (--warmup), µs; 0 for none. */
  warmupUs?: number;
  /** Analytics options over the defaults (the stall rule for a market of continuous prices). */
  analyticsConfig?: Partial<AnalyticsConfig>;
  /** The consumer's fetch.wait.max.ms (the profile's); the client default when absent. */
  fetchWaitMaxMs?: number;
}

/** What this process has consumed so far, updated as frames finish. */
export interface IngestCounts extends ConsumeCounts {
  /** Dead-letter records the dead-letter topic acknowledged. */
  deadLetterAcked: number;
  /** Alerts acknowledged by the alerts topic. */
  alertsAcked: number;
  consumedByPartition: Map<number, number>;
  assignedPartitions: Set<number>;
  errors: string[];
}

/**
 * The consuming half of the pipeline in one process: consumer group member, per-partition
 * dispatcher, analytics worker pool, and the stats those workers publish.
 */
export class IngestSession {
  readonly counts: IngestCounts = {
    consumedTicks: 0,
    frames: 0,
    malformedFrames: 0,
    failedAttempts: 0,
    deadLetteredRecords: 0,
    deadLetteredTicks: 0,
    deadLetterAcked: 0,
    alertsPublished: 0,
    alertsAcked: 0,
    evictedRecords: 0,
    firstConsumedUs: 0,
    lastConsumedUs: 0,
    consumedByPartition: new Map(),
    assignedPartitions: new Set(),
    errors: [],
  };
  readonly collector: StatsCollector;
  private readonly workerErrors: string[] = [];
  private readonly pool: AnalyticsPool;
  private readonly dispatcher: PartitionDispatcher;
  private readonly consumer: FrameConsumer;
  private readonly analytics;
  private readonly ledgerShared;
  private readonly deadLetters: FrameProducer;
  private readonly alerts: FrameProducer;
  /** The flagged ticks' seqs, for scoring against a truth kept beside the stream. */
  private readonly detections = new DetectionLog();
  /** Partitions this member holds now (assignedPartitions keeps every one it ever held). */
  private readonly owned = new Set<number>();
  private readonly warmup: WarmupCutoff | null;
  private commitTimer: NodeJS.Timeout | undefined;
  /** Set once the end began: records that still arrive are left in Kafka, uncommitted. */
  private intakeStopped = false;
  private closed = false;

  private constructor(private readonly options: IngestSessionOptions) {
    const { clock } = options;
    this.analytics = createAnalyticsState({ instruments: options.instruments, venues: options.venues, fxCurrencies: options.fxCurrencies });
    if (options.labels) this.analytics.labels = options.labels;
    this.ledgerShared = createDeliveryLedger(options.ledgerSources, options.ledgerCapacity);
    const statsChannel = `firehose-stats-${randomUUID()}`;
    this.collector = new StatsCollector(statsChannel);
    this.warmup = (options.warmupUs ?? 0) > 0 ? WarmupCutoff.create(options.warmupUs!) : null;
    this.pool = createAnalyticsPool(
      options.workers,
      {
        analytics: this.analytics,
        analyticsConfig: options.analyticsConfig ?? {},
        ledger: this.ledgerShared,
        statsChannel,
        reportIntervalMs: 1000,
        failures: options.injectWorkerFailures > 0 ? { share: options.injectWorkerFailures, killed: new SharedArrayBuffer(4) } : null,
        warmup: this.warmup ? { durationUs: this.warmup.durationUs, cutoff: this.warmup.buffer } : null,
      },
      (error) => {
        if (this.workerErrors.length < 20) this.workerErrors.push(String(error));
      },
    );
    const counts = this.counts;
    this.dispatcher = new PartitionDispatcher(
      (task, transfer) => this.pool.run(task, transfer),
      {
        frameDone: (partition, frames, ticks, alerts) => {
          const now = clock();
          if (counts.firstConsumedUs === 0) counts.firstConsumedUs = now;
          counts.lastConsumedUs = now;
          counts.consumedTicks += ticks;
          counts.frames += frames;
          counts.consumedByPartition.set(partition, (counts.consumedByPartition.get(partition) ?? 0) + ticks);
          if (alerts) {
            this.publishAlerts(alerts);
            this.detections.add(alerts);
          }
        },
        frameFailed: (_partition, _offset, error, willRetry) => {
          counts.failedAttempts++;
          if (!willRetry && counts.errors.length < 20)
            counts.errors.push(`analytics task failed: ${error instanceof Error ? error.message : String(error)}`);
        },
        deadLetter: (record, reason, kind) => this.deadLetter(record, reason, kind),
        offsetGap: (_partition, missing) => {
          counts.evictedRecords += missing;
        },
        pause: () => this.consumer.pause(),
        resume: () => {
          if (!this.intakeStopped) this.consumer.resume();
        },
        commit: (partition, nextOffset) => this.consumer.commit(partition, nextOffset),
      },
      clock,
      MAX_QUEUED_RECORDS,
      3,
      options.framesPerTask,
      MAX_QUEUED_BYTES,
      // One task group per worker: a task per worker in flight, each carrying what its share of
      // the partitions gathered meanwhile.
      options.workers,
    );
    const sideProducer = (topic: string, acked: () => void): FrameProducer =>
      createFrameProducer(
        options.client,
        {
          brokers: options.brokers,
          clientId: 'firehose-ingest-side',
          topic,
          acks: -1,
          compression: 'none',
          lingerMs: 5,
          maxPendingFrames: 100_000,
          idempotent: false,
          // Room for the largest record the consumer fetches plus the dead letter's key.
          maxMessageBytes: DEAD_LETTER_MAX_MESSAGE_BYTES,
        },
        {
          delivered: acked,
          failed: (_frame, error) => {
            if (counts.errors.length < 20) counts.errors.push(`${topic}: ${error.message}`);
          },
        },
      );
    this.deadLetters = sideProducer(deadLetterTopic(options.topic), () => {
      counts.deadLetterAcked++;
    });
    this.alerts = sideProducer(alertsTopic(options.topic), () => {
      counts.alertsAcked++;
    });
    this.consumer = createFrameConsumer(
      options.client,
      {
        brokers: options.brokers,
        clientId: 'firehose-ingest',
        groupId: options.groupId,
        topic: options.topic,
        ...(options.fetchWaitMaxMs !== undefined ? { fetchWaitMaxMs: options.fetchWaitMaxMs } : {}),
      },
      {
        records: (partition, records) => {
          if (!this.intakeStopped) this.dispatcher.push(partition, records);
        },
        assigned: (partitions) => {
          for (const p of partitions) {
            counts.assignedPartitions.add(p);
            this.owned.add(p);
          }
          options.log(`assigned partitions ${partitions.sort((a, b) => a - b).join(',')}`);
        },
        revoked: (partitions) => {
          for (const p of partitions) this.owned.delete(p);
          options.log(`revoked partitions ${partitions.sort((a, b) => a - b).join(',')}`);
          this.dispatcher.revoke(partitions);
        },
        error: (error) => {
          if (counts.errors.length < 20) counts.errors.push(error.message);
        },
      },
    );
  }

  /** Starts the pool and joins the consumer group; resolves once partitions are assigned. */
  static async start(options: IngestSessionOptions): Promise<IngestSession> {
    await initHistograms();
    const session = new IngestSession(options);
    try {
      await session.deadLetters.connect();
      await session.alerts.connect();
      // This thread's per-record path warms up meanwhile (ingest/dispatch-warmup.ts).
      dispatchWarm ??= warmUpDispatch({
        framesPerTask: options.framesPerTask,
        taskGroups: options.workers,
        maxQueuedRecords: MAX_QUEUED_RECORDS,
        maxQueuedBytes: MAX_QUEUED_BYTES,
      });
      await dispatchWarm;
      // Join the group only once the workers can take tasks (a late worker is waited for no longer).
      await session.pool.whenWarm(WORKER_WARMUP_WAIT_MS);
      await session.consumer.start();
    } catch (error) {
      await session.close();
      throw error;
    }
    session.commitTimer = setInterval(() => session.dispatcher.commitFinished(), 200);
    return session;
  }

  /** Publishes detections to `<topic>.alerts`: JSON values (format in analytics/alerts.ts), keyed by instrument. */
  private publishAlerts(alerts: readonly Alert[]): void {
    const c = this.counts;
    for (const alert of alerts) {
      const frame = {
        partition: 0,
        key: Buffer.from(String(alert.instrument)),
        value: Buffer.from(JSON.stringify(alert)),
        tickCount: 1,
        producedAtUs: this.options.clock(),
      };
      if (this.alerts.send(frame)) c.alertsPublished++;
      else if (c.errors.length < 20) c.errors.push('alerts producer queue full: an alert was dropped');
    }
  }

  /**
   * Sends a record that cannot be analysed to `<topic>.dlq`, keyed by why and where it came
   * from, with its original bytes as the value.
   */
  private deadLetter(record: ConsumedRecord, reason: string, kind: DeadLetterKind): void {
    const c = this.counts;
    c.deadLetteredRecords++;
    // A malformed record's ticks (if its header even says how many) are not the loadgen's: counting
    // them as dead-lettered would hide as many lost ticks.
    const ticks = kind === 'failed' && validateFrame(record.value) === null ? new FrameReader().reset(record.value).tickCount : 0;
    c.deadLetteredTicks += ticks;
    if (ticks === 0) c.malformedFrames++;
    if (!this.deadLetters.send(deadLetterRecord(record, reason, this.options.clock()))) {
      if (c.errors.length < 20) c.errors.push('dead-letter producer queue full: a dead letter was dropped');
    }
  }

  /** Starts the warm-up clock at the schedule's start (µs); without this the first tick seen starts it. */
  startWarmup(scheduleStartUs: number): void {
    this.warmup?.startAt(scheduleStartUs);
  }

  get idle(): boolean {
    return this.dispatcher.idle;
  }

  /** Whether the group currently gives this member any partition (during a rebalance it may hold none). */
  get holdsPartitions(): boolean {
    return this.owned.size > 0;
  }

  nextOffset(partition: number): number {
    return this.dispatcher.nextOffset(partition);
  }

  /** Latency of the ticks reported since the last call (for progress, the timeline and metrics). */
  takeInterval(): LatencySummary {
    return this.collector.takeInterval();
  }

  /**
   * Waits until `done()` holds with nothing in flight, or nothing moves for `timeoutSec`, or
   * `signal` aborts. Returns whether it finished.
   */
  async drain(done: () => boolean, timeoutSec: number, signal?: AbortSignal): Promise<boolean> {
    let lastProgressUs = this.options.clock();
    let lastConsumed = -1;
    while (!(this.dispatcher.idle && done())) {
      if (this.counts.consumedTicks !== lastConsumed) {
        lastConsumed = this.counts.consumedTicks;
        lastProgressUs = this.options.clock();
      }
      if (this.options.clock() - lastProgressUs > timeoutSec * 1e6 || signal?.aborted) return false;
      await pause(20, signal);
    }
    return true;
  }

  /** Finishes, commits, gathers every worker's measurements, and shuts down (see collect and close). */
  async finish(steps = new ShutdownSteps(this.options.log)): Promise<IngestPart> {
    const part = await this.collect(steps);
    await this.close(steps);
    return part;
  }

  /**
   * What this process measured, taken before any client is closed: stops taking records (those
   * still arriving stay in Kafka, uncommitted), lets the analysis in flight finish, commits it,
   * and gathers every worker's measurements. Each wait has its budget within `steps`' deadline.
   */
  async collect(steps = new ShutdownSteps(this.options.log)): Promise<IngestPart> {
    this.intakeStopped = true;
    this.consumer.pause();
    const idle = (await steps.run('analysis in flight', SHUTDOWN_BUDGET_MS.analysis, () => this.dispatcher.whenIdle())) === 'done';
    if (!idle) {
      this.workerErrors.push('the analysis in flight did not finish before the shutdown went on: its ticks are not counted');
    }
    this.dispatcher.commitFinished();
    // The stream ends here: ticks still held for their venue's next quote (which will not come)
    // are decided now, over the state the workers left, once no frame is in flight.
    const end = new FrameAnalyzer(this.analytics, this.options.analyticsConfig ?? {}, this.options.clock);
    if (idle) end.endOfStream();
    const late = end.takeAlerts();
    if (late.length > 0) {
      this.publishAlerts(late);
      this.detections.add(late);
    }
    await steps.run('commit', SHUTDOWN_BUDGET_MS.commit, () => this.consumer.settleCommits());
    // The workers answer from their own threads, whatever the cluster does: this wait is short.
    const answered = await this.collector.collect(this.pool.threads, SHUTDOWN_BUDGET_MS.workerStats);
    if (!answered) this.workerErrors.push('not every analytics worker answered the final stats request');
    addCounters(this.collector.counters, end.takeCounters());
    const scorer = new SourceScorer(this.analytics, { ...DEFAULT_ANALYTICS_CONFIG, ...this.options.analyticsConfig });
    const scores = new Float64Array(this.options.venues);
    scorer.venueScores(scores);
    const c = this.counts;
    const collector = this.collector;
    const { consumedByPartition, assignedPartitions, errors, deadLetterAcked: _dlqAcked, alertsAcked: _alertsAcked, ...sums } = c;
    const part: IngestPart = {
      ...sums,
      consumedByPartition: Object.fromEntries(consumedByPartition),
      assignedPartitions: [...assignedPartitions].sort((a, b) => a - b),
      errors: [...errors, ...this.workerErrors.map((e) => `analytics worker: ${e}`)],
      duplicates: collector.duplicates,
      unchecked: collector.unchecked,
      counters: { ...collector.counters },
      sourceScores: Array.from(scores, (s) => Math.round(s * 1000) / 1000),
      histograms: {
        e2eByPartition: Object.fromEntries([...collector.e2eByPartition].map(([p, h]) => [String(p), encodeHistogram(h)])),
        stages: Object.fromEntries(STAGES.map((s) => [s, encodeHistogram(collector.stages[s])])) as IngestPart['histograms']['stages'],
        ...(this.warmup ? { warmup: encodeHistogram(collector.warmup) } : {}),
      },
      ledger: new DeliveryLedger(this.ledgerShared).serialize(),
      detections: this.detections.serialize(),
    };
    return part;
  }

  /**
   * Closes the consumer (leaving the group), flushes and closes the dead-letter and alerts
   * producers, and stops the workers, each within its budget: a client still waiting on a down
   * broker is left behind (see kafka/native-calls.ts for how the process still ends).
   */
  async close(steps = new ShutdownSteps(this.options.log)): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.intakeStopped = true;
    if (this.commitTimer) clearInterval(this.commitTimer);
    // Independent of each other, so one waiting on a down broker does not hold up the rest.
    await Promise.all([
      steps.run('consumer close', SHUTDOWN_BUDGET_MS.consumerClose, () => this.consumer.stop()),
      (async () => {
        await steps.run('dead-letter and alerts flush', SHUTDOWN_BUDGET_MS.producerFlushAtClose, (signal) =>
          Promise.all([
            this.deadLetters.flush(SHUTDOWN_BUDGET_MS.producerFlushAtClose, signal),
            this.alerts.flush(SHUTDOWN_BUDGET_MS.producerFlushAtClose, signal),
          ]),
        );
        await steps.run('dead-letter and alerts disconnect', SHUTDOWN_BUDGET_MS.disconnect, () =>
          Promise.all([this.deadLetters.disconnect(), this.alerts.disconnect()]),
        );
      })(),
      // Nothing new reaches the workers once intake stopped.
      steps.run('analytics workers', SHUTDOWN_BUDGET_MS.workers, () => this.pool.destroy()),
    ]);
    this.collector.close();
  }
}

/** Where detections are published. */
export function alertsTopic(topic: string): string {
  return `${topic}.alerts`;
}

/** Where records that cannot be analysed go. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

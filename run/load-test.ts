import type { TickLabelsShared } from '../analytics/tick-labels.js';
import type { FrameProducer } from '../kafka/client.js';
import type { EmbeddedCluster } from '../kafka/embedded-cluster.js';
import { GroupOffsetsReader } from '../kafka/group-offsets.js';
import { describeTopic, type TopicMetadata } from '../kafka/topic-admin.js';
import { INTERRUPTED_MS, interruptedCloseDeadline, SHUTDOWN_BUDGET_MS, ShutdownSteps } from '../kafka/shutdown-steps.js';
import { IngestSession } from '../ingest/ingest-session.js';
import { syntheticFrames } from '../ingest/jit-warmup.js';
import type { IngestPart } from '../ingest/ingest-part.js';
import { MalformedInjector } from '../loadgen/malformed-injector.js';
import { ThreadedLoadGenerator } from '../loadgen/generator-thread.js';
import { cpuBetween, ThreadCpuLedger, totalCpuMs, type ThreadCpuRow } from '../metrics/thread-cpu.js';
import { nowUs, type ClockUs } from '../wire/clock.js';
import { primeConsumers } from './consumer-priming.js';
import { INTERRUPTED_SCORED_TICKS, MAX_SCORED_TICKS } from './run-quality.js';
import { FaultRunner } from './fault-plan.js';
import { MetricsServer } from './metrics-server.js';
import { ProgressSampler, type ProgressSnapshot } from './progress-sampler.js';
import { mergeRunParts } from './result-parts.js';
import { storedConfig, type RunConfig } from './run-config.js';
import { clusterIdentity, prepareCluster, type PreparedCluster } from './run-cluster.js';
import { MockLogTrimmer } from './mock-log-trim.js';
import { PROFILE_SETTINGS } from './run-profiles.js';
import {
  createLoadGenerator,
  createProducerFor,
  createRunLabels,
  groupIdFor,
  ingestOptionsFor,
  loadGeneratorOptions,
  loadgenPart,
  type AnyLoadGenerator,
} from './run-clients.js';
import type { RunResources, RunResult } from './run-result.js';

// Where these lived before the run was split into steps; callers import them from here.
export type { ProgressSnapshot } from './progress-sampler.js';
export { clusterIdentity, ensureLocalCluster, prepareCluster, type PreparedCluster } from './run-cluster.js';
export {
  createLoadGenerator,
  createProducerFor,
  createRunLabels,
  groupIdFor,
  ingestOptionsFor,
  loadgenPart,
  type AnyLoadGenerator,
} from './run-clients.js';

export interface LoadTestHooks {
  progress?(snapshot: ProgressSnapshot): void;
  log?(line: string): void;
  /**
   * Aborting it stops the run early (Ctrl-C): the load stops at once, and every wait after it
   * ends by the INTERRUPTED_MS deadlines counted from then.
   */
  signal?: AbortSignal;
  /**
   * Receives the result before any client or the cluster is closed, so what was measured is
   * kept whatever the close does (a consumer close can wait on a down broker without end).
   */
  persist?(result: RunResult): Promise<void>;
}

/**
 * One load test in one process, as named steps (like OpenMessaging Benchmark's
 * WorkloadGenerator.run()): prepare the cluster, start ingest, connect the producer, prime the
 * consumers, warm up, run the schedule, drain, finish, build the result. Both halves are merged
 * exactly as `report merge` does for split processes. The result is built once (faults,
 * thresholds and resources passed in) and handed to `hooks.persist` before anything is closed;
 * every wait after the load has its own budget (kafka/shutdown-steps.ts), so a down broker
 * cannot keep the run from ending.
 */
export async function runLoadTest(config: RunConfig, hooks: LoadTestHooks = {}): Promise<RunResult> {
  const run = new LoadTestRun(config, hooks);
  try {
    await run.prepareCluster();
    await run.startIngest();
    await run.connectProducer();
    await run.prime();
    await run.warmUp();
    await run.runSchedule();
    await run.drain();
    const ingestPart = await run.finish();
    const result = run.buildResult(ingestPart);
    await hooks.persist?.(result);
    return result;
  } finally {
    await run.close();
  }
}

/** The state of one run between its steps; each step is a method, in the order they run. */
class LoadTestRun {
  private readonly clock: ClockUs = nowUs;
  private readonly log: (line: string) => void;
  private readonly startedAt = new Date().toISOString();
  private readonly usageAtStart = process.resourceUsage();
  private readonly steps: ShutdownSteps;
  private interruptedAtMs: number | null = null;
  /** Where the time before the schedule went, step by step (result.json `startup`). */
  private readonly startup: { step: string; ms: number }[] = [];
  private stepStartedMs = Date.now();
  private readonly onAbort = (): void => this.interrupt();

  private prepared: (PreparedCluster & { stopLocal: () => Promise<void> }) | null = null;
  private metadata: TopicMetadata | null = null;
  private labels: TickLabelsShared | null = null;
  private ingest: IngestSession | null = null;
  /** The Kafka producer, and what the schedule sends to (the same, or a malformed-record injector around it). */
  private producer: FrameProducer | null = null;
  private sink: FrameProducer | null = null;
  private injector: MalformedInjector | null = null;
  private generator: AnyLoadGenerator | null = null;
  private faultRunner: FaultRunner | null = null;
  /** Deletes what the group has committed from the embedded cluster's log (run/mock-log-trim.ts). */
  private mockLogTrimmer: MockLogTrimmer | null = null;
  private sampler: ProgressSampler | null = null;
  private metrics: MetricsServer | null = null;
  /** CPU per thread role (resources.threads): read at the run's start, the schedule's start and the drain's end. */
  private threadCpu: ThreadCpuLedger | null = null;
  private cpuAtStart: ThreadCpuRow[] = [];
  private scheduleStart: { rows: ThreadCpuRow[]; atMs: number; consumed: number } | null = null;
  private scheduleEnd: { rows: ThreadCpuRow[]; atMs: number; consumed: number } | null = null;

  constructor(
    private readonly config: RunConfig,
    private readonly hooks: LoadTestHooks,
  ) {
    this.log = hooks.log ?? (() => {});
    this.steps = new ShutdownSteps(this.log);
    if (hooks.signal?.aborted) this.interrupt();
    else hooks.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private interrupt(): void {
    this.interruptedAtMs = Date.now();
    this.generator?.stop();
    this.steps.setDeadline(this.interruptedAtMs + INTERRUPTED_MS.drainUntil);
  }

  private startupStep(step: string): void {
    const nowMs = Date.now();
    this.startup.push({ step, ms: nowMs - this.stepStartedMs });
    this.stepStartedMs = nowMs;
  }

  private need<T>(value: T | null, what: string): T {
    if (value === null) throw new Error(`load test step out of order: no ${what} yet`);
    return value;
  }

  /** 1. The cluster (embedded, local or --brokers) with the run's topics in place. */
  async prepareCluster(): Promise<void> {
    this.threadCpu = await ThreadCpuLedger.start();
    this.cpuAtStart = this.threadCpu.read();
    const prepared = await prepareCluster(this.config, 1, this.log);
    this.prepared = prepared;
    // The embedded cluster's brokers run in this process: their threads are told apart from the pipeline's.
    this.threadCpu.claim(prepared.cluster ? 'embedded-cluster' : 'admin');
    this.startupStep('cluster and topics');
    if (prepared.startedLocal)
      this.log('the local cluster was started for this run and stops at its end (firehose cluster up keeps one between runs)');
    this.metadata = await describeTopic(prepared.brokers, this.config.workload.topic).catch(() => null);
    this.threadCpu.claim('admin');
    this.startupStep('topic metadata');
  }

  /** 2. The consumer group and its analytics workers. */
  async startIngest(): Promise<void> {
    const { brokers } = this.need(this.prepared, 'cluster');
    const w = this.config.workload;
    this.labels = createRunLabels(this.config);
    this.ingest = await IngestSession.start(
      ingestOptionsFor(this.config, brokers, this.clock, () => {}, { sources: w.sourceId + 1, capacity: w.ticks }, this.labels),
    );
    this.threadCpu?.claim((comm) => (comm.startsWith('rdk:') ? 'ingest-clients' : 'analytics-workers'));
    this.startupStep('consumer group join');
  }

  /** 3. The producer (behind the malformed-record injector with --inject-malformed). */
  async connectProducer(): Promise<void> {
    const { brokers } = this.need(this.prepared, 'cluster');
    const producer = createProducerFor(this.config, brokers, () => this.generator);
    const share = this.config.testAids.injectMalformed;
    this.injector = share > 0 ? new MalformedInjector(producer, share) : null;
    this.producer = producer;
    this.sink = this.injector ?? producer;
    await this.sink.connect();
    this.threadCpu?.claim('producer-client');
    this.startupStep('producer connect');
  }

  /** 4. One record per partition, read back, so the consumers hold their partitions before the schedule starts. */
  async prime(): Promise<void> {
    const ingest = this.need(this.ingest, 'ingest');
    if (!(await primeConsumers(this.need(this.producer, 'producer'), ingest, this.config.workload.partitions, this.clock)))
      this.log('warning: the consumers did not read the priming records within 15 s');
    this.startupStep('priming');
  }

  /** 5. The generator's hot path compiled on throwaway ticks (ingest/jit-warmup.ts), then the generator itself. */
  async warmUp(): Promise<void> {
    const w = this.config.workload;
    await syntheticFrames({ instruments: w.instruments, venues: w.venues }, undefined, w.market);
    this.startupStep('JIT warm-up');
    // --loadgen-thread: ticks generated and encoded on their own thread (labels shared with it); this one produces.
    this.generator = this.config.producer.loadgenThread
      ? await ThreadedLoadGenerator.start(loadGeneratorOptions(this.config, this.clock, this.labels))
      : createLoadGenerator(this.config, this.clock, this.labels);
    // By name: a librdkafka thread the producer started late is not the generator's.
    this.threadCpu?.claim((comm) => (comm.startsWith('rdk:') ? 'producer-client' : 'generator-thread'));
    if (this.interruptedAtMs !== null) this.generator.stop();
  }

  /** 6. The open-loop schedule, with faults, progress and metrics running beside it, then the producer flushed. */
  async runSchedule(): Promise<void> {
    const generator = this.need(this.generator, 'generator');
    const ingest = this.need(this.ingest, 'ingest');
    const sink = this.need(this.sink, 'producer');
    const w = this.config.workload;
    // The schedule starts here, once everything is connected and the consumers are reading.
    ingest.startWarmup(generator.produceStats.startUs);
    if (this.threadCpu)
      this.scheduleStart = { rows: this.threadCpu.read(), atMs: performance.now(), consumed: ingest.counts.consumedTicks };
    this.startFaults();
    this.startMockLogTrim();
    this.log(
      `offering ${w.rate.toLocaleString('en-US')} ticks/s for ${w.durationSec}s (${w.ticks.toLocaleString('en-US')} ticks) to ${w.partitions} partitions with the ${this.config.producer.client} client`,
    );
    const counts = ingest.counts;
    this.sampler = new ProgressSampler(
      {
        clock: this.clock,
        startUs: generator.produceStats.startUs,
        durationSec: w.durationSec,
        bothHalves: true,
        counts: () => ({
          generated: generator.generated,
          produced: generator.produceStats.produced,
          acked: generator.produceStats.acked,
          consumed: counts.consumedTicks,
        }),
        takeInterval: () => ingest.takeInterval(),
      },
      (snapshot) => this.hooks.progress?.(snapshot),
    );
    this.sampler.start(1000);
    if (this.config.output.metricsPort !== null) await this.startMetrics(this.config.output.metricsPort);
    await generator.run(sink, 0);
    await this.steps.run('producer flush', SHUTDOWN_BUDGET_MS.producerFlush, (signal) =>
      sink.flush(SHUTDOWN_BUDGET_MS.producerFlush, signal),
    );
  }

  private startMockLogTrim(): void {
    const prepared = this.need(this.prepared, 'cluster');
    const w = this.config.workload;
    if (!prepared.cluster?.canDeleteRecords || !PROFILE_SETTINGS[w.profile].trimMockLog) return;
    const committed = new GroupOffsetsReader(prepared.brokers, groupIdFor(w), w.topic);
    this.mockLogTrimmer = new MockLogTrimmer(prepared.cluster, committed, w.topic);
    this.mockLogTrimmer.start();
  }

  private startFaults(): void {
    const prepared = this.need(this.prepared, 'cluster');
    const { workload: w, cluster: c } = this.config;
    const target = prepared.cluster ? { mock: prepared.cluster } : prepared.local ? { kafka: prepared.local } : null;
    if (!target || c.faults.length === 0) return;
    this.faultRunner = new FaultRunner(
      target,
      c.faults,
      { topic: w.topic, partitions: w.partitions, groupId: groupIdFor(w), brokers: prepared.brokerCount },
      (message) => this.log(`warning: ${message}`),
    );
    this.faultRunner.start();
  }

  private async startMetrics(port: number): Promise<void> {
    const generator = this.need(this.generator, 'generator');
    const ingest = this.need(this.ingest, 'ingest');
    const sampler = this.need(this.sampler, 'sampler');
    const counts = ingest.counts;
    this.metrics = await MetricsServer.start(port, () => {
      const stats = generator.produceStats;
      const lag = new Map<number, number>();
      stats.ackedByPartition.forEach((acked, p) => lag.set(p, Math.max(0, acked - (counts.consumedByPartition.get(p) ?? 0))));
      const q = sampler.lastInterval;
      return {
        producedTicks: stats.produced,
        ackedTicks: stats.acked,
        consumedTicks: counts.consumedTicks,
        failedTicks: stats.failed,
        duplicatedTicks: ingest.collector.duplicates,
        sendRate: sampler.lastSnapshot?.sendRate ?? 0,
        consumeRate: sampler.lastSnapshot?.consumeRate ?? 0,
        lagByPartition: lag,
        latencyQuantilesUs: q
          ? new Map([
              [0.5, q.p50],
              [0.9, q.p90],
              [0.99, q.p99],
              [0.999, q.p999],
              [1, q.max],
            ])
          : new Map(),
      };
    });
    this.log(`metrics on http://127.0.0.1:${this.metrics.port}/metrics`);
  }

  /** 7. Waits until every acknowledged record was read (analysed, or skipped because retention evicted it). */
  async drain(): Promise<void> {
    const generator = this.need(this.generator, 'generator');
    const session = this.need(this.ingest, 'ingest');
    const sampler = this.need(this.sampler, 'sampler');
    const stats = generator.produceStats;
    const counts = session.counts;
    sampler.phase = 'draining';
    this.log(`all ${stats.produced} ticks sent; draining`);
    const everyRecordRead = (): boolean => stats.endOffsetByPartition.every((end, p) => end <= 0 || session.nextOffset(p) >= end);
    // Offsets decide, not tick counts: ticks redelivered after a failed commit or a rebalance count
    // again, so "consumed ≥ acked" could end the drain with records still unread (reported as lost).
    const offsetsKnown = stats.endOffsetByPartition.some((end) => end > 0);
    const done = offsetsKnown ? everyRecordRead : (): boolean => counts.consumedTicks >= stats.acked;
    let drained = false;
    await this.steps.run('drain', Number.POSITIVE_INFINITY, async (signal) => {
      drained = await session.drain(done, this.config.ingest.drainTimeoutSec, signal);
    });
    if (this.threadCpu) this.scheduleEnd = { rows: this.threadCpu.read(), atMs: performance.now(), consumed: counts.consumedTicks };
    const unconsumed = Math.max(0, stats.acked - counts.consumedTicks);
    if (!drained)
      this.log(
        this.interruptedAtMs !== null
          ? `interrupted: stopped waiting with ${unconsumed} ticks unconsumed (marked unconfirmed)`
          : `drain timed out with ${unconsumed} ticks unconsumed`,
      );
  }

  /** 8. The last progress sample, the fault runner stopped, and the ingest side's part collected from its workers. */
  async finish(): Promise<IngestPart> {
    const sampler = this.need(this.sampler, 'sampler');
    sampler.stop();
    sampler.sample();
    if (this.interruptedAtMs !== null) this.steps.setDeadline(this.interruptedAtMs + INTERRUPTED_MS.resultBy);
    await this.steps.run('fault runner', SHUTDOWN_BUDGET_MS.faultRunner, async () => this.faultRunner?.stop());
    await this.steps.run('mock log trim', SHUTDOWN_BUDGET_MS.faultRunner, async () => this.mockLogTrimmer?.stop());
    return this.need(this.ingest, 'ingest').collect(this.steps);
  }

  /** 9. Both halves merged into the result, with everything the run recorded beside them. */
  buildResult(ingestPart: IngestPart): RunResult {
    const prepared = this.need(this.prepared, 'cluster');
    const usage = process.resourceUsage();
    return mergeRunParts({
      config: storedConfig(this.config),
      startedAt: this.startedAt,
      finishedAt: new Date().toISOString(),
      cluster: {
        embedded: prepared.cluster !== null,
        bootstrapServers: prepared.brokers,
        brokers: prepared.brokerCount,
        metadata: this.metadata,
        ...clusterIdentity(prepared),
      },
      loadgens: [loadgenPart(this.config, this.need(this.generator, 'generator'))],
      ingests: [ingestPart],
      timeline: this.need(this.sampler, 'sampler').timeline,
      // The result of an interrupted run is due within seconds: its quality is scored on a prefix.
      qualityTickLimit: this.interruptedAtMs !== null ? INTERRUPTED_SCORED_TICKS : MAX_SCORED_TICKS,
      recorded: {
        startup: this.startup,
        faults: this.faultRunner?.events ?? [],
        malformedInjected: this.injector?.injected ?? 0,
        shutdown: [...this.steps.records],
        thresholds: this.config.thresholds,
        resources: this.resources(usage),
      },
    });
  }

  /** CPU and peak RSS of this process over the run, per thread role where /proc tells, and over the schedule alone. */
  private resources(usage: NodeJS.ResourceUsage): RunResources {
    const resources: RunResources = {
      cpuUserMs: (usage.userCPUTime - this.usageAtStart.userCPUTime) / 1000,
      cpuSystemMs: (usage.systemCPUTime - this.usageAtStart.systemCPUTime) / 1000,
      maxRssMb: usage.maxRSS / 1024,
    };
    const rows = this.threadCpu?.read() ?? [];
    if (rows.length === 0 || totalCpuMs(rows) === 0) return resources;
    const { scheduleStart: start, scheduleEnd: end } = this;
    const schedule = start && end ? cpuBetween(end.rows, start.rows) : null;
    resources.threads = cpuBetween(rows, this.cpuAtStart)
      .filter((row) => row.threads > 0)
      .map((row) => ({ ...row, scheduleCpuMs: schedule?.find((s) => s.role === row.role)?.cpuMs ?? 0 }));
    if (start && end && schedule)
      resources.schedule = {
        sec: (end.atMs - start.atMs) / 1000,
        ticks: end.consumed - start.consumed,
        cpuMs: totalCpuMs(schedule),
        clusterCpuMs: totalCpuMs(schedule.filter((row) => row.role === 'embedded-cluster')),
      };
    return resources;
  }

  /**
   * Closes what the run opened, in order, each within its budget: the result is already written,
   * so a step that cannot finish (a down broker) is left behind rather than awaited.
   */
  async close(): Promise<void> {
    const { steps } = this;
    if (this.generator instanceof ThreadedLoadGenerator) await this.generator.destroy();
    this.hooks.signal?.removeEventListener('abort', this.onAbort);
    this.sampler?.stop();
    if (this.interruptedAtMs !== null) steps.setDeadline(interruptedCloseDeadline(this.interruptedAtMs));
    const { faultRunner, metrics, sink, ingest } = this;
    const cluster: EmbeddedCluster | null = this.prepared?.cluster ?? null;
    if (faultRunner) await steps.run('fault runner', SHUTDOWN_BUDGET_MS.faultRunner, () => faultRunner.stop());
    const trimmer = this.mockLogTrimmer;
    if (trimmer) await steps.run('mock log trim', SHUTDOWN_BUDGET_MS.faultRunner, () => trimmer.stop());
    await Promise.all([
      metrics && steps.run('metrics server', SHUTDOWN_BUDGET_MS.metricsServer, () => metrics.close()),
      sink && steps.run('producer disconnect', SHUTDOWN_BUDGET_MS.disconnect, () => sink.disconnect()),
      ingest?.close(steps),
    ]);
    // Last: the clients above talk to it until they are closed.
    if (cluster) await steps.run('cluster stop', SHUTDOWN_BUDGET_MS.clusterStop, () => cluster.stop());
    // A local cluster this run started (SIGKILL of its JVMs; an exit hook does the same if this step is left behind).
    await steps.run('local cluster stop', SHUTDOWN_BUDGET_MS.clusterStop, this.prepared?.stopLocal ?? (async () => {}));
  }
}

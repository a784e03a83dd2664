import { createTickLabels, type TickLabelsShared } from '../analytics/tick-labels.js';
import type { FrameProducer } from '../kafka/client.js';
import { createFrameProducer } from '../kafka/client-factory.js';
import { EmbeddedCluster } from '../kafka/embedded-cluster.js';
import { defaultStateDir } from '../kafka/local-cluster/cluster-state.js';
import { LocalCluster } from '../kafka/local-cluster/local-cluster.js';
import { describeTopic, ensureTopic } from '../kafka/topic-admin.js';
import { alertsTopic, deadLetterTopic, IngestSession } from '../ingest/ingest-session.js';
import { FaultRunner } from './fault-plan.js';
import { MalformedInjector } from '../loadgen/malformed-injector.js';
import { primeConsumers } from './consumer-priming.js';
import { syntheticFrames } from '../ingest/jit-warmup.js';
import { LoadGenerator } from '../loadgen/load-generator.js';
import { ThreadedLoadGenerator } from '../loadgen/generator-thread.js';
import { INTERRUPTED_SCORED_TICKS, MAX_SCORED_TICKS } from './run-quality.js';
import type { RunConfig } from './run-config.js';
import { nowUs, type ClockUs } from '../wire/clock.js';
import { encodeHistogram, type LatencySummary } from '../metrics/latency-histogram.js';
import { MetricsServer } from './metrics-server.js';
import type { IngestPart } from '../ingest/ingest-part.js';
import { mergeRunParts, type LoadgenPart } from './result-parts.js';
import type { RunResult } from './run-result.js';
import type { TimelinePoint } from '../ingest/stats-collector.js';
import { INTERRUPTED_MS, interruptedCloseDeadline, SHUTDOWN_BUDGET_MS, ShutdownSteps } from '../kafka/shutdown-steps.js';

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

/** A handle to stop a running test early (Ctrl-C). */
export interface LoadTestControl {
  stop(): void;
}

/** The cluster a run uses, with the ticks topic in place. */
export interface PreparedCluster {
  brokers: string;
  /** The in-process mock (--brokers embedded), stopped with the run. */
  cluster: EmbeddedCluster | null;
  /** Real Kafka on this machine (--brokers local). */
  local: LocalCluster | null;
  /** This run started the local cluster, so it stops it at the end (a cluster that was up stays up). */
  startedLocal: boolean;
  brokerCount: number;
}

/** Ensures the topics of a run on a real cluster (local or --brokers). */
async function ensureRunTopics(brokers: string, config: RunConfig): Promise<void> {
  await ensureTopic(brokers, config.topic, config.partitions, config.replicationFactor, true, config.recreate);
  await ensureTopic(brokers, deadLetterTopic(config.topic), 1, config.replicationFactor, false);
  await ensureTopic(brokers, alertsTopic(config.topic), 1, config.replicationFactor, false);
}

/**
 * The local Apache Kafka cluster, started if it is down. A cluster this call started is killed if
 * the process exits without stopping it, so no JVM outlives a run that started one.
 */
export async function ensureLocalCluster(
  config: Pick<RunConfig, 'localNodes'>,
  log: (line: string) => void = () => {},
): Promise<{ local: LocalCluster; started: boolean; stop: () => Promise<void> }> {
  const { cluster, started } = await LocalCluster.up({ stateDir: defaultStateDir(), nodes: config.localNodes, log });
  if (!started) return { local: cluster, started, stop: async () => {} };
  const removeHook = cluster.killOnExit();
  // Its data goes with it, so no clean shutdown is owed: SIGKILL at once keeps a run's end (and a
  // Ctrl-C's deadline) free of the JVMs' shutdown time.
  return {
    local: cluster,
    started,
    stop: async () => {
      await cluster.down(0);
      removeHook();
    },
  };
}

/** The Kafka cluster of a run: embedded, local or --brokers, with the ticks topic in place. */
export async function prepareCluster(
  config: RunConfig,
  consumerProcesses = 1,
  log: (line: string) => void = () => {},
): Promise<PreparedCluster & { stopLocal: () => Promise<void> }> {
  if (config.clusterKind === 'external' && config.brokers !== null) {
    await ensureRunTopics(config.brokers, config);
    return {
      brokers: config.brokers,
      cluster: null,
      local: null,
      startedLocal: false,
      brokerCount: config.brokers.split(',').length,
      stopLocal: async () => {},
    };
  }
  if (config.clusterKind === 'local') {
    const { local, started, stop } = await ensureLocalCluster(config, log);
    try {
      await ensureRunTopics(local.bootstrapServers, config);
    } catch (error) {
      await stop();
      throw error;
    }
    return { brokers: local.bootstrapServers, cluster: null, local, startedLocal: started, brokerCount: local.nodeCount, stopLocal: stop };
  }
  const cluster = await EmbeddedCluster.start({
    brokers: config.embeddedBrokers,
    // Kafka's default 3 s wait for more group members would show up as latency of the first
    // ticks; with several consumer processes a short wait lets them all join one generation.
    groupInitialRebalanceDelayMs: consumerProcesses > 1 ? 300 : 0,
    topics: [
      { name: config.topic, partitions: config.partitions, replicationFactor: config.replicationFactor },
      { name: deadLetterTopic(config.topic), partitions: 1, replicationFactor: config.replicationFactor },
      { name: alertsTopic(config.topic), partitions: 1, replicationFactor: config.replicationFactor },
    ],
  });
  return {
    brokers: cluster.bootstrapServers,
    cluster,
    local: null,
    startedLocal: false,
    brokerCount: cluster.brokerCount,
    stopLocal: async () => {},
  };
}

/** What result.json says about the cluster: real Kafka (and its version) or the mock. */
export function clusterIdentity(prepared: Pick<PreparedCluster, 'cluster' | 'local'>): {
  kind: 'kafka' | 'mock';
  kafkaVersion: string | null;
  local: boolean;
} {
  if (prepared.cluster) return { kind: 'mock', kafkaVersion: null, local: false };
  if (prepared.local) return { kind: 'kafka', kafkaVersion: prepared.local.kafkaVersion, local: true };
  // --brokers host:port: a real cluster whose version the tool does not ask for.
  return { kind: 'kafka', kafkaVersion: null, local: false };
}

/** Every ingest process of a run joins this consumer group. */
export function groupIdFor(config: Pick<RunConfig, 'topic'>): string {
  return `firehose-${config.topic}`;
}

/** Either load generator: on the main thread, or generating on its own thread (--loadgen-thread). */
export type AnyLoadGenerator = LoadGenerator | ThreadedLoadGenerator;

export function createLoadGenerator(config: RunConfig, clock: ClockUs, labels: TickLabelsShared | null = null): LoadGenerator {
  return new LoadGenerator(loadGeneratorOptions(config, clock, labels));
}

function loadGeneratorOptions(
  config: RunConfig,
  clock: ClockUs,
  labels: TickLabelsShared | null,
): ConstructorParameters<typeof LoadGenerator>[0] {
  return {
    labels,
    partitions: config.partitions,
    ratePerSec: config.rate,
    ticks: config.ticks,
    instruments: config.instruments,
    venues: config.venues,
    seed: config.seed,
    source: config.sourceId,
    ticksPerRecord: config.ticksPerRecord,
    lingerUs: config.lingerMs * 1000,
    flushWhenIdle: config.flushWhenIdle ?? false,
    clock,
    market: config.market,
    inject: config.inject === 'none' ? null : { scale: config.injectScale },
  };
}

/**
 * The loadgen's producer. Deliveries go to whichever load generator `target()` returns when they
 * arrive, so the producer can be connected (and the consumers primed) before the generator and
 * its schedule exist.
 */
export function createProducerFor(config: RunConfig, brokers: string, target: () => AnyLoadGenerator | null): FrameProducer {
  return createFrameProducer(
    config.client,
    {
      brokers,
      clientId: `firehose-loadgen-${config.sourceId}`,
      topic: config.topic,
      acks: config.acks,
      compression: config.compression,
      lingerMs: config.producerLingerMs,
      maxPendingFrames: 20_000,
      idempotent: config.idempotent,
      requestTimeoutMs: config.requestTimeoutMs,
    },
    {
      delivered: (frame, offset) => target()?.callbacks.delivered(frame, offset),
      failed: (frame, error, indeterminate) => target()?.callbacks.failed(frame, error, indeterminate),
    },
  );
}

export function loadgenPart(config: RunConfig, loadgen: AnyLoadGenerator): LoadgenPart {
  return {
    sourceId: config.sourceId,
    generated: loadgen.generated,
    stats: {
      ...loadgen.produceStats,
      ackedByPartition: [...loadgen.produceStats.ackedByPartition],
      endOffsetByPartition: [...loadgen.produceStats.endOffsetByPartition],
    },
    produceHistogram: encodeHistogram(loadgen.produceLatency),
    interrupted: loadgen.stopped,
    injected: loadgen.injected,
    truth: loadgen.truthSpec,
  };
}

/**
 * The side channel of an in-process run's labels (null for a clean stream). Capped: labels of
 * ticks past it are dropped, so a very long run scores only its first 2^27 ticks per source.
 */
export function createRunLabels(config: RunConfig): TickLabelsShared | null {
  return config.inject === 'none' ? null : createTickLabels(config.sourceId + 1, Math.max(1, Math.min(config.ticks, 1 << 27)));
}

export function ingestOptionsFor(
  config: RunConfig,
  brokers: string,
  clock: ClockUs,
  log: (line: string) => void,
  ledger: { sources: number; capacity: number },
  labels: TickLabelsShared | null = null,
) {
  return {
    labels,
    brokers,
    client: config.client,
    topic: config.topic,
    groupId: groupIdFor(config),
    workers: config.workers,
    instruments: config.instruments,
    venues: config.venues,
    framesPerTask: config.framesPerTask,
    injectWorkerFailures: config.injectWorkerFailures,
    warmupUs: (config.warmupSec ?? 0) * 1e6,
    ledgerSources: ledger.sources,
    ledgerCapacity: ledger.capacity,
    clock,
    log,
  };
}

/**
 * One load test in one process: embedded cluster (unless --brokers), topic, ingest session,
 * open-loop producer; runs the schedule, drains, and merges both halves into the result exactly
 * as `report merge` does for split processes. The result is built (and handed to
 * `hooks.persist`) before anything is closed; every wait after the load has its own budget
 * (kafka/shutdown-steps.ts), so a down broker cannot keep the run from ending.
 */
export async function runLoadTest(
  config: RunConfig,
  hooks: LoadTestHooks = {},
  control?: { onStart(c: LoadTestControl): void },
): Promise<RunResult> {
  const clock: ClockUs = nowUs;
  const log = hooks.log ?? (() => {});
  const startedAt = new Date().toISOString();
  const steps = new ShutdownSteps(log);

  let cluster: EmbeddedCluster | null = null;
  let stopLocal: () => Promise<void> = async () => {};
  let ingest: IngestSession | null = null;
  let producer: FrameProducer | null = null;
  let generator: AnyLoadGenerator | null = null;
  let progressTimer: NodeJS.Timeout | undefined;
  let metrics: MetricsServer | null = null;
  let faultRunner: FaultRunner | null = null;
  let generatorThread: ThreadedLoadGenerator | null = null;
  let interruptedAtMs: number | null = null;
  const interrupt = (): void => {
    interruptedAtMs = Date.now();
    generator?.stop();
    steps.setDeadline(interruptedAtMs + INTERRUPTED_MS.drainUntil);
  };
  if (hooks.signal?.aborted) interrupt();
  else hooks.signal?.addEventListener('abort', interrupt, { once: true });
  /** After an interrupt, moves the overall deadline to `phase` (ms after the signal). */
  const interruptedDeadline = (phase: number): void => {
    if (interruptedAtMs !== null) steps.setDeadline(interruptedAtMs + phase);
  };
  const startup: { step: string; ms: number }[] = [];
  let stepStartedMs = Date.now();
  const startupStep = (step: string): void => {
    const nowMs = Date.now();
    startup.push({ step, ms: nowMs - stepStartedMs });
    stepStartedMs = nowMs;
  };
  try {
    const prepared = await prepareCluster(config, 1, log);
    startupStep('cluster and topics');
    cluster = prepared.cluster;
    stopLocal = prepared.stopLocal;
    if (prepared.startedLocal)
      log('the local cluster was started for this run and stops at its end (firehose cluster up keeps one between runs)');
    const brokers = prepared.brokers;
    const metadata = await describeTopic(brokers, config.topic).catch(() => null);
    startupStep('topic metadata');
    const labels = createRunLabels(config);
    ingest = await IngestSession.start(
      ingestOptionsFor(config, brokers, clock, () => {}, { sources: config.sourceId + 1, capacity: config.ticks }, labels),
    );
    startupStep('consumer group join');
    const kafkaProducer = createProducerFor(config, brokers, () => generator);
    const injector = config.injectMalformed > 0 ? new MalformedInjector(kafkaProducer, config.injectMalformed) : null;
    const sink: FrameProducer = injector ?? kafkaProducer;
    producer = sink;
    await sink.connect();
    startupStep('producer connect');
    if (!(await primeConsumers(kafkaProducer, ingest, config.partitions, clock)))
      log('warning: the consumers did not read the priming records within 15 s');
    startupStep('priming');
    // Compile the generator's hot path on throwaway ticks (see ingest/jit-warmup.ts).
    await syntheticFrames({ instruments: config.instruments, venues: config.venues }, undefined, config.market);
    startupStep('JIT warm-up');
    // The schedule starts here, once everything is connected and the consumers are reading.
    // --loadgen-thread: ticks generated and encoded on their own thread (labels shared with it); this one produces.
    const loadgen: AnyLoadGenerator = config.loadgenThread
      ? await ThreadedLoadGenerator.start(loadGeneratorOptions(config, clock, labels))
      : createLoadGenerator(config, clock, labels);
    generator = loadgen;
    if (loadgen instanceof ThreadedLoadGenerator) generatorThread = loadgen;
    ingest.startWarmup(loadgen.produceStats.startUs);
    if (interruptedAtMs !== null) loadgen.stop();
    const faultCluster = cluster ? { mock: cluster } : prepared.local ? { kafka: prepared.local } : null;
    if (faultCluster && config.faults.length > 0) {
      faultRunner = new FaultRunner(
        faultCluster,
        config.faults,
        {
          topic: config.topic,
          partitions: config.partitions,
          groupId: groupIdFor(config),
          brokers: prepared.brokerCount,
        },
        (message) => log(`warning: ${message}`),
      );
      faultRunner.start();
    }
    control?.onStart({ stop: () => loadgen.stop() });

    const session = ingest;
    const counts = session.counts;
    const timeline: TimelinePoint[] = [];
    const runStartUs = loadgen.produceStats.startUs;
    let phase: ProgressSnapshot['phase'] = 'sending';
    let last = { us: clock(), produced: 0, consumed: 0 };
    let lastSnapshot: ProgressSnapshot | null = null;
    let lastInterval: LatencySummary | null = null;
    const sample = (): void => {
      const now = clock();
      const stats = loadgen.produceStats;
      const dt = Math.max(1e-3, (now - last.us) / 1e6);
      const interval = session.takeInterval();
      lastInterval = interval;
      const p99Us = interval.p99;
      const snapshot: ProgressSnapshot = {
        elapsedSec: (now - runStartUs) / 1e6,
        durationSec: config.durationSec,
        generated: loadgen.generated,
        produced: stats.produced,
        acked: stats.acked,
        consumed: counts.consumedTicks,
        lagTicks: Math.max(0, stats.acked - counts.consumedTicks),
        sendRate: (stats.produced - last.produced) / dt,
        consumeRate: (counts.consumedTicks - last.consumed) / dt,
        p99Us,
        phase,
      };
      timeline.push({
        t: Math.round(snapshot.elapsedSec * 10) / 10,
        producedTicks: stats.produced,
        consumedTicks: counts.consumedTicks,
        lagTicks: snapshot.lagTicks,
        p99Us,
      });
      last = { us: now, produced: stats.produced, consumed: counts.consumedTicks };
      lastSnapshot = snapshot;
      hooks.progress?.(snapshot);
    };
    progressTimer = setInterval(sample, 1000);
    if (config.metricsPort !== null) {
      metrics = await MetricsServer.start(config.metricsPort, () => {
        const stats = loadgen.produceStats;
        const lag = new Map<number, number>();
        stats.ackedByPartition.forEach((acked, p) => lag.set(p, Math.max(0, acked - (counts.consumedByPartition.get(p) ?? 0))));
        const q = lastInterval;
        return {
          producedTicks: stats.produced,
          ackedTicks: stats.acked,
          consumedTicks: counts.consumedTicks,
          failedTicks: stats.failed,
          duplicatedTicks: session.collector.duplicates,
          sendRate: lastSnapshot?.sendRate ?? 0,
          consumeRate: lastSnapshot?.consumeRate ?? 0,
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
      log(`metrics on http://127.0.0.1:${metrics.port}/metrics`);
    }

    await loadgen.run(sink, 0);
    await steps.run('producer flush', SHUTDOWN_BUDGET_MS.producerFlush, (signal) => sink.flush(SHUTDOWN_BUDGET_MS.producerFlush, signal));
    phase = 'draining';
    log(`all ${loadgen.produceStats.produced} ticks sent; draining`);

    // Every acknowledged record read (analysed, or skipped because retention evicted it).
    const stats = loadgen.produceStats;
    const everyRecordRead = (): boolean => stats.endOffsetByPartition.every((end, p) => end <= 0 || session.nextOffset(p) >= end);
    // Offsets decide, not tick counts: ticks redelivered after a failed commit or a rebalance count
    // again, so "consumed ≥ acked" could end the drain with records still unread (reported as lost).
    const offsetsKnown = stats.endOffsetByPartition.some((end) => end > 0);
    const done = offsetsKnown ? everyRecordRead : (): boolean => counts.consumedTicks >= stats.acked;
    let drained = false;
    await steps.run('drain', Number.POSITIVE_INFINITY, async (signal) => {
      drained = await session.drain(done, config.drainTimeoutSec, signal);
    });
    const unconsumed = Math.max(0, stats.acked - counts.consumedTicks);
    if (!drained)
      log(
        interruptedAtMs !== null
          ? `interrupted: stopped waiting with ${unconsumed} ticks unconsumed (marked unconfirmed)`
          : `drain timed out with ${unconsumed} ticks unconsumed`,
      );
    clearInterval(progressTimer);
    progressTimer = undefined;
    sample();

    interruptedDeadline(INTERRUPTED_MS.resultBy);
    await steps.run('fault runner', SHUTDOWN_BUDGET_MS.faultRunner, async () => faultRunner?.stop());
    const ingestResult: IngestPart = await session.collect(steps);
    const result = mergeRunParts({
      config,
      startedAt,
      finishedAt: new Date().toISOString(),
      cluster: {
        embedded: cluster !== null,
        bootstrapServers: brokers,
        brokers: prepared.brokerCount,
        metadata,
        ...clusterIdentity(prepared),
      },
      loadgens: [loadgenPart(config, loadgen)],
      ingests: [ingestResult],
      timeline,
      // The result of an interrupted run is due within seconds: its quality is scored on a prefix.
      qualityTickLimit: interruptedAtMs !== null ? INTERRUPTED_SCORED_TICKS : MAX_SCORED_TICKS,
    });
    result.faults = faultRunner?.events ?? [];
    result.malformedInjected = injector?.injected ?? 0;
    result.shutdown = [...steps.records];
    result.startup = startup;
    await hooks.persist?.(result);
    return result;
  } finally {
    await generatorThread?.destroy();
    hooks.signal?.removeEventListener('abort', interrupt);
    if (progressTimer) clearInterval(progressTimer);
    if (interruptedAtMs !== null) steps.setDeadline(interruptedCloseDeadline(interruptedAtMs));
    await closeRun(steps, { faultRunner, metrics, producer, ingest, cluster, stopLocal });
  }
}

/**
 * Closes what a run opened, in order, each within its budget: the result is already written,
 * so a step that cannot finish (a down broker) is left behind rather than awaited.
 */
async function closeRun(
  steps: ShutdownSteps,
  open: {
    faultRunner: FaultRunner | null;
    metrics: MetricsServer | null;
    producer: FrameProducer | null;
    ingest: IngestSession | null;
    cluster: EmbeddedCluster | null;
    stopLocal: () => Promise<void>;
  },
): Promise<void> {
  const { faultRunner, metrics, producer, ingest, cluster, stopLocal } = open;
  if (faultRunner) await steps.run('fault runner', SHUTDOWN_BUDGET_MS.faultRunner, () => faultRunner.stop());
  await Promise.all([
    metrics && steps.run('metrics server', SHUTDOWN_BUDGET_MS.metricsServer, () => metrics.close()),
    producer && steps.run('producer disconnect', SHUTDOWN_BUDGET_MS.disconnect, () => producer.disconnect()),
    ingest?.close(steps),
  ]);
  // Last: the clients above talk to it until they are closed.
  if (cluster) await steps.run('cluster stop', SHUTDOWN_BUDGET_MS.clusterStop, () => cluster.stop());
  // A local cluster this run started (SIGKILL of its JVMs; an exit hook does the same if this step is left behind).
  await steps.run('local cluster stop', SHUTDOWN_BUDGET_MS.clusterStop, stopLocal);
}

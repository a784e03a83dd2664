import { defaultStateDir } from '../kafka/local-cluster/cluster-state.js';
import { LocalCluster } from '../kafka/local-cluster/local-cluster.js';
import { FirehoseError } from '../kafka/errors.js';
import { INTERRUPTED_MS, interruptedCloseDeadline, SHUTDOWN_BUDGET_MS, ShutdownSteps } from '../kafka/shutdown-steps.js';
import { ensureTopic } from '../kafka/topic-admin.js';
import { IngestSession } from '../ingest/ingest-session.js';
import { nowUs } from '../wire/clock.js';
import { ProgressSampler, type ProgressSnapshot } from './progress-sampler.js';
import type { PartResult } from './result-parts.js';
import { clusterIdentity } from './run-cluster.js';
import { createLoadGenerator, createProducerFor, ingestOptionsFor, loadgenPart } from './run-clients.js';
import { storedConfig, type RunConfig } from './run-config.js';
import { RESULT_SCHEMA_VERSION } from './run-result.js';

/**
 * The two halves of a run as separate processes (`firehose loadgen`, `firehose ingest`): each
 * writes a part file, and `report merge` combines them. The CLI parses options, handles Ctrl-C
 * (by aborting `signal`) and writes the part (`persist`); the orchestration is here.
 */
export type SplitRole = 'loadgen' | 'ingest';

export interface RoleHooks {
  log(line: string): void;
  progress?(snapshot: ProgressSnapshot): void;
  /** Aborted on Ctrl-C: the role stops its load or its consumption, writes its part, then closes. */
  signal?: AbortSignal;
  /** Writes the part before any client closes, so a close that waits on a down broker cannot lose it. */
  persist(part: PartResult): Promise<void>;
}

export interface RoleCluster {
  brokers: string;
  cluster: PartResult['cluster'];
}

/**
 * The cluster of a split role: --brokers host:port, or --brokers local (started if down). A role
 * that starts the local cluster leaves it up for the other roles: `firehose cluster down` stops it.
 */
export async function roleCluster(config: RunConfig, role: SplitRole, log: (line: string) => void): Promise<RoleCluster> {
  const c = config.cluster;
  if (c.clusterKind === 'embedded') {
    throw new FirehoseError(
      'BAD_OPTION',
      `--brokers is required for firehose ${role}: local (real Kafka on this machine) or host:port (the mock runs in one process: firehose broker --topic NAME --partitions N prints its address)`,
    );
  }
  const topic = config.workload.topic;
  if (topic.startsWith('ticks-') && /\d{4}-\d{2}-\d{2}_/.test(topic)) {
    throw new FirehoseError(
      'BAD_OPTION',
      `--topic is required for firehose ${role}: every loadgen and ingest process must name the same topic`,
    );
  }
  if (c.clusterKind === 'local') {
    // Not ensureLocalCluster: that one kills a cluster it started when the process exits.
    const { cluster: local, started } = await LocalCluster.up({ stateDir: defaultStateDir(), nodes: c.localNodes, log });
    if (started) log('the local cluster stays up for the other roles; firehose cluster down stops it');
    const identity = clusterIdentity({ cluster: null, local });
    return {
      brokers: local.bootstrapServers,
      cluster: { embedded: false, bootstrapServers: local.bootstrapServers, brokers: local.nodeCount, ...identity },
    };
  }
  const brokers = c.brokers!;
  const identity = clusterIdentity({ cluster: null, local: null });
  return { brokers, cluster: { embedded: false, bootstrapServers: brokers, brokers: brokers.split(',').length, ...identity } };
}

function part(
  config: RunConfig,
  role: SplitRole,
  startedAt: string,
  at: RoleCluster,
  sampler: ProgressSampler,
): Omit<PartResult, 'loadgen' | 'ingest'> {
  return {
    tool: 'tick-firehose',
    version: 1,
    schemaVersion: RESULT_SCHEMA_VERSION,
    role,
    startedAt,
    finishedAt: new Date().toISOString(),
    // The split roles generate on their own main thread (the loadgen command has no generator thread).
    config: storedConfig({ ...config, producer: { ...config.producer, loadgenThread: false } }),
    cluster: at.cluster,
    timeline: sampler.timeline,
  };
}

/** `firehose loadgen`: ensure the topic, connect, run the schedule, flush, write the part, close. */
export async function runLoadgenRole(
  config: RunConfig,
  at: RoleCluster,
  hooks: RoleHooks,
): Promise<{ part: PartResult; interrupted: boolean }> {
  const { workload: w, cluster: c } = config;
  await ensureTopic(at.brokers, w.topic, w.partitions, c.replicationFactor, true, c.recreate);
  const startedAt = new Date().toISOString();
  const producer = createProducerFor(config, at.brokers, () => generator);
  await producer.connect();
  const generator = createLoadGenerator(config, nowUs);
  const steps = new ShutdownSteps(hooks.log);
  let interruptedAtMs: number | null = null;
  const onAbort = (): void => {
    interruptedAtMs = Date.now();
    generator.stop();
    steps.setDeadline(interruptedAtMs + INTERRUPTED_MS.drainUntil);
  };
  if (hooks.signal?.aborted) onAbort();
  else hooks.signal?.addEventListener('abort', onAbort, { once: true });
  hooks.log(`offering ${w.rate.toLocaleString('en-US')} ticks/s for ${w.durationSec}s to ${w.topic}`);
  const sampler = new ProgressSampler(
    {
      clock: nowUs,
      startUs: generator.produceStats.startUs,
      durationSec: w.durationSec,
      bothHalves: false,
      counts: () => ({
        generated: generator.generated,
        produced: generator.produceStats.produced,
        acked: generator.produceStats.acked,
        consumed: 0,
      }),
    },
    (snapshot) => hooks.progress?.(snapshot),
  );
  sampler.start(5_000);
  try {
    await generator.run(producer, 0);
    await steps.run('producer flush', SHUTDOWN_BUDGET_MS.producerFlush, (signal) =>
      producer.flush(SHUTDOWN_BUDGET_MS.producerFlush, signal),
    );
    sampler.stop();
    const result: PartResult = { ...part(config, 'loadgen', startedAt, at, sampler), loadgen: loadgenPart(config, generator) };
    await hooks.persist(result);
    return { part: result, interrupted: generator.stopped };
  } finally {
    sampler.stop();
    hooks.signal?.removeEventListener('abort', onAbort);
    if (interruptedAtMs !== null) steps.setDeadline(interruptedCloseDeadline(interruptedAtMs));
    await steps.run('producer disconnect', SHUTDOWN_BUDGET_MS.disconnect, () => producer.disconnect());
  }
}

export interface IngestRoleLimits {
  /** Stop after this long holding partitions without new records, once some arrived. */
  idleSec: number;
  /** Loadgen ids 0..sources-1 checked for loss, each up to `capacity` ticks. */
  sources: number;
  capacity: number;
}

/** `firehose ingest`: join the group, analyse until idle (or Ctrl-C), write the part, close. */
export async function runIngestRole(
  config: RunConfig,
  at: RoleCluster,
  limits: IngestRoleLimits,
  hooks: RoleHooks,
): Promise<{ part: PartResult; interrupted: boolean }> {
  const { workload: w, cluster: c } = config;
  // Creates the topic if it is missing, so consumers can start first; reads whatever partitions it has.
  await ensureTopic(at.brokers, w.topic, w.partitions, c.replicationFactor, false);
  const startedAt = new Date().toISOString();
  const session = await IngestSession.start(ingestOptionsFor(config, at.brokers, nowUs, hooks.log, limits));
  const steps = new ShutdownSteps(hooks.log);
  let interruptedAtMs: number | null = null;
  let wake = (): void => {};
  const onAbort = (): void => {
    interruptedAtMs = Date.now();
    steps.setDeadline(interruptedAtMs + INTERRUPTED_MS.resultBy);
    wake();
  };
  if (hooks.signal?.aborted) onAbort();
  else hooks.signal?.addEventListener('abort', onAbort, { once: true });
  const sampler = new ProgressSampler({
    clock: nowUs,
    startUs: nowUs(),
    durationSec: w.durationSec,
    bothHalves: false,
    counts: () => ({ generated: 0, produced: 0, acked: 0, consumed: session.counts.consumedTicks }),
    takeInterval: () => session.takeInterval(),
  });
  try {
    sampler.sample();
    sampler.start(1000);
    let lastConsumed = 0;
    let lastChangeUs = nowUs();
    while (interruptedAtMs === null) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 250);
      });
      const consumed = session.counts.consumedTicks;
      if (consumed !== lastConsumed) {
        lastConsumed = consumed;
        lastChangeUs = nowUs();
      }
      // Idle counts only while holding partitions: a member waiting out a rebalance is not done.
      if (!session.holdsPartitions) lastChangeUs = nowUs();
      if (consumed > 0 && session.idle && nowUs() - lastChangeUs > limits.idleSec * 1e6) break;
    }
    sampler.stop();
    const result: PartResult = { ...part(config, 'ingest', startedAt, at, sampler), ingest: await session.collect(steps) };
    await hooks.persist(result);
    return { part: result, interrupted: interruptedAtMs !== null };
  } finally {
    sampler.stop();
    hooks.signal?.removeEventListener('abort', onAbort);
    if (interruptedAtMs !== null) steps.setDeadline(interruptedCloseDeadline(interruptedAtMs));
    await session.close(steps);
  }
}

import { EmbeddedCluster } from '../kafka/embedded-cluster.js';
import { defaultStateDir } from '../kafka/local-cluster/cluster-state.js';
import { LocalCluster } from '../kafka/local-cluster/local-cluster.js';
import { ensureTopic } from '../kafka/topic-admin.js';
import { alertsTopic, deadLetterTopic } from '../ingest/ingest-session.js';
import type { RunConfig } from './run-config.js';

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

type TopicSettings = Pick<RunConfig['workload'], 'topic' | 'partitions'> & Pick<RunConfig['cluster'], 'replicationFactor' | 'recreate'>;

/** Ensures the topics of a run on a real cluster (local or --brokers). */
async function ensureRunTopics(brokers: string, t: TopicSettings): Promise<void> {
  await ensureTopic(brokers, t.topic, t.partitions, t.replicationFactor, true, t.recreate);
  await ensureTopic(brokers, deadLetterTopic(t.topic), 1, t.replicationFactor, false);
  await ensureTopic(brokers, alertsTopic(t.topic), 1, t.replicationFactor, false);
}

/**
 * The local Apache Kafka cluster, started if it is down. A cluster this call started is killed if
 * the process exits without stopping it, so no JVM outlives a run that started one.
 */
export async function ensureLocalCluster(
  cluster: Pick<RunConfig['cluster'], 'localNodes'>,
  log: (line: string) => void = () => {},
): Promise<{ local: LocalCluster; started: boolean; stop: () => Promise<void> }> {
  const { cluster: local, started } = await LocalCluster.up({ stateDir: defaultStateDir(), nodes: cluster.localNodes, log });
  if (!started) return { local, started, stop: async () => {} };
  const removeHook = local.killOnExit();
  // Its data goes with it, so no clean shutdown is owed: SIGKILL at once keeps a run's end (and a
  // Ctrl-C's deadline) free of the JVMs' shutdown time.
  return {
    local,
    started,
    stop: async () => {
      await local.down(0);
      removeHook();
    },
  };
}

/** The Kafka cluster of a run: embedded, local or --brokers, with the ticks topic in place. */
export async function prepareCluster(
  config: Pick<RunConfig, 'workload' | 'cluster'>,
  consumerProcesses = 1,
  log: (line: string) => void = () => {},
): Promise<PreparedCluster & { stopLocal: () => Promise<void> }> {
  const c = config.cluster;
  const topics: TopicSettings = { ...config.workload, ...c };
  if (c.clusterKind === 'external' && c.brokers !== null) {
    await ensureRunTopics(c.brokers, topics);
    return {
      brokers: c.brokers,
      cluster: null,
      local: null,
      startedLocal: false,
      brokerCount: c.brokers.split(',').length,
      stopLocal: async () => {},
    };
  }
  if (c.clusterKind === 'local') {
    const { local, started, stop } = await ensureLocalCluster(c, log);
    try {
      await ensureRunTopics(local.bootstrapServers, topics);
    } catch (error) {
      await stop();
      throw error;
    }
    return { brokers: local.bootstrapServers, cluster: null, local, startedLocal: started, brokerCount: local.nodeCount, stopLocal: stop };
  }
  const { topic, partitions } = config.workload;
  const cluster = await EmbeddedCluster.start({
    brokers: c.embeddedBrokers,
    // Kafka's default 3 s wait for more group members would show up as latency of the first
    // ticks; with several consumer processes a short wait lets them all join one generation.
    groupInitialRebalanceDelayMs: consumerProcesses > 1 ? 300 : 0,
    topics: [
      { name: topic, partitions, replicationFactor: c.replicationFactor },
      { name: deadLetterTopic(topic), partitions: 1, replicationFactor: c.replicationFactor },
      { name: alertsTopic(topic), partitions: 1, replicationFactor: c.replicationFactor },
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

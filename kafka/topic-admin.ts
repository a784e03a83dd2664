import { Kafka, logLevel, type Admin } from 'kafkajs';
import { brokersUnreachable, FirehoseError } from './errors.js';

/** Brokers and partition leaders of the ticks topic, as the cluster reported them. */
export interface TopicMetadata {
  brokers: Array<{ nodeId: number; host: string; port: number }>;
  controller: number | null;
  partitions: Array<{ partition: number; leader: number; replicas: number[]; isr: number[] }>;
}

/** A kafkajs admin client connected to `brokers` for the length of `work` (an unreachable cluster is one clear error). */
export async function withAdmin<T>(brokers: string, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({
    clientId: 'firehose-admin',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 },
  }).admin();
  try {
    await admin.connect();
  } catch (error) {
    throw brokersUnreachable(brokers, error);
  }
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates the ticks topic on a real cluster through the admin API (the embedded cluster creates
 * topics through its own calls), and checks the brokers answer before any load is sent. An
 * existing topic with another partition count is refused, or replaced when `recreate` is set.
 */
export async function ensureTopic(
  brokers: string,
  topic: string,
  partitions: number,
  replicationFactor: number,
  requireSamePartitions = true,
  recreate = false,
): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    const existing = await admin.listTopics();
    if (existing.includes(topic)) {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const have = metadata.topics[0]?.partitions.length ?? 0;
      if (have === partitions || !requireSamePartitions) return;
      if (!recreate) {
        throw new FirehoseError(
          'BAD_OPTION',
          `--topic ${topic} exists with ${have} partitions, not the ${partitions} asked for: choose another --topic, or --recreate to replace it`,
        );
      }
      await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
    }
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor }], waitForLeaders: false });
    await waitForLeaders(admin, topic, partitions);
  });
}

/**
 * Waits until every partition of a new topic has a leader. kafkajs's own wait gives up on the
 * UNKNOWN_TOPIC_OR_PARTITION a real broker answers while the topic propagates; this one retries it.
 */
async function waitForLeaders(admin: Admin, topic: string, partitions: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no metadata yet';
  while (Date.now() < deadline) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const led = metadata.topics[0]?.partitions.filter((p) => p.leader >= 0).length ?? 0;
      if (led >= partitions) return;
      last = `${led} of ${partitions} partitions have a leader`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new FirehoseError('KAFKA_CLIENT', `topic ${topic} has no leader for every partition after ${timeoutMs / 1000} s: ${last}`);
}

/** The cluster's brokers and the topic's partition leaders, for the result. */
export async function describeTopic(brokers: string, topic: string): Promise<TopicMetadata> {
  return withAdmin(brokers, async (admin) => {
    const cluster = await admin.describeCluster();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    return {
      brokers: cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
      controller: cluster.controller,
      partitions: (metadata.topics[0]?.partitions ?? [])
        .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr }))
        .sort((a, b) => a.partition - b.partition),
    };
  });
}

import { Kafka, logLevel } from 'kafkajs';
import { FirehoseError } from './errors.js';

/**
 * Creates the ticks topic on a real cluster through the admin API (the embedded cluster creates
 * topics through its own calls), and checks the brokers answer before any load is sent.
 */
export async function ensureTopic(brokers: string, topic: string, partitions: number, replicationFactor: number, requireSamePartitions = true): Promise<void> {
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
    throw new FirehoseError('BROKERS_UNREACHABLE', `cannot reach --brokers ${brokers}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const existing = await admin.listTopics();
    if (existing.includes(topic)) {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const have = metadata.topics[0]?.partitions.length ?? 0;
      if (have !== partitions && requireSamePartitions) {
        throw new FirehoseError('BAD_OPTION', `--topic ${topic} exists with ${have} partitions, not the ${partitions} asked for: choose another --topic`);
      }
      return;
    }
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

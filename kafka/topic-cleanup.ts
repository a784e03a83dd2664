import { Kafka, logLevel, type Admin } from 'kafkajs';
import { brokersUnreachable } from './errors.js';

async function withAdmin<T>(brokers: string, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({
    clientId: 'firehose-admin', brokers: brokers.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 3_000,
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
 * Moves a consumer group's committed offsets on a topic to its end, so the next run that reuses
 * the topic starts with nothing left over from the previous one (a run that fell behind leaves
 * records its successor would otherwise read as its own). The group must have no members: retried
 * for a few seconds while the previous consumers leave.
 */
export async function skipGroupToEnd(brokers: string, groupId: string, topic: string, timeoutMs = 15_000): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await admin.resetOffsets({ groupId, topic, earliest: false });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  });
}

/** Deletes topics that exist (missing ones are skipped); returns the ones deleted. */
export async function deleteTopics(brokers: string, topics: readonly string[]): Promise<string[]> {
  return withAdmin(brokers, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 });
    return present;
  });
}

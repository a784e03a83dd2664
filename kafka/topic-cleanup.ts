import { withAdmin } from './topic-admin.js';

/**
 * Commits a consumer group's offsets on a topic at the topic's end, so the next run that reuses
 * the topic starts with nothing left over from the previous one (a run that fell behind leaves
 * records its successor would otherwise read as its own), and checks that the commit holds.
 * The end offsets are given as numbers: kafkajs's `resetOffsets` commits the sentinel -1 for
 * "latest", which a consumer reads as "no offset" and so starts from the beginning. The group must
 * have no members: retried for a few seconds while the previous consumers leave.
 */
export async function skipGroupToEnd(brokers: string, groupId: string, topic: string, timeoutMs = 15_000): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const ends = await admin.fetchTopicOffsets(topic);
        await admin.setOffsets({ groupId, topic, partitions: ends.map((o) => ({ partition: o.partition, offset: o.high })) });
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
        const behind = ends.filter((o) => at.get(o.partition) !== o.high);
        if (behind.length === 0) return;
        throw new Error(`partition ${behind[0]!.partition} committed at ${at.get(behind[0]!.partition)}, not its end ${behind[0]!.high}`);
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

import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../kafka/embedded-cluster.js';
import { GroupOffsetsReader } from '../../kafka/group-offsets.js';
import { MockLogTrimmer, type CommittedOffsets, type TrimTarget } from '../../run/mock-log-trim.js';

const { Kafka, logLevel } = kafkajs;

/** A trim target that records its calls. */
function recordingTarget(): TrimTarget & { calls: Array<[string, number, number]> } {
  const calls: Array<[string, number, number]> = [];
  return {
    calls,
    deleteRecords: async (topic, partition, beforeOffset) => {
      calls.push([topic, partition, beforeOffset]);
    },
  };
}

/** Committed offsets read from a list, one map per read (the last repeats), over logs that start at 0 unless told; closed once. */
function scriptedOffsets(
  reads: Array<Map<number, number> | Error>,
  starts: Map<number, number> = new Map([0, 1, 2].map((p) => [p, 0])),
): CommittedOffsets & { closed: number } {
  let i = 0;
  const source = {
    closed: 0,
    read: async () => {
      const next = reads[Math.min(i++, reads.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    },
    logStarts: async () => starts,
    close: async () => {
      source.closed++;
    },
  };
  return source;
}

describe('MockLogTrimmer', () => {
  it('deletes each partition below its committed offset, only ever forwards', async () => {
    const target = recordingTarget();
    const offsets = scriptedOffsets([
      new Map([
        [0, 10],
        [1, 0],
      ]),
      new Map([
        [0, 10],
        [1, 4],
      ]),
      // A commit that went backwards (a rebalance replayed from an older one) trims nothing.
      new Map([
        [0, 7],
        [1, 9],
      ]),
    ]);
    const trimmer = new MockLogTrimmer(target, offsets, 'ticks');
    await trimmer.trimOnce();
    await trimmer.trimOnce();
    await trimmer.trimOnce();
    expect(target.calls).toEqual([
      ['ticks', 0, 10],
      ['ticks', 1, 4],
      ['ticks', 1, 9],
    ]);
    expect(trimmer.trimmedRecords).toBe(19);
    await trimmer.stop();
    expect(offsets.closed).toBe(1);
  });

  it('never moves a log start back: a group behind what the mock kept trims nothing', async () => {
    const target = recordingTarget();
    // Partition 0's group is at 100 but the mock already dropped everything below 500.
    const offsets = scriptedOffsets(
      [
        new Map([
          [0, 100],
          [1, 50],
        ]),
      ],
      new Map([
        [0, 500],
        [1, 20],
      ]),
    );
    const trimmer = new MockLogTrimmer(target, offsets, 'ticks');
    await trimmer.trimOnce();
    expect(target.calls).toEqual([['ticks', 1, 50]]);
    expect(trimmer.trimmedRecords).toBe(30);
  });

  it('counts a pass that could not read the offsets and tries again on the next', async () => {
    const target = recordingTarget();
    const trimmer = new MockLogTrimmer(target, scriptedOffsets([new Error('coordinator not available'), new Map([[2, 5]])]), 't');
    await trimmer.trimOnce();
    expect(trimmer.failedPasses).toBe(1);
    await trimmer.trimOnce();
    expect(target.calls).toEqual([['t', 2, 5]]);
  });

  it("moves the embedded cluster's log start to the group's committed offset", async () => {
    const cluster = await EmbeddedCluster.start({ brokers: 1, groupInitialRebalanceDelayMs: 0 });
    const topic = `trim-${randomUUID().slice(0, 8)}`;
    const groupId = `trim-group-${randomUUID().slice(0, 8)}`;
    const kafka = new Kafka({ brokers: cluster.bootstrapServers.split(','), clientId: 'trim-test', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer();
    const reader = new GroupOffsetsReader(cluster.bootstrapServers, groupId, topic);
    try {
      expect(cluster.canDeleteRecords).toBe(true);
      await cluster.createTopic(topic, 1);
      await producer.connect();
      // Three sends, three message sets of 10.
      for (let batch = 0; batch < 3; batch++)
        await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `${batch}-${i}` })) });
      await admin.connect();
      // The group commits 20 (the mock has no DescribeGroups, which admin.setOffsets needs).
      const consumer = kafka.consumer({ groupId, sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
      try {
        let read = 0;
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ autoCommit: false, eachMessage: async () => void read++ });
        const deadline = Date.now() + 10_000;
        while (read === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        await consumer.commitOffsets([{ topic, partition: 0, offset: '20' }]);
      } finally {
        await consumer.disconnect();
      }
      expect(await reader.read()).toEqual(new Map([[0, 20]]));

      const trimmer = new MockLogTrimmer(cluster, reader, topic);
      await trimmer.trimOnce();
      expect(trimmer.failedPasses).toBe(0);
      const [partition] = await admin.fetchTopicOffsets(topic);
      expect({ low: partition?.low, high: partition?.high }).toEqual({ low: '20', high: '30' });
      await trimmer.stop();
    } finally {
      await Promise.allSettled([producer.disconnect(), admin.disconnect(), reader.close()]);
      await cluster.stop();
    }
  });
});

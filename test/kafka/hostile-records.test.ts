/**
 * Records anyone can write to the topic, through the real clients on the embedded cluster
 * (issue 12): a null value is delivered (as an empty record, to be dead-lettered), not dropped;
 * a record larger than the 1 MB client default still fits the dead-letter producer.
 */
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFrameConsumer, createFrameProducer } from '../../kafka/client-factory.js';
import { MAX_RECORD_BYTES, type ConsumedRecord } from '../../kafka/client.js';
import { EmbeddedCluster } from '../../kafka/embedded-cluster.js';

const { Kafka, logLevel } = kafkajs;

async function until(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

describe('hostile records through the real clients', () => {
  let cluster: EmbeddedCluster;
  beforeAll(async () => {
    cluster = await EmbeddedCluster.start({ brokers: 1, groupInitialRebalanceDelayMs: 0 });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it.each(['confluent', 'kafkajs'] as const)(
    '%s: a null-value record, last in its partition, arrives as an empty record at its offset',
    async (client) => {
      const topic = `null-values-${client}-${randomUUID().slice(0, 8)}`;
      await cluster.createTopic(topic, 1);
      const producer = new Kafka({
        brokers: cluster.bootstrapServers.split(','),
        clientId: 'null-values',
        logLevel: logLevel.NOTHING,
      }).producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ value: 'x' }, { value: null }] });
      await producer.disconnect();

      const records: ConsumedRecord[] = [];
      const consumer = createFrameConsumer(
        client,
        { brokers: cluster.bootstrapServers, clientId: 'null-values', groupId: `g-${topic}`, topic },
        {
          records: (_p, batch) => records.push(...batch),
          assigned: () => {},
          revoked: () => {},
          error: () => {},
        },
      );
      await consumer.start();
      try {
        await until(() => records.length >= 2, 15_000);
      } finally {
        await consumer.stop();
      }
      expect(records.map((r) => [r.offset, r.value.length])).toEqual([
        [0, 1],
        [1, 0],
      ]);
    },
  );

  it('the dead-letter producer accepts a record as large as the consumer fetches', async () => {
    const topic = `oversize-${randomUUID().slice(0, 8)}`;
    await cluster.createTopic(topic, 1);
    const outcome: string[] = [];
    const producer = createFrameProducer(
      'confluent',
      {
        brokers: cluster.bootstrapServers,
        clientId: 'oversize',
        topic,
        acks: -1,
        compression: 'none',
        lingerMs: 0,
        maxPendingFrames: 10,
        idempotent: false,
        maxMessageBytes: MAX_RECORD_BYTES + 16 * 1024,
      },
      { delivered: () => outcome.push('delivered'), failed: (_f, e) => outcome.push(`failed: ${e.message}`) },
    );
    await producer.connect();
    try {
      const value = Buffer.alloc(2 * 1024 * 1024, 1);
      expect(producer.send({ partition: 0, key: Buffer.from('reason=test'), value, tickCount: 0, producedAtUs: 0 })).toBe(true);
      await producer.flush(10_000);
    } finally {
      await producer.disconnect();
    }
    expect(outcome).toEqual(['delivered']);
  });
});

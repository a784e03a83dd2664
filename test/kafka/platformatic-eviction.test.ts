import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../kafka/embedded-cluster.js';
import { PlatformaticFrameConsumer } from '../../kafka/platformatic-client.js';

const { Kafka, logLevel } = kafkajs;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// The mock keeps about 5 MB per partition and drops older message sets: a consumer paused while
// more than that arrives asks, on resuming, for an offset below the log start (OFFSET_OUT_OF_RANGE).
// @platformatic/kafka ended its stream there, so the run read nothing more and reported every
// unread tick as lost, none as evicted. The consumer must move on to the log start and go on.
describe('the platformatic consumer after retention evicted what it was to read next', () => {
  let cluster: EmbeddedCluster;
  beforeAll(async () => {
    cluster = await EmbeddedCluster.start({ brokers: 1, groupInitialRebalanceDelayMs: 0 });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('skips to the log start and reads on to the last record, with no error', async () => {
    const topic = `evicted-${randomUUID().slice(0, 8)}`;
    await cluster.createTopic(topic, 1);
    const kafka = new Kafka({ brokers: cluster.bootstrapServers.split(','), clientId: 'eviction-test', logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const offsets: number[] = [];
    const errors: string[] = [];
    const consumer = new PlatformaticFrameConsumer(
      { brokers: cluster.bootstrapServers, clientId: 'eviction-test', groupId: `g-${randomUUID().slice(0, 8)}`, topic },
      {
        records: (_partition, records) => {
          for (const r of records) offsets.push(r.offset);
        },
        assigned: () => {},
        revoked: () => {},
        error: (error) => errors.push(error.message),
      },
    );
    try {
      await producer.send({
        topic,
        messages: [
          { partition: 0, value: 'first' },
          { partition: 0, value: 'second' },
        ],
      });
      await consumer.start();
      await until(() => offsets.includes(1), 'the first two records');
      consumer.pause();
      await sleep(100);
      // 24 message sets of 900 kB: far past what the mock keeps, so the next offset is evicted.
      const big = Buffer.alloc(900 * 1024, 7);
      for (let i = 0; i < 24; i++) await producer.send({ topic, messages: [{ partition: 0, value: big }] });
      const last = (await producer.send({ topic, messages: [{ partition: 0, value: 'last' }] }))[0]!;
      const lastOffset = Number(last.baseOffset);
      consumer.resume();
      await until(() => offsets.includes(lastOffset) || errors.length > 0, `offset ${lastOffset} (or an error)`);
      expect(errors).toEqual([]);
      expect(offsets.at(-1)).toBe(lastOffset);
      // Some offsets were skipped (evicted): the pipeline counts the gap as evicted.
      expect(offsets.length).toBeLessThan(lastOffset + 1);
      expect(consumer.offsetResets).toBeGreaterThan(0);
    } finally {
      await Promise.allSettled([consumer.stop(), producer.disconnect()]);
    }
  }, 60_000);
});

import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_KINDS, type Alert } from '../../analytics/alerts.js';
import { alertsTopic, deadLetterTopic, IngestSession } from '../../ingest/ingest-session.js';
import { EmbeddedCluster } from '../../kafka/embedded-cluster.js';
import type { ClientKind } from '../../kafka/client.js';
import { nowUs } from '../../wire/clock.js';
import { makeFrames } from '../analytics/frames.js';

const { Kafka, logLevel } = kafkajs;

/** Every record of a one-partition topic, read from the start until `count` arrived. */
async function readTopic(brokers: string, topic: string, count: number): Promise<Array<{ key: string; value: Buffer }>> {
  const kafka = new Kafka({ brokers: brokers.split(','), clientId: 'ingest-session-test', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `read-${randomUUID().slice(0, 8)}`, maxWaitTimeInMs: 100 });
  const records: Array<{ key: string; value: Buffer }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${topic}: ${records.length} of ${count} records after 20 s`)), 20_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          records.push({ key: message.key?.toString() ?? '', value: message.value ?? Buffer.alloc(0) });
          if (records.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** One IngestSession over `topic` until it consumed `ticks` and dead-lettered `deadLetters` records (or `timeoutSec` passed without progress). */
async function ingestUntil(brokers: string, client: ClientKind, topic: string, ticks: number, deadLetters: number, timeoutSec: number) {
  const session = await IngestSession.start({
    brokers,
    client,
    topic,
    groupId: `g-${topic}`,
    workers: 1,
    instruments: 8,
    venues: 4,
    injectWorkerFailures: 0,
    framesPerTask: 4,
    ledgerSources: 1,
    ledgerCapacity: 1 << 16,
    clock: nowUs,
    log: () => {},
  });
  const finished = await session
    .drain(() => session.counts.consumedTicks >= ticks && session.counts.deadLetteredRecords >= deadLetters, timeoutSec)
    .catch(async (error: unknown) => {
      await session.close();
      throw error;
    });
  return { finished, part: await session.finish() };
}

describe('IngestSession, in process against the embedded cluster', () => {
  let cluster: EmbeddedCluster;
  beforeAll(async () => {
    cluster = await EmbeddedCluster.start({ brokers: 1, groupInitialRebalanceDelayMs: 0 });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('dead-letters a malformed record with its reason and bytes, and publishes every alert as JSON', async () => {
    const topic = `ingest-session-${randomUUID().slice(0, 8)}`;
    for (const name of [topic, deadLetterTopic(topic), alertsTopic(topic)]) await cluster.createTopic(name, 1);
    const { frames, ticks } = makeFrames({ seed: 7, instruments: 8, venues: 4, frames: 40, maxTicksPerFrame: 64 });
    const garbage = Buffer.from('not a tick frame at all');

    const producer = new Kafka({ brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [...frames.slice(0, 20), garbage, ...frames.slice(20)].map((value) => ({ key: '0', value, partition: 0 })),
    });
    await producer.disconnect();

    const { finished, part } = await ingestUntil(cluster.bootstrapServers, 'kafkajs', topic, ticks, 1, 20);
    {
      expect(finished).toBe(true);
      expect(part.consumedTicks).toBe(ticks);
      expect(part.deadLetteredRecords).toBe(1);
      expect(part.malformedFrames).toBe(1);
      expect(part.alertsPublished).toBeGreaterThan(0);

      const [dead] = await readTopic(cluster.bootstrapServers, deadLetterTopic(topic), 1);
      expect(dead!.key).toMatch(/^reason=.+; partition=0; offset=20$/);
      expect(dead!.value.equals(garbage)).toBe(true);

      const alerts = await readTopic(cluster.bootstrapServers, alertsTopic(topic), part.alertsPublished);
      expect(alerts).toHaveLength(part.alertsPublished);
      for (const { key, value } of alerts) {
        const alert = JSON.parse(value.toString()) as Alert;
        expect(ALERT_KINDS).toContain(alert.kind);
        expect(key).toBe(String(alert.instrument));
        expect(alert.detectedUs).toBeGreaterThanOrEqual(alert.sendTimeUs);
      }
    }
  });

  it('hostile records (issue 12): NaN time, foreign ticks, a 1.5 MB record and a null value last are dead-lettered, none counted as ticks or evicted', async () => {
    const topic = `ingest-hostile-${randomUUID().slice(0, 8)}`;
    for (const name of [topic, deadLetterTopic(topic), alertsTopic(topic)]) await cluster.createTopic(name, 1);
    const { frames, ticks } = makeFrames({ seed: 9, instruments: 8, venues: 4, frames: 10, maxTicksPerFrame: 16 });
    const nanTime = Buffer.from(frames[0]!);
    nanTime.writeDoubleLE(Number.NaN, 24 + 16); // first tick's sendTimeUs
    const foreign = Buffer.from(frames[1]!);
    foreign.writeUInt16LE(5, 8); // header says source 5; its ticks say source 0
    const big = Buffer.alloc(1_500_000, 7);

    const producer = new Kafka({ brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic, messages: [...frames, nanTime, foreign, big].map((value) => ({ key: '0', value, partition: 0 })) });
    await producer.send({ topic, messages: [{ key: '0', value: null, partition: 0 }] });
    await producer.disconnect();

    const { finished, part } = await ingestUntil(cluster.bootstrapServers, 'confluent', topic, ticks, 4, 10);
    expect(finished).toBe(true);
    expect(part.consumedTicks).toBe(ticks);
    expect(part.duplicates).toBe(0);
    expect([part.deadLetteredRecords, part.malformedFrames, part.deadLetteredTicks, part.evictedRecords]).toEqual([4, 4, 0, 0]);
    // A record with a bad header is dead-lettered when it arrives, one with bad ticks when its
    // worker refuses it: the dead-letter topic is in that order, each keyed by its offset.
    const dead = await readTopic(cluster.bootstrapServers, deadLetterTopic(topic), 4);
    const byOffset = new Map(dead.map((d) => [Number(/offset=(\d+)/.exec(d.key)![1]), d]));
    expect([10, 11, 12, 13].map((offset) => /^reason=([^;]+)/.exec(byOffset.get(offset)!.key)![1])).toEqual([
      'bad-timestamp',
      'source-mismatch',
      'bad-magic',
      'truncated',
    ]);
    expect(byOffset.get(12)!.value.length).toBe(big.length);
  });
});

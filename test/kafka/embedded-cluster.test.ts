import { randomUUID } from 'node:crypto';
import Confluent from '@confluentinc/kafka-javascript';
import kafkajs from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster, KafkaApiKey, KafkaErrorCode, liveEmbeddedClusterCount } from '../../kafka/embedded-cluster.js';
import { LIBRDKAFKA_ENV_VAR, findLibrdkafka } from '../../kafka/librdkafka-path.js';

const { Kafka, logLevel } = kafkajs;

const PARTITIONS = 6;
const MESSAGES = 10;
const DEADLINE_MS = 10_000;

// One consumer per group in these tests, so the mock's 3 s wait for more members is pure delay.
const QUICK_JOIN = { groupInitialRebalanceDelayMs: 0 };

function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function values(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `tick-${i}`);
}

describe('EmbeddedCluster', () => {
  let cluster: EmbeddedCluster;

  beforeAll(async () => {
    cluster = await EmbeddedCluster.start({ brokers: 3, ...QUICK_JOIN });
  });

  afterAll(async () => {
    await cluster.stop();
  });

  it('advertises one host:port per broker', () => {
    const servers = cluster.bootstrapServers.split(',');
    expect(servers).toHaveLength(3);
    for (const server of servers) expect(server).toMatch(/^[\w.-]+:\d{2,5}$/);
    expect(cluster.brokerCount).toBe(3);
  });

  it('round-trips messages with kafkajs and reports the partition count in metadata', async () => {
    const topic = uniqueName('kafkajs');
    await cluster.createTopic(topic, PARTITIONS);
    const kafka = new Kafka({
      brokers: cluster.bootstrapServers.split(','),
      clientId: 'embedded-cluster-test',
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: uniqueName('group'), sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
    try {
      await admin.connect();
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(metadata.topics[0]?.partitions).toHaveLength(PARTITIONS);

      await producer.connect();
      await producer.send({ topic, messages: values(MESSAGES).map((value) => ({ value })) });

      const received: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          received.push(message.value?.toString() ?? '');
        },
      });
      const deadline = Date.now() + DEADLINE_MS;
      while (received.length < MESSAGES && Date.now() < deadline) await sleep(20);
      expect(received.sort()).toEqual(values(MESSAGES).sort());
    } finally {
      await Promise.allSettled([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
    }
  });

  it('round-trips messages with the Confluent native API', async () => {
    const topic = uniqueName('confluent');
    await cluster.createTopic(topic, PARTITIONS);
    const producer = new Confluent.Producer({ 'bootstrap.servers': cluster.bootstrapServers, dr_cb: true, log_level: 0 });
    const consumer = new Confluent.KafkaConsumer(
      {
        'bootstrap.servers': cluster.bootstrapServers,
        'group.id': uniqueName('group'),
        'enable.auto.commit': false,
        'session.timeout.ms': 6_000,
        'heartbeat.interval.ms': 500,
        log_level: 0,
      },
      { 'auto.offset.reset': 'earliest' },
    );
    try {
      await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
      let delivered = 0;
      let deliveryError: Error | undefined;
      producer.on('delivery-report', (err) => {
        if (err) deliveryError = new Error(err.message);
        delivered += 1;
      });
      producer.setPollInterval(10);
      for (const value of values(MESSAGES)) producer.produce(topic, null, Buffer.from(value));
      const produceDeadline = Date.now() + DEADLINE_MS;
      while (delivered < MESSAGES && Date.now() < produceDeadline) await sleep(10);
      expect(deliveryError).toBeUndefined();
      expect(delivered).toBe(MESSAGES);

      await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err ? reject(err) : resolve())));
      // consume(n) otherwise waits up to 1 s for a full batch.
      consumer.setDefaultConsumeTimeout(100);
      consumer.subscribe([topic]);
      const received: string[] = [];
      const consumeDeadline = Date.now() + DEADLINE_MS;
      while (received.length < MESSAGES && Date.now() < consumeDeadline) {
        const batch = await new Promise<Confluent.Message[]>((resolve, reject) =>
          consumer.consume(MESSAGES, (err, messages) => (err ? reject(new Error(err.message)) : resolve(messages))),
        );
        for (const message of batch) received.push(message.value?.toString() ?? '');
      }
      expect(received.sort()).toEqual(values(MESSAGES).sort());
    } finally {
      // The poll timer stops first: a poll during the native disconnect can crash (kafka/confluent-client.ts).
      producer.setPollInterval(0);
      await Promise.allSettled([
        new Promise<void>((resolve) => consumer.disconnect(() => resolve())),
        new Promise<void>((resolve) => producer.disconnect(() => resolve())),
      ]);
    }
  });

  it('rejects a second topic with the same name', async () => {
    const topic = uniqueName('dup');
    await cluster.createTopic(topic, 1);
    await expect(cluster.createTopic(topic, 1)).rejects.toThrow(/already exists/);
  });

  it('injects broker, partition, coordinator and request faults without error', async () => {
    const topic = uniqueName('faults');
    await cluster.createTopic(topic, 2);
    await cluster.brokerSetDown(2);
    await cluster.brokerSetUp(2);
    await cluster.brokerSetRtt('all', 5);
    await cluster.brokerSetRtt('all', 0);
    await cluster.partitionSetLeader(topic, 0, 3);
    await cluster.partitionSetFollower(topic, 0, 1);
    await cluster.coordinatorSet('group', uniqueName('group'), 2);
    await cluster.pushRequestErrors(KafkaApiKey.Produce, [KafkaErrorCode.NotLeaderOrFollower, KafkaErrorCode.Transport]);
    await cluster.clearRequestErrors(KafkaApiKey.Produce);
    await cluster.setControllerId(null);
    await cluster.setControllerId(1);
  });

  it('answers back-to-back mock requests quickly', async () => {
    // Guards the wake-up workaround in EmbeddedCluster: without it some of these take 1 s each.
    const started = Date.now();
    for (let i = 0; i < 10; i++) {
      await cluster.brokerSetDown(3);
      await cluster.brokerSetUp(3);
    }
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('rejects fault injection aimed at brokers that do not exist', async () => {
    await expect(cluster.brokerSetDown(4)).rejects.toThrow(RangeError);
    await expect(cluster.brokerSetDown(4)).rejects.toThrow(/brokerId/);
    await expect(cluster.brokerSetRtt(1, -1)).rejects.toThrow(/rttMs/);
    await expect(cluster.pushRequestErrors(-1, [1])).rejects.toThrow(/apiKey/);
  });
});

describe('EmbeddedCluster.start input validation', () => {
  const cases: Array<[string, Parameters<typeof EmbeddedCluster.start>[0]]> = [
    ['brokers', { brokers: 0 }],
    ['brokers', { brokers: 17 }],
    ['brokers', { brokers: 1.5 }],
    ['partitions', { topics: [{ name: 'ticks', partitions: 0 }] }],
    ['replicationFactor', { brokers: 2, topics: [{ name: 'ticks', partitions: 1, replicationFactor: 3 }] }],
    ['replicationFactor', { topics: [{ name: 'ticks', partitions: 1, replicationFactor: 0 }] }],
    ['topic name', { topics: [{ name: 'no spaces', partitions: 1 }] }],
  ];

  it.each(cases)('throws a RangeError naming %s', async (field, options) => {
    const before = liveEmbeddedClusterCount();
    const attempt = EmbeddedCluster.start(options);
    await expect(attempt).rejects.toThrow(RangeError);
    await expect(attempt).rejects.toThrow(field);
    expect(liveEmbeddedClusterCount()).toBe(before);
  });
});

describe('EmbeddedCluster lifecycle', () => {
  const started: EmbeddedCluster[] = [];

  afterEach(async () => {
    await Promise.all(started.splice(0).map((c) => c.stop()));
  });

  it('creates the topics given to start and can be stopped twice', async () => {
    const cluster = await EmbeddedCluster.start({ brokers: 1, topics: [{ name: 'ticks', partitions: 2 }] });
    started.push(cluster);
    await expect(cluster.createTopic('ticks', 2)).rejects.toThrow(/already exists/);
    await cluster.stop();
    await cluster.stop();
    await expect(cluster.createTopic('other', 1)).rejects.toThrow(/stopped/);
  });

  it('runs two clusters side by side', async () => {
    const a = await EmbeddedCluster.start({ brokers: 1 });
    started.push(a);
    const b = await EmbeddedCluster.start({ brokers: 2 });
    started.push(b);
    expect(a.bootstrapServers).not.toBe(b.bootstrapServers);
    expect(liveEmbeddedClusterCount()).toBeGreaterThanOrEqual(2);
  });
});

describe('findLibrdkafka', () => {
  it('finds a library without configuration', () => {
    expect(findLibrdkafka({})).toMatch(/librdkafka\.so\.1$/);
  });

  it('honours and checks the environment override', () => {
    const found = findLibrdkafka({});
    expect(findLibrdkafka({ [LIBRDKAFKA_ENV_VAR]: found })).toBe(found);
    expect(() => findLibrdkafka({ [LIBRDKAFKA_ENV_VAR]: '/nonexistent/librdkafka.so.1' })).toThrow(LIBRDKAFKA_ENV_VAR);
  });
});

/**
 * How the Confluent frame consumer asks librdkafka for records (embedded cluster). consume(n) with
 * its timeout for the first message only waits 1 ms more after every batch's last message
 * (KafkaConsumerConsumeNum::Execute): after a small batch, or none, it waits for one message and then
 * takes what is queued without waiting; only after a big batch (a queue) does it gather so.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumedRecord } from '../../kafka/client.js';
import { ConfluentFrameConsumer, ConfluentFrameProducer } from '../../kafka/confluent-client.js';
import { EmbeddedCluster } from '../../kafka/embedded-cluster.js';

async function until(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

interface ConsumeCall {
  count: number;
  timeoutMs: number;
  firstOnly: boolean;
  returned: number;
}

/** The three ways to ask: [count, timeout ms, timeout for the first message only]. */
const WAIT = [1, 50, false];
const DRAIN = [4096, 0, false];
const GATHER = [4096, 50, true];

describe('the Confluent frame consumer', () => {
  let cluster: EmbeddedCluster;
  beforeAll(async () => {
    cluster = await EmbeddedCluster.start({ brokers: 1, groupInitialRebalanceDelayMs: 0 });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('waits for one message, drains what is queued with no wait, gathers only after a big batch, and delivers every record in order', async () => {
    const topic = `consume-batches-${randomUUID().slice(0, 8)}`;
    await cluster.createTopic(topic, 2);
    const records = new Map<number, number[]>([
      [0, []],
      [1, []],
    ]);
    let total = 0;
    const consumer = new ConfluentFrameConsumer(
      { brokers: cluster.bootstrapServers, clientId: 'consume-batches', groupId: `g-${topic}`, topic, fetchWaitMaxMs: 1 },
      {
        records: (partition, batch: ConsumedRecord[]) => {
          for (const r of batch) records.get(partition)!.push(r.offset);
          total += batch.length;
        },
        assigned: () => {},
        revoked: () => {},
        error: () => {},
      },
    );
    // Every consume call the adapter makes: how many it asked for, its timeout, what came back.
    const calls: ConsumeCall[] = [];
    type ConsumeCallback = (err: unknown, messages: unknown[]) => void;
    const client = (
      consumer as unknown as {
        consumer: {
          consume(count: number, cb: ConsumeCallback): void;
          _consumeTimeout?: number;
          _consumeIsTimeoutOnlyForFirstMessage?: boolean;
        };
      }
    ).consumer;
    const consume = client.consume.bind(client);
    client.consume = (count: number, cb: ConsumeCallback) => {
      const call: ConsumeCall = {
        count,
        timeoutMs: client._consumeTimeout ?? -1,
        firstOnly: client._consumeIsTimeoutOnlyForFirstMessage === true,
        returned: -1,
      };
      calls.push(call);
      consume(count, (err: unknown, messages: unknown[]) => {
        call.returned = err ? -1 : messages.length;
        cb(err, messages);
      });
    };
    await consumer.start();

    const producer = new ConfluentFrameProducer(
      {
        brokers: cluster.bootstrapServers,
        clientId: 'consume-batches',
        topic,
        acks: 1,
        compression: 'none',
        // Big producer batches: the mock hands the consumer one per partition per fetch.
        lingerMs: 5,
        maxPendingFrames: 10_000,
        idempotent: false,
      },
      { delivered: () => {}, failed: () => {} },
    );
    await producer.connect();
    const send = (i: number): void => {
      producer.send({ partition: i % 2, key: Buffer.from('k'), value: Buffer.alloc(32, i & 0xff), tickCount: 1, producedAtUs: 0 });
    };
    // A burst (batches), then single records with gaps (the wait path each time).
    for (let i = 0; i < 2_000; i++) send(i);
    await until(() => total >= 2_000, 20_000);
    for (let i = 0; i < 10; i++) {
      send(i);
      await until(() => total >= 2_001 + i, 5_000);
    }
    await producer.disconnect();
    await consumer.stop();

    expect(total).toBe(2_010);
    for (const offsets of records.values()) expect(offsets).toEqual(offsets.map((_o, i) => i));
    // stop() waited for the call in progress: every call has settled (-1: it failed).
    const kind = (c: ConsumeCall): unknown[] => [c.count, c.timeoutMs, c.firstOnly];
    expect(kind(calls[0]!)).toEqual(WAIT);
    for (let i = 1; i < calls.length; i++) {
      // After a big batch: gather; after a small one: drain; after none (or a failure): wait.
      const before = calls[i - 1]!.returned;
      expect(kind(calls[i]!)).toEqual(before >= 64 ? GATHER : before > 0 ? DRAIN : WAIT);
    }
    expect(calls.some((c) => c.count === 4096 && c.returned > 1)).toBe(true);
    // The burst made a queue: some batch was big enough that the next call gathered.
    expect(calls.some((c) => c.firstOnly)).toBe(true);
    expect(calls.filter((c) => c.count === 1 && c.returned === 1).length).toBeGreaterThanOrEqual(10);
  });
});

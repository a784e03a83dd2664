import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfluentFrameProducer } from '../../kafka/confluent-client.js';
import type { OutgoingFrame } from '../../kafka/client.js';
import { EmbeddedCluster } from '../../kafka/embedded-cluster.js';

// The Confluent library polls a producer from a JS timer (setPollInterval) until its
// 'disconnected' event, which comes after the threadpool has deleted the native handle: a poll in
// between crashed the fault suite (segfault / "pure virtual method called" in Producer::Poll).
// Delivery reports now come from librdkafka's background thread, so no such timer may run at all.
const FRAMES = 2_000;

function frame(i: number): OutgoingFrame {
  return { partition: i % 3, key: Buffer.from(`k${i}`), value: Buffer.alloc(64, i & 0xff), tickCount: 1, producedAtUs: 0 };
}

describe('closing a Confluent frame producer', () => {
  let cluster: EmbeddedCluster;
  const topic = `producer-close-${process.pid}`;

  beforeAll(async () => {
    cluster = await EmbeddedCluster.start({ brokers: 1, topics: [{ name: topic, partitions: 3 }] });
  });

  afterAll(async () => {
    await cluster.stop();
  });

  it('runs no poll timer, and fails frames sent after the disconnect began', async () => {
    let delivered = 0;
    const failures: string[] = [];
    const producer = new ConfluentFrameProducer(
      {
        brokers: cluster.bootstrapServers,
        clientId: 'close-test',
        topic,
        acks: -1,
        compression: 'none',
        lingerMs: 1,
        maxPendingFrames: 10_000,
        idempotent: false,
      },
      { delivered: () => delivered++, failed: (_f, error) => failures.push(error.message) },
    );
    await producer.connect();
    const client = (producer as unknown as { producer: { pollInterval?: unknown } }).producer;
    expect(client.pollInterval).toBeUndefined();
    for (let i = 0; i < FRAMES; i++) expect(producer.send(frame(i))).toBe(true);

    const closed = producer.disconnect();
    expect(client.pollInterval).toBeUndefined();
    expect(producer.send(frame(FRAMES))).toBe(true);
    await closed;

    expect(failures).toEqual(['the producer was closing']);
    expect(delivered).toBe(FRAMES);
  });

  it('reports deliveries with nothing polling or flushing on this thread', async () => {
    let delivered = 0;
    const offsets: number[] = [];
    const producer = new ConfluentFrameProducer(
      {
        brokers: cluster.bootstrapServers,
        clientId: 'background-reports',
        topic,
        acks: -1,
        compression: 'none',
        lingerMs: 0,
        maxPendingFrames: 10_000,
        idempotent: false,
        maxInFlightRequests: 1,
      },
      {
        delivered: (f, offset) => {
          delivered++;
          if (f.partition === 0) offsets.push(offset);
        },
        failed: () => {},
      },
    );
    await producer.connect();
    for (let i = 0; i < 300; i++) producer.send(frame(i));
    // Only this thread's event loop turns: no flush, no poll call.
    while (producer.pending > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(delivered).toBe(300);
    expect(new Set(offsets).size).toBe(100);
    await producer.disconnect();
  });

  it('survives connect, send and close back to back', async () => {
    for (let round = 0; round < 5; round++) {
      let settled = 0;
      const producer = new ConfluentFrameProducer(
        {
          brokers: cluster.bootstrapServers,
          clientId: `close-loop-${round}`,
          topic,
          acks: 1,
          compression: 'none',
          lingerMs: 0,
          maxPendingFrames: 10_000,
          idempotent: false,
        },
        { delivered: () => settled++, failed: () => settled++ },
      );
      await producer.connect();
      for (let i = 0; i < FRAMES; i++) producer.send(frame(i));
      await producer.disconnect();
      expect(settled).toBe(FRAMES);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_IN_FLIGHT_REQUESTS, type ProducerOptions } from '../../kafka/client.js';
import { ConfluentFrameProducer } from '../../kafka/confluent-client.js';

const BASE: ProducerOptions = {
  brokers: '127.0.0.1:1',
  clientId: 'config-test',
  topic: 'config-test',
  acks: -1,
  compression: 'none',
  lingerMs: 5,
  maxPendingFrames: 100,
  idempotent: false,
};

/** The librdkafka configuration the adapter built (the library keeps it as globalConfig); nothing connects. */
function librdkafkaConfig(options: ProducerOptions): Record<string, unknown> {
  return (
    new ConfluentFrameProducer(options, { delivered: () => {}, failed: () => {} }) as unknown as {
      producer: { globalConfig: Record<string, unknown> };
    }
  ).producer.globalConfig;
}

describe('the Confluent frame producer configuration', () => {
  it("bounds requests in flight per broker as Kafka's Java producer does, not librdkafka's 1,000,000", () => {
    expect(librdkafkaConfig(BASE)['max.in.flight.requests.per.connection']).toBe(DEFAULT_MAX_IN_FLIGHT_REQUESTS);
    expect(DEFAULT_MAX_IN_FLIGHT_REQUESTS).toBe(5);
  });

  it('takes the cap it is given (the latency profile: 1) and stays within the idempotent limit', () => {
    expect(librdkafkaConfig({ ...BASE, maxInFlightRequests: 1 })['max.in.flight.requests.per.connection']).toBe(1);
    expect(librdkafkaConfig({ ...BASE, idempotent: true })['max.in.flight.requests.per.connection']).toBeLessThanOrEqual(5);
  });
});

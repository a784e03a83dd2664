import { describe, expect, it, vi } from 'vitest';
import type { ProducerOptions } from '../../kafka/client.js';

// What createProducerFor hands the client library: captured instead of a producer being built.
const built: ProducerOptions[] = [];
vi.mock('../../kafka/client-factory.js', () => ({
  createFrameProducer: (_kind: unknown, options: ProducerOptions) => {
    built.push(options);
    return {};
  },
}));

const { createProducerFor } = await import('../../run/run-clients.js');
const { resolveRunConfig } = await import('../../run/run-config.js');

function optionsFor(raw: Parameters<typeof resolveRunConfig>[0]): ProducerOptions {
  built.length = 0;
  createProducerFor(resolveRunConfig(raw), '127.0.0.1:1', () => null);
  expect(built).toHaveLength(1);
  return built[0]!;
}

describe('the load generator producer per profile', () => {
  it('latency: no linger and one request in flight per broker, so frames batch only behind a request', () => {
    const options = optionsFor({ profile: 'latency' });
    expect([options.lingerMs, options.maxInFlightRequests]).toEqual([0, 1]);
  });

  it('latency with a linger given: the linger is taken, the in-flight cap stays', () => {
    const options = optionsFor({ profile: 'latency', producerLingerMs: 3 });
    expect([options.lingerMs, options.maxInFlightRequests]).toEqual([3, 1]);
  });

  it("throughput: the client's own in-flight default", () => {
    const options = optionsFor({ profile: 'throughput' });
    expect(options.maxInFlightRequests).toBeUndefined();
    expect(options.lingerMs).toBeGreaterThan(0);
  });
});

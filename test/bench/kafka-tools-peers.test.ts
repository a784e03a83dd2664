import { describe, expect, it } from 'vitest';
import { frameBytes, parseConsumerPerformance, parseEndToEndLatency, parseProducerPerformance } from '../../bench/kafka-tools-peers.js';

// Output of Kafka 4.1.1's tools as printed on this machine (SLF4J lines and progress lines included).
const producer = `SLF4J: Failed to load class "org.slf4j.impl.StaticLoggerBinder".
22797 records sent, 4555.8 records/sec (11.73 MB/sec), 1565.9 ms avg latency, 2052.0 ms max latency.
50000 records sent, 6594.6 records/sec (16.98 MB/sec), 1374.66 ms avg latency, 2052.00 ms max latency, 1320 ms 50th, 1910 ms 95th, 2020 ms 99th, 2043 ms 99.9th.
`;
const consumer = `start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2026-11-29 06:32:45:969, 2026-11-29 06:32:49:918, 128.7460, 32.6022, 50000, 12661.4333, 1940, 2009, 64.0846, 24888.0040
`;
const e2e = `0\t194.376159
1000\t3.307959
Avg latency: 4.5841 ms
Percentiles: 50th = 1, 99th = 31, 99.9th = 221`;

describe("Kafka's perf tools as peers: their output parsed", () => {
  it('a frame of 64 ticks is 3096 bytes (the record size the tools are given)', () => {
    expect(frameBytes(64)).toBe(24 + 64 * 48);
  });

  it('ProducerPerformance: the final summary line, MiB/s converted to MB/s', () => {
    const f = parseProducerPerformance(producer, 50_000);
    expect(f).toMatchObject({ tool: 'ProducerPerformance', recordsPerSec: 6594.6, latencyMs: { p50: 1320, p99: 2020 } });
    expect(f.mbPerSec).toBeCloseTo(16.98 * 1.048576, 3);
  });

  it('ConsumerPerformance: the value line under its header', () => {
    const f = parseConsumerPerformance(consumer, 50_000);
    expect(f.recordsPerSec).toBeCloseTo(12661.4333, 3);
    expect(f.mbPerSec).toBeCloseTo(32.6022 * 1.048576, 3);
    expect(f.latencyMs).toBeNull();
  });

  it('EndToEndLatency: closed loop, said next to its figure', () => {
    const f = parseEndToEndLatency(e2e, 5_000, 3096);
    expect(f.latencyMs).toEqual({ p50: 1, p99: 31 });
    expect(f.note).toMatch(/CLOSED LOOP/);
    expect(f.recordsPerSec).toBeCloseTo(1000 / 4.5841, 3);
  });

  it('output without figures is an error, not zeros', () => {
    expect(() => parseProducerPerformance('Exception in thread "main"', 1)).toThrow(/no summary line/);
    expect(() => parseConsumerPerformance('', 1)).toThrow(/no figures/);
    expect(() => parseEndToEndLatency('', 1, 1)).toThrow(/no figures/);
  });
});

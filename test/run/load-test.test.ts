import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runLoadTest } from '../../run/load-test.js';
import { resolveRunConfig } from '../../run/run-config.js';
import { CLIENT_KINDS } from '../../kafka/client.js';

// A short real run on the embedded cluster: every acknowledged tick is consumed exactly once,
// every partition carries ticks, and the merged histogram counts every tick.
describe.each(CLIENT_KINDS)('a real run on the embedded cluster with the %s client', (client) => {
  it('delivers and measures every tick', async () => {
    const config = resolveRunConfig({
      client,
      partitions: 6,
      workers: 2,
      rate: 20_000,
      ticks: 30_000,
      instruments: 200,
      topic: `ticks-test-${client}-${process.pid}-${Date.now()}`,
      progress: false,
      out: '/tmp/unused',
    });
    const result = await runLoadTest(config);
    expect(result.status).toBe('ok');
    expect(result.ticks.produced).toBe(30_000);
    expect(result.ticks.acked).toBe(30_000);
    expect(result.ticks.failed).toBe(0);
    expect(result.ticks.distinctConsumed).toBe(30_000);
    expect(result.ticks.lost).toBe(0);
    expect(result.ticks.duplicated).toBe(0);
    expect(result.ticks.unchecked).toBe(0);
    expect(result.latency.e2e.count).toBe(result.ticks.consumed);
    expect(result.analytics.counters.ticks).toBe(result.ticks.consumed);
    expect(result.partitions).toHaveLength(6);
    for (const p of result.partitions) {
      expect(p.consumedTicks).toBeGreaterThan(0);
      expect(p.consumedTicks).toBe(p.ackedTicks);
    }
    // Stage latencies are measured, and end-to-end is never shorter than a stage inside it.
    expect(result.latency.e2e.p50).toBeGreaterThan(0);
    expect(result.latency.e2e.max).toBeGreaterThanOrEqual(result.latency.analytics.max);
    expect(Object.keys(result.histograms.e2eByPartition)).toHaveLength(6);
    // Cluster metadata as the brokers reported it: 3 brokers, a leader for every partition.
    expect(result.cluster.metadata?.brokers).toHaveLength(3);
    expect(result.cluster.metadata?.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const p of result.cluster.metadata!.partitions) expect(p.leader).toBeGreaterThan(0);
  });
});

// --warmup: the ticks intended in the first second are measured apart, exactly those, and the
// whole run is still there; the latency profile delivers everything too.
describe('a run with a warm-up in the latency profile', () => {
  it('keeps the warm-up out of the headline and reports it beside it', async () => {
    const config = resolveRunConfig({
      partitions: 4,
      workers: 2,
      rate: 20_000,
      ticks: 40_000,
      instruments: 200,
      warmupSec: 1,
      profile: 'latency',
      topic: `ticks-test-warmup-${process.pid}-${Date.now()}`,
      progress: false,
      out: '/tmp/unused',
    });
    const result = await runLoadTest(config);
    expect(result.ticks.distinctConsumed).toBe(40_000);
    expect(result.ticks.lost).toBe(0);
    expect(result.latency.warmup?.count).toBe(20_000);
    expect(result.latency.e2e.count).toBe(20_000);
    expect(result.latency.wholeRun?.count).toBe(40_000);
    expect(result.warmup).toEqual({ durationSec: 1, ticks: 20_000 });
    expect(result.histograms.warmup).toBeTruthy();
    expect(result.partitions.reduce((n, p) => n + p.consumedTicks, 0)).toBe(40_000);
  });
});

// --loadgen-thread: generation on its own thread, producing on the main one; the accounting and
// the analytics' ground truth come through whole.
describe('a run with the generator on its own thread', () => {
  it('delivers, measures and scores every tick', async () => {
    const config = resolveRunConfig({
      partitions: 4,
      workers: 2,
      rate: 20_000,
      ticks: 30_000,
      instruments: 200,
      loadgenThread: true,
      topic: `ticks-test-thread-${process.pid}-${Date.now()}`,
      progress: false,
      out: '/tmp/unused',
    });
    const result = await runLoadTest(config);
    expect(result.status).toBe('ok');
    expect(result.ticks.generated).toBe(30_000);
    expect(result.ticks.acked).toBe(30_000);
    expect(result.ticks.distinctConsumed).toBe(30_000);
    expect(result.ticks.lost).toBe(0);
    expect(result.ticks.duplicated).toBe(0);
    expect(result.latency.e2e.count).toBe(30_000);
    expect(result.latency.produce.count).toBe(30_000);
    // The fair-value market's truth came back from the generator thread: its stream regenerates to the same checksum.
    expect(result.analytics.fairValue).toMatchObject({ scoredTicks: 30_000, checksumMatched: true });
    // CPU per thread role (metrics/thread-cpu.ts): the generator thread is told apart from the
    // main thread and read while it still lives; the in-process brokers are a row of their own.
    if (existsSync('/proc/self/task')) {
      const roles = new Map(result.resources?.threads?.map((row) => [row.role, row]));
      expect(roles.get('generator-thread')?.threads).toBe(1);
      expect(roles.get('generator-thread')?.cpuMs).toBeGreaterThan(0);
      expect(roles.get('main')?.threads).toBe(1);
      expect(roles.get('embedded-cluster')?.cpuMs).toBeGreaterThan(0);
      expect(result.resources?.schedule?.ticks).toBe(30_000);
      expect(result.resources?.schedule?.clusterCpuMs).toBe(roles.get('embedded-cluster')?.scheduleCpuMs);
    }
  });
});

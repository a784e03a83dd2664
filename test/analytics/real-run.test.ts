import { describe, expect, it } from 'vitest';
import { runLoadTest } from '../../run/load-test.js';
import { resolveRunConfig } from '../../run/run-config.js';
import { CLIENT_KINDS, type ClientKind } from '../../kafka/client.js';

// The analytics scored against the injected ground truth through the whole pipeline: embedded
// Kafka cluster, consumer group, worker pool, shared state, merged counters. Fixed seed, so the
// same events are injected every time; the targets are the issue's. The simple market: its
// injector's labels are what these counters score (the fair-value market's test is below).
describe('analytics quality on a real run (embedded cluster, fixed seed)', () => {
  const base = {
    market: 'simple' as const,
    client: 'confluent' as ClientKind,
    partitions: 4,
    workers: 2,
    rate: 60_000,
    instruments: 200,
    seed: 11,
    progress: false,
    out: '/tmp/unused',
  };

  // Per client: every one must deliver the same injected events to the same detectors.
  it.each(CLIENT_KINDS)('meets the detector targets with injection on (%s)', async (client) => {
    const config = resolveRunConfig({ ...base, client, ticks: 300_000, topic: `ticks-analytics-${client}-${process.pid}-${Date.now()}` });
    expect(config.workload.inject).toBe('default');
    const result = await runLoadTest(config);
    expect(result.ticks.lost).toBe(0);
    expect(result.ticks.duplicated).toBe(0);
    const a = result.analytics;
    const injected = a.injected!;
    expect(injected.ticks).toBe(300_000);
    // Every labelled tick arrived and was judged: the analytics saw what the generator injected.
    expect(a.outliers.injectedTicks).toBe(injected.outlierTicks);
    expect(a.arbitrage.triggers).toBe(injected.arbitrageWindows);
    expect(a.arbitrage.triangular.triggers).toBe(injected.triangular);
    expect(a.sources.biased.cells).toBe(injected.biasedSources);

    expect(injected.spikes + injected.decimalShifts).toBeGreaterThan(100);
    expect(a.outliers.recall).toBeGreaterThanOrEqual(0.99);
    expect(a.outliers.precision).toBeGreaterThanOrEqual(0.95);
    expect(a.outliers.frozen.recall).toBe(1);
    expect(a.arbitrage.precision).toBeGreaterThanOrEqual(0.999);
    expect(a.arbitrage.triggerRecall).toBe(1);
    expect(a.arbitrage.triangular.precision).toBeGreaterThanOrEqual(0.999);
    expect(a.arbitrage.triangular.recall).toBe(1);
    expect(a.arbitrage.triangular.triggerRecall).toBe(1);
    expect(a.sources.spearman).toBeGreaterThanOrEqual(0.9);
    expect(a.sources.biased.onTime).toBeGreaterThan(0);
    expect(a.sources.biased.late).toBe(0);
    expect(a.sources.frozen.onTime).toBeGreaterThan(0);
    expect(a.sources.frozen.late).toBe(0);
    expect(a.alerts.total).toBe(a.counters.alerts);
    expect(a.alerts.total).toBeGreaterThan(0);
    expect(a.alerts.latencyUsMean).toBeGreaterThan(0);
  });

  it('flags at most 1 tick in 10,000 of a clean stream (--inject none)', async () => {
    const config = resolveRunConfig({
      ...base,
      ticks: 200_000,
      inject: 'none',
      topic: `ticks-analytics-clean-${process.pid}-${Date.now()}`,
    });
    const result = await runLoadTest(config);
    const a = result.analytics;
    expect(a.injected).toBeNull();
    expect(a.counters.ticks).toBe(200_000);
    expect(a.outliers.flagged).toBeLessThanOrEqual(20);
    expect(a.outliers.frozen.stalledTicks).toBe(0);
    expect(a.arbitrage.triangular.openTicks).toBe(0);
  });

  it('scores a run on the default fair-value market against its regenerated truth', async () => {
    const config = resolveRunConfig({
      ...base,
      market: undefined,
      ticks: 120_000,
      topic: `ticks-analytics-fair-${process.pid}-${Date.now()}`,
    });
    expect(config.workload.market).toBe('fair-value');
    const result = await runLoadTest(config);
    const a = result.analytics;
    expect(result.ticks.lost).toBe(0);
    expect(a.fairValue).toEqual({ scoredTicks: 120_000, generatedTicks: 120_000, checksumMatched: true, detectionsTruncated: 0 });
    // The fields the checks read, filled (bands without bad ticks are null).
    expect(Object.keys(a.outliers.recallBySize!)).toEqual(['2-3', '3-4', '4-6', '6-8', '>8']);
    expect(a.outliers.falsePer10k).toBeGreaterThanOrEqual(0);
    expect(a.outliers.f1).toBeGreaterThan(0);
    expect(a.baseline!.outliers.f1).toBeGreaterThanOrEqual(0);
    expect(a.arbitrage.tradeable!.precision).toBeGreaterThanOrEqual(0);
    expect(a.arbitrage.tradeable!.recall).toBeGreaterThanOrEqual(0);
    expect(a.arbitrage.phantom!.classified).toBeGreaterThanOrEqual(0);
    expect(a.sources.kendall).toBeGreaterThanOrEqual(-1);
    expect(result.analyticsQuality?.triangular.phantom.events).toBeGreaterThan(0);
    // The detectors raised what was scored: outlier alerts reached the scorer.
    expect(a.counters.alertsOutlier).toBeGreaterThan(0);
  });
});

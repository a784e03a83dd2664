import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FirehoseError } from '../../kafka/errors.js';
import { flagName, resolveRunConfig, storedConfig } from '../../run/run-config.js';
import { RUN_DEFAULTS } from '../../run/run-defaults.js';

/** The message of the BAD_OPTION error a raw config throws (or null when it is accepted). */
function rejection(raw: Parameters<typeof resolveRunConfig>[0]): string | null {
  try {
    resolveRunConfig(raw);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(FirehoseError);
    expect((error as FirehoseError).code).toBe('BAD_OPTION');
    return (error as Error).message;
  }
}

describe('resolveRunConfig', () => {
  it('fills every default from RUN_DEFAULTS and derives ticks from rate × duration', () => {
    const c = resolveRunConfig({});
    expect(c.workload.partitions).toBe(RUN_DEFAULTS.partitions);
    expect(c.workload.rate).toBe(RUN_DEFAULTS.rate);
    expect(c.workload.ticksPerRecord).toBe(RUN_DEFAULTS.ticksPerRecord);
    expect(c.workload.ticks).toBe(RUN_DEFAULTS.rate * RUN_DEFAULTS.durationSec);
    expect(c.producer.acks).toBe(-1);
    expect(c.producer.requestTimeoutMs).toBe(RUN_DEFAULTS.requestTimeoutMs);
    expect(c.ingest.workers).toBe(RUN_DEFAULTS.workers);
    expect(c.testAids).toEqual({ injectMalformed: RUN_DEFAULTS.injectMalformed, injectWorkerFailures: RUN_DEFAULTS.injectWorkerFailures });
    expect(c.cluster.replicationFactor).toBe(Math.min(3, RUN_DEFAULTS.embeddedBrokers));
    expect(c.workload.topic).toMatch(/^ticks-/);
  });

  it('--ticks sets the duration instead of the other way round', () => {
    const c = resolveRunConfig({ rate: 1000, ticks: 5000 });
    expect(c.workload.ticks).toBe(5000);
    expect(c.workload.durationSec).toBe(5);
  });

  it('names the flag the user typed, not the config key', () => {
    expect(rejection({ partitions: 0 })).toMatch(/^--partitions 0 is invalid/);
    expect(rejection({ durationSec: -1 })).toMatch(/^--duration -1 is invalid/);
    expect(rejection({ maxP99Us: 0 })).toMatch(/^--max-p99 0 is invalid/);
    expect(rejection({ bogus: 1 } as never)).toMatch(/unknown option --bogus/);
    expect(flagName('drainTimeoutSec')).toBe('--drain-timeout');
    expect(flagName('ticksPerRecord')).toBe('--ticks-per-record');
  });

  it('refuses combinations the cluster or client cannot serve', () => {
    expect(rejection({ embeddedBrokers: 2, replicationFactor: 3 })).toMatch(/--replication-factor 3 is invalid/);
    expect(rejection({ client: 'kafkajs', compression: 'lz4' })).toMatch(/--compression lz4 is invalid with --client kafkajs/);
  });

  it('--profile picks the lingers unless they are given; --warmup must end before the run does', () => {
    const throughput = resolveRunConfig({});
    expect([
      throughput.workload.profile,
      throughput.workload.frameLingerMs,
      throughput.producer.producerLingerMs,
      throughput.workload.flushWhenIdle,
    ]).toEqual(['throughput', RUN_DEFAULTS.frameLingerMs, RUN_DEFAULTS.producerLingerMs, true]);
    const latency = resolveRunConfig({ profile: 'latency' });
    expect([latency.workload.frameLingerMs, latency.producer.producerLingerMs, latency.workload.flushWhenIdle]).toEqual([1, 0, true]);
    expect(resolveRunConfig({ profile: 'latency', producerLingerMs: 3 }).producer.producerLingerMs).toBe(3);
    expect(rejection({ profile: 'fast' as never })).toMatch(/^--profile "fast" is invalid/);
    expect(resolveRunConfig({ durationSec: 10, warmupSec: 2 }).workload.warmupSec).toBe(2);
    expect(rejection({ durationSec: 10, warmupSec: 10 })).toMatch(/^--warmup 10s is invalid: must be shorter than the run/);
    expect(rejection({ warmupSec: -1 })).toMatch(/^--warmup -1 is invalid/);
  });

  it('--frame-linger batches ticks into frames; lingerMs (the old name) still sets it', () => {
    expect(resolveRunConfig({ frameLingerMs: 7 }).workload.frameLingerMs).toBe(7);
    expect(resolveRunConfig({ lingerMs: 9 }).workload.frameLingerMs).toBe(9);
    expect(flagName('frameLingerMs')).toBe('--frame-linger');
    expect(rejection({ frameLingerMs: 20_000 })).toMatch(/^--frame-linger 20000 is invalid: must be a number from 0 to 10000/);
    // result.json keeps the flat field names it always had, the old linger name included.
    const stored = storedConfig(resolveRunConfig({ frameLingerMs: 7, maxP99Us: 1000 }));
    expect([stored.frameLingerMs, stored.lingerMs, stored.partitions, stored.clusterKind]).toEqual([
      7,
      7,
      RUN_DEFAULTS.partitions,
      'embedded',
    ]);
    expect(stored.thresholds).toEqual({ maxP99Us: 1000 });
  });

  it('every option key belongs to one group, and the stored config has every key the flat config had', () => {
    const c = resolveRunConfig({});
    const keys = Object.values(c).flatMap((group) => Object.keys(group));
    expect(new Set(keys).size).toBe(keys.length);
    const stored = storedConfig(c);
    for (const key of [
      'brokers',
      'clusterKind',
      'localNodes',
      'embeddedBrokers',
      'client',
      'topic',
      'partitions',
      'replicationFactor',
      'workers',
      'rate',
      'durationSec',
      'ticks',
      'instruments',
      'venues',
      'ticksPerRecord',
      'lingerMs',
      'producerLingerMs',
      'profile',
      'flushWhenIdle',
      'warmupSec',
      'loadgenThread',
      'framesPerTask',
      'requestTimeoutMs',
      'acks',
      'compression',
      'idempotent',
      'recreate',
      'seed',
      'sourceId',
      'inject',
      'injectScale',
      'out',
      'json',
      'progress',
      'drainTimeoutSec',
      'thresholds',
      'faults',
      'injectMalformed',
      'injectWorkerFailures',
      'metricsPort',
      'workload',
    ])
      expect(stored, key).toHaveProperty(key);
  });

  it('thresholds appear only when given', () => {
    expect(resolveRunConfig({}).thresholds).toEqual({});
    expect(resolveRunConfig({ maxP99Us: 20_000, maxLost: 0 }).thresholds).toEqual({ maxP99Us: 20_000, maxLost: 0 });
  });

  it('accepts every partition count in range and rejects every one outside, naming --partitions', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10_000, max: 10_000 }), (partitions) => {
        const message = rejection({ partitions });
        if (partitions >= 1 && partitions <= 1024) expect(message).toBeNull();
        else expect(message).toMatch(/^--partitions /);
      }),
      { numRuns: 200 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FirehoseError } from '../../kafka/errors.js';
import { flagName, resolveRunConfig } from '../../run/run-config.js';
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
    expect(c.partitions).toBe(RUN_DEFAULTS.partitions);
    expect(c.rate).toBe(RUN_DEFAULTS.rate);
    expect(c.ticksPerRecord).toBe(RUN_DEFAULTS.ticksPerRecord);
    expect(c.ticks).toBe(RUN_DEFAULTS.rate * RUN_DEFAULTS.durationSec);
    expect(c.acks).toBe(-1);
    expect(c.replicationFactor).toBe(Math.min(3, RUN_DEFAULTS.embeddedBrokers));
    expect(c.topic).toMatch(/^ticks-/);
  });

  it('--ticks sets the duration instead of the other way round', () => {
    const c = resolveRunConfig({ rate: 1000, ticks: 5000 });
    expect(c.ticks).toBe(5000);
    expect(c.durationSec).toBe(5);
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
    expect([throughput.profile, throughput.lingerMs, throughput.producerLingerMs, throughput.flushWhenIdle]).toEqual([
      'throughput',
      RUN_DEFAULTS.lingerMs,
      RUN_DEFAULTS.producerLingerMs,
      true,
    ]);
    const latency = resolveRunConfig({ profile: 'latency' });
    expect([latency.lingerMs, latency.producerLingerMs, latency.flushWhenIdle]).toEqual([1, 1, true]);
    expect(resolveRunConfig({ profile: 'latency', producerLingerMs: 3 }).producerLingerMs).toBe(3);
    expect(rejection({ profile: 'fast' as never })).toMatch(/^--profile "fast" is invalid/);
    expect(resolveRunConfig({ durationSec: 10, warmupSec: 2 }).warmupSec).toBe(2);
    expect(rejection({ durationSec: 10, warmupSec: 10 })).toMatch(/^--warmup 10s is invalid: must be shorter than the run/);
    expect(rejection({ warmupSec: -1 })).toMatch(/^--warmup -1 is invalid/);
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

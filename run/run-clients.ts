import { createTickLabels, type TickLabelsShared } from '../analytics/tick-labels.js';
import { CONTINUOUS_PRICE_STALL } from '../analytics/source-scorer.js';
import { SIMPLE_MARKET_OUTLIERS } from '../analytics/outlier-detector.js';
import type { FrameProducer } from '../kafka/client.js';
import { createFrameProducer } from '../kafka/client-factory.js';
import { LoadGenerator } from '../loadgen/load-generator.js';
import type { ThreadedLoadGenerator } from '../loadgen/generator-thread.js';
import { encodeHistogram } from '../metrics/latency-histogram.js';
import type { ClockUs } from '../wire/clock.js';
import type { LoadgenPart } from './result-parts.js';
import type { RunConfig } from './run-config.js';
import { PROFILE_SETTINGS } from './run-profiles.js';

/** The halves of a run, built from its configuration: shared by `run` and the split roles. */

/** Every ingest process of a run joins this consumer group. */
export function groupIdFor(workload: Pick<RunConfig['workload'], 'topic'>): string {
  return `firehose-${workload.topic}`;
}

/** Either load generator: on the main thread, or generating on its own thread (--loadgen-thread). */
export type AnyLoadGenerator = LoadGenerator | ThreadedLoadGenerator;

export function createLoadGenerator(config: RunConfig, clock: ClockUs, labels: TickLabelsShared | null = null): LoadGenerator {
  return new LoadGenerator(loadGeneratorOptions(config, clock, labels));
}

export function loadGeneratorOptions(
  config: RunConfig,
  clock: ClockUs,
  labels: TickLabelsShared | null,
): ConstructorParameters<typeof LoadGenerator>[0] {
  const w = config.workload;
  return {
    labels,
    partitions: w.partitions,
    ratePerSec: w.rate,
    ticks: w.ticks,
    instruments: w.instruments,
    venues: w.venues,
    seed: w.seed,
    source: w.sourceId,
    ticksPerRecord: w.ticksPerRecord,
    lingerUs: w.frameLingerMs * 1000,
    flushWhenIdle: w.flushWhenIdle,
    clock,
    market: w.market,
    inject: w.inject === 'none' ? null : { scale: w.injectScale },
  };
}

/** The profile's cap on produce requests in flight, when it sets one. */
function maxInFlightOf(config: RunConfig): { maxInFlightRequests?: number } {
  const cap = PROFILE_SETTINGS[config.workload.profile].producerMaxInFlight;
  return cap === null ? {} : { maxInFlightRequests: cap };
}

/**
 * The loadgen's producer. Deliveries go to whichever load generator `target()` returns when they
 * arrive, so the producer can be connected (and the consumers primed) before the generator and
 * its schedule exist.
 */
export function createProducerFor(config: RunConfig, brokers: string, target: () => AnyLoadGenerator | null): FrameProducer {
  const p = config.producer;
  return createFrameProducer(
    p.client,
    {
      brokers,
      clientId: `firehose-loadgen-${config.workload.sourceId}`,
      topic: config.workload.topic,
      acks: p.acks,
      compression: p.compression,
      lingerMs: p.producerLingerMs,
      ...maxInFlightOf(config),
      maxPendingFrames: 20_000,
      idempotent: p.idempotent,
      requestTimeoutMs: p.requestTimeoutMs,
    },
    {
      delivered: (frame, offset) => target()?.callbacks.delivered(frame, offset),
      failed: (frame, error, indeterminate) => target()?.callbacks.failed(frame, error, indeterminate),
    },
  );
}

export function loadgenPart(config: RunConfig, loadgen: AnyLoadGenerator): LoadgenPart {
  return {
    sourceId: config.workload.sourceId,
    generated: loadgen.generated,
    stats: {
      ...loadgen.produceStats,
      ackedByPartition: [...loadgen.produceStats.ackedByPartition],
      endOffsetByPartition: [...loadgen.produceStats.endOffsetByPartition],
    },
    produceHistogram: encodeHistogram(loadgen.produceLatency),
    interrupted: loadgen.stopped,
    injected: loadgen.injected,
    truth: loadgen.truthSpec,
  };
}

/**
 * The side channel of an in-process run's labels (null for a clean stream). Capped: labels of
 * ticks past it are dropped, so a very long run scores only its first 2^27 ticks per source.
 */
export function createRunLabels(config: RunConfig): TickLabelsShared | null {
  const w = config.workload;
  return w.inject === 'none' ? null : createTickLabels(w.sourceId + 1, Math.max(1, Math.min(w.ticks, 1 << 27)));
}

export function ingestOptionsFor(
  config: RunConfig,
  brokers: string,
  clock: ClockUs,
  log: (line: string) => void,
  ledger: { sources: number; capacity: number },
  labels: TickLabelsShared | null = null,
) {
  return {
    labels,
    brokers,
    client: config.producer.client,
    topic: config.workload.topic,
    groupId: groupIdFor(config.workload),
    workers: config.ingest.workers,
    instruments: config.workload.instruments,
    venues: config.workload.venues,
    framesPerTask: config.ingest.framesPerTask,
    injectWorkerFailures: config.testAids.injectWorkerFailures,
    warmupUs: config.workload.warmupSec * 1e6,
    // The simple market quotes continuous prices, where a repeated price is stale once the
    // consensus leaves it at all, and moves genuinely by up to 3 half spreads and back; the
    // defaults are for a tick grid (the fair-value market).
    analyticsConfig: config.workload.market === 'simple' ? { ...CONTINUOUS_PRICE_STALL, ...SIMPLE_MARKET_OUTLIERS } : {},
    fetchWaitMaxMs: PROFILE_SETTINGS[config.workload.profile].fetchWaitMaxMs,
    ledgerSources: ledger.sources,
    ledgerCapacity: ledger.capacity,
    clock,
    log,
  };
}

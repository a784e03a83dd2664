import { Kafka, logLevel, type Message } from 'kafkajs';
import { createAnalyticsState } from '../analytics/analytics-state.js';
import { CrossFlag } from '../analytics/crossed-market-detector.js';
import { OUTLIER_WITHHELD, OutlierVerdict } from '../analytics/outlier-detector.js';
import { FrameAnalyzer } from '../analytics/frame-analyzer.js';
import { EmbeddedCluster } from '../kafka/embedded-cluster.js';
import { FairValueMarket, fairValueOptionsFor } from '../loadgen/fair-value-market.js';
import { OpenLoopSchedule } from '../loadgen/open-loop-schedule.js';
import { nowUs } from '../wire/clock.js';
import { createLatencyHistogram, initHistograms, recordLatency, summarize, type LatencySummary } from '../metrics/latency-histogram.js';
import type { LagPoint, ResourceUsage } from './types.js';

export interface NaiveOptions {
  rate: number;
  durationSec: number;
  partitions: number;
  instruments: number;
  venues: number;
  seed: number;
  /** After sending, give up when the consumer made no progress for this long. */
  drainTimeoutSec: number;
  topic?: string;
  log?: (line: string) => void;
}

/** The naive run's result, in the shape of the RunResult fields the bench suite reads. */
export interface NaiveResult {
  tool: 'tick-firehose';
  kind: 'naive-baseline';
  status: 'ok' | 'interrupted';
  config: NaiveOptions & { ticks: number; client: 'kafkajs'; messagesPerTick: 1; format: 'json' };
  ticks: {
    generated: number;
    produced: number;
    acked: number;
    failed: number;
    consumed: number;
    distinctConsumed: number;
    lost: number;
    duplicated: number;
    evicted: number;
  };
  throughput: { offeredTicksPerSec: number; producedTicksPerSec: number; ticksPerSec: number };
  latency: { e2e: LatencySummary };
  analytics: { outliersFlagged: number; stalledTicks: number; crossedTicks: number };
  timeline: Array<LagPoint & { producedTicks: number; consumedTicks: number }>;
  resources: ResourceUsage;
  warnings: string[];
}

/** The JSON body of one tick, as a first version of such a pipeline would write it. */
interface TickMessage {
  source: number;
  seq: number;
  instrument: number;
  venue: number;
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
  sendTimeUs: number;
}

/** Bounds the sends a slow broker connection can pile up; past it the schedule falls behind (and latency shows it). */
const MAX_SENDS_IN_FLIGHT = 512;
/** At most this many ticks per event-loop turn, so a stall does not become one giant synchronous burst. */
const SLICE_TICKS = 16_384;
/** See the consumer below: the one setting that differs from kafkajs's defaults. */
export const NAIVE_FETCH_WAIT_MS = 5;

/**
 * The naive baseline, what a team typically writes first: kafkajs with default settings; one
 * JSON message per tick keyed by instrument; every 1 ms slot of the schedule's due ticks goes out
 * as one `send`; the consumer's `eachMessage` parses each tick and runs the three detectors inline
 * (per-tick `onTick`) on the consumer thread, recording end-to-end latency from the tick's
 * intended time into an HDR histogram. Same embedded cluster, same market model, same detectors.
 * Aborting `signal` (Ctrl-C) stops the load; what was sent is still drained and reported.
 */
export async function runNaivePipeline(options: NaiveOptions, signal?: AbortSignal): Promise<NaiveResult> {
  const log = options.log ?? (() => {});
  const usage0 = process.resourceUsage();
  const ticks = Math.max(1, Math.round(options.rate * options.durationSec));
  const topic = options.topic ?? `naive-${process.pid}-${Date.now()}`;
  await initHistograms();
  const histogram = createLatencyHistogram();
  /** The ticks analysed since the last once-a-second sample: the timeline's per-second p99. */
  const interval = createLatencyHistogram();
  const state = createAnalyticsState({ instruments: options.instruments, venues: options.venues });
  // The analyzer is only the holder of the three detectors: the naive consumer calls them per tick.
  const analyzer = new FrameAnalyzer(state);
  const { outliers, sources, arbitrage } = analyzer;
  const seen = new Uint8Array(ticks);
  let consumed = 0;
  let distinct = 0;
  let duplicated = 0;
  let evictedMessages = 0;
  let lastConsumedUs = 0;
  let outliersFlagged = 0,
    stalledTicks = 0,
    crossedTicks = 0;
  const nextOffset = new Map<number, number>();
  const warnings: string[] = [];

  const cluster = await EmbeddedCluster.start({
    topics: [{ name: topic, partitions: options.partitions }],
    groupInitialRebalanceDelayMs: 0,
  });
  const kafka = new Kafka({ clientId: 'naive', brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING });
  // kafkajs defaults, except the fetch wait: the mock broker holds a fetch for its whole
  // maxWaitTime even when data arrives (a real broker answers at once, minBytes = 1), so the
  // default 5 s would measure the mock, not the design. The pipeline's own adapter uses 5 ms too.
  const consumer = kafka.consumer({ groupId: `${topic}-group`, maxWaitTimeInMs: NAIVE_FETCH_WAIT_MS });
  const producer = kafka.producer();
  let stopping = false;
  let interrupted = false;
  const onAbort = (): void => {
    stopping = true;
    interrupted = true;
  };
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const joined = new Promise<void>((resolve) => {
      const off = consumer.on(consumer.events.GROUP_JOIN, () => {
        off();
        resolve();
      });
    });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const offset = Number(message.offset);
        const expected = nextOffset.get(partition) ?? 0;
        // Retention removed what the consumer had not read yet: kafkajs resets and skips it.
        if (offset > expected) evictedMessages += offset - expected;
        if (offset + 1 > expected) nextOffset.set(partition, offset + 1);
        if (!message.value) return;
        const t = JSON.parse(message.value.toString()) as TickMessage;
        const mid = 0.5 * (t.bid + t.ask);
        const verdict = outliers.onTick(t.instrument, t.venue, mid);
        const isOutlier = (verdict & OUTLIER_WITHHELD) !== 0;
        if ((verdict & (OutlierVerdict.Outlier | OutlierVerdict.PreviousOutlier)) !== 0) outliersFlagged++;
        if (sources.onTick(t.instrument, t.venue, t.bid, t.ask, t.sendTimeUs)) stalledTicks++;
        const x = isOutlier ? arbitrage.onTick(t.instrument, t.venue, NaN, NaN) : arbitrage.onTick(t.instrument, t.venue, t.bid, t.ask);
        if ((x & CrossFlag.Crossed) !== 0) crossedTicks++;
        const now = nowUs();
        recordLatency(histogram, now - t.sendTimeUs);
        recordLatency(interval, now - t.sendTimeUs);
        consumed++;
        lastConsumedUs = now;
        if (t.seq < ticks) {
          if (seen[t.seq] === 0) {
            seen[t.seq] = 1;
            distinct++;
          } else duplicated++;
        }
      },
    });
    await joined;
    await producer.connect();
    log(`naive: kafkajs producer and consumer connected to ${cluster.bootstrapServers}`);

    // The run's default market (labels stay with it: a real feed carries none).
    const model = new FairValueMarket({
      ...fairValueOptionsFor({ instruments: options.instruments, venues: options.venues, ratePerSec: options.rate, inject: {} }, 1),
      seed: options.seed,
      ticks,
      record: false,
    });
    const startUs = nowUs();
    const schedule = new OpenLoopSchedule(options.rate, startUs, ticks);
    let generated = 0;
    let produced = 0;
    let acked = 0;
    let failed = 0;
    let lastSentUs = startUs;
    let inFlight = 0;
    let firstError: string | null = null;
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });

    const timeline: NaiveResult['timeline'] = [];
    const sample = (): void => {
      const t = Math.round(((nowUs() - startUs) / 1e6) * 10) / 10;
      const p99Us = interval.totalCount > 0 ? interval.getValueAtPercentile(99) : 0;
      interval.reset();
      timeline.push({ t, producedTicks: produced, consumedTicks: distinct, lagTicks: Math.max(0, acked - distinct), p99Us });
    };
    const sampler = setInterval(sample, 1000);

    const send = (messages: Message[]): void => {
      inFlight++;
      produced += messages.length;
      lastSentUs = nowUs();
      producer
        .send({ topic, messages })
        .then(
          () => {
            acked += messages.length;
          },
          (error: unknown) => {
            failed += messages.length;
            firstError ??= error instanceof Error ? error.message : String(error);
          },
        )
        .finally(() => {
          inFlight--;
        });
    };

    // The open-loop schedule: each 1 ms slot's due ticks in one send, stamped with intended times.
    await new Promise<void>((resolve) => {
      const step = (): void => {
        if (stopping || generated >= ticks) {
          resolve();
          return;
        }
        if (inFlight >= MAX_SENDS_IN_FLIGHT) {
          setTimeout(step, 1);
          return;
        }
        const due = Math.min(schedule.dueBy(nowUs()), generated + SLICE_TICKS);
        let batch: Message[] = [];
        let slot = -1;
        for (; generated < due; generated++) {
          const intendedUs = schedule.intendedTimeUs(generated);
          const s = Math.floor((intendedUs - startUs) / 1000);
          if (s !== slot && batch.length > 0) {
            send(batch);
            batch = [];
          }
          slot = s;
          model.nextTick(intendedUs);
          const tick: TickMessage = {
            source: 0,
            seq: generated,
            instrument: model.instrument,
            venue: model.venue,
            bid: model.bid,
            ask: model.ask,
            bidSize: model.bidSize,
            askSize: model.askSize,
            sendTimeUs: intendedUs,
          };
          batch.push({ key: String(model.instrument), value: JSON.stringify(tick) });
        }
        if (batch.length > 0) send(batch);
        if (generated < ticks && schedule.dueBy(nowUs()) > generated) setImmediate(step);
        else setTimeout(step, 1);
      };
      step();
    });
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
    log(`naive: ${produced} ticks sent, ${acked} acknowledged; draining`);

    // Drain: until every acknowledged tick was read (or evicted), or the consumer stops progressing.
    let lastProgress = { at: Date.now(), consumed };
    while (!stopping && distinct < acked && distinct + evictedMessages < acked) {
      await new Promise((r) => setTimeout(r, 20));
      if (consumed !== lastProgress.consumed) lastProgress = { at: Date.now(), consumed };
      else if (Date.now() - lastProgress.at > options.drainTimeoutSec * 1000) {
        warnings.push(`drain timed out with ${acked - distinct} ticks unconsumed`);
        break;
      }
    }
    clearInterval(sampler);
    sample();

    const lost = Math.max(0, acked - distinct);
    const evicted = Math.min(lost, evictedMessages);
    if (lost > 0) warnings.push(`${lost} acknowledged ticks were never consumed${evicted > 0 ? ` (${evicted} evicted by retention)` : ''}`);
    if (failed > 0) warnings.push(`${failed} ticks failed to produce: ${firstError ?? 'unknown error'}`);
    const usage = process.resourceUsage();
    const round = (x: number): number => Math.round(x * 10) / 10;
    return {
      tool: 'tick-firehose',
      kind: 'naive-baseline',
      status: interrupted ? 'interrupted' : 'ok',
      config: { ...options, log: undefined, topic, ticks, client: 'kafkajs', messagesPerTick: 1, format: 'json' },
      ticks: { generated, produced, acked, failed, consumed, distinctConsumed: distinct, lost, duplicated, evicted },
      throughput: {
        offeredTicksPerSec: options.rate,
        producedTicksPerSec: round(produced / Math.max(1e-6, (lastSentUs - startUs) / 1e6)),
        ticksPerSec: round(distinct / Math.max(1e-6, (lastConsumedUs - startUs) / 1e6)),
      },
      latency: { e2e: summarize(histogram) },
      analytics: { outliersFlagged, stalledTicks, crossedTicks },
      timeline,
      resources: {
        cpuUserMs: (usage.userCPUTime - usage0.userCPUTime) / 1000,
        cpuSystemMs: (usage.systemCPUTime - usage0.systemCPUTime) / 1000,
        maxRssMb: usage.maxRSS / 1024,
      },
      warnings,
    };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await producer.disconnect().catch(() => {});
    await consumer.disconnect().catch(() => {});
    await cluster.stop();
  }
}

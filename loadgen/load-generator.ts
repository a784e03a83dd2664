import { TickLabels, type TickLabelsShared } from '../analytics/tick-labels.js';
import { ProduceBacklog } from './produce-backlog.js';
import type { FrameProducer, OutgoingFrame, ProducerCallbacks } from '../kafka/client.js';
import { createMergeHistogram, recordLatency, type Histogram } from '../metrics/latency-histogram.js';
import type { ClockUs } from '../wire/clock.js';
import type { InjectedTruth } from '../analytics/ground-truth.js';
import { FrameBatcher } from './frame-batcher.js';
import type { InjectConfig } from './injector.js';
import { FairValueMarket, fairValueOptionsFor, type FairValueStreamSpec } from './fair-value-market.js';
import { MarketModel } from './market-model.js';
import { OpenLoopSchedule } from './open-loop-schedule.js';
import { TickSource, type TickModel } from './tick-source.js';

export interface LoadGeneratorOptions {
  partitions: number;
  ratePerSec: number;
  /** Total ticks to send (a duration is converted to ticks by the caller: rate × seconds). */
  ticks: number;
  instruments: number;
  venues: number;
  seed: number;
  /** This generator's id, written into every tick; distinct per loadgen process. */
  source: number;
  ticksPerRecord: number;
  /** A partly filled frame waits at most this long before it is sent. */
  lingerUs: number;
  /**
   * Close every open frame whenever the producer is idle: it has taken all it was offered and has
   * nothing in flight. Frames then batch only while a queue stands, so light load does not wait
   * out the linger (the run profiles turn it on; off, frames wait for size or linger only).
   */
  flushWhenIdle?: boolean;
  clock: ClockUs;
  /**
   * 'fair-value' (absent: the default): loadgen/fair-value-market.ts, with the default FX universe; its stream
   * can be regenerated from `truthSpec` to be scored. 'simple': loadgen/market-model.ts with the
   * default FX universe (analytics/market-conventions.ts) and the injector.
   */
  market?: 'fair-value' | 'simple';
  /**
   * Labelled anomalies for scoring the analytics: null = a clean stream. Simple market: the
   * injector's options (loadgen/injector.ts). Fair-value market: only `scale` is read (it
   * multiplies the bad-tick and dislocation rates; null turns those and the faulty sources off).
   */
  inject?: Partial<InjectConfig> | null;
  /** The labels' side channel shared with in-process analytics (analytics/tick-labels.ts); absent = labels dropped. */
  labels?: TickLabelsShared | null;
}

/** What the producing side knows at the end: the left half of the delivery accounting. */
export interface ProduceStats {
  /** Ticks handed to the Kafka client. */
  produced: number;
  acked: number;
  /** Refused by the broker: never written. */
  failed: number;
  /** Timed out in flight: maybe written. */
  indeterminate: number;
  framesAcked: number;
  ackedByPartition: number[];
  /** Highest acknowledged offset + 1 per partition (-1 when unknown). */
  endOffsetByPartition: number[];
  firstError: string | null;
  /** Intended time of the first tick and the time the last tick was handed over, µs. */
  startUs: number;
  lastSentUs: number;
}

/**
 * Ticks generated per event-loop slice: half of what is due, within these bounds. A slice holds
 * the thread it shares with the consumer, the dispatch to the workers and the delivery reports:
 * generating and encoding a fair-value tick costs 1-3 µs here (2 cores, load 9: 0.33-0.52 M
 * ticks/s), so a fixed 16,384-tick slice held it 30-50 ms whenever the generator caught up after
 * a stall, and every record arriving meanwhile waited that long (150k ticks/s, embedded, three
 * pairs at load 10-12: e2e p99 1534/166/730 ms with 16,384, 247/64/53 ms with 2,048). A fixed
 * small slice starves the generator instead when the thread is saturated (it gets one slice per
 * event-loop turn): kafkajs at 250k/s analysed 244k/228k → 188k/178k; confluent at 150k/s at
 * load 14 fell 0.9 s behind. Half the backlog keeps slices short while the generator is nearly
 * on time and lets it take its old share back once it is far behind.
 */
const MIN_SLICE_TICKS = 2_048;
const MAX_SLICE_TICKS = 16_384;

/**
 * The open-loop producer: every slice it generates the ticks the schedule says are due (stamped
 * with their intended times), packs them into frames and hands full or lingering frames to the
 * Kafka client. When the client refuses more (its queue is full) generation waits, and the
 * waiting shows up as latency, not as a lower offered rate hidden from the report.
 */
export class LoadGenerator {
  readonly produceLatency: Histogram = createMergeHistogram();
  private readonly stats: ProduceStats;
  private readonly tickSource: TickSource;
  private readonly model: TickModel;
  private readonly simple: MarketModel | null;
  private readonly fair: FairValueMarket | null;
  private readonly batcher: FrameBatcher;
  private readonly keys: Buffer[];
  private readonly backlog = new ProduceBacklog(
    () => this.producer!,
    (frame) => this.sent(frame),
  );
  private producer: FrameProducer | undefined;
  private stopping = false;
  readonly callbacks: ProducerCallbacks;

  constructor(private readonly options: LoadGeneratorOptions) {
    const keyGroups = Math.min(options.instruments, Math.max(options.partitions, 1));
    this.fair =
      options.market === 'simple'
        ? null
        : new FairValueMarket({ ...fairValueOptionsFor(options, keyGroups), seed: options.seed, ticks: options.ticks, record: false });
    this.simple =
      this.fair === null
        ? new MarketModel({
            seed: options.seed,
            instruments: options.instruments,
            venues: options.venues,
            keyGroups,
            fx: {},
            inject: options.inject ?? null,
          })
        : null;
    const model: TickModel = this.fair ?? this.simple!;
    this.model = model;
    this.keys = [];
    for (let g = 0; g < model.keyGroups; g++) this.keys.push(Buffer.from(String(g)));
    this.batcher = new FrameBatcher({
      keyGroups: model.keyGroups,
      ticksPerRecord: options.ticksPerRecord,
      clock: options.clock,
      onFrame: (keyGroup, frame, tickCount) => this.onFrame(keyGroup, frame, tickCount),
    });
    const startUs = options.clock();
    const schedule = new OpenLoopSchedule(options.ratePerSec, startUs, options.ticks);
    this.tickSource = new TickSource(model, this.batcher, options.source, schedule, options.labels ? new TickLabels(options.labels) : null);
    ({ stats: this.stats, callbacks: this.callbacks } = produceAccounting(options.partitions, startUs, options.clock, this.produceLatency));
  }

  get produceStats(): Readonly<ProduceStats> {
    return this.stats;
  }

  get generated(): number {
    return this.tickSource.emitted;
  }

  /** What was injected into the ticks generated so far (null for a clean stream). */
  get injected(): InjectedTruth | null {
    if (this.simple === null) return null;
    const counts = this.simple.injected;
    const sources = this.simple.injectedSources;
    if (counts === null || sources === null) return null;
    return { counts: { ...counts }, sources: { ...sources, noiseSpreads: [...sources.noiseSpreads], noiseBps: [...sources.noiseBps] } };
  }

  /**
   * What regenerates this generator's fair-value stream to score it (run/run-quality.ts): a few
   * numbers instead of per-tick truth. Null on the simple market.
   */
  get truthSpec(): FairValueStreamSpec | null {
    const fair = this.fair;
    if (fair === null) return null;
    const { seed, ...market } = fair.o;
    return {
      market: 'fair-value',
      seed,
      options: market,
      ticks: this.options.ticks,
      startUs: this.stats.startUs,
      ratePerSec: this.options.ratePerSec,
      generated: this.tickSource.emitted,
      checksum: fair.checksum,
    };
  }

  /**
   * Runs until every tick was handed to the producer, or `stop` was called; then waits up to
   * `flushMs` for their acknowledgements (0: the caller waits, within its own budget).
   */
  async run(producer: FrameProducer, flushMs = 30_000): Promise<void> {
    this.producer = producer;
    await new Promise<void>((resolve) => {
      const step = (): void => {
        const now = this.options.clock();
        if (!this.backlog.drain()) {
          setTimeout(step, 1);
          return;
        }
        const done = this.stopping || this.tickSource.finished;
        if (done) {
          this.batcher.flushAll(now);
          if (this.backlog.drain()) {
            resolve();
            return;
          }
          setTimeout(step, 1);
          return;
        }
        const slice = Math.min(MAX_SLICE_TICKS, Math.max(MIN_SLICE_TICKS, this.tickSource.dueNotEmitted(now) >> 1));
        const emitted = this.tickSource.generateDue(now, slice);
        // Batch only while there is a queue (Nagle's rule): a full slice means the generator is
        // behind, and frames in flight mean the client is busy, so the open frames keep filling
        // until their acknowledgements return (bounded by the linger). An idle producer with
        // nothing waiting gets the open frames at once: light load does not wait for company.
        if (this.options.flushWhenIdle && emitted < slice && this.backlog.empty && producer.pending === 0) this.batcher.flushAll(now);
        else this.batcher.flushOlderThan(now, this.options.lingerUs);
        if (emitted === slice) setImmediate(step);
        else setTimeout(step, 1);
      };
      step();
    });
    if (flushMs > 0) await producer.flush(flushMs);
  }

  /** True once `stop` was called: the run ended before its schedule did. */
  get stopped(): boolean {
    return this.stopping;
  }

  /** Stops generating; what was generated is still sent and awaited. */
  stop(): void {
    this.stopping = true;
  }

  private onFrame(keyGroup: number, frame: Buffer, tickCount: number): void {
    const outgoing: OutgoingFrame = {
      partition: keyGroup % this.options.partitions,
      key: this.keys[keyGroup]!,
      value: frame,
      tickCount,
      producedAtUs: frame.readDoubleLE(16),
    };
    this.backlog.offer(outgoing);
  }

  private sent(frame: OutgoingFrame): void {
    this.stats.produced += frame.tickCount;
    this.stats.lastSentUs = this.options.clock();
  }
}

/** Produce counters before anything was sent (a run's own, or the sum of several loadgen parts). */
export function emptyProduceStats(partitions: number, startUs: number, lastSentUs: number): ProduceStats {
  return {
    produced: 0,
    acked: 0,
    failed: 0,
    indeterminate: 0,
    framesAcked: 0,
    ackedByPartition: new Array<number>(partitions).fill(0),
    endOffsetByPartition: new Array<number>(partitions).fill(-1),
    firstError: null,
    startUs,
    lastSentUs,
  };
}

/**
 * The produce side's counters and the client callbacks that keep them: acknowledged, failed or
 * indeterminate ticks, each partition's end offset, and send → acknowledgement latency. Shared by
 * the in-thread generator and the one whose ticks come from a generator thread.
 */
export function produceAccounting(
  partitions: number,
  startUs: number,
  clock: ClockUs,
  produceLatency: Histogram,
): { stats: ProduceStats; callbacks: ProducerCallbacks } {
  const stats = emptyProduceStats(partitions, startUs, startUs);
  const callbacks: ProducerCallbacks = {
    delivered: (frame, offset) => {
      stats.acked += frame.tickCount;
      stats.framesAcked++;
      stats.ackedByPartition[frame.partition]! += frame.tickCount;
      if (offset + 1 > stats.endOffsetByPartition[frame.partition]!) stats.endOffsetByPartition[frame.partition] = offset + 1;
      recordLatency(produceLatency, clock() - frame.producedAtUs, frame.tickCount);
    },
    failed: (frame, error, indeterminate) => {
      if (indeterminate) stats.indeterminate += frame.tickCount;
      else stats.failed += frame.tickCount;
      stats.firstError ??= error.message;
    },
  };
  return { stats, callbacks };
}

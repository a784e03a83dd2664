import { BroadcastChannel } from 'node:worker_threads';
import type { AnalyticsCounters } from '../analytics/frame-analyzer.js';
import { addCounters, analyticsCountersZero } from '../analytics/frame-analyzer.js';
import { STAGES, type StatsMessage, type WorkerReport, type WorkerStage } from './worker-protocol.js';
import {
  createMergeHistogram,
  decodeHistogram,
  mergeEncoded,
  summarize,
  type Histogram,
  type LatencySummary,
} from '../metrics/latency-histogram.js';

export interface TimelinePoint {
  /** Seconds since the run started. */
  t: number;
  producedTicks: number;
  consumedTicks: number;
  lagTicks: number;
  /** p99 end-to-end latency of the ticks reported in this second, µs (0 when none). */
  p99Us: number;
}

/**
 * Gathers what the analytics workers publish: merges their encoded interval histograms into
 * run-wide ones (exact merge, never averages), sums their counters, and keeps a per-second
 * latency series for the timeline.
 */
export class StatsCollector {
  readonly e2eByPartition = new Map<number, Histogram>();
  readonly stages: Record<WorkerStage, Histogram>;
  /** End-to-end latency of the warm-up's ticks (--warmup), kept out of `e2eByPartition`. */
  readonly warmup: Histogram = createMergeHistogram();
  readonly counters: AnalyticsCounters = analyticsCountersZero();
  ticksByPartition = new Map<number, number>();
  duplicates = 0;
  unchecked = 0;
  private readonly channel: BroadcastChannel;
  private readonly interval: Histogram = createMergeHistogram();
  private nextRequestId = 1;
  private readonly waiting = new Map<number, { expected: number; seen: Set<number>; resolve: () => void }>();

  constructor(channelName: string) {
    this.stages = Object.fromEntries(STAGES.map((s) => [s, createMergeHistogram()])) as Record<WorkerStage, Histogram>;
    this.channel = new BroadcastChannel(channelName);
    this.channel.onmessage = (event: unknown) => {
      const message = (event as { data: StatsMessage }).data;
      if (message.type === 'report') this.absorb(message);
    };
  }

  private absorb(report: WorkerReport): void {
    for (const part of report.e2eByPartition) {
      let h = this.e2eByPartition.get(part.partition);
      if (!h) {
        h = createMergeHistogram();
        this.e2eByPartition.set(part.partition, h);
      }
      this.mergeTwice(part.histogram, h, this.interval);
      this.ticksByPartition.set(part.partition, (this.ticksByPartition.get(part.partition) ?? 0) + part.ticks);
    }
    if (report.warmup) {
      // The per-second series shows the whole run, warm-up included.
      this.mergeTwice(report.warmup, this.warmup, this.interval);
    }
    for (const stage of STAGES) mergeEncoded(this.stages[stage], report.stages[stage]);
    addCounters(this.counters, report.counters);
    this.duplicates += report.duplicates;
    this.unchecked += report.unchecked;
    const wait = this.waiting.get(report.requestId);
    if (wait) {
      wait.seen.add(report.workerId);
      if (wait.seen.size >= wait.expected) {
        this.waiting.delete(report.requestId);
        wait.resolve();
      }
    }
  }

  /**
   * Adds an encoded histogram to two, decoded once: a decode builds a histogram of 23k counts, and
   * absorbing the workers' reports was 5% of the consumer thread's profile samples in a backlog
   * read at one tick per record, half of it decoding each end-to-end histogram a second time.
   */
  private mergeTwice(encoded: string, a: Histogram, b: Histogram): void {
    if (!encoded) return;
    const decoded = decodeHistogram(encoded);
    a.add(decoded);
    b.add(decoded);
    decoded.destroy();
  }

  /** Latency of what arrived since the previous call, then starts a new interval. */
  takeInterval(): LatencySummary {
    const summary = summarize(this.interval);
    this.interval.reset();
    return summary;
  }

  /** Asks every worker for what it has not reported yet; resolves when `workers` answered or on timeout. */
  collect(workers: number, timeoutMs = 5_000): Promise<boolean> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(requestId);
        resolve(false);
      }, timeoutMs);
      this.waiting.set(requestId, {
        expected: workers,
        seen: new Set(),
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      });
      this.channel.postMessage({ type: 'collect', requestId } satisfies StatsMessage);
    });
  }

  close(): void {
    this.channel.close();
  }
}

import type { Alert } from '../analytics/alerts.js';
import type { FrameAnalyzer } from '../analytics/frame-analyzer.js';
import { LedgerMarker, type DeliveryLedger } from '../metrics/delivery-ledger.js';
import { createLatencyHistogram, encodeHistogram, type Histogram } from '../metrics/latency-histogram.js';
import { LatencyTally } from '../metrics/latency-tally.js';
import { nowUs, type ClockUs } from '../wire/clock.js';
import { PackedFrames } from '../wire/frame-pack.js';
import { FrameReader, validateFrame, validateTicks } from '../wire/tick-frame.js';
import type { WarmupCutoff } from './warmup-cutoff.js';
import type { FrameTask, FrameTaskResult, WorkerReport, WorkerStage } from './worker-protocol.js';

/** What a worker publishes, but the envelope (type, worker, request, time). */
export type TaskMeasurements = Omit<WorkerReport, 'type' | 'workerId' | 'requestId' | 'atUs'>;

/**
 * One analytics worker's work on its tasks: analyses whole frames, records every tick's latency,
 * marks every tick in the delivery ledger. Measurements stay here (bounded HDR histograms) until
 * taken as encoded interval histograms. Apart from the worker thread so that tests and probes can
 * run it in-process.
 */
export class FrameTaskAnalysis {
  private readonly reader = new FrameReader();
  private readonly packed = new PackedFrames();
  /** Latencies are counted in tallies per tick and go into the histograms when taken (see LatencyTally). */
  private readonly e2eByPartition: LatencyTally[] = [];
  private readonly ticksByPartition: number[] = [];
  private readonly stages: Record<WorkerStage, LatencyTally> = {
    schedule: new LatencyTally(),
    transport: new LatencyTally(),
    queue: new LatencyTally(),
    analytics: new LatencyTally(),
  };
  /** Ticks sent during the warm-up (--warmup): kept apart from the headline histograms. */
  private readonly warmupE2e = new LatencyTally();
  /** One histogram to encode every tally through, reset after each. */
  private readonly encoder: Histogram = createLatencyHistogram();
  private readonly marks: LedgerMarker;
  /** When the previous frame's analysis ended: the next one's starts there (one clock read per frame). */
  private lastEndUs = 0;

  constructor(
    private readonly analyzer: FrameAnalyzer,
    ledger: DeliveryLedger,
    private readonly warmupCutoff: WarmupCutoff | null,
    private readonly clock: ClockUs = nowUs,
  ) {
    this.marks = new LedgerMarker(ledger);
  }

  private partitionTally(partition: number): LatencyTally {
    let t = this.e2eByPartition[partition];
    if (!t) {
      t = new LatencyTally();
      this.e2eByPartition[partition] = t;
      this.ticksByPartition[partition] = 0;
    }
    return t;
  }

  run(task: FrameTask): FrameTaskResult {
    const packed = this.packed;
    let ticks = 0;
    let problem: string | null = null;
    let alerts: Alert[] | null = null;
    let rejected: Array<{ index: number; problem: string }> | null = null;
    // A task group's frames come run after run (task.segments: partition, offset, frames), in one
    // buffer or in `packed` then each of `more`.
    const segments = task.segments;
    const segmentTicks: number[] | null = segments ? [] : null;
    let segment = 0;
    let partition = segments ? segments[0]! : task.partition;
    let segmentEnd = segments ? segments[2]! : task.count;
    let segmentStartTicks = 0;
    const more = task.more;
    let buffer = 0;
    packed.reset(task.packed);
    let bufferStart = 0;
    this.lastEndUs = this.clock();
    try {
      for (let f = 0; f < task.count; f++) {
        if (f === segmentEnd && segments && segmentTicks) {
          segmentTicks.push(ticks - segmentStartTicks);
          segmentStartTicks = ticks;
          segment += 3;
          partition = segments[segment]!;
          segmentEnd += segments[segment + 2]!;
        }
        while (f - bufferStart >= packed.count && more && buffer < more.length) {
          bufferStart += packed.count;
          packed.reset(more[buffer++]!);
        }
        const local = f - bufferStart;
        const bytes = packed.frame(local);
        // Everything is checked before the analytics, the ledger or a histogram sees the frame, so
        // a refused frame leaves no trace and a retry cannot count anything twice.
        const frameProblem = validateFrame(bytes);
        if (frameProblem !== null) {
          problem ??= frameProblem;
          (rejected ??= []).push({ index: f, problem: frameProblem });
          continue;
        }
        const tickProblem = validateTicks(bytes);
        if (tickProblem !== null) {
          (rejected ??= []).push({ index: f, problem: tickProblem });
          continue;
        }
        ticks += this.analyseFrame(bytes, partition, packed.receivedUs(local));
        const raised = this.analyzer.takeAlerts();
        if (raised.length > 0) (alerts ??= []).push(...raised);
      }
    } finally {
      // The ledger holds this task's ticks before its result is seen (the run's accounting reads it).
      this.marks.flush();
    }
    // Most tasks raise no alert nor refuse a frame: leave the fields out rather than clone empty lists.
    const result: FrameTaskResult = { ticks, problem };
    if (alerts) result.alerts = alerts;
    if (rejected) result.rejected = rejected;
    if (segmentTicks) {
      segmentTicks.push(ticks - segmentStartTicks);
      result.segmentTicks = segmentTicks;
    }
    return result;
  }

  /**
   * Analyses one valid frame (validateFrame and validateTicks passed) and records its latencies;
   * returns its tick count. Its analysis is timed from the end of the previous frame's (or the
   * task's start), so the stage includes this worker's checks and records of the frame: one clock
   * read per frame, where two were a visible share of a one-tick frame's cost.
   */
  private analyseFrame(bytes: Uint8Array, partition: number, receivedUs: number): number {
    const startUs = this.lastEndUs;
    this.analyzer.analyze(bytes);
    const endUs = this.clock();
    this.lastEndUs = endUs;

    const reader = this.reader.reset(bytes);
    const count = reader.tickCount;
    const producedAtUs = reader.producedAtUs;
    const source = reader.source;
    const e2e = this.partitionTally(partition);
    const stages = this.stages;
    const schedule = stages.schedule;
    const warmupE2e = this.warmupE2e;
    const marks = this.marks;
    // Without --warmup every tick compares above -Infinity: one compare, no branch on the option.
    const cutoffUs = this.warmupCutoff === null || count === 0 ? -Infinity : this.warmupCutoff.cutoffFor(reader.sendTimeUs(0));
    for (let i = 0; i < count; i++) {
      const sendTimeUs = reader.sendTimeUs(i);
      (sendTimeUs < cutoffUs ? warmupE2e : e2e).record(endUs - sendTimeUs);
      schedule.record(producedAtUs - sendTimeUs);
      // The header's source (every tick's equals it: validateTicks), never a tick's own claim.
      marks.mark(source, reader.seq(i));
    }
    this.ticksByPartition[partition] = (this.ticksByPartition[partition] ?? 0) + count;
    stages.transport.record(receivedUs - producedAtUs, count);
    stages.queue.record(startUs - receivedUs, count);
    stages.analytics.record(endUs - startUs, count);
    return count;
  }

  /** A tally's counts as an encoded histogram ('' when it has none), the tally zeroed. */
  private encode(tally: LatencyTally): string {
    if (tally.total === 0) return '';
    tally.flushInto(this.encoder);
    const encoded = encodeHistogram(this.encoder);
    this.encoder.reset();
    return encoded;
  }

  /** The measurements since the last call, encoded, and zeroed here. */
  takeMeasurements(): TaskMeasurements {
    const marks = this.marks;
    const out: TaskMeasurements = {
      e2eByPartition: [],
      stages: { schedule: '', transport: '', queue: '', analytics: '' },
      counters: this.analyzer.takeCounters(),
      duplicates: marks.duplicates,
      unchecked: marks.unchecked,
    };
    this.e2eByPartition.forEach((tally, partition) => {
      if (tally.total === 0) return;
      out.e2eByPartition.push({ partition, ticks: this.ticksByPartition[partition] ?? 0, histogram: this.encode(tally) });
      this.ticksByPartition[partition] = 0;
    });
    const warmup = this.encode(this.warmupE2e);
    if (warmup !== '') out.warmup = warmup;
    for (const stage of Object.keys(this.stages) as WorkerStage[]) out.stages[stage] = this.encode(this.stages[stage]);
    marks.duplicates = 0;
    marks.unchecked = 0;
    return out;
  }
}

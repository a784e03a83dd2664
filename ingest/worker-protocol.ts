import type { Alert } from '../analytics/alerts.js';
import type { AnalyticsCounters } from '../analytics/frame-analyzer.js';
import type { AnalyticsSharedState } from '../analytics/analytics-state.js';
import type { AnalyticsConfig } from '../analytics/frame-analyzer.js';
import type { DeliveryLedgerShared } from '../metrics/delivery-ledger.js';

/** What every analytics worker gets at start (structured clone; the buffers are shared). */
export interface AnalyticsWorkerData {
  analytics: AnalyticsSharedState;
  analyticsConfig: Partial<AnalyticsConfig>;
  ledger: DeliveryLedgerShared;
  /** BroadcastChannel name on which workers publish their measurements. */
  statsChannel: string;
  /** How often a busy worker publishes interval histograms, ms. */
  reportIntervalMs: number;
  /**
   * Test aid (--inject-worker-failures): this share of tasks throws, and the first worker to reach
   * its 100th task exits (the pool must replace it). `killed` holds one Int32 flag shared by all.
   */
  failures: { share: number; killed: SharedArrayBuffer } | null;
  /**
   * Warm-up (--warmup): ticks intended before the cutoff go to a separate histogram, not the
   * headline. `cutoff` holds one BigInt64, the cutoff in µs since the epoch (0 = not known yet:
   * the first tick a worker sees then sets it to its send time + `durationUs`). Null: no warm-up.
   */
  warmup?: { durationUs: number; cutoff: SharedArrayBuffer } | null;
  /** One Int32: workers that finished their JIT warm-up (set by the pool: see AnalyticsPool.whenWarm). */
  warm?: SharedArrayBuffer;
}

/**
 * Frames to analyse in order. The buffer is shared memory the dispatcher copied them into as they
 * arrived (read only until the task settles: it is then reused for a later task). Several frames
 * share one task because a message between threads costs about as much as analysing a whole frame.
 */
export interface FrameTask {
  /** The frames and when the consumer received each, in one buffer (layout: wire/frame-pack.ts). */
  packed: ArrayBuffer | SharedArrayBuffer;
  /**
   * More buffers of the same layout whose frames follow `packed`'s, in order (a task group's task:
   * each partition's frames in shared memory of their own).
   */
  more?: Array<ArrayBuffer | SharedArrayBuffer>;
  /** Frames in `packed` and `more`. */
  count: number;
  partition: number;
  /** Offset of the first frame; the others follow it (but see `segments`). */
  offset: number;
  /**
   * Set when the task carries several runs of frames (a task group's): for each run of consecutive
   * offsets of one partition, in the order they arrived, `partition, offset of its first frame,
   * frames`, its frames following those of the run before. A partition may have several runs
   * (deliveries between others', or around a malformed record). Absent: every frame is
   * `partition`'s, from `offset`.
   */
  segments?: number[];
}

export interface FrameTaskResult {
  /** Ticks analysed over all of the task's frames. */
  ticks: number;
  /** Set when a record was not a well-formed frame; nothing from that one was analysed. */
  problem: string | null;
  /**
   * The detections in these frames, in tick order (format: analytics/alerts.ts), for publishing to
   * the alerts topic. Absent when the frame raised none (most frames: an empty list would be
   * cloned across threads for nothing). The worker's counters count them too.
   */
  alerts?: readonly Alert[];
  /**
   * Frames of the task (index into `frames`) refused before any side effect because their ticks
   * are invalid (wire/tick-frame.ts validateTicks). Absent when none was; they go to the dead letters.
   */
  rejected?: Array<{ index: number; problem: string }>;
  /** With `segments`: the ticks analysed in each run, in the task's order. */
  segmentTicks?: number[];
}

export const STAGES = ['schedule', 'transport', 'queue', 'analytics'] as const;
export type WorkerStage = (typeof STAGES)[number];

/** Encoded interval histograms and counter deltas since the worker's previous report. */
export interface WorkerReport {
  type: 'report';
  workerId: number;
  /** Answers the collect request with this id; 0 for a periodic report. */
  requestId: number;
  atUs: number;
  e2eByPartition: Array<{ partition: number; ticks: number; histogram: string }>;
  /** End-to-end latency of warm-up ticks (encoded; '' when none). */
  warmup?: string;
  stages: Record<WorkerStage, string>;
  counters: AnalyticsCounters;
  duplicates: number;
  unchecked: number;
}

export interface CollectRequest {
  type: 'collect';
  requestId: number;
}

export type StatsMessage = WorkerReport | CollectRequest;

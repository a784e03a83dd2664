import type { Alert } from '../analytics/alerts.js';
import type { AnalyticsCounters, } from '../analytics/frame-analyzer.js';
import type { AnalyticsSharedState } from '../analytics/analytics-state.js';
import type { AnalyticsConfig } from '../analytics/frame-analyzer.js';
import type { DeliveryLedgerShared } from '../bench/delivery-ledger.js';

/** What every analytics worker gets at start (structured clone; the buffers are shared). */
export interface AnalyticsWorkerData {
  analytics: AnalyticsSharedState;
  analyticsConfig: Partial<AnalyticsConfig>;
  ledger: DeliveryLedgerShared;
  /** BroadcastChannel name on which workers publish their measurements. */
  statsChannel: string;
  /** How often a busy worker publishes interval histograms, ms. */
  reportIntervalMs: number;
}

/** One frame to analyse. `frame` is moved (transferred), never copied. */
export interface FrameTask {
  frame: ArrayBuffer;
  partition: number;
  offset: number;
  receivedUs: number;
}

export interface FrameTaskResult {
  ticks: number;
  /** Set when the record was not a well-formed frame; nothing was analysed. */
  problem: string | null;
  /**
   * The detections in this frame, in tick order (format: analytics/alerts.ts), for publishing to
   * the alerts topic. Absent when the frame raised none (most frames: an empty list would be
   * cloned across threads for nothing). The worker's counters count them too.
   */
  alerts?: readonly Alert[];
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

import type { AnalyticsCounters } from '../analytics/frame-analyzer.js';
import type { SerializedLedger } from '../metrics/delivery-ledger.js';
import type { SerializedDetections } from '../analytics/detection-log.js';
import type { WorkerStage } from './worker-protocol.js';

/** The ConsumeCounts that add up across processes (the rest are first/last times). */
export const SUMMED_CONSUME_COUNTS = [
  'consumedTicks',
  'frames',
  'malformedFrames',
  'failedAttempts',
  'deadLetteredRecords',
  'deadLetteredTicks',
  'evictedRecords',
  'alertsPublished',
] as const;

/** What a consuming process counts as frames finish; summed when processes merge. */
export interface ConsumeCounts {
  consumedTicks: number;
  frames: number;
  malformedFrames: number;
  /** Analytics attempts that threw or lost their worker (each is retried or dead-lettered). */
  failedAttempts: number;
  /** Records sent to the dead-letter topic, and the ticks in those that were frames. */
  deadLetteredRecords: number;
  deadLetteredTicks: number;
  /** Records skipped by consumers because retention removed them (offset gaps). */
  evictedRecords: number;
  /** Detections handed to the alerts topic's producer. */
  alertsPublished: number;
  firstConsumedUs: number;
  lastConsumedUs: number;
}

/** What a consuming process knows at the end (serialisable). */
export interface IngestPart extends ConsumeCounts {
  consumedByPartition: Record<string, number>;
  assignedPartitions: number[];
  errors: string[];
  duplicates: number;
  unchecked: number;
  counters: AnalyticsCounters;
  sourceScores: number[];
  /** `warmup`: end-to-end latency of the warm-up's ticks (--warmup), absent in parts written without one. */
  histograms: { e2eByPartition: Record<string, string>; stages: Record<WorkerStage, string>; warmup?: string };
  ledger: SerializedLedger;
  /** Seqs of the ticks flagged (outlier, tradeable cross) per source; absent in older parts. */
  detections?: SerializedDetections;
}

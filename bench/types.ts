import type { LatencySummary } from '../metrics/latency-histogram.js';
import type { z } from 'zod';
import {
  CLIENT_PIPELINE_IDS,
  PIPELINE_IDS,
  type benchReportSchema,
  type clientPipelineIdSchema,
  type perRecordReportSchema,
  type pipelineIdSchema,
  type pipelineReportSchema,
  type probeRecordSchema,
  type rawClientFiguresSchema,
  type sustainCriteriaSchema,
  type targetCheckSchema,
} from './bench-schema.js';

/** CPU and memory of one process (all of its threads: workers, librdkafka, the in-process brokers). */
export interface ResourceUsage {
  cpuUserMs: number;
  cpuSystemMs: number;
  maxRssMb: number;
  /** `firehose run` on Linux: the schedule window's CPU, the in-process brokers' part apart (RunResult resources.schedule). */
  schedule?: { sec: number; ticks: number; cpuMs: number; clusterCpuMs: number };
  /** `firehose run` on Linux: CPU per thread role (RunResult resources.threads). */
  threads?: Array<{ role: string; threads: number; cpuMs: number; scheduleCpuMs: number }>;
}

/** A sample of the consumer lag, once a second while a probe runs. */
export interface LagPoint {
  /** Seconds since the schedule started. */
  t: number;
  lagTicks: number;
  /** p99 end-to-end latency of the ticks analysed in the second before `t`, µs (0 when none). */
  p99Us: number;
}

/**
 * What the suite reads from any probe's `--json` output: the fields of `RunResult` the judgement
 * needs, which the naive pipeline prints in the same shape.
 */
export interface ProbeOutput {
  status: 'ok' | 'interrupted';
  config: { rate: number; durationSec: number };
  ticks: {
    produced: number;
    acked: number;
    failed: number;
    consumed: number;
    lost: number;
    evicted: number;
    duplicated: number;
    distinctConsumed?: number;
  };
  throughput: { offeredTicksPerSec: number; ticksPerSec: number };
  /** With --warmup, `e2e` leaves the warm-up's ticks out and `wholeRun` has them all. */
  latency: { e2e: LatencySummary; wholeRun?: LatencySummary };
  timeline: LagPoint[];
  resources?: ResourceUsage;
}

/** When a probed rate counts as sustained (bench-schema.ts documents each bound). Stated in the output next to every figure. */
export type SustainCriteria = z.infer<typeof sustainCriteriaSchema>;

export const DEFAULT_CRITERIA: Readonly<SustainCriteria> = Object.freeze({
  minAnalysedFraction: 0.97,
  maxP99Us: 1_000_000,
  maxFinalLagSec: 1,
  maxLagGrowthSec: 0.25,
});

/** A probe's shape: how long it warms up, then how long it is measured. */
export interface ProbeWindow {
  warmupSec: number;
  windowSec: number;
}

export type ProbeRecord = z.infer<typeof probeRecordSchema>;
export type PipelineId = z.infer<typeof pipelineIdSchema>;
export type ClientPipelineId = z.infer<typeof clientPipelineIdSchema>;
export { PIPELINE_IDS, CLIENT_PIPELINE_IDS };
export type RawClientFigures = z.infer<typeof rawClientFiguresSchema>;
export type PerRecordReport = z.infer<typeof perRecordReportSchema>;
export type PipelineReport = z.infer<typeof pipelineReportSchema>;
export type TargetCheck = z.infer<typeof targetCheckSchema>;
export type BenchReport = z.infer<typeof benchReportSchema>;
export type BenchMode = BenchReport['mode'];

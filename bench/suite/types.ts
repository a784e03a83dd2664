import type { LatencySummary } from '../latency-histogram.js';

/** CPU and memory of one process (all of its threads: workers, librdkafka, the in-process brokers). */
export interface ResourceUsage {
  cpuUserMs: number;
  cpuSystemMs: number;
  maxRssMb: number;
}

/** A sample of the consumer lag, once a second while a probe runs. */
export interface LagPoint {
  /** Seconds since the schedule started. */
  t: number;
  lagTicks: number;
}

/**
 * What the suite reads from any probe's `--json` output: the fields of `RunResult` the judgement
 * needs, which the naive pipeline prints in the same shape.
 */
export interface ProbeOutput {
  status: 'ok' | 'interrupted';
  config: { rate: number; durationSec: number };
  ticks: { produced: number; acked: number; failed: number; consumed: number; lost: number; evicted: number; duplicated: number };
  throughput: { offeredTicksPerSec: number; ticksPerSec: number };
  latency: { e2e: LatencySummary };
  timeline: LagPoint[];
  resources?: ResourceUsage;
}

/** When a probed rate counts as sustained. Stated in the output next to every figure. */
export interface SustainCriteria {
  /** Analysed distinct ticks/s must be at least this fraction of the offered rate. */
  minAnalysedFraction: number;
  /** End-to-end p99 over the whole probe (warm-up included) must be at most this. */
  maxP99Us: number;
  /** Consumer lag at the end of the sending window must be at most this many seconds of offered ticks. */
  maxFinalLagSec: number;
}

export const DEFAULT_CRITERIA: Readonly<SustainCriteria> = Object.freeze({
  minAnalysedFraction: 0.97,
  maxP99Us: 1_000_000,
  maxFinalLagSec: 1,
});

export interface ProbeRecord {
  /** Offered ticks/s. */
  rate: number;
  durationSec: number;
  sustained: boolean;
  /** Why not sustained (empty when sustained). */
  reasons: string[];
  wallSec: number;
  /** Absent when the probe did not produce a result (crashed, killed after its deadline). */
  ticksPerSec?: number;
  lost?: number;
  evicted?: number;
  finalLagTicks?: number;
  latency?: Pick<LatencySummary, 'p50' | 'p99' | 'p999' | 'max'>;
  cpuMsPerMillionTicks?: number;
  maxRssMb?: number;
}

export type PipelineId = 'limit' | 'naive' | 'confluent' | 'kafkajs';
export const PIPELINE_IDS: readonly PipelineId[] = ['limit', 'naive', 'confluent', 'kafkajs'];

export interface PipelineReport {
  id: PipelineId;
  label: string;
  description: string;
  /**
   * The highest offered rate judged sustained (ticks/s); for the no-transport limit, the measured
   * generation + analytics rate. 0 when even the lowest probed rate failed.
   */
  maxTicksPerSec: number;
  /** Analysed ticks/s measured in the probe at `maxTicksPerSec`. */
  analysedTicksPerSec: number;
  /** End-to-end latency at half the sustainable rate, µs; null for the no-transport limit (no transport to measure). */
  latencyAtHalf: { rate: number; p50: number; p99: number; p999: number; max: number } | null;
  /** Process CPU (user + system, every thread) per million ticks analysed, at the sustainable rate. */
  cpuMsPerMillionTicks: number | null;
  /** The same at half the sustainable rate. */
  cpuMsPerMillionTicksAtHalf: number | null;
  /** Peak resident memory of the process at the sustainable rate. */
  peakRssMb: number | null;
  peakRssMbAtHalf: number | null;
  probes: ProbeRecord[];
}

export interface TargetCheck {
  name: string;
  target: string;
  reached: string;
  pass: boolean;
}

export interface BenchReport {
  tool: 'tick-firehose';
  kind: 'bench';
  version: 1;
  status: 'ok' | 'interrupted';
  mode: BenchMode;
  startedAt: string;
  finishedAt: string;
  wallSec: number;
  machine: { cpus: number; node: string; platform: string };
  criteria: SustainCriteria & { lost: 0; evicted: 0; probeSec: number; latencyAtFractionOfMax: number };
  workload: { instruments: number; venues: number; partitions: number; ticksPerRecord: number; workers: number; seed: number };
  pipelines: Partial<Record<PipelineId, PipelineReport>>;
  best: { pipeline: 'confluent' | 'kafkajs'; ticksPerSec: number } | null;
  ratios: {
    /** Best of this pipeline (confluent, kafkajs) over the naive baseline's sustainable rate. */
    vsNaive: number | null;
    /** Best of this pipeline over the no-transport limit. */
    vsLimit: number | null;
    confluentVsKafkajs: number | null;
  };
  targets: TargetCheck[];
  notes: string[];
}

export type BenchMode = 'full' | 'quick' | 'tiny';

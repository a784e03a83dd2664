import type { LatencySummary } from '../metrics/latency-histogram.js';
import type { KafkaToolPeers } from './kafka-tools-peers.js';

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
  latency: { e2e: LatencySummary };
  timeline: LagPoint[];
  resources?: ResourceUsage;
}

/**
 * When a probed rate counts as sustained. Stated in the output next to every figure.
 *
 * A probe sends for `warmupSec + windowSec`; the lag and p99 criteria apply to the measuring
 * window after the warm-up (connections, JIT, the first fetches), the loss and rate criteria to
 * the whole probe.
 */
export interface SustainCriteria {
  /**
   * The distinct ticks analysed must be at least this fraction of the ticks offered over the
   * sending time (offered rate × duration). A count, not a rate over the time the last tick took to
   * arrive: that time includes the end-to-end latency of the last ticks, which a short probe cannot
   * absorb (1.5 s probes failed at 90% with a 150 ms tail), and latency has its own criterion.
   */
  minAnalysedFraction: number;
  /** In every second of the measuring window, the end-to-end p99 of the ticks analysed in that second must be at most this. */
  maxP99Us: number;
  /** Consumer lag at the end of the window must be at most this many seconds of offered ticks. */
  maxFinalLagSec: number;
  /** ... and must not have grown over the window by more than this many seconds of offered ticks (bounded, not diverging). */
  maxLagGrowthSec: number;
}

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

export interface ProbeRecord {
  /** Offered ticks/s. */
  rate: number;
  /** Sending time in all: warm-up plus measuring window. */
  durationSec: number;
  warmupSec: number;
  sustained: boolean;
  /** Why not sustained (empty when sustained). */
  reasons: string[];
  wallSec: number;
  /** Absent when the probe did not produce a result (crashed, killed after its deadline). */
  ticksPerSec?: number;
  /** Distinct ticks analysed ÷ ticks offered over the sending time. */
  analysedFraction?: number;
  lost?: number;
  evicted?: number;
  /** Lag when the window started and when it ended. */
  windowStartLagTicks?: number;
  finalLagTicks?: number;
  /** Highest per-second p99 in the measuring window, µs. */
  windowMaxP99Us?: number;
  /** The whole probe's end-to-end latency (warm-up included), µs. */
  latency?: Pick<LatencySummary, 'p50' | 'p99' | 'p999' | 'max'>;
  cpuMsPerMillionTicks?: number;
  maxRssMb?: number;
}

export type PipelineId = 'limit' | 'naive' | 'confluent' | 'kafkajs' | 'platformatic';
export const PIPELINE_IDS: readonly PipelineId[] = ['limit', 'naive', 'confluent', 'kafkajs', 'platformatic'];
/** The pipelines of this project, one per client library. */
export type ClientPipelineId = 'confluent' | 'kafkajs' | 'platformatic';
export const CLIENT_PIPELINE_IDS: readonly ClientPipelineId[] = ['confluent', 'kafkajs', 'platformatic'];

/** One client alone (no generation, no analytics) at one record size, measured in the same bench run. */
export interface RawClientFigures {
  ticksPerRecord: number;
  recordBytes: number;
  produceRecordsPerSec: number | null;
  consumeRecordsPerSec: number | null;
  /** Passes over the prefilled topic the consume figure comes from. */
  consumePasses: number | null;
  cpuMsTotal: number | null;
  errors: string[];
}

/** The pipeline at one tick per record (every detector on), against the same client alone. */
export interface PerRecordReport {
  /** Highest sustained records/s (= ticks/s at one tick per record). */
  maxRecordsPerSec: number;
  rawConsumeRecordsPerSec: number | null;
  /** maxRecordsPerSec ÷ rawConsumeRecordsPerSec: what share of the client's own consume rate the pipeline keeps. */
  vsRawConsume: number | null;
  cpuMsPerMillionTicks: number | null;
  probes: ProbeRecord[];
}

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
  latencyAtHalf: {
    rate: number;
    p50: number;
    p99: number;
    p999: number;
    max: number;
    windowMaxP99Us: number | null;
    /** HDR p99 with the warm-up excluded; null until runs report a warm-up phase separately (--warmup). */
    p99AfterWarmup: number | null;
  } | null;
  /** At 10% of the sustained rate in the latency profile; null until runs offer --profile latency. */
  latencyAtTenth: { rate: number; p50: number; p99: number } | null;
  /** The client alone in the same run: at this pipeline's record size and at one tick per record. */
  raw: { atPipelineRecordSize: RawClientFigures | null; atOneTickPerRecord: RawClientFigures | null } | null;
  /** Pipeline ticks/s ÷ (the client's own consume-only records/s × ticks per record), at the pipeline's record size. */
  vsRawConsume: number | null;
  /** The pipeline at --ticks-per-record 1 (only for the clients the mode measures it for). */
  perRecord: PerRecordReport | null;
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
  /** The 1-minute load average before and after: other work on the machine skews the figures. */
  machine: {
    cpus: number;
    node: string;
    platform: string;
    loadAverageAtStart: number;
    loadAverageAtEnd: number;
    /** Logical cores and the CPU model as the OS reports them. */
    cores: number;
    cpuModel: string;
    /** 1-, 5- and 15-minute load averages when the suite started. */
    loadAveragesAtStart: [number, number, number];
  };
  criteria: SustainCriteria & ProbeWindow & { lost: 0; evicted: 0; latencyAtFractionOfMax: number };
  workload: { instruments: number; venues: number; partitions: number; ticksPerRecord: number; workers: number; seed: number };
  pipelines: Partial<Record<PipelineId, PipelineReport>>;
  best: { pipeline: ClientPipelineId; ticksPerSec: number } | null;
  ratios: {
    /** Best of this pipeline (confluent, kafkajs) over the naive baseline's sustainable rate. */
    vsNaive: number | null;
    /** Best of this pipeline over the no-transport limit. */
    vsLimit: number | null;
    confluentVsKafkajs: number | null;
    kafkajsVsConfluent: number | null;
    platformaticVsConfluent: number | null;
    /** Confluent pipeline at one tick per record ÷ the Confluent client's own consume-only rate of 72-byte records, same run. */
    perRecordVsRawConsume: number | null;
  };
  targets: TargetCheck[];
  notes: string[];
  /** Kafka's own perf tools on the same (real, local) cluster in the same run; absent on the mock. */
  peers?: KafkaToolPeers;
}

export type BenchMode = 'full' | 'quick' | 'tiny';

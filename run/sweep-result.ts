import { z } from 'zod';

/**
 * `sweep.json` of `firehose sweep --find-capacity`: capacity and latency–throughput curves per
 * setting, with medians and intervals over repeats, and the verdict. Defined here (before report/
 * and bench/) so that the sweep writes it, the page renders it and tests read it back through one
 * schema.
 */

export const LIMITING_SIDES = ['producer', 'broker', 'consumer', 'workers'] as const;
export type LimitingSide = (typeof LIMITING_SIDES)[number];

const count = z.number().min(0);

export const sweepSettingSchema = z.object({
  partitions: z.number().int().min(1),
  workers: z.number().int().min(1),
  client: z.string(),
  ticksPerRecord: z.number().int().min(1),
});
export type SweepSetting = z.infer<typeof sweepSettingSchema>;

/** Which side limits a setting, and the figures that say so. */
export const limitingSchema = z.object({
  side: z.enum(LIMITING_SIDES),
  /** One line a person can check: the stage p99s and CPU that decided it. */
  evidence: z.string(),
  /** The offered rate of the probe the judgement was made on. */
  atRate: count,
});
export type Limiting = z.infer<typeof limitingSchema>;

/** One probe as the sweep keeps it (a `firehose run` child, judged like `bench` judges one). */
export const sweepProbeSchema = z.object({
  phase: z.enum(['search', 'curve']),
  repeat: z.number().int().min(1),
  rate: count,
  sustained: z.boolean(),
  reasons: z.array(z.string()),
  wallSec: count,
  ticksPerSec: count.optional(),
  p50: count.optional(),
  p99: count.optional(),
  /** Per-second p99s of the measuring window (after the warm-up), µs. */
  windowP99s: z.array(count).optional(),
  /** p99 of each latency stage over the whole probe, µs. */
  stagesP99: z.record(z.string(), count).optional(),
  producedTicksPerSec: count.optional(),
  /** Cores used by the whole process, and by its busiest thread (0..1 of a core), while it ran. */
  cpuCores: count.optional(),
  busiestThreadCore: count.optional(),
  mainThreadCore: count.optional(),
  /** The machine's 1-minute load average when the probe ended: other work competing for the cores. */
  loadAverage: count.optional(),
  /** Ticks acknowledged but never read (the drain gave up): they stay in the topic. */
  lost: count.optional(),
  /** Failed only on lag or p99 with nothing lost (bench's rule for probing the rate once more). */
  marginal: z.boolean().optional(),
  /**
   * Where the probe's wall time went, seconds: process start and module loading (boot), topic,
   * consumer group join, priming and warm-up (startup), the schedule (sending), flush, drain and
   * close (end).
   */
  timings: z.object({ bootSec: count, startupSec: count, sendingSec: count, endSec: count }).optional(),
});
export type SweepProbe = z.infer<typeof sweepProbeSchema>;

/** A median and its interval. */
export const estimateSchema = z.object({ median: count, low: count, high: count });
export type Estimate = z.infer<typeof estimateSchema>;

export const curvePointSchema = z.object({
  /** Share of the setting's median capacity. */
  fraction: z.number().positive(),
  offered: count,
  /** Median over repeats of the whole probe's p50, µs. */
  p50: count,
  p50Low: count,
  p50High: count,
  /** Median of the per-second p99s of the measuring windows, µs (hierarchical bootstrap interval). */
  p99: count,
  p99Low: count,
  p99High: count,
  /** How many of the repeats sustained this rate. */
  sustained: z.number().int().min(0),
  repeats: z.number().int().min(0),
});
export type CurvePoint = z.infer<typeof curvePointSchema>;

export const sweepEntrySchema = z.object({
  label: z.string(),
  settings: sweepSettingSchema,
  /** More partitions than cores on this machine: they cannot all be consumed in parallel here. */
  beyondCores: z.boolean(),
  /** The topic this setting used on a real cluster; null on the embedded mock (one cluster per probe). */
  topic: z.string().nullable(),
  capacity: z.object({
    /** Median over repeats of the highest sustained rate. */
    ticksPerSec: count,
    /** Lower end of the interval of that median (bootstrap over repeats). */
    low: count,
    /** Upper end: the same for the lowest rate that failed above it (the search's resolution included). */
    high: count,
    perRepeat: z.array(z.object({ best: count, lowestFailed: count.nullable(), probes: z.number().int().min(0) })),
  }),
  curve: z.array(curvePointSchema),
  limitedBy: limitingSchema.nullable(),
  probes: z.array(sweepProbeSchema),
});
export type SweepEntryResult = z.infer<typeof sweepEntrySchema>;

export const targetAnswerSchema = z.object({
  targetRate: z.number().positive(),
  /** The cheapest setting that carries the target: its label, or null when none does. */
  setting: z.string().nullable(),
  partitions: z.number().int().nullable(),
  /** true: even the low end of its capacity interval carries it; false: only its median does. */
  confident: z.boolean(),
  maxP99Us: count,
  answer: z.string(),
});

export const sweepVerdictSchema = z.object({
  /** The setting to use: the clear winner, or the cheapest of those tied for first. */
  best: z.string().nullable(),
  /** Settings whose capacity interval overlaps the best one's (the best included); empty when there is a clear winner. */
  ties: z.array(z.string()),
  reason: z.string(),
  limitedBy: limitingSchema.nullable(),
  /** The verdict as sentences a person can act on. */
  summary: z.array(z.string()),
  forTargetRate: targetAnswerSchema.optional(),
});
export type SweepVerdict = z.infer<typeof sweepVerdictSchema>;

export const capacitySweepSchema = z.object({
  tool: z.literal('tick-firehose'),
  kind: z.literal('sweep'),
  mode: z.literal('find-capacity'),
  version: z.literal(2),
  status: z.enum(['ok', 'interrupted']),
  startedAt: z.string(),
  finishedAt: z.string(),
  wallSec: count,
  cluster: z.object({
    /** What the probes were given as --brokers ('embedded' or host:port,...). */
    brokers: z.string(),
    kind: z.enum(['mock', 'kafka']),
    /** What happened to the per-setting topics: deleted, kept (--keep-topics), or not deletable (mock). */
    topics: z.string(),
  }),
  machine: z.object({ cpus: z.number().int().min(1), loadAverageAtStart: count, loadAverageAtEnd: count }),
  criteria: z.object({
    minAnalysedFraction: z.number(),
    maxP99Us: count,
    maxFinalLagSec: count,
    maxLagGrowthSec: count,
    warmupSec: count,
    windowSec: count,
  }),
  repeat: z.number().int().min(1),
  fractions: z.array(z.number().positive()),
  confidence: z.number().positive().max(1),
  targetRate: z.number().positive().nullable(),
  entries: z.array(sweepEntrySchema),
  verdict: sweepVerdictSchema,
  notes: z.array(z.string()),
});
export type CapacitySweep = z.infer<typeof capacitySweepSchema>;

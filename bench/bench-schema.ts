import { z } from 'zod';

/**
 * The shape of bench.json, defined once: the suite's types are derived from these schemas, and a
 * bench.json read back (tests, tools) is checked against them. Figures are µs unless named
 * otherwise; `null` means "not measured in this run", never "zero".
 */

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const nonNegative = finite.refine((x) => x >= 0, 'must be ≥ 0');
const count = z.number().int().min(0);

export const PIPELINE_IDS = ['limit', 'naive', 'confluent', 'kafkajs', 'platformatic'] as const;
export const pipelineIdSchema = z.enum(PIPELINE_IDS);
/** The pipelines of this project, one per client library. */
export const CLIENT_PIPELINE_IDS = ['confluent', 'kafkajs', 'platformatic'] as const;
export const clientPipelineIdSchema = z.enum(CLIENT_PIPELINE_IDS);
export const BENCH_MODES = ['full', 'quick', 'tiny'] as const;

/** CPU per record by thread, µs: main (event loop: consumer, dispatcher), client (librdkafka), brokers (the in-process mock), other (analytics workers, GC helpers, libuv). */
export const threadCpuSchema = z.object({ main: nonNegative, client: nonNegative, brokers: nonNegative, other: nonNegative });

const latencyPercentiles = z.object({ p50: nonNegative, p99: nonNegative, p999: nonNegative, max: nonNegative });

export const probeRecordSchema = z.object({
  /** Offered ticks/s. */
  rate: nonNegative,
  /** Sending time in all: warm-up plus measuring window. */
  durationSec: nonNegative,
  warmupSec: nonNegative,
  sustained: z.boolean(),
  /** Why not sustained (empty when sustained). */
  reasons: z.array(z.string()),
  wallSec: nonNegative,
  /** --profile of the run (absent: the default, throughput). */
  profile: z.enum(['throughput', 'latency']).optional(),
  /** Absent when the probe did not produce a result (crashed, killed after its deadline). */
  ticksPerSec: nonNegative.optional(),
  /** Distinct ticks analysed ÷ ticks offered over the sending time. */
  analysedFraction: nonNegative.optional(),
  lost: count.optional(),
  evicted: count.optional(),
  /** Lag when the window started and when it ended. */
  windowStartLagTicks: finite.optional(),
  finalLagTicks: finite.optional(),
  /** Highest per-second p99 in the measuring window, µs. */
  windowMaxP99Us: nonNegative.optional(),
  /** Each second's p99 in the measuring window, in order, µs: whether the tail is steady or grows with the run. */
  windowP99UsBySecond: z.array(nonNegative).optional(),
  /** The whole probe's end-to-end latency (warm-up included), µs. */
  latency: latencyPercentiles.optional(),
  /** End-to-end latency of the ticks intended after the warm-up (the run's --warmup), µs; the whole probe's when it had none. */
  latencyAfterWarmup: latencyPercentiles.optional(),
  cpuMsPerMillionTicks: nonNegative.optional(),
  /**
   * The steady cost: CPU of every thread from the first scheduled tick until the drain ended, per
   * million ticks read in it (no start-up, JIT warm-up, scoring or close). `firehose run` on Linux.
   */
  steadyCpuMsPerMillionTicks: nonNegative.optional(),
  /** The same without the embedded cluster's brokers, which run in the probe's process (0 of it on a real cluster). */
  steadyCpuMsPerMillionTicksWithoutCluster: nonNegative.optional(),
  /** Steady CPU per million ticks of each thread role (main, analytics-workers, embedded-cluster, …; metrics/thread-cpu.ts). */
  steadyCpuMsPerMillionTicksByThread: z.record(z.string(), nonNegative).optional(),
  maxRssMb: nonNegative.optional(),
});

/** One client alone (no generation, no analytics) at one record size, measured in the same bench run. */
export const rawClientFiguresSchema = z.object({
  ticksPerRecord: count,
  recordBytes: count,
  produceRecordsPerSec: nonNegative.nullable(),
  consumeRecordsPerSec: nonNegative.nullable(),
  /** Passes over the prefilled topic the consume figure comes from. */
  consumePasses: count.nullable(),
  /** CPU of the probe's whole process per record over the consume-only passes (client threads and the in-process brokers), µs. */
  consumeCpuUsPerRecord: nonNegative.nullable().optional(),
  consumeCpuUsPerRecordByThread: threadCpuSchema.nullable().optional(),
  cpuMsTotal: nonNegative.nullable(),
  errors: z.array(z.string()),
});

/** The pipeline at one tick per record (every detector on), against the same client alone. */
export const perRecordReportSchema = z.object({
  /** Highest sustained records/s (= ticks/s at one tick per record). */
  maxRecordsPerSec: nonNegative,
  rawConsumeRecordsPerSec: nonNegative.nullable(),
  /** maxRecordsPerSec ÷ rawConsumeRecordsPerSec: what share of the client's own consume rate the pipeline keeps. */
  vsRawConsume: nonNegative.nullable(),
  cpuMsPerMillionTicks: nonNegative.nullable(),
  probes: z.array(probeRecordSchema),
  /**
   * The pipeline's consuming half measured as the raw consume-only probe is: a topic of 72-byte
   * records filled first, then read from the start (consumer group, dispatcher, every detector in
   * the workers, commits after analysis), nothing producing meanwhile, the cluster in the same
   * process. Absent in files written before it existed.
   */
  backlog: z
    .object({
      records: count,
      recordsPerSec: nonNegative.nullable(),
      /** recordsPerSec ÷ the client's consume-only records/s of the same record size, same run. */
      vsRawConsume: nonNegative.nullable(),
      /** CPU of the whole process per record while reading (consumer, workers, in-process brokers), µs. */
      cpuUsPerRecord: nonNegative.nullable(),
      cpuUsPerRecordByThread: threadCpuSchema.nullable(),
      errors: z.array(z.string()),
    })
    .nullable()
    .optional(),
});

export const pipelineReportSchema = z.object({
  id: pipelineIdSchema,
  label: z.string(),
  description: z.string(),
  /**
   * The highest offered rate judged sustained (ticks/s); for the no-transport limit, the measured
   * generation + analytics rate. 0 when even the lowest probed rate failed.
   */
  maxTicksPerSec: nonNegative,
  /**
   * Full mode, client pipelines: the window (s) over which `maxTicksPerSec` held in its
   * confirmation run; null when no confirmation passed in the time budget (the rate is then the
   * search's, from a shorter window). Absent where the mode confirms nothing.
   */
  confirmedWindowSec: nonNegative.nullable().optional(),
  /** Analysed ticks/s measured in the probe at `maxTicksPerSec`. */
  analysedTicksPerSec: nonNegative,
  /**
   * End-to-end latency at half the sustainable rate, µs: p50…max over the whole probe (warm-up
   * included), p99AfterWarmup with the warm-up's ticks left out. Null for the no-transport limit
   * (nothing travels) and for a pipeline that sustained nothing.
   */
  latencyAtHalf: z
    .object({
      rate: nonNegative,
      p50: nonNegative,
      p99: nonNegative,
      p999: nonNegative,
      max: nonNegative,
      windowMaxP99Us: nonNegative.nullable(),
      p99AfterWarmup: nonNegative,
      p999AfterWarmup: nonNegative.optional(),
    })
    .nullable(),
  /**
   * At 10% of the sustained rate in the latency profile (--profile latency), after the warm-up, µs.
   * Null for the no-transport limit, the naive baseline and a pipeline that sustained nothing.
   */
  latencyAtTenth: z
    .object({
      rate: nonNegative,
      p50: nonNegative,
      p99: nonNegative,
      p999: nonNegative.optional(),
      /** The whole probe's p99, warm-up included. */
      p99WholeRun: nonNegative.optional(),
      /** Each second's p99 after the warm-up, µs. */
      p99UsBySecond: z.array(nonNegative).optional(),
      /**
       * Share of the probe's steady CPU spent by the in-process brokers (the librdkafka mock); absent
       * on a real cluster. A high share, with a per-second p99 that grows, says the mock bounds the tail.
       */
      brokerCpuShare: z.number().min(0).max(1).optional(),
    })
    .nullable(),
  /** The client alone in the same run: at this pipeline's record size and at one tick per record. */
  raw: z
    .object({ atPipelineRecordSize: rawClientFiguresSchema.nullable(), atOneTickPerRecord: rawClientFiguresSchema.nullable() })
    .nullable(),
  /** Pipeline ticks/s ÷ (the client's own consume-only records/s × ticks per record), at the pipeline's record size. */
  vsRawConsume: nonNegative.nullable(),
  /** The pipeline at --ticks-per-record 1 (only for the clients the mode measures it for). */
  perRecord: perRecordReportSchema.nullable(),
  /** Process CPU (user + system, every thread) per million ticks analysed, at the sustainable rate. */
  cpuMsPerMillionTicks: nonNegative.nullable(),
  /**
   * At the sustainable rate, the schedule window only (probe steadyCpuMsPerMillionTicks): with the
   * in-process brokers, without them, and per thread role. Absent where the probe could not say.
   */
  steadyCpu: z
    .object({
      cpuMsPerMillionTicks: nonNegative,
      withoutClusterCpuMsPerMillionTicks: nonNegative,
      byThread: z.record(z.string(), nonNegative),
    })
    .nullable()
    .optional(),
  /** The same at half the sustainable rate. */
  cpuMsPerMillionTicksAtHalf: nonNegative.nullable(),
  /** Peak resident memory of the process at the sustainable rate. */
  peakRssMb: nonNegative.nullable(),
  peakRssMbAtHalf: nonNegative.nullable(),
  probes: z.array(probeRecordSchema),
});

export const targetCheckSchema = z.object({ name: z.string(), target: z.string(), reached: z.string(), pass: z.boolean() });

/**
 * When a probed rate counts as sustained. A probe sends for `warmupSec + windowSec`; the lag and
 * p99 criteria apply to the measuring window after the warm-up (connections, JIT, the first
 * fetches), the loss and rate criteria to the whole probe.
 */
export const sustainCriteriaSchema = z.object({
  /**
   * The distinct ticks analysed must be at least this fraction of the ticks offered over the
   * sending time (offered rate × duration). A count, not a rate over the time the last tick took to
   * arrive: that time includes the end-to-end latency of the last ticks, which a short probe cannot
   * absorb (1.5 s probes failed at 90% with a 150 ms tail), and latency has its own criterion.
   */
  minAnalysedFraction: nonNegative,
  /** In every second of the measuring window, the end-to-end p99 of the ticks analysed in that second must be at most this. */
  maxP99Us: nonNegative,
  /** Consumer lag at the end of the window must be at most this many seconds of offered ticks. */
  maxFinalLagSec: nonNegative,
  /** ... and its trend (least-squares slope × window) must not have grown by more than this many seconds of offered ticks (bounded, not diverging). */
  maxLagGrowthSec: nonNegative,
});

const kafkaToolFiguresSchema = z.object({
  tool: z.enum(['ProducerPerformance', 'ConsumerPerformance', 'EndToEndLatency']),
  records: count,
  recordsPerSec: nonNegative,
  mbPerSec: nonNegative,
  /** Produce latency percentiles, ms (ConsumerPerformance has none). */
  latencyMs: z.object({ p50: nonNegative, p99: nonNegative }).nullable(),
  /** How to read the figure (EndToEndLatency is closed loop). */
  note: z.string(),
});

/** bench.json's `peers`: Kafka's tools next to this pipeline, in the same run, on the same cluster. */
export const kafkaToolPeersSchema = z.object({
  cluster: z.object({ kind: z.literal('kafka'), kafkaVersion: z.string(), nodes: count, bootstrapServers: z.string() }),
  recordSize: count,
  records: count,
  acks: z.string(),
  tools: z.array(kafkaToolFiguresSchema),
  /** This pipeline's best sustained rate as MB/s of frames, and its ratio to each tool's MB/s. */
  pipeline: z.object({ ticksPerSec: nonNegative, recordsPerSec: nonNegative, mbPerSec: nonNegative }).nullable(),
  ratios: z.object({ pipelineVsProducerPerformance: nonNegative.nullable(), pipelineVsConsumerPerformance: nonNegative.nullable() }),
  notes: z.array(z.string()),
});

export const benchReportSchema = z.object({
  tool: z.literal('tick-firehose'),
  kind: z.literal('bench'),
  version: z.literal(1),
  status: z.enum(['ok', 'interrupted']),
  mode: z.enum(BENCH_MODES),
  startedAt: z.string(),
  finishedAt: z.string(),
  wallSec: nonNegative,
  /** The 1-minute load average before and after: other work on the machine skews the figures. */
  machine: z.object({
    cpus: count,
    node: z.string(),
    platform: z.string(),
    loadAverageAtStart: nonNegative,
    loadAverageAtEnd: nonNegative,
    /** Logical cores and the CPU model as the OS reports them. */
    cores: count,
    cpuModel: z.string(),
    /** 1-, 5- and 15-minute load averages when the suite started. */
    loadAveragesAtStart: z.tuple([nonNegative, nonNegative, nonNegative]),
  }),
  criteria: sustainCriteriaSchema.extend({
    warmupSec: nonNegative,
    /** The half-rate latency run's warm-up (longer than the search probes'); absent in older reports. */
    halfRateWarmupSec: nonNegative.optional(),
    windowSec: nonNegative,
    lost: z.literal(0),
    evicted: z.literal(0),
    latencyAtFractionOfMax: nonNegative,
    /** The fraction of the sustained rate of the latency-profile probe (latencyAtTenth). */
    latencyProfileAtFractionOfMax: nonNegative.optional(),
  }),
  workload: z.object({
    instruments: count,
    venues: count,
    partitions: count,
    ticksPerRecord: count,
    workers: count,
    seed: z.number().int(),
  }),
  pipelines: z.partialRecord(pipelineIdSchema, pipelineReportSchema),
  best: z.object({ pipeline: clientPipelineIdSchema, ticksPerSec: nonNegative }).nullable(),
  ratios: z.object({
    /** Best of this pipeline over the naive baseline's sustainable rate. */
    vsNaive: nonNegative.nullable(),
    /** Best of this pipeline over the no-transport limit. */
    vsLimit: nonNegative.nullable(),
    confluentVsKafkajs: nonNegative.nullable(),
    kafkajsVsConfluent: nonNegative.nullable(),
    platformaticVsConfluent: nonNegative.nullable(),
    /** Confluent pipeline at one tick per record ÷ the Confluent client's own consume-only rate of 72-byte records, same run. */
    perRecordVsRawConsume: nonNegative.nullable(),
    /** The same pipeline reading a prefilled topic (perRecord.backlog) ÷ the client's own consume-only rate: like for like. */
    perRecordBacklogVsRawConsume: nonNegative.nullable().optional(),
  }),
  targets: z.array(targetCheckSchema),
  notes: z.array(z.string()),
  /** Kafka's own perf tools on the same (real, local) cluster in the same run; absent on the mock. */
  peers: kafkaToolPeersSchema.optional(),
});

/**
 * What `report`, `compare` and `report merge` accept from a result.json or a part file: every
 * field they read, with bounds, so a hostile or damaged file is refused with one line naming the
 * file and the field instead of a stack trace, a huge allocation or a wrong count. Objects are
 * loose (fields this version does not know are kept), so newer minor additions still read; a
 * `schemaVersion` this version does not know is refused.
 */
import { z } from 'zod';
import { CLIENT_KINDS, COMPRESSION_CODECS } from '../kafka/client.js';
import { MAX_SOURCES, MAX_TICKS_PER_SOURCE } from '../metrics/delivery-ledger.js';
import { THREAD_ROLES } from '../metrics/thread-cpu.js';
import { MAX_DETECTIONS_PER_KIND } from '../analytics/detection-log.js';
import { MAX_CELLS } from '../analytics/analytics-state.js';
import { COUNTER_FIELDS } from '../analytics/analytics-counters.js';
import { LATENCY_STAGES, RESULT_SCHEMA_VERSION } from './run-result.js';

/** Layouts this version reads; files without the field are older ones, read as version 1. */
export const READABLE_SCHEMA_VERSIONS: readonly number[] = [RESULT_SCHEMA_VERSION];

/** Partition ids a file may name (the option's own limit). */
export const MAX_PARTITIONS = 1024;
/** Longest encoded (compressed, base64) histogram or ledger a file may hold. */
export const MAX_ENCODED_CHARS = 8 * 1024 * 1024;

const count = z.number().min(0).max(Number.MAX_SAFE_INTEGER);
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const finite = z.number();
const text = (max = 2000) => z.string().max(max);
const encoded = z
  .string()
  .max(MAX_ENCODED_CHARS)
  .regex(/^[A-Za-z0-9+/=]*$/, 'must be base64');
const partitionKey = z
  .string()
  .regex(/^\d{1,4}$/, 'must be a partition id')
  .refine((k) => Number(k) < MAX_PARTITIONS, `must be a partition id below ${MAX_PARTITIONS}`);
const sourceKey = z
  .string()
  .regex(/^\d{1,2}$/, 'must be a source id')
  .refine((k) => Number(k) < MAX_SOURCES, `must be a source id below ${MAX_SOURCES}`);
const perPartition = <T extends z.ZodType>(value: T) => z.record(partitionKey, value);
const byPartition = z.array(count).max(MAX_PARTITIONS);

/** Any JSON of bounded size, finite numbers only: for sections only rendered, never computed on. */
type Json = number | string | boolean | null | Json[] | { [key: string]: Json };
const json: z.ZodType<Json> = z.lazy(() =>
  z.union([finite, text(), z.boolean(), z.null(), z.array(json).max(4096), z.record(text(200), json)]),
);

const latencySummary = z.looseObject({
  count,
  min: count,
  mean: count,
  p50: count,
  p90: count,
  p99: count,
  p999: count,
  p9999: count,
  max: count,
});

const timelinePoint = z.looseObject({ t: finite, producedTicks: count, consumedTicks: count, lagTicks: finite, p99Us: count });

const faultEvent = z.looseObject({ atSec: finite, kind: text(40), phase: z.enum(['start', 'end']), detail: text(500) });

/**
 * The resolved configuration a result records (run/run-config.ts storedConfig), with the option
 * limits. Files written before --frame-linger name it `lingerMs` only: read as frameLingerMs.
 */
const storedConfig = z
  .looseObject({
    brokers: text().nullable(),
    client: z.enum(CLIENT_KINDS),
    topic: text(249),
    partitions: int(1, MAX_PARTITIONS),
    workers: int(1, 1024),
    rate: z.number().positive().max(1e9),
    durationSec: z.number().positive().max(1e7),
    ticks: int(1, MAX_TICKS_PER_SOURCE),
    instruments: int(1, 1_000_000),
    venues: int(1, 64),
    ticksPerRecord: int(1, 0xffff),
    compression: z.enum(COMPRESSION_CODECS).optional(),
    sourceId: int(0, MAX_SOURCES - 1),
    market: z.enum(['fair-value', 'simple']).optional(),
    inject: text(40).optional(),
    faults: z.array(json).max(64).optional(),
    thresholds: json.optional(),
    frameLingerMs: z.number().min(0).max(10_000).optional(),
    lingerMs: z.number().min(0).max(10_000).optional(),
  })
  .transform((c) => (c.frameLingerMs === undefined && c.lingerMs !== undefined ? { ...c, frameLingerMs: c.lingerMs } : c));

const cluster = z.looseObject({
  embedded: z.boolean(),
  bootstrapServers: text(),
  brokers: int(0, 1_000_000),
  metadata: json.nullable().optional(),
  // Which cluster ran: real Kafka (and its version) or the mock; absent in older files.
  kind: z.enum(['kafka', 'mock']).optional(),
  kafkaVersion: text(40).nullable().optional(),
  local: z.boolean().optional(),
});

/** The analytics counters, from their one field list (analytics/analytics-counters.ts); each optional (older parts lack newer ones). */
const counterValue = z.union([count, z.array(count).max(1024)]);
const counters = z
  .object(
    Object.fromEntries(
      Object.entries(COUNTER_FIELDS).map(([name, kind]) => [name, (kind === 'array' ? z.array(count).max(1024) : count).optional()]),
    ),
  )
  .catchall(counterValue)
  .refine((c) => Object.keys(c).every((k) => k.length <= 64), 'counter names are at most 64 characters');

const injectedTruth = z.looseObject({
  counts: z.record(text(64), count),
  sources: z.looseObject({
    biasedVenue: int(-1, 63),
    frozenVenue: int(-1, 63),
    panelEvery: count,
    noiseSpreads: z.array(finite).max(64),
    noiseBps: z.array(finite).max(64),
  }),
});

const versioned = {
  tool: z.literal('tick-firehose', 'must be "tick-firehose"'),
  schemaVersion: z.number().optional(),
  startedAt: text(64),
  finishedAt: text(64),
  config: storedConfig,
  cluster,
  timeline: z.array(timelinePoint).max(1_000_000),
};

export const runResultSchema = z.looseObject({
  ...versioned,
  version: z.number().optional(),
  status: z.enum(['ok', 'interrupted']).optional(),
  ticks: z.looseObject({
    generated: count,
    produced: count,
    acked: count,
    failed: count,
    indeterminate: count.optional(),
    consumed: count,
    distinctConsumed: count,
    lost: count,
    duplicated: count,
    evicted: count,
    deadLettered: count,
    unchecked: count,
  }),
  throughput: z.looseObject({
    offeredTicksPerSec: count,
    producedTicksPerSec: count,
    ticksPerSec: count,
    recordsPerSec: count,
    megabytesPerSec: count,
  }),
  latency: z.looseObject({
    ...(Object.fromEntries(LATENCY_STAGES.map((s) => [s, latencySummary])) as Record<
      (typeof LATENCY_STAGES)[number],
      typeof latencySummary
    >),
    // --warmup: the warm-up's ticks and the whole run beside the headline.
    warmup: latencySummary.optional(),
    wholeRun: latencySummary.optional(),
  }),
  warmup: z.looseObject({ durationSec: finite, ticks: count }).optional(),
  partitions: z
    .array(
      z.looseObject({
        partition: int(0, MAX_PARTITIONS - 1),
        ackedTicks: count,
        consumedTicks: count,
        lagTicks: count,
        p50: count,
        p99: count,
        max: count,
      }),
    )
    .max(MAX_PARTITIONS),
  analytics: json,
  histograms: z.looseObject({ e2eByPartition: perPartition(encoded), stages: z.record(text(40), encoded), warmup: encoded.optional() }),
  faults: z.array(faultEvent).max(10_000).default([]),
  malformedInjected: count.default(0),
  records: z.looseObject({ analysed: count, deadLettered: count, malformed: count, alertsPublished: count.optional() }).optional(),
  thresholds: z
    .array(z.looseObject({ name: text(100), limit: text(200), actual: finite, pass: z.boolean() }))
    .max(100)
    .default([]),
  warnings: z.array(text()).max(1000).default([]),
  problems: z
    .array(z.looseObject({ code: text(40), message: text() }))
    .max(1000)
    .optional(),
  resources: z
    .looseObject({
      cpuUserMs: count,
      cpuSystemMs: count,
      maxRssMb: count,
      threads: z
        .array(z.looseObject({ role: z.enum(THREAD_ROLES), threads: count, cpuMs: count, scheduleCpuMs: count }))
        .max(THREAD_ROLES.length)
        .optional(),
      schedule: z.looseObject({ sec: count, ticks: count, cpuMs: count, clusterCpuMs: count }).optional(),
    })
    .optional(),
});

const produceStats = z.looseObject({
  produced: int(0, MAX_TICKS_PER_SOURCE),
  acked: int(0, MAX_TICKS_PER_SOURCE),
  failed: count,
  indeterminate: count.optional(),
  framesAcked: count,
  ackedByPartition: byPartition,
  endOffsetByPartition: z.array(z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER)).max(MAX_PARTITIONS),
  firstError: text().nullable(),
  startUs: count,
  lastSentUs: count,
});

const probability = z.number().min(0).max(1);
/**
 * A fair-value stream's spec (loadgen/fair-value-market.ts FairValueStreamSpec): merge regenerates
 * the stream from it, so every number that sizes memory or work is bounded (cells as a run's,
 * the Student-t's ν loop, the market's time scale).
 */
const fairValueStreamSpec = z.looseObject({
  market: z.literal('fair-value'),
  seed: int(0, 0xffffffff),
  options: z
    .looseObject({
      instruments: int(1, 1_000_000),
      venues: int(2, 64),
      ratePerSec: z.number().positive().max(1e9),
      tickBps: z.number().positive().max(1000),
      volBpsPerSqrtSec: z.number().min(0).max(1000),
      tailNu: int(3, 100),
      noiseBaseBps: z.number().min(0).max(1000),
      noiseStepBps: z.number().min(0).max(1000),
      maxLagMs: z.number().min(0).max(10_000),
      staleProb: probability,
      newsProb: probability,
      newsBps: z.number().min(0).max(10_000),
      spikeProb: probability,
      spikeMinSigma: z.number().min(0).max(1000),
      spikeMaxSigma: z.number().min(0).max(1000),
      decimalShiftProb: probability,
      dislocationProb: probability,
      dislocationBps: z.number().min(0).max(10_000),
      dislocationUpdates: int(0, 0xffff),
      spreadTicks: int(1, 10_000),
      faultyEvery: int(0, 1_000_000),
      biasTicks: z.number().min(0).max(10_000),
      fxCurrencies: int(0, 10),
      keyGroups: int(1, 1_000_000),
    })
    .refine((o) => o.instruments * o.venues <= MAX_CELLS, `instruments × venues must be at most ${MAX_CELLS}`),
  ticks: int(1, MAX_TICKS_PER_SOURCE),
  startUs: count,
  ratePerSec: z.number().positive().max(1e9),
  generated: int(0, MAX_TICKS_PER_SOURCE),
  checksum: finite,
});

const detections = z.looseObject({
  bySource: z.record(
    sourceKey,
    z.looseObject({
      outlier: z.array(int(0, MAX_TICKS_PER_SOURCE)).max(MAX_DETECTIONS_PER_KIND),
      tradeable: z.array(int(0, MAX_TICKS_PER_SOURCE)).max(MAX_DETECTIONS_PER_KIND),
      // Absent in parts written before triangles were scored.
      triangular: z.array(int(0, MAX_TICKS_PER_SOURCE)).max(MAX_DETECTIONS_PER_KIND).optional(),
    }),
  ),
  truncated: count,
});

const loadgenPart = z.looseObject({
  sourceId: int(0, MAX_SOURCES - 1),
  generated: count,
  stats: produceStats,
  produceHistogram: encoded,
  interrupted: z.boolean(),
  injected: injectedTruth.nullable().optional(),
  truth: fairValueStreamSpec.nullable().optional(),
});

const ingestPart = z.looseObject({
  consumedTicks: count,
  frames: count,
  malformedFrames: count,
  failedAttempts: count,
  deadLetteredRecords: count,
  deadLetteredTicks: count,
  evictedRecords: count,
  alertsPublished: count.optional(),
  firstConsumedUs: count,
  lastConsumedUs: count,
  consumedByPartition: perPartition(count),
  assignedPartitions: z.array(int(0, MAX_PARTITIONS - 1)).max(MAX_PARTITIONS),
  errors: z.array(text()).max(1000),
  duplicates: count,
  unchecked: count,
  counters,
  sourceScores: z.array(finite).max(64),
  histograms: z.looseObject({ e2eByPartition: perPartition(encoded), stages: z.record(text(40), encoded), warmup: encoded.optional() }),
  ledger: z.looseObject({ capacityPerSource: int(1, MAX_TICKS_PER_SOURCE), seen: z.record(sourceKey, encoded) }),
  detections: detections.optional(),
});

export const partResultSchema = z
  .looseObject({
    ...versioned,
    version: z.number().optional(),
    role: z.enum(['loadgen', 'ingest']),
    loadgen: loadgenPart.optional(),
    ingest: ingestPart.optional(),
  })
  .refine((p) => (p.role === 'loadgen' ? p.loadgen !== undefined : p.ingest !== undefined), {
    message: 'the part of its role is missing',
    path: ['role'],
  });

/** One line for the first problem: `the.field.path: what is wrong`. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
  return `${where}: ${issue.message}`;
}

/** A `schemaVersion` this version cannot read, described; null when it can (absent = an older file, version 1). */
export function unreadableVersion(raw: unknown): string | null {
  if (raw === null || typeof raw !== 'object' || !('schemaVersion' in raw)) return null;
  const v = (raw as { schemaVersion: unknown }).schemaVersion;
  if (typeof v === 'number' && READABLE_SCHEMA_VERSIONS.includes(v)) return null;
  return `schemaVersion ${JSON.stringify(v)?.slice(0, 40)} is not one this firehose reads (${READABLE_SCHEMA_VERSIONS.join(', ')}): use the firehose version that wrote it`;
}

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { defaultReplicationFactor } from '../kafka/replication.js';
import { ledgerBytes, MAX_LEDGER_BYTES, MAX_SOURCES, MAX_TICKS_PER_SOURCE } from '../metrics/delivery-ledger.js';
import { MAX_CELLS } from '../analytics/analytics-state.js';
import { CLIENT_KINDS, COMPRESSION_CODECS, type Acks, type ClientKind, type CompressionCodec } from '../kafka/client.js';
import { FirehoseError } from '../kafka/errors.js';
import { MAX_TICKS_PER_FRAME } from '../wire/tick-frame.js';
import { RUN_DEFAULTS, type RateLimit } from './run-defaults.js';
import { parseFault, type FaultSpec } from './fault-plan.js';
import { PROFILE_SETTINGS, RUN_PROFILES, type RunProfile } from './run-profiles.js';
import { defaultStateDir } from '../kafka/local-cluster/cluster-state.js';
import { LocalCluster } from '../kafka/local-cluster/local-cluster.js';

/** Nodes of the local cluster that is up now, or null (faults name nodes of that cluster). */
function runningLocalNodes(): number | null {
  try {
    return LocalCluster.open(defaultStateDir())?.nodeCount ?? null;
  } catch {
    return null; // a broken state file: cluster up reports it
  }
}

export interface Thresholds {
  maxP50Us?: number;
  maxP99Us?: number;
  maxP999Us?: number;
  maxLost?: number;
  minRate?: RateLimit;
}

/** Everything one load test needs, validated. */
export interface RunConfig {
  /** Bootstrap servers of a cluster given by host:port; null for the embedded and the local cluster. */
  brokers: string | null;
  /**
   * Which cluster: 'embedded' = librdkafka's in-process mock, 'local' = real Apache Kafka JVMs on
   * this machine (firehose cluster up; started for the run if down), 'external' = --brokers host:port.
   */
  clusterKind: ClusterChoice;
  /** Nodes of the local cluster when the run has to start it (1 or 3). */
  localNodes: number;
  embeddedBrokers: number;
  client: ClientKind;
  topic: string;
  partitions: number;
  replicationFactor: number;
  workers: number;
  rate: number;
  durationSec: number;
  ticks: number;
  instruments: number;
  venues: number;
  ticksPerRecord: number;
  lingerMs: number;
  producerLingerMs: number;
  /** --profile: throughput (big batches) or latency (close frames when the producer is idle, no lingers). */
  profile: RunProfile;
  /** Close open frames whenever the producer took everything offered (the latency profile). */
  flushWhenIdle: boolean;
  /** The first seconds of the run, measured apart from the headline latency (0 = none). */
  warmupSec: number;
  /** Generate and encode ticks on a thread of their own; the main thread produces, consumes and orchestrates. */
  loadgenThread: boolean;
  framesPerTask: number;
  requestTimeoutMs: number;
  acks: Acks;
  compression: CompressionCodec;
  idempotent: boolean;
  recreate: boolean;
  seed: number;
  sourceId: number;
  /**
   * The generated market: 'fair-value' (the default: a hidden fair value quoted by lagging,
   * noisy venues on a tick grid, loadgen/fair-value-market.ts; the run is scored against that
   * truth) or 'simple' (one GBM mid per instrument with injected anomalies, loadgen/market-model.ts).
   */
  market: MarketKind;
  /** Labelled anomalies in the generated stream, to score the analytics against ('none' = a clean stream). */
  inject: InjectMode;
  /** Multiplies the default injection rates. */
  injectScale: number;
  out: string;
  json: boolean;
  progress: boolean;
  drainTimeoutSec: number;
  thresholds: Thresholds;
  /** Faults injected into the embedded cluster during the run. */
  faults: FaultSpec[];
  /** Share of records sent malformed (poison pills), 0 for none. */
  injectMalformed: number;
  /** Share of analytics tasks made to throw, plus one worker killed (a test aid), 0 for none. */
  injectWorkerFailures: number;
  /** Serve Prometheus metrics on this port while running (0 = any free port). */
  metricsPort: number | null;
  /** The workload file the options came from, if any. */
  workload: string | null;
}

/** --market: the fair-value market (default) or the simple one. */
export const MARKET_KINDS = ['fair-value', 'simple'] as const;
export type MarketKind = (typeof MARKET_KINDS)[number];

/** --inject: the default labelled anomalies, or none (a clean stream). */
export const INJECT_MODES = ['default', 'none'] as const;
export type InjectMode = (typeof INJECT_MODES)[number];

/** Ticks in one run from one source: its seqs must not wrap (they are 32-bit on the wire). */
export const MAX_RUN_TICKS = Math.min(4_000_000_000, MAX_TICKS_PER_SOURCE);

const hostPort = /^[A-Za-z0-9._-]+:\d{1,5}$/;

export const CLUSTER_CHOICES = ['embedded', 'local', 'external'] as const;
export type ClusterChoice = (typeof CLUSTER_CHOICES)[number];

const intIn = (min: number, max: number) => {
  const range = `must be an integer from ${min} to ${max}`;
  return z.number({ error: range }).int(range).min(min, range).max(max, range);
};
const positiveUpTo = (max: number) => {
  const range = `must be above 0 and at most ${max}`;
  return z.number({ error: range }).positive(range).max(max, range);
};

/** Raw option values, from the command line or a workload file (already parsed from text). */
const rawRunOptions = z
  .object({
    brokers: z
      .string()
      .refine(
        (s) => s === 'local' || s === 'embedded' || s.split(',').every((b) => hostPort.test(b.trim())),
        'must be local, embedded or host:port[,host:port...]',
      )
      .optional(),
    localNodes: z.union([z.literal(1), z.literal(3)], { error: 'must be 1 or 3' }).default(RUN_DEFAULTS.localNodes as 1 | 3),
    embeddedBrokers: intIn(1, 16).default(RUN_DEFAULTS.embeddedBrokers),
    client: z.enum(CLIENT_KINDS).default(RUN_DEFAULTS.client),
    topic: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be 1-200 of [A-Za-z0-9._-]')
      .optional(),
    partitions: intIn(1, 1024).default(RUN_DEFAULTS.partitions),
    replicationFactor: intIn(1, 16).optional(),
    workers: intIn(1, 64).default(RUN_DEFAULTS.workers),
    rate: positiveUpTo(100_000_000).default(RUN_DEFAULTS.rate),
    durationSec: positiveUpTo(86_400).default(RUN_DEFAULTS.durationSec),
    ticks: intIn(1, MAX_RUN_TICKS).optional(),
    instruments: intIn(1, 1_000_000).default(RUN_DEFAULTS.instruments),
    venues: intIn(2, 64).default(RUN_DEFAULTS.venues),
    ticksPerRecord: intIn(1, MAX_TICKS_PER_FRAME).default(RUN_DEFAULTS.ticksPerRecord),
    lingerMs: z.number().min(0, 'must be from 0 to 10000').max(10_000, 'must be from 0 to 10000').optional(),
    producerLingerMs: z.number().min(0, 'must be from 0 to 10000').max(10_000, 'must be from 0 to 10000').optional(),
    profile: z.enum(RUN_PROFILES).default(RUN_DEFAULTS.profile),
    loadgenThread: z.boolean().default(false),
    warmupSec: z
      .number({ error: 'must be a duration from 0 to 3600 s' })
      .min(0, 'must be a duration from 0 to 3600 s')
      .max(3600, 'must be a duration from 0 to 3600 s')
      .default(RUN_DEFAULTS.warmupSec),
    framesPerTask: intIn(1, 1024).default(RUN_DEFAULTS.framesPerTask),
    requestTimeoutMs: intIn(100, 300_000).default(5_000),
    acks: z.enum(['all', '-1', '0', '1']).default('all'),
    compression: z.enum(COMPRESSION_CODECS).default(RUN_DEFAULTS.compression),
    idempotent: z.boolean().default(false),
    recreate: z.boolean().default(false),
    seed: intIn(0, 0xffffffff).default(RUN_DEFAULTS.seed),
    sourceId: intIn(0, MAX_SOURCES - 1).default(RUN_DEFAULTS.sourceId),
    market: z.enum(MARKET_KINDS).default(RUN_DEFAULTS.market),
    inject: z.enum(INJECT_MODES).default('default'),
    injectScale: z
      .number({ error: 'must be a number from 0 to 100' })
      .min(0, 'must be a number from 0 to 100')
      .max(100, 'must be a number from 0 to 100')
      .default(1),
    out: z.string().min(1).optional(),
    json: z.boolean().default(false),
    progress: z.boolean().default(true),
    drainTimeoutSec: positiveUpTo(3600).default(RUN_DEFAULTS.drainTimeoutSec),
    maxP50Us: positiveUpTo(3.6e9).optional(),
    maxP99Us: positiveUpTo(3.6e9).optional(),
    maxP999Us: positiveUpTo(3.6e9).optional(),
    maxLost: z.number().int('must be a whole number of ticks').min(0, 'must be 0 or more').optional(),
    minRate: z.object({ kind: z.enum(['percent', 'absolute']), value: z.number().positive('must be above 0') }).optional(),
    workload: z.string().optional(),
    metricsPort: intIn(0, 65535).optional(),
    faults: z.array(z.string()).default([]),
    injectMalformed: z.number().min(0, 'must be from 0 to 0.5').max(0.5, 'must be from 0 to 0.5').default(0),
    injectWorkerFailures: z.number().min(0, 'must be from 0 to 0.5').max(0.5, 'must be from 0 to 0.5').default(0),
  })
  .strict();

export type RawRunOptions = z.input<typeof rawRunOptions>;

/** The flag a user typed for an option key (camelCase key → --kebab-case, with the few exceptions). */
export function flagName(key: string): string {
  const special: Record<string, string> = {
    durationSec: '--duration',
    warmupSec: '--warmup',
    localNodes: '--nodes',
    drainTimeoutSec: '--drain-timeout',
    maxP50Us: '--max-p50',
    maxP99Us: '--max-p99',
    maxP999Us: '--max-p999',
  };
  return special[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * A run's id: its start to the millisecond plus a random suffix, so runs started together (a
 * sweep, two terminals, CI) never share a default output directory or topic.
 */
function runId(): string {
  return `${new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 23)}-${randomBytes(3).toString('hex')}`;
}

/** Validates raw options into a RunConfig, or throws a BAD_OPTION error naming the option. */
export function resolveRunConfig(raw: RawRunOptions, where = ''): RunConfig {
  const parsed = rawRunOptions.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      throw new FirehoseError('BAD_OPTION', `${where}unknown option ${issue.keys.map(flagName).join(', ')}`);
    }
    const key = String(issue.path[0] ?? '');
    const received = (raw as Record<string, unknown>)[key];
    const shown = received === undefined || typeof received === 'object' ? '' : `${JSON.stringify(received)} `;
    throw new FirehoseError('BAD_OPTION', `${where}${flagName(key)} ${shown}is invalid: ${issue.message}`);
  }
  const o = parsed.data;
  const clusterKind: ClusterChoice =
    o.brokers === undefined || o.brokers === 'embedded' ? 'embedded' : o.brokers === 'local' ? 'local' : 'external';
  const external = clusterKind === 'external' ? o.brokers! : null;
  // A local cluster that is up is used as it is, whatever --nodes says.
  const localNodes = clusterKind === 'local' ? (runningLocalNodes() ?? o.localNodes) : o.localNodes;
  const brokerCount = external ? external.split(',').length : clusterKind === 'local' ? localNodes : o.embeddedBrokers;
  const replicationFactor = o.replicationFactor ?? defaultReplicationFactor(brokerCount);
  if (clusterKind !== 'external' && replicationFactor > brokerCount) {
    throw new FirehoseError(
      'BAD_OPTION',
      `${where}--replication-factor ${replicationFactor} is invalid: above the ${brokerCount} ${clusterKind === 'local' ? 'local nodes' : 'embedded brokers'}`,
    );
  }
  if (o.client === 'kafkajs' && !['none', 'gzip'].includes(o.compression)) {
    throw new FirehoseError('BAD_OPTION', `${where}--compression ${o.compression} is invalid with --client kafkajs: use none or gzip`);
  }
  if (o.client === 'platformatic' && o.compression === 'zstd') {
    throw new FirehoseError(
      'BAD_OPTION',
      `${where}--compression zstd is invalid with --client platformatic on Node 20: use none, gzip, snappy or lz4`,
    );
  }
  if (external && o.faults.length > 0) {
    throw new FirehoseError(
      'BAD_OPTION',
      `${where}--fault needs the embedded or the local cluster: faults are not injected into --brokers host:port`,
    );
  }
  const ticks = o.ticks ?? Math.max(1, Math.round(o.rate * o.durationSec));
  // The same bounds whichever way the count was given (--ticks, or --rate × --duration): caught
  // here, before a cluster starts, rather than as wrapped seqs or a failed allocation later.
  const countFlags = o.ticks !== undefined ? '--ticks' : '--rate × --duration';
  if (ticks > MAX_RUN_TICKS) {
    throw new FirehoseError(
      'BAD_OPTION',
      `${where}${countFlags} is invalid: ${ticks} ticks, more than ${MAX_RUN_TICKS} (tick sequence numbers are 32-bit)`,
    );
  }
  if (ledgerBytes(o.sourceId + 1, ticks) > MAX_LEDGER_BYTES) {
    throw new FirehoseError(
      'BAD_OPTION',
      `${where}${countFlags} is invalid with --source-id ${o.sourceId}: the delivery ledger would need ${Math.ceil(ledgerBytes(o.sourceId + 1, ticks) / 2 ** 20)} MiB, more than ${MAX_LEDGER_BYTES / 2 ** 20} MiB`,
    );
  }
  if (o.instruments * o.venues > MAX_CELLS) {
    throw new FirehoseError(
      'BAD_OPTION',
      `${where}--instruments × --venues is invalid: ${o.instruments} × ${o.venues} is more than ${MAX_CELLS} instrument-venue cells`,
    );
  }
  const durationSec = o.ticks !== undefined ? o.ticks / o.rate : o.durationSec;
  if (o.warmupSec > 0 && o.warmupSec >= durationSec) {
    throw new FirehoseError('BAD_OPTION', `${where}--warmup ${o.warmupSec}s is invalid: must be shorter than the run (${durationSec} s)`);
  }
  const profile = PROFILE_SETTINGS[o.profile];
  const id = runId();
  const thresholds: Thresholds = {};
  if (o.maxP50Us !== undefined) thresholds.maxP50Us = o.maxP50Us;
  if (o.maxP99Us !== undefined) thresholds.maxP99Us = o.maxP99Us;
  if (o.maxP999Us !== undefined) thresholds.maxP999Us = o.maxP999Us;
  if (o.maxLost !== undefined) thresholds.maxLost = o.maxLost;
  if (o.minRate !== undefined) thresholds.minRate = o.minRate;
  return {
    brokers: external,
    clusterKind,
    localNodes,
    embeddedBrokers: o.embeddedBrokers,
    client: o.client,
    topic: o.topic ?? `ticks-${id}`,
    partitions: o.partitions,
    replicationFactor,
    workers: o.workers,
    rate: o.rate,
    durationSec,
    ticks,
    instruments: o.instruments,
    venues: o.venues,
    ticksPerRecord: o.ticksPerRecord,
    lingerMs: o.lingerMs ?? profile.lingerMs,
    producerLingerMs: o.producerLingerMs ?? profile.producerLingerMs,
    profile: o.profile,
    flushWhenIdle: profile.flushWhenIdle,
    warmupSec: o.warmupSec,
    loadgenThread: o.loadgenThread,
    framesPerTask: o.framesPerTask,
    requestTimeoutMs: o.requestTimeoutMs,
    acks: o.acks === 'all' ? -1 : (Number(o.acks) as Acks),
    compression: o.compression,
    idempotent: o.idempotent,
    recreate: o.recreate,
    seed: o.seed,
    sourceId: o.sourceId,
    market: o.market,
    inject: o.inject,
    injectScale: o.injectScale,
    out: o.out ?? `results/${id}`,
    json: o.json,
    progress: o.progress,
    drainTimeoutSec: o.drainTimeoutSec,
    thresholds,
    workload: o.workload ?? null,
    metricsPort: o.metricsPort ?? null,
    faults: o.faults.map((spec) => parseFault(spec, durationSec, brokerCount, clusterKind === 'local' ? 'kafka' : 'mock')),
    injectMalformed: o.injectMalformed,
    injectWorkerFailures: o.injectWorkerFailures,
  };
}

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { defaultReplicationFactor } from '../kafka/replication.js';
import { ledgerBytes, MAX_LEDGER_BYTES, MAX_SOURCES, MAX_TICKS_PER_SOURCE } from '../metrics/delivery-ledger.js';
import { MAX_CELLS } from '../analytics/analytics-state.js';
import { CLIENT_KINDS, COMPRESSION_CODECS, type Acks } from '../kafka/client.js';
import { FirehoseError } from '../kafka/errors.js';
import { MAX_TICKS_PER_FRAME } from '../wire/tick-frame.js';
import { RUN_DEFAULTS } from './run-defaults.js';
import { inRange } from './option-range.js';
import { parseFault } from './fault-plan.js';
import { PROFILE_SETTINGS, RUN_PROFILES } from './run-profiles.js';
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

const d = RUN_DEFAULTS;
const int = (min: number, max: number) => inRange(min, max, { integer: true });
const above0 = (max: number) => inRange(0, max, { above: true });

/*
 * The options, by concern, the way OpenMessaging Benchmark keeps the workload apart from the
 * driver: each field once, with its bounds and its default (from RUN_DEFAULTS). Raw values come
 * from the command line or a workload file, already parsed from text; keys are RawRunOptions keys.
 */

/** What is offered: the topic's shape, the tick stream, its rate and length, how ticks are framed. */
const workloadOptions = z.object({
  topic: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be 1-200 of [A-Za-z0-9._-]')
    .optional(),
  partitions: int(1, 1024).default(d.partitions),
  rate: above0(100_000_000).default(d.rate),
  durationSec: above0(86_400).default(d.durationSec),
  ticks: int(1, MAX_RUN_TICKS).optional(),
  instruments: int(1, 1_000_000).default(d.instruments),
  venues: int(2, 64).default(d.venues),
  ticksPerRecord: int(1, MAX_TICKS_PER_FRAME).default(d.ticksPerRecord),
  /** Longest a partly filled frame waits for more ticks (the tool's batching, not Kafka's linger.ms). */
  frameLingerMs: inRange(0, 10_000).optional(),
  /** --profile: throughput (big batches) or latency (close frames when the producer is idle, no lingers). */
  profile: z.enum(RUN_PROFILES).default(d.profile),
  /** The first seconds of the run, measured apart from the headline latency (0 = none). */
  warmupSec: inRange(0, 3600, { what: 'a duration in seconds' }).default(d.warmupSec),
  seed: int(0, 0xffffffff).default(d.seed),
  sourceId: int(0, MAX_SOURCES - 1).default(d.sourceId),
  /**
   * The generated market: 'fair-value' (the default: a hidden fair value quoted by lagging,
   * noisy venues on a tick grid, loadgen/fair-value-market.ts; the run is scored against that
   * truth) or 'simple' (one GBM mid per instrument with injected anomalies, loadgen/market-model.ts).
   */
  market: z.enum(MARKET_KINDS).default(d.market),
  /** Labelled anomalies in the generated stream, to score the analytics against ('none' = a clean stream). */
  inject: z.enum(INJECT_MODES).default(d.inject),
  /** Multiplies the default injection rates. */
  injectScale: inRange(0, 100).default(d.injectScale),
});

/** Which Kafka: embedded mock, local JVMs or host:port; the topic's replication; faults injected into it. */
const clusterOptions = z.object({
  brokers: z
    .string()
    .refine(
      (s) => s === 'local' || s === 'embedded' || s.split(',').every((b) => hostPort.test(b.trim())),
      'must be local, embedded or host:port[,host:port...]',
    )
    .optional(),
  /** Nodes of the local cluster when the run has to start it (1 or 3). */
  localNodes: z.union([z.literal(1), z.literal(3)], { error: 'must be 1 or 3' }).default(d.localNodes),
  embeddedBrokers: int(1, 16).default(d.embeddedBrokers),
  replicationFactor: int(1, 16).optional(),
  recreate: z.boolean().default(d.recreate),
  /** Faults injected into the embedded or local cluster during the run (parsed by run/fault-plan.ts). */
  faults: z.array(z.string()).default([]),
});

/** The producing client and how it sends. */
const producerOptions = z.object({
  client: z.enum(CLIENT_KINDS).default(d.client),
  acks: z.enum(['all', '-1', '0', '1']).default(d.acks),
  compression: z.enum(COMPRESSION_CODECS).default(d.compression),
  idempotent: z.boolean().default(d.idempotent),
  /** The Kafka producer's own linger.ms. */
  producerLingerMs: inRange(0, 10_000).optional(),
  requestTimeoutMs: int(100, 300_000).default(d.requestTimeoutMs),
  /** Generate and encode ticks on a thread of their own; the main thread produces, consumes and orchestrates. */
  loadgenThread: z.boolean().default(d.loadgenThread),
});

/** The consuming side: worker threads, their task size, and how long the drain may stall. */
const ingestOptions = z.object({
  workers: int(1, 64).default(d.workers),
  framesPerTask: int(1, 1024).default(d.framesPerTask),
  drainTimeoutSec: above0(3600).default(d.drainTimeoutSec),
});

/** Where results go and what is shown while running. */
const outputOptions = z.object({
  out: z.string().min(1).optional(),
  json: z.boolean().default(d.json),
  progress: z.boolean().default(d.progress),
  /** Serve Prometheus metrics on this port while running (0 = any free port). */
  metricsPort: int(0, 65535).optional(),
  /** The workload file the options came from, if any. */
  workload: z.string().optional(),
});

/** k6-style pass/fail limits on the finished run (exit 1 when one fails). */
const thresholdOptions = z.object({
  maxP50Us: above0(3.6e9).optional(),
  maxP99Us: above0(3.6e9).optional(),
  maxP999Us: above0(3.6e9).optional(),
  maxLost: inRange(0, Number.POSITIVE_INFINITY, { integer: true, what: 'a whole number of ticks' }).optional(),
  minRate: z.object({ kind: z.enum(['percent', 'absolute']), value: z.number().positive('must be above 0') }).optional(),
});

/** Failures made on purpose, to exercise the dead-letter and retry paths. */
const testAidOptions = z.object({
  /** Share of records sent malformed (poison pills), 0 for none. */
  injectMalformed: inRange(0, 0.5).default(d.injectMalformed),
  /** Share of analytics tasks made to throw, plus one worker killed, 0 for none. */
  injectWorkerFailures: inRange(0, 0.5).default(d.injectWorkerFailures),
});

const OPTION_GROUPS = {
  workload: workloadOptions,
  cluster: clusterOptions,
  producer: producerOptions,
  ingest: ingestOptions,
  output: outputOptions,
  thresholds: thresholdOptions,
  testAids: testAidOptions,
};
type OptionGroup = keyof typeof OPTION_GROUPS;
type GroupedOptions = { [G in OptionGroup]: z.output<(typeof OPTION_GROUPS)[G]> };

/** Raw option values, flat (as the command line and workload files name them). */
const rawRunOptions = z.strictObject({
  ...workloadOptions.shape,
  ...clusterOptions.shape,
  ...producerOptions.shape,
  ...ingestOptions.shape,
  ...outputOptions.shape,
  ...thresholdOptions.shape,
  ...testAidOptions.shape,
});

/** Old raw keys still accepted (programmatic callers), and the key each one is now. */
const RAW_ALIASES: Record<string, keyof z.input<typeof rawRunOptions>> = { lingerMs: 'frameLingerMs' };

export type RawRunOptions = z.input<typeof rawRunOptions> & { /** Old name of frameLingerMs. */ lingerMs?: number };

/** Sorts the flat, validated options into their groups (each key belongs to exactly one). */
function groupOptions(flat: z.output<typeof rawRunOptions>): GroupedOptions {
  const grouped = {} as Record<OptionGroup, Record<string, unknown>>;
  for (const [group, schema] of Object.entries(OPTION_GROUPS) as Array<[OptionGroup, z.ZodObject]>) {
    grouped[group] = {};
    for (const key of Object.keys(schema.shape)) {
      const value = (flat as Record<string, unknown>)[key];
      if (value !== undefined) grouped[group][key] = value;
    }
  }
  return grouped as unknown as GroupedOptions;
}

/** The flag a user typed for an option key (camelCase key → --kebab-case, with the few exceptions). */
export function flagName(key: string): string {
  const special: Record<string, string> = {
    durationSec: '--duration',
    frameLingerMs: '--frame-linger',
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

/**
 * The resolved configuration: the grouped options with what follows from them filled in (the
 * cluster kind, the tick count, the lingers of the profile, a run id's topic and output
 * directory, parsed faults). Cross-field refusals throw a BAD_OPTION FirehoseError naming the flag.
 */
function resolveGroups(o: GroupedOptions, where: string) {
  const { workload: w, cluster: c, producer: p } = o;
  const clusterKind: ClusterChoice =
    c.brokers === undefined || c.brokers === 'embedded' ? 'embedded' : c.brokers === 'local' ? 'local' : 'external';
  const external = clusterKind === 'external' ? c.brokers! : null;
  // A local cluster that is up is used as it is, whatever --nodes says.
  const localNodes = clusterKind === 'local' ? (runningLocalNodes() ?? c.localNodes) : c.localNodes;
  const brokerCount = external ? external.split(',').length : clusterKind === 'local' ? localNodes : c.embeddedBrokers;
  const replicationFactor = c.replicationFactor ?? defaultReplicationFactor(brokerCount);
  if (clusterKind !== 'external' && replicationFactor > brokerCount) {
    throw new FirehoseError(
      'BAD_OPTION',
      `${where}--replication-factor ${replicationFactor} is invalid: above the ${brokerCount} ${clusterKind === 'local' ? 'local nodes' : 'embedded brokers'}`,
    );
  }
  if (p.client === 'kafkajs' && !['none', 'gzip'].includes(p.compression)) {
    throw new FirehoseError('BAD_OPTION', `${where}--compression ${p.compression} is invalid with --client kafkajs: use none or gzip`);
  }
  if (p.client === 'platformatic' && p.compression === 'zstd') {
    throw new FirehoseError(
      'BAD_OPTION',
      `${where}--compression zstd is invalid with --client platformatic on Node 20: use none, gzip, snappy or lz4`,
    );
  }
  if (external && c.faults.length > 0) {
    throw new FirehoseError(
      'BAD_OPTION',
      `${where}--fault needs the embedded or the local cluster: faults are not injected into --brokers host:port`,
    );
  }
  const ticks = w.ticks ?? Math.max(1, Math.round(w.rate * w.durationSec));
  // The same bounds whichever way the count was given (--ticks, or --rate × --duration): caught
  // here, before a cluster starts, rather than as wrapped seqs or a failed allocation later.
  const countFlags = w.ticks !== undefined ? '--ticks' : '--rate × --duration';
  if (ticks > MAX_RUN_TICKS) {
    throw new FirehoseError(
      'BAD_OPTION',
      `${where}${countFlags} is invalid: ${ticks} ticks, more than ${MAX_RUN_TICKS} (tick sequence numbers are 32-bit)`,
    );
  }
  if (ledgerBytes(w.sourceId + 1, ticks) > MAX_LEDGER_BYTES) {
    throw new FirehoseError(
      'BAD_OPTION',
      `${where}${countFlags} is invalid with --source-id ${w.sourceId}: the delivery ledger would need ${Math.ceil(ledgerBytes(w.sourceId + 1, ticks) / 2 ** 20)} MiB, more than ${MAX_LEDGER_BYTES / 2 ** 20} MiB`,
    );
  }
  if (w.instruments * w.venues > MAX_CELLS) {
    throw new FirehoseError(
      'BAD_OPTION',
      `${where}--instruments × --venues is invalid: ${w.instruments} × ${w.venues} is more than ${MAX_CELLS} instrument-venue cells`,
    );
  }
  const durationSec = w.ticks !== undefined ? w.ticks / w.rate : w.durationSec;
  if (w.warmupSec > 0 && w.warmupSec >= durationSec) {
    throw new FirehoseError('BAD_OPTION', `${where}--warmup ${w.warmupSec}s is invalid: must be shorter than the run (${durationSec} s)`);
  }
  const profile = PROFILE_SETTINGS[w.profile];
  const id = runId();
  return {
    workload: {
      ...w,
      topic: w.topic ?? `ticks-${id}`,
      ticks,
      durationSec,
      frameLingerMs: w.frameLingerMs ?? profile.frameLingerMs,
      /** Close open frames whenever the producer took everything offered (the latency profile). */
      flushWhenIdle: profile.flushWhenIdle,
    },
    cluster: {
      ...c,
      /**
       * 'embedded' = librdkafka's in-process mock, 'local' = real Apache Kafka JVMs on this machine
       * (firehose cluster up; started for the run if down), 'external' = --brokers host:port.
       */
      clusterKind,
      /** Bootstrap servers of a cluster given by host:port; null for the embedded and the local cluster. */
      brokers: external,
      localNodes,
      replicationFactor,
      faults: c.faults.map((spec) => parseFault(spec, durationSec, brokerCount, clusterKind === 'local' ? 'kafka' : 'mock')),
    },
    producer: {
      ...p,
      acks: (p.acks === 'all' ? -1 : Number(p.acks)) as Acks,
      producerLingerMs: p.producerLingerMs ?? profile.producerLingerMs,
    },
    ingest: o.ingest,
    output: {
      ...o.output,
      out: o.output.out ?? `results/${id}`,
      metricsPort: o.output.metricsPort ?? null,
      workload: o.output.workload ?? null,
    },
    thresholds: o.thresholds,
    testAids: o.testAids,
  };
}

/** Everything one load test needs, validated, grouped by concern. */
export type RunConfig = ReturnType<typeof resolveGroups>;
export type Thresholds = RunConfig['thresholds'];

/** Validates raw options into a RunConfig, or throws a BAD_OPTION error naming the option. */
export function resolveRunConfig(input: RawRunOptions, where = ''): RunConfig {
  const raw: Record<string, unknown> = { ...input };
  for (const [old, key] of Object.entries(RAW_ALIASES)) {
    if (raw[old] === undefined) continue;
    raw[key] ??= raw[old];
    delete raw[old];
  }
  const parsed = rawRunOptions.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      throw new FirehoseError('BAD_OPTION', `${where}unknown option ${issue.keys.map(flagName).join(', ')}`);
    }
    const key = String(issue.path[0] ?? '');
    const received = raw[key];
    const shown = received === undefined || typeof received === 'object' ? '' : `${JSON.stringify(received)} `;
    throw new FirehoseError('BAD_OPTION', `${where}${flagName(key)} ${shown}is invalid: ${issue.message}`);
  }
  return resolveGroups(groupOptions(parsed.data), where);
}

/**
 * The configuration as result.json and part files record it: flat, with the field names results
 * have always had (readers of older files and other tools rely on them), plus `lingerMs`, the old
 * name of frameLingerMs, so older readers still find it.
 */
export function storedConfig(config: RunConfig) {
  const { thresholds, workload, cluster, producer, ingest, output, testAids } = config;
  return { ...workload, ...cluster, ...producer, ...ingest, ...output, ...testAids, thresholds, lingerMs: workload.frameLingerMs };
}
export type StoredRunConfig = ReturnType<typeof storedConfig>;

/** Keys of the stored config kept only for readers of older files (left out of the rendered configuration). */
export const LEGACY_CONFIG_KEYS: readonly string[] = ['lingerMs'];

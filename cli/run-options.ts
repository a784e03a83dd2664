import os from 'node:os';
import { z } from 'zod';
import { CLIENT_KINDS, COMPRESSION_CODECS, type Acks, type ClientKind, type CompressionCodec } from '../kafka/client.js';
import { FirehoseError } from '../kafka/errors.js';
import { MAX_SOURCES } from '../bench/delivery-ledger.js';
import { MAX_TICKS_PER_FRAME } from '../wire/tick-frame.js';

/** Everything one load test needs, validated. */
export interface RunConfig {
  brokers: string | null;
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
  acks: Acks;
  compression: CompressionCodec;
  idempotent: boolean;
  seed: number;
  sourceId: number;
  out: string;
  json: boolean;
  progress: boolean;
  drainTimeoutSec: number;
}

/** Defaults in one place; the CLI help shows them. */
export const RUN_DEFAULTS = {
  embeddedBrokers: 3,
  client: 'confluent' as ClientKind,
  partitions: 8,
  workers: Math.max(1, Math.min(4, os.availableParallelism())),
  rate: 100_000,
  durationSec: 10,
  instruments: 1000,
  venues: 5,
  ticksPerRecord: 64,
  lingerMs: 2,
  acks: 'all',
  compression: 'none' as CompressionCodec,
  seed: 1,
  sourceId: 0,
  drainTimeoutSec: 20,
};

const SUFFIX: Record<string, number> = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 };

/** "100000", "100k", "1.5M" → number; anything else → NaN. */
export function parseCount(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)([kKmM]?)\s*$/.exec(text);
  if (!match) return Number.NaN;
  return Number(match[1]) * SUFFIX[match[2] ?? '']!;
}

/** "15", "15s", "500ms", "2m" → seconds; anything else → NaN. */
export function parseDurationSec(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)(ms|s|m|h)?\s*$/.exec(text);
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  switch (match[2]) {
    case 'ms': return value / 1000;
    case 'm': return value * 60;
    case 'h': return value * 3600;
    default: return value;
  }
}

const hostPort = /^[A-Za-z0-9._-]+:\d{1,5}$/;

const intIn = (min: number, max: number) => {
  const range = `must be an integer from ${min} to ${max}`;
  return z.number({ error: range }).int(range).min(min, range).max(max, range);
};
const positiveUpTo = (max: number) => z.number().positive(`must be above 0 and at most ${max}`).max(max, `must be above 0 and at most ${max}`);

/** Raw option values (strings from the command line or values from a workload file). */
const rawRunOptions = z.object({
  brokers: z.string().refine((s) => s.split(',').every((b) => hostPort.test(b.trim())), 'must be host:port[,host:port...]').optional(),
  embeddedBrokers: intIn(1, 16).default(RUN_DEFAULTS.embeddedBrokers),
  client: z.enum(CLIENT_KINDS).default(RUN_DEFAULTS.client),
  topic: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be 1-200 of [A-Za-z0-9._-]').optional(),
  partitions: intIn(1, 1024).default(RUN_DEFAULTS.partitions),
  replicationFactor: intIn(1, 16).optional(),
  workers: intIn(1, 64).default(RUN_DEFAULTS.workers),
  rate: positiveUpTo(100_000_000).default(RUN_DEFAULTS.rate),
  durationSec: positiveUpTo(86_400).default(RUN_DEFAULTS.durationSec),
  ticks: intIn(1, 4_000_000_000).optional(),
  instruments: intIn(1, 1_000_000).default(RUN_DEFAULTS.instruments),
  venues: intIn(2, 64).default(RUN_DEFAULTS.venues),
  ticksPerRecord: intIn(1, MAX_TICKS_PER_FRAME).default(RUN_DEFAULTS.ticksPerRecord),
  lingerMs: z.number().min(0, 'must be from 0 to 10000').max(10_000, 'must be from 0 to 10000').default(RUN_DEFAULTS.lingerMs),
  acks: z.enum(['all', '-1', '0', '1']).default('all'),
  compression: z.enum(COMPRESSION_CODECS).default(RUN_DEFAULTS.compression),
  idempotent: z.boolean().default(false),
  seed: intIn(0, 0xffffffff).default(RUN_DEFAULTS.seed),
  sourceId: intIn(0, MAX_SOURCES - 1).default(RUN_DEFAULTS.sourceId),
  out: z.string().min(1).optional(),
  json: z.boolean().default(false),
  progress: z.boolean().default(true),
  drainTimeoutSec: positiveUpTo(3600).default(RUN_DEFAULTS.drainTimeoutSec),
});

export type RawRunOptions = z.input<typeof rawRunOptions>;

/** CLI flag spelling of each option, for error messages that name what the user typed. */
const FLAG: Record<string, string> = {
  embeddedBrokers: '--embedded-brokers', replicationFactor: '--replication-factor', durationSec: '--duration',
  ticksPerRecord: '--ticks-per-record', lingerMs: '--linger-ms', sourceId: '--source-id',
  drainTimeoutSec: '--drain-timeout',
};

export function flagName(key: string): string {
  return FLAG[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
}

/** Validates raw options into a RunConfig, or throws a BAD_OPTION error naming the option. */
export function resolveRunConfig(raw: RawRunOptions): RunConfig {
  const parsed = rawRunOptions.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    const received = (raw as Record<string, unknown>)[key];
    throw new FirehoseError('BAD_OPTION', `${flagName(key)} ${received === undefined ? '' : `${JSON.stringify(received)} `}is invalid: ${issue.message}`);
  }
  const o = parsed.data;
  const brokerCount = o.brokers ? o.brokers.split(',').length : o.embeddedBrokers;
  const replicationFactor = o.replicationFactor ?? Math.min(3, brokerCount);
  if (!o.brokers && replicationFactor > o.embeddedBrokers) {
    throw new FirehoseError('BAD_OPTION', `--replication-factor ${replicationFactor} is invalid: above the ${o.embeddedBrokers} embedded brokers`);
  }
  if (o.client === 'kafkajs' && !['none', 'gzip'].includes(o.compression)) {
    throw new FirehoseError('BAD_OPTION', `--compression ${o.compression} is invalid with --client kafkajs: use none or gzip`);
  }
  const ticks = o.ticks ?? Math.max(1, Math.round(o.rate * o.durationSec));
  const durationSec = o.ticks !== undefined ? o.ticks / o.rate : o.durationSec;
  const runId = timestamp();
  return {
    brokers: o.brokers ?? null,
    embeddedBrokers: o.embeddedBrokers,
    client: o.client,
    topic: o.topic ?? `ticks-${runId}`,
    partitions: o.partitions,
    replicationFactor,
    workers: o.workers,
    rate: o.rate,
    durationSec,
    ticks,
    instruments: o.instruments,
    venues: o.venues,
    ticksPerRecord: o.ticksPerRecord,
    lingerMs: o.lingerMs,
    acks: o.acks === 'all' ? -1 : (Number(o.acks) as Acks),
    compression: o.compression,
    idempotent: o.idempotent,
    seed: o.seed,
    sourceId: o.sourceId,
    out: o.out ?? `results/${runId}`,
    json: o.json,
    progress: o.progress,
    drainTimeoutSec: o.drainTimeoutSec,
  };
}

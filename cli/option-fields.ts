import { Option, type Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { CLIENT_KINDS, COMPRESSION_CODECS } from '../kafka/client.js';
import { RUN_DEFAULTS } from '../run/run-defaults.js';
import { parseCount, parseDurationSec, parseLatencyUs, parseRateLimit } from './option-parsers.js';
import { INJECT_MODES, MARKET_KINDS, type RawRunOptions } from '../run/run-config.js';
import { PROFILE_SETTINGS, RUN_PROFILES } from '../run/run-profiles.js';
import { DEFAULT_REPLICATION_TEXT } from '../kafka/replication.js';

type Parser = (text: string) => unknown;

/**
 * One row per workload option: its flag, where it goes in RawRunOptions, how its text parses.
 * The command line and workload files both go through this table, so they accept the same
 * spellings and fail with the same messages.
 */
export interface OptionField {
  flag: string;
  key: keyof RawRunOptions;
  argument?: string;
  help: string;
  parse?: Parser;
  choices?: readonly string[];
  defaultText?: string;
  /** May be given several times; the values collect into a list. */
  repeatable?: boolean;
  /** An old name kept working but left out of --help. */
  hidden?: boolean;
}

function parser(flag: string, parse: (text: string) => number, what: string): Parser {
  return (text: string) => {
    const value = parse(String(text));
    if (!Number.isFinite(value)) throw new InvalidArgumentError(`${flag} expects ${what}, got "${text}"`);
    return value;
  };
}
const integerText = (t: string): number => (/^\s*-?\d+\s*$/.test(t) ? Number(t) : Number.NaN);
const decimalText = (t: string): number => (/^\s*-?\d+(\.\d+)?\s*$/.test(t) ? Number(t) : Number.NaN);
const count = (flag: string) => parser(flag, parseCount, 'a number (e.g. 100000 or 100k)');
const integer = (flag: string) => parser(flag, integerText, 'an integer');
const decimal = (flag: string) => parser(flag, decimalText, 'a number');
const duration = (flag: string) => parser(flag, parseDurationSec, 'a duration (e.g. 15, 15s, 2m)');
const latency = (flag: string) => parser(flag, parseLatencyUs, 'a latency with a unit (e.g. 20ms, 500us, 1s)');

const d = RUN_DEFAULTS;
export const WORKLOAD_FIELDS: readonly OptionField[] = [
  {
    flag: 'brokers',
    key: 'brokers',
    argument: '<list>',
    help: 'local (real Apache Kafka on this machine, started if down), embedded (librdkafka mock, in-process) or bootstrap servers host:port,...',
    defaultText: 'local where Java 17+ is installed (run, sweep, bench), else embedded',
  },
  {
    flag: 'nodes',
    key: 'localNodes',
    argument: '<n>',
    help: 'nodes of the local cluster when the run starts it: 1, or 3 (RF 3, min.insync.replicas 2); default 3 on 4+ cores, else 1',
    parse: integer('--nodes'),
    defaultText: String(d.localNodes),
  },
  {
    flag: 'embedded-brokers',
    key: 'embeddedBrokers',
    argument: '<n>',
    help: 'brokers in the embedded cluster',
    parse: integer('--embedded-brokers'),
    defaultText: String(d.embeddedBrokers),
  },
  { flag: 'client', key: 'client', argument: '<kind>', help: 'Kafka client library', choices: CLIENT_KINDS, defaultText: d.client },
  { flag: 'topic', key: 'topic', argument: '<name>', help: 'ticks topic', defaultText: 'ticks-<timestamp>' },
  {
    flag: 'partitions',
    key: 'partitions',
    argument: '<n>',
    help: 'partitions of the ticks topic',
    parse: integer('--partitions'),
    defaultText: String(d.partitions),
  },
  {
    flag: 'replication-factor',
    key: 'replicationFactor',
    argument: '<n>',
    help: 'replication factor',
    parse: integer('--replication-factor'),
    defaultText: DEFAULT_REPLICATION_TEXT,
  },
  {
    flag: 'workers',
    key: 'workers',
    argument: '<n>',
    help: 'analytics worker threads',
    parse: integer('--workers'),
    defaultText: String(d.workers),
  },
  {
    flag: 'rate',
    key: 'rate',
    argument: '<ticks/s>',
    help: 'offered load, ticks per second, open loop (100k, 1.5M)',
    parse: count('--rate'),
    defaultText: String(d.rate),
  },
  {
    flag: 'duration',
    key: 'durationSec',
    argument: '<time>',
    help: 'how long to send (15, 15s, 2m)',
    parse: duration('--duration'),
    defaultText: `${d.durationSec}s`,
  },
  {
    flag: 'warmup',
    key: 'warmupSec',
    argument: '<time>',
    help: 'the first part of --duration measured apart: its ticks go to a warm-up histogram reported beside the headline, not in it (10s, 1m)',
    parse: duration('--warmup'),
    defaultText: 'none',
  },
  {
    flag: 'profile',
    key: 'profile',
    argument: '<profile>',
    help: `throughput: big batches once a queue forms; latency: --frame-linger ${PROFILE_SETTINGS.latency.frameLingerMs} and --producer-linger-ms ${PROFILE_SETTINGS.latency.producerLingerMs} unless given, one produce request in flight per broker (both close frames as soon as the producer is idle)`,
    choices: RUN_PROFILES,
    defaultText: d.profile,
  },
  {
    flag: 'loadgen-thread',
    key: 'loadgenThread',
    argument: '[on|off]',
    help: 'generate and encode ticks on a thread of their own (the main thread produces, consumes and orchestrates); off: on the main thread',
    defaultText: d.loadgenThread ? 'on' : 'off',
    parse: (text) => {
      if (text === 'on' || text === 'true') return true;
      if (text === 'off' || text === 'false') return false;
      throw new InvalidArgumentError(`--loadgen-thread expects on or off, got "${text}"`);
    },
  },
  { flag: 'ticks', key: 'ticks', argument: '<n>', help: 'send exactly this many ticks instead of --duration', parse: count('--ticks') },
  {
    flag: 'instruments',
    key: 'instruments',
    argument: '<n>',
    help: 'instruments (Zipf-skewed activity)',
    parse: count('--instruments'),
    defaultText: String(d.instruments),
  },
  {
    flag: 'venues',
    key: 'venues',
    argument: '<n>',
    help: 'venues quoting every instrument',
    parse: integer('--venues'),
    defaultText: String(d.venues),
  },
  {
    flag: 'ticks-per-record',
    key: 'ticksPerRecord',
    argument: '<n>',
    help: 'ticks packed into one Kafka record',
    parse: integer('--ticks-per-record'),
    defaultText: String(d.ticksPerRecord),
  },
  {
    flag: 'frame-linger',
    key: 'frameLingerMs',
    argument: '<ms>',
    help: 'longest a partly filled frame (one Kafka record of ticks) waits for more ticks; not the producer linger.ms',
    parse: decimal('--frame-linger'),
    defaultText: `${d.frameLingerMs} (latency profile: ${PROFILE_SETTINGS.latency.frameLingerMs})`,
  },
  // The old name, kept as an alias on the command line and in workload files.
  {
    flag: 'linger-ms',
    key: 'frameLingerMs',
    argument: '<ms>',
    help: 'old name of --frame-linger',
    parse: decimal('--linger-ms'),
    hidden: true,
  },
  {
    flag: 'producer-linger-ms',
    key: 'producerLingerMs',
    argument: '<ms>',
    help: "the Kafka producer's linger.ms: how long it gathers frames into one request",
    parse: decimal('--producer-linger-ms'),
    defaultText: `${d.producerLingerMs} (latency profile: ${PROFILE_SETTINGS.latency.producerLingerMs})`,
  },
  {
    flag: 'request-timeout-ms',
    key: 'requestTimeoutMs',
    argument: '<ms>',
    help: 'a produce request unanswered this long is retried (confluent client)',
    parse: integer('--request-timeout-ms'),
    defaultText: String(d.requestTimeoutMs),
  },
  {
    flag: 'frames-per-task',
    key: 'framesPerTask',
    argument: '<n>',
    help: 'most consecutive frames of a partition handed to a worker at once',
    parse: integer('--frames-per-task'),
    defaultText: String(d.framesPerTask),
  },
  { flag: 'acks', key: 'acks', argument: '<acks>', help: 'producer acks', choices: ['all', '-1', '0', '1'], defaultText: d.acks },
  {
    flag: 'compression',
    key: 'compression',
    argument: '<codec>',
    help: 'record compression',
    choices: COMPRESSION_CODECS,
    defaultText: d.compression,
  },
  { flag: 'idempotent', key: 'idempotent', help: 'idempotent producer' },
  { flag: 'recreate', key: 'recreate', help: 'on a real cluster, replace an existing --topic whose partition count differs' },
  {
    flag: 'seed',
    key: 'seed',
    argument: '<n>',
    help: 'random seed: same seed and --ticks give the same tick stream',
    parse: integer('--seed'),
    defaultText: String(d.seed),
  },
  {
    flag: 'market',
    key: 'market',
    argument: '<kind>',
    help: 'generated market: fair-value (hidden fair value, lagging noisy venues, tick grid, heavy tails; scored against it) or simple (GBM mids, injected anomalies)',
    choices: MARKET_KINDS,
    defaultText: d.market,
  },
  {
    flag: 'inject',
    key: 'inject',
    argument: '<mode>',
    help: 'labelled anomalies in the ticks to score the analytics against (none: a clean stream)',
    choices: INJECT_MODES,
    defaultText: d.inject,
  },
  {
    flag: 'inject-scale',
    key: 'injectScale',
    argument: '<x>',
    help: 'multiply the default injection rates (outliers, frozen runs, jumps, arbitrage)',
    parse: decimal('--inject-scale'),
    defaultText: String(d.injectScale),
  },
  {
    flag: 'source-id',
    key: 'sourceId',
    argument: '<n>',
    help: 'load-generator id written into every tick',
    parse: integer('--source-id'),
    defaultText: String(d.sourceId),
  },
  {
    flag: 'drain-timeout',
    key: 'drainTimeoutSec',
    argument: '<time>',
    help: 'after sending, how long to wait without progress',
    parse: duration('--drain-timeout'),
    defaultText: `${d.drainTimeoutSec}s`,
  },
  {
    flag: 'fault',
    key: 'faults',
    argument: '<spec>',
    help: 'inject a fault, repeatable: KIND[:ARGS][@AT[+FOR]]; local cluster: kill:N|leader@10s+5s (SIGKILL, restart after FOR), pause:N|leader@10s+5s (SIGSTOP/SIGCONT), restart:N@10s; embedded cluster: broker-down:2@10s+5s, rtt:300ms@5s+10s, produce-errors:NOT_LEADER_FOR_PARTITION*5@8s, fetch-errors:REQUEST_TIMED_OUT*3, coordinator-move@12s',
    repeatable: true,
  },
  {
    flag: 'inject-malformed',
    key: 'injectMalformed',
    argument: '<share>',
    help: 'also send malformed records, this share of all records (0.001 = 1 per 1000)',
    parse: decimal('--inject-malformed'),
  },
  {
    flag: 'inject-worker-failures',
    key: 'injectWorkerFailures',
    argument: '<share>',
    help: 'make this share of analytics tasks throw, and kill one worker thread (tests the retry and dead-letter path)',
    parse: decimal('--inject-worker-failures'),
  },
  {
    flag: 'metrics-port',
    key: 'metricsPort',
    argument: '<port>',
    help: 'serve Prometheus metrics on 127.0.0.1:<port>/metrics while running',
    parse: integer('--metrics-port'),
  },
  {
    flag: 'max-p50',
    key: 'maxP50Us',
    argument: '<latency>',
    help: 'threshold: fail (exit 1) if end-to-end p50 is above',
    parse: latency('--max-p50'),
  },
  {
    flag: 'max-p99',
    key: 'maxP99Us',
    argument: '<latency>',
    help: 'threshold: fail (exit 1) if end-to-end p99 is above (e.g. 20ms)',
    parse: latency('--max-p99'),
  },
  {
    flag: 'max-p999',
    key: 'maxP999Us',
    argument: '<latency>',
    help: 'threshold: fail (exit 1) if end-to-end p99.9 is above',
    parse: latency('--max-p999'),
  },
  {
    flag: 'max-lost',
    key: 'maxLost',
    argument: '<n>',
    help: 'threshold: fail (exit 1) if more ticks were lost',
    parse: count('--max-lost'),
  },
  {
    flag: 'min-rate',
    key: 'minRate',
    argument: '<rate>',
    help: 'threshold: fail (exit 1) if fewer ticks/s were analysed (90% of offered, or 50k)',
    parse: (t) => parseRateLimit(String(t), '--min-rate'),
  },
];

/** Adds every workload option to a command. No commander defaults: absent means "not given". */
export function addWorkloadOptions(command: Command, fields: readonly OptionField[] = WORKLOAD_FIELDS): Command {
  for (const field of fields) {
    const flags = field.argument ? `--${field.flag} ${field.argument}` : `--${field.flag}`;
    const help = field.defaultText ? `${field.help} (default: ${field.defaultText})` : field.help;
    const option = new Option(flags, help);
    if (field.choices) option.choices(field.choices);
    if (field.hidden) option.hideHelp();
    if (field.repeatable) option.argParser((value: string, previous: unknown) => [...(Array.isArray(previous) ? previous : []), value]);
    else if (field.parse) option.argParser(field.parse as (value: string, previous: unknown) => unknown);
    command.addOption(option);
  }
  return command;
}

/** Picks the workload options a command received (by RawRunOptions key). */
export function pickWorkloadOptions(values: Record<string, unknown>, fields: readonly OptionField[] = WORKLOAD_FIELDS): RawRunOptions {
  const raw: Record<string, unknown> = {};
  for (const field of fields) {
    const camel = field.flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    if (values[camel] !== undefined) raw[field.key] = values[camel];
  }
  return raw as RawRunOptions;
}

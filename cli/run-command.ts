import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import pc from 'picocolors';
import { runLoadTest, type LoadTestControl } from '../bench/load-test.js';
import { CLIENT_KINDS, COMPRESSION_CODECS } from '../kafka/client.js';
import { createProgressView } from './progress.js';
import { writeResultFiles } from './result-files.js';
import { parseCount, parseDurationSec, resolveRunConfig, RUN_DEFAULTS, type RawRunOptions } from './run-options.js';
import { renderSummary } from './summary.js';

/** Option value parsers: a value that does not parse is a usage error naming the option. */
function numberParser(flag: string, parse: (text: string) => number, what: string) {
  return (text: string): number => {
    const value = parse(text);
    if (!Number.isFinite(value)) throw new InvalidArgumentError(`${flag} expects ${what}, got "${text}"`);
    return value;
  };
}
const count = (flag: string) => numberParser(flag, parseCount, 'a number (e.g. 100000 or 100k)');
const integer = (flag: string) => numberParser(flag, (t) => (/^-?\d+$/.test(t.trim()) ? Number(t) : Number.NaN), 'an integer');
const decimal = (flag: string) => numberParser(flag, (t) => (/^-?\d+(\.\d+)?$/.test(t.trim()) ? Number(t) : Number.NaN), 'a number');
const duration = (flag: string) => numberParser(flag, parseDurationSec, 'a duration (e.g. 15, 15s, 2m)');

/** Options shared by every command that runs a workload. */
export function addWorkloadOptions(command: Command): Command {
  return command
    .option('--brokers <list>', 'Kafka bootstrap servers host:port,...; absent = embedded cluster')
    .option('--embedded-brokers <n>', 'brokers in the embedded cluster', integer('--embedded-brokers'), RUN_DEFAULTS.embeddedBrokers)
    .addOption(new Option('--client <kind>', 'Kafka client library').choices(CLIENT_KINDS).default(RUN_DEFAULTS.client))
    .option('--topic <name>', 'ticks topic (default: ticks-<timestamp>, fresh per run)')
    .option('--partitions <n>', 'partitions of the ticks topic', integer('--partitions'), RUN_DEFAULTS.partitions)
    .option('--replication-factor <n>', 'replication factor (default: min(3, brokers))', integer('--replication-factor'))
    .option('--workers <n>', 'analytics worker threads', integer('--workers'), RUN_DEFAULTS.workers)
    .option('--rate <ticks/s>', 'offered load, ticks per second (open loop)', count('--rate'), RUN_DEFAULTS.rate)
    .option('--duration <time>', 'how long to send (e.g. 15, 15s, 2m)', duration('--duration'), RUN_DEFAULTS.durationSec)
    .option('--ticks <n>', 'send exactly this many ticks instead of --duration', count('--ticks'))
    .option('--instruments <n>', 'instruments (Zipf-skewed activity)', count('--instruments'), RUN_DEFAULTS.instruments)
    .option('--venues <n>', 'venues quoting every instrument', integer('--venues'), RUN_DEFAULTS.venues)
    .option('--ticks-per-record <n>', 'ticks packed into one Kafka record', integer('--ticks-per-record'), RUN_DEFAULTS.ticksPerRecord)
    .option('--linger-ms <ms>', 'longest a partly filled record waits before it is sent', decimal('--linger-ms'), RUN_DEFAULTS.lingerMs)
    .addOption(new Option('--acks <acks>', 'producer acks').choices(['all', '-1', '0', '1']).default(RUN_DEFAULTS.acks))
    .addOption(new Option('--compression <codec>', 'record compression').choices(COMPRESSION_CODECS).default(RUN_DEFAULTS.compression))
    .option('--idempotent', 'idempotent producer', false)
    .option('--seed <n>', 'random seed: same seed and --ticks give the same tick stream', integer('--seed'), RUN_DEFAULTS.seed)
    .option('--source-id <n>', 'load-generator id written into every tick', integer('--source-id'), RUN_DEFAULTS.sourceId)
    .option('--drain-timeout <time>', 'after sending, wait this long without progress for the backlog', duration('--drain-timeout'), RUN_DEFAULTS.drainTimeoutSec);
}

export interface CommandOptionValues {
  brokers?: string; embeddedBrokers: number; client: string; topic?: string; partitions: number; replicationFactor?: number;
  workers: number; rate: number; duration: number; ticks?: number; instruments: number; venues: number;
  ticksPerRecord: number; lingerMs: number; acks: string; compression: string; idempotent: boolean; seed: number;
  sourceId: number; drainTimeout: number; out?: string; json?: boolean; progress?: boolean;
}

export function toRawRunOptions(o: CommandOptionValues): RawRunOptions {
  return {
    brokers: o.brokers, embeddedBrokers: o.embeddedBrokers, client: o.client as RawRunOptions['client'], topic: o.topic,
    partitions: o.partitions, replicationFactor: o.replicationFactor, workers: o.workers, rate: o.rate,
    durationSec: o.duration, ticks: o.ticks, instruments: o.instruments, venues: o.venues,
    ticksPerRecord: o.ticksPerRecord, lingerMs: o.lingerMs, acks: o.acks as RawRunOptions['acks'],
    compression: o.compression as RawRunOptions['compression'], idempotent: o.idempotent, seed: o.seed,
    sourceId: o.sourceId, drainTimeoutSec: o.drainTimeout, out: o.out, json: o.json, progress: o.progress,
  };
}

/**
 * First Ctrl-C: stop generating, drain, write the result marked interrupted. Second: exit now.
 */
function installInterruptHandler(getControl: () => LoadTestControl | null, onInterrupt: () => void): () => void {
  let interrupts = 0;
  const handler = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) {
      process.stderr.write(`\n${signal} again: exiting without waiting\n`);
      process.exit(130);
    }
    process.stderr.write(`\n${signal}: stopping the load and draining (again to exit at once)\n`);
    onInterrupt();
    getControl()?.stop();
    // The drain has a deadline: never hang past 10 s after the first interrupt.
    setTimeout(() => { process.stderr.write('drain deadline passed: exiting\n'); process.exit(130); }, 9_000).unref();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => { process.off('SIGINT', handler); process.off('SIGTERM', handler); };
}

export function registerRunCommand(program: Command, setExit: (code: number) => void): void {
  const run = program.command('run')
    .description('run one load test (default: embedded 3-broker Kafka cluster, all analytics on)');
  addWorkloadOptions(run)
    .option('--out <dir>', 'where result.json and latency.hgrm go (default: results/<timestamp>)')
    .option('--json', 'print result.json to stdout instead of tables', false)
    .option('--no-progress', 'no progress output')
    .action(async (options: CommandOptionValues) => {
      const config = resolveRunConfig(toRawRunOptions(options));
      const log = (line: string): void => { if (!config.json) process.stderr.write(pc.dim(`${line}\n`)); };
      const progress = createProgressView(process.stderr, config.progress);
      let control: LoadTestControl | null = null;
      let interrupted = false;
      const uninstall = installInterruptHandler(() => control, () => { interrupted = true; });
      try {
        const result = await runLoadTest(config, { progress: (s) => progress.update(s), log }, {
          onStart: (c) => {
            control = c;
            log(`offering ${config.rate.toLocaleString('en-US')} ticks/s for ${config.durationSec}s (${config.ticks.toLocaleString('en-US')} ticks) to ${config.partitions} partitions with the ${config.client} client`);
          },
        });
        progress.stop();
        const files = await writeResultFiles(result, config.out);
        if (config.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else {
          process.stdout.write(`${renderSummary(result)}\n`);
          process.stdout.write(pc.dim(`wrote ${files.join(', ')}\n`));
        }
        if (interrupted || result.status === 'interrupted') setExit(130);
      } finally {
        progress.stop();
        uninstall();
      }
    });
}

import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import pc from 'picocolors';
import { writeFile } from 'node:fs/promises';
import { renderBenchTable } from '../bench/bench-table.js';
import { runKafkaToolPeers } from '../bench/kafka-tools-peers.js';
import { renderPeersTable } from '../bench/kafka-tools-peers-table.js';
import { runNaivePipeline } from '../bench/naive-pipeline.js';
import { runNoTransportLimit } from '../bench/no-transport.js';
import { ChildRunner } from '../bench/probe.js';
import { runRawClientProbe } from '../bench/raw-client-probe.js';
import { MAX_BACKLOG_RECORDS_PER_PARTITION, runPerRecordBacklog, type PerRecordBacklogOptions } from '../bench/per-record-backlog.js';
import { CLIENT_KINDS, type ClientKind } from '../kafka/client.js';
import { profilePipelines } from '../bench/profile-run.js';
import { runBenchSuite } from '../bench/suite.js';
import { PIPELINE_IDS, type BenchMode, type PipelineId } from '../bench/types.js';
import { RUN_DEFAULTS } from '../run/run-defaults.js';
import { MARKET_KINDS, type MarketKind } from '../run/run-config.js';
import { parseCount, parseDurationSec, parseLatencyUs } from './option-parsers.js';
import { handleInterrupts } from './interrupts.js';
import { EXIT } from './run-command.js';
import { defaultBrokers } from '../run/cluster-choice.js';
import { ensureLocalCluster } from '../run/load-test.js';
import { FirehoseError } from '../kafka/errors.js';
import { FRAME_HEADER_BYTES, TICK_BYTES } from '../wire/tick-frame.js';

function numberOption(flag: string, parse: (text: string) => number, what: string, integer = false) {
  return (text: string): number => {
    const value = parse(text);
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
      throw new InvalidArgumentError(`${flag} expects ${what}, got "${text}"`);
    return value;
  };
}
const count = (flag: string) => numberOption(flag, parseCount, 'a positive number (e.g. 20000 or 20k)');
const integer = (flag: string) => numberOption(flag, (t) => (/^\s*\d+\s*$/.test(t) ? Number(t) : Number.NaN), 'a positive integer', true);
const duration = (flag: string) => numberOption(flag, parseDurationSec, 'a duration (e.g. 5, 5s, 1m)');
const latency = (flag: string) => numberOption(flag, parseLatencyUs, 'a latency with a unit (e.g. 1s, 500ms)');

function pipelineList(text: string): PipelineId[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const item of items) {
    if (!(PIPELINE_IDS as readonly string[]).includes(item))
      throw new InvalidArgumentError(`--pipelines expects some of ${PIPELINE_IDS.join(',')}, got "${item}"`);
  }
  if (items.length === 0) throw new InvalidArgumentError('--pipelines expects a comma-separated list');
  return items as PipelineId[];
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
}

/** The same seed and market for every pipeline: the options the hidden child commands share. */
function addMarketOptions(command: Command): Command {
  return command
    .option('--partitions <n>', 'partitions (key groups)', integer('--partitions'), RUN_DEFAULTS.partitions)
    .option('--instruments <n>', 'instruments', count('--instruments'), RUN_DEFAULTS.instruments)
    .option('--venues <n>', 'venues', integer('--venues'), RUN_DEFAULTS.venues)
    .option(
      '--seed <n>',
      'random seed',
      (t: string) => {
        const v = Number(t);
        if (!Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`--seed expects an integer, got "${t}"`);
        return v;
      },
      RUN_DEFAULTS.seed,
    );
}

interface MarketValues {
  partitions: number;
  instruments: number;
  venues: number;
  seed: number;
}

export function registerBenchCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('bench')
    .description(
      'the performance suite: no-transport limit, naive kafkajs/JSON baseline, and this pipeline with each client — sustained rates, latency, CPU, RSS, ratios',
    )
    .option('--quick', 'short probes and a coarse search (within 8 minutes on 2 cores)')
    .addOption(new Option('--tiny', 'plumbing check: one low-rate probe per pipeline (tests)').hideHelp())
    .option('--out <dir>', "where bench.json and every probe's files go (default: results/bench-<timestamp>)")
    .option('--max-p99 <latency>', 'p99 above this fails a probe (default: 1s)', latency('--max-p99'))
    .option('--pipelines <list>', `which pipelines to run: ${PIPELINE_IDS.join(',')} (default: all)`, pipelineList)
    .option(
      '--probe-duration <time>',
      'measuring window of each probe, after its warm-up (default: 10s in the search, 20s in the latency runs; --quick 6s)',
      duration('--probe-duration'),
    )
    .option('--json', 'print bench.json to stdout instead of the table')
    .addOption(
      new Option(
        '--brokers <cluster>',
        "cluster of this pipeline's probes: local (real Kafka, started once for the suite if down) or embedded (the mock; default where Java 17+ is missing)",
      ).choices(['local', 'embedded']),
    )
    .option('--nodes <n>', `nodes of the local cluster if the suite starts it: 1 or 3 (default: ${RUN_DEFAULTS.localNodes}, 3 on 4+ cores)`)
    .option(
      '--profile',
      'instead of the suite: one `node --cpu-prof` run per pipeline (--pipelines, default confluent,kafkajs,platformatic) at --profile-rate; prints the hottest functions per thread',
    )
    .option('--profile-rate <ticks/s>', 'offered rate of the profiled runs (default: 300k)', count('--profile-rate'))
    .action(
      async (options: {
        quick?: boolean;
        tiny?: boolean;
        out?: string;
        maxP99?: number;
        pipelines?: PipelineId[];
        probeDuration?: number;
        json?: boolean;
        profile?: boolean;
        profileRate?: number;
        brokers?: 'local' | 'embedded';
        nodes?: string;
      }) => {
        const mode: BenchMode = options.tiny ? 'tiny' : options.quick ? 'quick' : 'full';
        const out = options.out ?? path.join('results', `bench-${timestamp()}`);
        let brokers = options.brokers;
        if (brokers === undefined) {
          const choice = defaultBrokers();
          if (choice.note) process.stderr.write(pc.yellow(`note: ${choice.note}\n`));
          brokers = choice.brokers;
        }
        const nodes = Number(options.nodes ?? RUN_DEFAULTS.localNodes);
        if (nodes !== 1 && nodes !== 3) throw new FirehoseError('BAD_OPTION', `--nodes ${options.nodes} is invalid: must be 1 or 3`);
        // One local cluster for the whole suite: started here if down, stopped at the end if so.
        const held =
          brokers === 'local' ? await ensureLocalCluster({ localNodes: nodes }, (line) => process.stderr.write(pc.dim(`${line}\n`))) : null;
        if (options.profile) {
          // The profiled runs go to the same cluster as the suite's probes; a local one is started
          // here, before any profile, so its start-up is not in the profile.
          const pipelines = (options.pipelines ?? ['confluent', 'kafkajs', 'platformatic']).filter(
            (p): p is Exclude<PipelineId, 'limit'> => p !== 'limit',
          );
          try {
            const { text } = await profilePipelines({
              pipelines,
              rate: options.profileRate ?? 300_000,
              durationSec: options.probeDuration ?? 8,
              out,
              bootstrapServers: held ? held.local.bootstrapServers : null,
              log: (line) => process.stderr.write(pc.dim(`${line}\n`)),
            });
            process.stdout.write(`${text}\n`);
            process.stdout.write(pc.dim(`wrote ${path.join(out, 'profiles')}\n`));
          } finally {
            await held?.stop();
          }
          return;
        }
        const runner = new ChildRunner();
        const interrupts = handleInterrupts({
          doing: 'stopping the current probe; the figures so far will be written',
          first: () => runner.stop(),
          second: () => runner.stop(true),
          deadlineMs: null,
        });
        try {
          const log = (line: string): void => {
            process.stderr.write(pc.dim(`${line}\n`));
          };
          log(`tick-firehose bench (${mode}): results in ${out}`);
          const report = await runBenchSuite({
            mode,
            out,
            runner,
            log,
            brokers,
            ...(held ? { localBootstrapServers: held.local.bootstrapServers } : {}),
            ...(options.maxP99 !== undefined ? { criteria: { maxP99Us: options.maxP99 } } : {}),
            ...(options.pipelines ? { pipelines: options.pipelines } : {}),
            ...(options.probeDuration !== undefined ? { windowSec: options.probeDuration } : {}),
          });
          if (held && report.status === 'ok') {
            report.peers = await runKafkaToolPeers({
              bootstrapServers: held.local.bootstrapServers,
              kafkaVersion: held.local.kafkaVersion,
              nodes: held.local.nodeCount,
              ticksPerRecord: report.workload.ticksPerRecord,
              partitions: report.workload.partitions,
              acks: 'all',
              // As many records as the pipeline sent in one measuring window at its best rate (at least 20k).
              records: Math.max(
                20_000,
                Math.round(((report.best?.ticksPerSec ?? 0) / report.workload.ticksPerRecord) * report.criteria.windowSec),
              ),
              pipelineTicksPerSec: report.best?.ticksPerSec ?? null,
              log,
            });
            await writeFile(path.join(out, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
          }
          if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          else {
            process.stdout.write(`${renderBenchTable(report)}\n`);
            if (report.peers) process.stdout.write(`${renderPeersTable(report.peers)}\n`);
            process.stdout.write(pc.dim(`wrote ${path.join(out, 'bench.json')} (${report.wallSec} s)\n`));
          }
          if (report.status === 'interrupted') setExit(EXIT.interrupted);
        } finally {
          interrupts.uninstall();
          await held?.stop();
        }
      },
    );

  addMarketOptions(
    program
      .command('naive', { hidden: true })
      .description('the naive baseline alone (used by bench): kafkajs, one JSON message per tick, detectors inline in eachMessage')
      .option('--rate <ticks/s>', 'offered ticks per second', count('--rate'), 10_000)
      .option('--duration <time>', 'how long to send', duration('--duration'), 10)
      .option('--drain-timeout <time>', 'after sending, how long to wait without progress', duration('--drain-timeout'), 10)
      .option('--json', 'print the result as JSON'),
  ).action(async (options: MarketValues & { rate: number; duration: number; drainTimeout: number; json?: boolean }) => {
    const stop = new AbortController();
    const interrupts = handleInterrupts({ doing: 'stopping the load', first: () => stop.abort(), deadlineMs: null });
    try {
      const result = await runNaivePipeline(
        {
          rate: options.rate,
          durationSec: options.duration,
          partitions: options.partitions,
          instruments: options.instruments,
          venues: options.venues,
          seed: options.seed,
          drainTimeoutSec: options.drainTimeout,
          log: options.json ? undefined : (line) => process.stderr.write(`${line}\n`),
        },
        stop.signal,
      );
      if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else {
        const e = result.latency.e2e;
        process.stdout.write(
          `naive: offered ${options.rate}/s, analysed ${result.throughput.ticksPerSec}/s, lost ${result.ticks.lost}, p50 ${e.p50} µs, p99 ${e.p99} µs, p99.9 ${e.p999} µs\n`,
        );
      }
      if (result.status === 'interrupted') setExit(EXIT.interrupted);
    } finally {
      interrupts.uninstall();
    }
  });

  addMarketOptions(
    program
      .command('no-transport', { hidden: true })
      .description('the no-transport limit alone (used by bench): ticks → frames → detectors in one thread')
      .option('--ticks <n>', 'ticks measured', count('--ticks'), 10_000_000)
      .option('--warmup-ticks <n>', 'ticks run before measuring', count('--warmup-ticks'), 1_000_000)
      .option('--ticks-per-record <n>', 'ticks per frame', integer('--ticks-per-record'), RUN_DEFAULTS.ticksPerRecord)
      .addOption(new Option('--market <kind>', 'generated market').choices(MARKET_KINDS).default(RUN_DEFAULTS.market))
      .option('--json', 'print the result as JSON'),
  ).action((options: MarketValues & { ticks: number; warmupTicks: number; ticksPerRecord: number; market: MarketKind; json?: boolean }) => {
    const result = runNoTransportLimit({
      market: options.market,
      ticks: Math.round(options.ticks),
      warmupTicks: Math.round(options.warmupTicks),
      instruments: options.instruments,
      venues: options.venues,
      partitions: options.partitions,
      ticksPerRecord: options.ticksPerRecord,
      seed: options.seed,
      nominalRate: 1_000_000,
    });
    if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else
      process.stdout.write(
        `no-transport limit: ${Math.round(result.ticksPerSec).toLocaleString('en-US')} ticks/s (${result.ticks} ticks in ${result.elapsedSec.toFixed(2)} s, ${Math.round(result.cpuMsPerMillionTicks)} ms CPU per million)\n`,
      );
  });

  program
    .command('raw-client', { hidden: true })
    .description("one client alone (used by bench): produce-only, then consume-only of a prefilled topic, at the pipeline's record size")
    .addOption(new Option('--client <kind>', 'Kafka client library').choices(CLIENT_KINDS).default('confluent'))
    .option('--brokers <list>', 'real brokers (default: an embedded cluster in this process)')
    .option('--partitions <n>', 'partitions', integer('--partitions'), RUN_DEFAULTS.partitions)
    .option(
      '--ticks-per-record <n>',
      `record size: ${FRAME_HEADER_BYTES} + ${TICK_BYTES} × this many bytes`,
      integer('--ticks-per-record'),
      RUN_DEFAULTS.ticksPerRecord,
    )
    .option('--produce-duration <time>', 'measured produce-only time', duration('--produce-duration'), 3)
    .option('--consume-duration <time>', 'measured consume-only time (passes over the prefilled topic)', duration('--consume-duration'), 3)
    .option('--json', 'print the result as JSON')
    .action(
      async (options: {
        client: ClientKind;
        brokers?: string;
        partitions: number;
        ticksPerRecord: number;
        produceDuration: number;
        consumeDuration: number;
        json?: boolean;
      }) => {
        const result = await runRawClientProbe({
          client: options.client,
          ...(options.brokers ? { brokers: options.brokers } : {}),
          partitions: options.partitions,
          ticksPerRecord: options.ticksPerRecord,
          produceSec: options.produceDuration,
          consumeSec: options.consumeDuration,
          producerLingerMs: RUN_DEFAULTS.producerLingerMs,
          acks: -1,
        });
        if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else
          process.stdout.write(
            `${result.client} alone, ${result.recordBytes}-byte records: produce ${result.produce?.recordsPerSec ?? '-'} records/s, consume ${result.consume?.recordsPerSec ?? '-'} records/s${result.errors.length > 0 ? ` (${result.errors.join('; ')})` : ''}\n`,
          );
      },
    );
  program
    .command('per-record-backlog', { hidden: true })
    .description(
      'the ingest half alone at one tick per record (used by bench): a topic filled first, then read from the start by the consumer group, dispatcher and analytics workers',
    )
    .addOption(new Option('--client <kind>', 'Kafka client library').choices(CLIENT_KINDS).default('confluent'))
    .option('--partitions <n>', 'partitions', integer('--partitions'), RUN_DEFAULTS.partitions)
    .option('--workers <n>', 'analytics worker threads', integer('--workers'), RUN_DEFAULTS.workers)
    .option('--instruments <n>', 'instruments', integer('--instruments'), RUN_DEFAULTS.instruments)
    .option('--venues <n>', 'venues', integer('--venues'), RUN_DEFAULTS.venues)
    .option('--seed <n>', 'random seed', integer('--seed'), RUN_DEFAULTS.seed)
    .option(
      '--records-per-partition <n>',
      `records written to each partition first (at most ${MAX_BACKLOG_RECORDS_PER_PARTITION})`,
      integer('--records-per-partition'),
      25_000,
    )
    .option('--json', 'print the result as JSON')
    .action(async (options: PerRecordBacklogOptions & { json?: boolean }) => {
      if (options.recordsPerPartition > MAX_BACKLOG_RECORDS_PER_PARTITION)
        throw new FirehoseError(
          'BAD_OPTION',
          `--records-per-partition ${options.recordsPerPartition} is more than the embedded cluster keeps (${MAX_BACKLOG_RECORDS_PER_PARTITION})`,
        );
      const result = await runPerRecordBacklog(options);
      if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else
        process.stdout.write(
          `${result.client} pipeline reading a backlog of ${result.prefilled} ${result.recordBytes}-byte records: ${result.recordsPerSec ?? '-'} records/s analysed, ${result.cpuUsPerRecord ?? '-'} µs CPU per record${result.errors.length > 0 ? ` (${result.errors.join('; ')})` : ''}\n`,
        );
    });
}

import path from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { ledgerBytes, MAX_LEDGER_BYTES, MAX_SOURCES, MAX_TICKS_PER_SOURCE } from '../metrics/delivery-ledger.js';
import type { PartResult } from '../run/result-parts.js';
import { EmbeddedCluster } from '../kafka/embedded-cluster.js';
import { FirehoseError } from '../kafka/errors.js';
import { formatCount, formatRate } from '../report/format.js';
import { addWorkloadOptions } from './option-fields.js';
import { refuseOverwrite, writeFileAtomic } from './atomic-file.js';
import { parseCount, parseDurationSec } from './option-parsers.js';
import { handleInterrupts, type InterruptHandlers } from './interrupts.js';
import { SHUTDOWN_BUDGET_MS, ShutdownSteps } from '../kafka/shutdown-steps.js';
import { EXIT, resolveCommandConfig } from './run-command.js';
import { resolveRunConfig } from '../run/run-config.js';
import { inRange, rangeProblem } from '../run/option-range.js';
import { roleCluster, runIngestRole, runLoadgenRole } from '../run/roles.js';
import { DEFAULT_REPLICATION_TEXT } from '../kafka/replication.js';

async function writePart(part: PartResult, dir: string, name: string, force: boolean): Promise<string> {
  const file = path.join(dir, name);
  await refuseOverwrite(file, force);
  await writeFileAtomic(file, `${JSON.stringify(part, null, 2)}\n`);
  return file;
}

function stderrLog(who: string): (line: string) => void {
  return (line) => {
    process.stderr.write(pc.dim(`${who}: ${line}\n`));
  };
}

export function registerSplitCommands(program: Command, setExit: (code: number) => void): void {
  program
    .command('broker')
    .description('run a standalone embedded Kafka cluster (librdkafka mock); prints bootstrap.servers and serves until stopped')
    .option('--embedded-brokers <n>', 'brokers (default: 3)', (t) => Number(t))
    .option('--topic <name>', 'create this topic (the mock cannot create topics through the admin API)')
    .option('--partitions <n>', 'partitions of --topic (default: 8)', (t) => Number(t))
    .option('--replication-factor <n>', `replication factor of --topic (default: ${DEFAULT_REPLICATION_TEXT})`, (t) => Number(t))
    .action(async (options: { embeddedBrokers?: number; topic?: string; partitions?: number; replicationFactor?: number }) => {
      // The same validated parsers as every other command: one line naming the option, exit 2.
      const config = resolveRunConfig({
        embeddedBrokers: options.embeddedBrokers,
        topic: options.topic,
        partitions: options.partitions,
        replicationFactor: options.replicationFactor,
      });
      const brokers = config.cluster.embeddedBrokers;
      let cluster: EmbeddedCluster;
      try {
        cluster = await EmbeddedCluster.start({
          brokers,
          // Several ingest processes join one group: a short wait lets them share one generation.
          groupInitialRebalanceDelayMs: 300,
          topics: options.topic
            ? [{ name: config.workload.topic, partitions: config.workload.partitions, replicationFactor: config.cluster.replicationFactor }]
            : [],
        });
      } catch (error) {
        if (error instanceof RangeError) throw new FirehoseError('BAD_OPTION', `firehose broker: ${error.message}`);
        throw error;
      }
      process.stdout.write(`bootstrap.servers=${cluster.bootstrapServers}\n`);
      process.stderr.write(
        pc.dim(
          `embedded cluster of ${brokers} brokers${options.topic ? `, topic ${config.workload.topic} (${config.workload.partitions} partitions)` : ''}; Ctrl-C to stop\n`,
        ),
      );
      // The mock's threads do not keep Node alive; this timer does, until a signal.
      const keepAlive = setInterval(() => {}, 60_000);
      let interrupts: InterruptHandlers | undefined;
      await new Promise<void>((resolve) => {
        interrupts = handleInterrupts({ doing: 'stopping the cluster', first: resolve, deadlineMs: null });
      });
      clearInterval(keepAlive);
      await new ShutdownSteps(stderrLog('broker')).run('cluster stop', SHUTDOWN_BUDGET_MS.clusterStop, () => cluster.stop());
      interrupts?.uninstall();
    });

  const loadgen = program
    .command('loadgen')
    .description('the producing half alone: send the workload to --brokers/--topic and write loadgen-<source-id>.json')
    .option('--workload <file>', 'workload YAML; options given here override it');
  addWorkloadOptions(loadgen)
    .option('--out <dir>', 'where the part result goes (default: results/<timestamp>)')
    .option('--force', 'overwrite an existing part file of this source id')
    .option('--no-progress', 'no progress output')
    .action(async (options: Record<string, unknown>) => {
      const config = await resolveCommandConfig(options, { out: options.out as string | undefined, progress: options.progress !== false });
      const { out } = config.output;
      const sourceId = config.workload.sourceId;
      const log = stderrLog(`loadgen ${sourceId}`);
      const at = await roleCluster(config, 'loadgen', log);
      const name = `loadgen-${sourceId}.json`;
      await refuseOverwrite(path.join(out, name), options.force === true);
      const stop = new AbortController();
      const interrupts = handleInterrupts({
        doing: 'stopping the load, writing the part, then closing',
        first: () => stop.abort(),
        deadlineMs: 9_000,
      });
      try {
        const { interrupted } = await runLoadgenRole(config, at, {
          log,
          signal: stop.signal,
          progress: (s) => {
            if (config.output.progress)
              process.stderr.write(
                pc.dim(`[${s.elapsedSec.toFixed(0)}s] sent ${formatCount(s.produced)}, acked ${formatCount(s.acked)}\n`),
              );
          },
          persist: async (part) => {
            const file = await writePart(part, out, name, options.force === true);
            const s = part.loadgen!.stats;
            process.stdout.write(
              `loadgen ${sourceId}: produced ${formatCount(s.produced)}, acked ${formatCount(s.acked)}, failed ${formatCount(s.failed)} at ${formatRate(s.produced / Math.max(1e-6, (s.lastSentUs - s.startUs) / 1e6))}\n${pc.dim(`wrote ${file}`)}\n`,
            );
            interrupts.resultWritten();
          },
        });
        if (interrupted) setExit(EXIT.interrupted);
      } finally {
        interrupts.uninstall();
      }
    });

  const ingest = program
    .command('ingest')
    .description('the consuming half alone: join the consumer group on --brokers/--topic, analyse, and write ingest-<pid>.json')
    .option('--workload <file>', 'workload YAML; options given here override it');
  addWorkloadOptions(ingest)
    .option('--idle-timeout <time>', 'stop after this long holding partitions without new records, once some arrived (default: 5s)', (t) =>
      parseDurationSec(t),
    )
    .option('--max-sources <n>', `loadgen ids 0..n-1 checked for loss (default: 8, at most ${MAX_SOURCES})`, (t) => Number(t))
    .option('--expected-ticks <n>', 'ticks per loadgen the loss check covers (default: 64M)', (t) => parseCount(t))
    .option('--out <dir>', 'where the part result goes (default: results/<timestamp>)')
    .action(async (options: Record<string, unknown>) => {
      const config = await resolveCommandConfig(options, { out: options.out as string | undefined });
      const log = (line: string): void => {
        process.stderr.write(pc.dim(`ingest ${process.pid}: ${line}\n`));
      };
      const limits = {
        idleSec: (options.idleTimeout as number | undefined) ?? 5,
        sources: (options.maxSources as number | undefined) ?? 8,
        capacity: (options.expectedTicks as number | undefined) ?? 64_000_000,
      };
      // Checked before the cluster is touched: a bad option starts nothing.
      const ranges: Array<[flag: string, range: ReturnType<typeof inRange>, value: number, why: string]> = [
        ['--idle-timeout', inRange(0, 86_400, { above: true }), limits.idleSec, ''],
        ['--max-sources', inRange(1, MAX_SOURCES, { integer: true }), limits.sources, ''],
        ['--expected-ticks', inRange(1, MAX_TICKS_PER_SOURCE, { integer: true }), limits.capacity, ' (tick sequence numbers are 32-bit)'],
      ];
      for (const [flag, range, value, why] of ranges) {
        const problem = rangeProblem(range, value);
        if (problem) throw new FirehoseError('BAD_OPTION', `${flag} ${value} is invalid: ${problem}${why}`);
      }
      if (ledgerBytes(limits.sources, limits.capacity) > MAX_LEDGER_BYTES)
        throw new FirehoseError(
          'BAD_OPTION',
          `--max-sources × --expected-ticks is invalid: the delivery ledger would need more than ${MAX_LEDGER_BYTES / 2 ** 20} MiB`,
        );
      const at = await roleCluster(config, 'ingest', log);
      const stop = new AbortController();
      const interrupts = handleInterrupts({
        doing: 'stopping, writing the part, then closing',
        first: () => stop.abort(),
        deadlineMs: 9_000,
      });
      try {
        const { interrupted } = await runIngestRole(config, at, limits, {
          log,
          signal: stop.signal,
          persist: async (part) => {
            const file = await writePart(part, config.output.out, `ingest-${process.pid}.json`, options.force === true);
            process.stdout.write(
              `ingest ${process.pid}: analysed ${formatCount(part.ingest!.consumedTicks)} ticks from partitions ${part.ingest!.assignedPartitions.join(',')}\n${pc.dim(`wrote ${file}`)}\n`,
            );
            interrupts.resultWritten();
          },
        });
        if (interrupted) setExit(EXIT.interrupted);
      } finally {
        interrupts.uninstall();
      }
    });
}

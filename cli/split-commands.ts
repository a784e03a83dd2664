import path from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { clusterIdentity, createLoadGenerator, createProducerFor, ingestOptionsFor, loadgenPart } from '../run/load-test.js';
import { defaultStateDir } from '../kafka/local-cluster/cluster-state.js';
import { LocalCluster } from '../kafka/local-cluster/local-cluster.js';
import { ensureTopic } from '../kafka/topic-admin.js';
import { ledgerBytes, MAX_LEDGER_BYTES, MAX_SOURCES, MAX_TICKS_PER_SOURCE } from '../metrics/delivery-ledger.js';
import type { PartResult } from '../run/result-parts.js';
import { RESULT_SCHEMA_VERSION } from '../run/run-result.js';
import type { TimelinePoint } from '../ingest/stats-collector.js';
import { EmbeddedCluster } from '../kafka/embedded-cluster.js';
import { FirehoseError } from '../kafka/errors.js';
import { IngestSession } from '../ingest/ingest-session.js';
import { nowUs } from '../wire/clock.js';
import { formatCount, formatRate } from '../report/format.js';
import { addWorkloadOptions } from './option-fields.js';
import { refuseOverwrite, writeFileAtomic } from './atomic-file.js';
import { parseCount, parseDurationSec } from './option-parsers.js';
import { handleInterrupts, type InterruptHandlers } from './interrupts.js';
import { INTERRUPTED_MS, interruptedCloseDeadline, SHUTDOWN_BUDGET_MS, ShutdownSteps } from '../kafka/shutdown-steps.js';
import { EXIT, resolveCommandConfig } from './run-command.js';
import { resolveRunConfig, type RunConfig } from '../run/run-config.js';

/**
 * The cluster of a split role: --brokers host:port, or --brokers local (started if down). A role
 * that starts the local cluster leaves it up for the other roles: `firehose cluster down` stops it.
 */
async function brokersAndTopic(config: RunConfig, role: string): Promise<{ brokers: string; cluster: PartResult['cluster'] }> {
  if (config.clusterKind === 'embedded') {
    throw new FirehoseError(
      'BAD_OPTION',
      `--brokers is required for firehose ${role}: local (real Kafka on this machine) or host:port (the mock runs in one process: firehose broker --topic NAME --partitions N prints its address)`,
    );
  }
  if (config.topic.startsWith('ticks-') && /\d{4}-\d{2}-\d{2}_/.test(config.topic)) {
    throw new FirehoseError(
      'BAD_OPTION',
      `--topic is required for firehose ${role}: every loadgen and ingest process must name the same topic`,
    );
  }
  if (config.clusterKind === 'local') {
    // Not ensureLocalCluster: that one kills a cluster it started when the process exits.
    const { cluster: local, started } = await LocalCluster.up({
      stateDir: defaultStateDir(),
      nodes: config.localNodes,
      log: (line) => process.stderr.write(pc.dim(`${line}\n`)),
    });
    if (started) process.stderr.write(pc.dim(`${role}: the local cluster stays up for the other roles; firehose cluster down stops it\n`));
    return {
      brokers: local.bootstrapServers,
      cluster: {
        embedded: false,
        bootstrapServers: local.bootstrapServers,
        brokers: local.nodeCount,
        ...clusterIdentity({ cluster: null, local }),
      },
    };
  }
  const brokers = config.brokers!;
  return {
    brokers,
    cluster: {
      embedded: false,
      bootstrapServers: brokers,
      brokers: brokers.split(',').length,
      ...clusterIdentity({ cluster: null, local: null }),
    },
  };
}

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
    .option('--replication-factor <n>', 'replication factor of --topic (default: min(3, brokers))', (t) => Number(t))
    .action(async (options: { embeddedBrokers?: number; topic?: string; partitions?: number; replicationFactor?: number }) => {
      // The same validated parsers as every other command: one line naming the option, exit 2.
      const config = resolveRunConfig({
        embeddedBrokers: options.embeddedBrokers,
        topic: options.topic,
        partitions: options.partitions,
        replicationFactor: options.replicationFactor,
      });
      const brokers = config.embeddedBrokers;
      let cluster: EmbeddedCluster;
      try {
        cluster = await EmbeddedCluster.start({
          brokers,
          // Several ingest processes join one group: a short wait lets them share one generation.
          groupInitialRebalanceDelayMs: 300,
          topics: options.topic ? [{ name: config.topic, partitions: config.partitions, replicationFactor: config.replicationFactor }] : [],
        });
      } catch (error) {
        if (error instanceof RangeError) throw new FirehoseError('BAD_OPTION', `firehose broker: ${error.message}`);
        throw error;
      }
      process.stdout.write(`bootstrap.servers=${cluster.bootstrapServers}\n`);
      process.stderr.write(
        pc.dim(
          `embedded cluster of ${brokers} brokers${options.topic ? `, topic ${config.topic} (${config.partitions} partitions)` : ''}; Ctrl-C to stop\n`,
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
      const { brokers, cluster } = await brokersAndTopic(config, 'loadgen');
      await refuseOverwrite(path.join(config.out, `loadgen-${config.sourceId}.json`), options.force === true);
      await ensureTopic(brokers, config.topic, config.partitions, config.replicationFactor, true, config.recreate);
      const startedAt = new Date().toISOString();
      const producer = createProducerFor(config, brokers, () => generator);
      await producer.connect();
      const generator = createLoadGenerator(config, nowUs);
      const steps = new ShutdownSteps(stderrLog(`loadgen ${config.sourceId}`));
      let interruptedAtMs: number | null = null;
      const interrupts = handleInterrupts({
        doing: 'stopping the load, writing the part, then closing',
        first: () => {
          interruptedAtMs = Date.now();
          generator.stop();
          steps.setDeadline(interruptedAtMs + INTERRUPTED_MS.drainUntil);
        },
        deadlineMs: 9_000,
      });
      process.stderr.write(
        pc.dim(
          `loadgen ${config.sourceId}: offering ${config.rate.toLocaleString('en-US')} ticks/s for ${config.durationSec}s to ${config.topic}\n`,
        ),
      );
      const timeline: TimelinePoint[] = [];
      const sampler = setInterval(() => {
        const s = generator.produceStats;
        const t = (nowUs() - s.startUs) / 1e6;
        timeline.push({ t: Math.round(t * 10) / 10, producedTicks: s.produced, consumedTicks: 0, lagTicks: 0, p99Us: 0 });
        if (config.progress)
          process.stderr.write(pc.dim(`[${t.toFixed(0)}s] sent ${formatCount(s.produced)}, acked ${formatCount(s.acked)}\n`));
      }, 5_000);
      try {
        await generator.run(producer, 0);
        await steps.run('producer flush', SHUTDOWN_BUDGET_MS.producerFlush, (signal) =>
          producer.flush(SHUTDOWN_BUDGET_MS.producerFlush, signal),
        );
        clearInterval(sampler);
        // The part is written before the producer closes: a disconnect that waits on a down broker cannot lose it.
        const part: PartResult = {
          tool: 'tick-firehose',
          version: 1,
          schemaVersion: RESULT_SCHEMA_VERSION,
          role: 'loadgen',
          startedAt,
          finishedAt: new Date().toISOString(),
          config,
          cluster,
          loadgen: loadgenPart(config, generator),
          timeline,
        };
        const file = await writePart(part, config.out, `loadgen-${config.sourceId}.json`, options.force === true);
        const s = generator.produceStats;
        process.stdout.write(
          `loadgen ${config.sourceId}: produced ${formatCount(s.produced)}, acked ${formatCount(s.acked)}, failed ${formatCount(s.failed)} at ${formatRate(s.produced / Math.max(1e-6, (s.lastSentUs - s.startUs) / 1e6))}\n${pc.dim(`wrote ${file}`)}\n`,
        );
        if (generator.stopped) setExit(EXIT.interrupted);
        interrupts.resultWritten();
      } finally {
        clearInterval(sampler);
        if (interruptedAtMs !== null) steps.setDeadline(interruptedCloseDeadline(interruptedAtMs));
        await steps.run('producer disconnect', SHUTDOWN_BUDGET_MS.disconnect, () => producer.disconnect());
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
      const { brokers, cluster } = await brokersAndTopic(config, 'ingest');
      const idleSec = (options.idleTimeout as number | undefined) ?? 5;
      const sources = (options.maxSources as number | undefined) ?? 8;
      const capacity = (options.expectedTicks as number | undefined) ?? 64_000_000;
      if (!Number.isFinite(idleSec) || idleSec <= 0) throw new FirehoseError('BAD_OPTION', '--idle-timeout must be a positive duration');
      if (!Number.isInteger(sources) || sources < 1 || sources > MAX_SOURCES)
        throw new FirehoseError('BAD_OPTION', `--max-sources must be an integer from 1 to ${MAX_SOURCES}`);
      if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_TICKS_PER_SOURCE)
        throw new FirehoseError(
          'BAD_OPTION',
          `--expected-ticks must be an integer from 1 to ${MAX_TICKS_PER_SOURCE} (tick sequence numbers are 32-bit)`,
        );
      if (ledgerBytes(sources, capacity) > MAX_LEDGER_BYTES)
        throw new FirehoseError(
          'BAD_OPTION',
          `--max-sources × --expected-ticks is invalid: the delivery ledger would need more than ${MAX_LEDGER_BYTES / 2 ** 20} MiB`,
        );
      // Creates the topic if it is missing, so consumers can start first; reads whatever partitions it has.
      await ensureTopic(brokers, config.topic, config.partitions, config.replicationFactor, false);
      const startedAt = new Date().toISOString();
      const log = (line: string): void => {
        process.stderr.write(pc.dim(`ingest ${process.pid}: ${line}\n`));
      };
      const session = await IngestSession.start(ingestOptionsFor(config, brokers, nowUs, log, { sources, capacity }));
      const steps = new ShutdownSteps(log);
      let interruptedAtMs: number | null = null;
      let wake = (): void => {};
      const interrupts = handleInterrupts({
        doing: 'stopping, writing the part, then closing',
        first: () => {
          interruptedAtMs = Date.now();
          steps.setDeadline(interruptedAtMs + INTERRUPTED_MS.resultBy);
          wake();
        },
        deadlineMs: 9_000,
      });
      try {
        const timeline: TimelinePoint[] = [];
        const startUs = nowUs();
        let lastConsumed = 0;
        let lastChangeUs = nowUs();
        while (interruptedAtMs === null) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 250);
          });
          const consumed = session.counts.consumedTicks;
          if (consumed !== lastConsumed) {
            lastConsumed = consumed;
            lastChangeUs = nowUs();
          }
          if (timeline.length === 0 || nowUs() - startUs >= (timeline.at(-1)!.t + 1) * 1e6) {
            timeline.push({
              t: Math.round((nowUs() - startUs) / 1e5) / 10,
              producedTicks: 0,
              consumedTicks: consumed,
              lagTicks: 0,
              p99Us: session.takeInterval().p99,
            });
          }
          // Idle counts only while holding partitions: a member waiting out a rebalance is not done.
          if (!session.holdsPartitions) lastChangeUs = nowUs();
          if (consumed > 0 && session.idle && nowUs() - lastChangeUs > idleSec * 1e6) break;
        }
        // The part is written before the consumer leaves the group: a close that waits on a down broker cannot lose it.
        const part: PartResult = {
          tool: 'tick-firehose',
          version: 1,
          schemaVersion: RESULT_SCHEMA_VERSION,
          role: 'ingest',
          startedAt,
          finishedAt: new Date().toISOString(),
          config,
          cluster,
          ingest: await session.collect(steps),
          timeline,
        };
        const file = await writePart(part, config.out, `ingest-${process.pid}.json`, options.force === true);
        process.stdout.write(
          `ingest ${process.pid}: analysed ${formatCount(part.ingest!.consumedTicks)} ticks from partitions ${part.ingest!.assignedPartitions.join(',')}\n${pc.dim(`wrote ${file}`)}\n`,
        );
        if (interruptedAtMs !== null) setExit(EXIT.interrupted);
        interrupts.resultWritten();
      } finally {
        if (interruptedAtMs !== null) steps.setDeadline(interruptedCloseDeadline(interruptedAtMs));
        await session.close(steps);
        interrupts.uninstall();
      }
    });
}

import { RUN_DEFAULTS } from '../run/run-defaults.js';
import type { Command } from 'commander';
import pc from 'picocolors';
import { defaultStateDir } from '../kafka/local-cluster/cluster-state.js';
import { LocalCluster } from '../kafka/local-cluster/local-cluster.js';
import { FirehoseError } from '../kafka/errors.js';
import { requireJava } from '../kafka/local-cluster/java-runtime.js';
import { cacheDir, kafkaVersion, resolveKafkaClasspath } from '../kafka/local-cluster/kafka-classpath.js';

function stateDirOf(options: { stateDir?: string }): string {
  return options.stateDir ?? defaultStateDir();
}

/** `firehose cluster up|status|down`: a real local Apache Kafka (KRaft) from Maven Central jars. */
export function registerClusterCommand(program: Command, setExit: (code: number) => void): void {
  const cluster = program
    .command('cluster')
    .description('a real local Apache Kafka cluster (KRaft, JVMs from Maven Central jars; needs Java 17+ and Maven)');
  const stateDirOption = [
    '--state-dir <dir>',
    'where the cluster keeps its config, data, logs and pids (default: $FIREHOSE_CLUSTER_DIR or ~/.cache/tick-firehose/cluster)',
  ] as const;

  cluster
    .command('up')
    .description('start the cluster (or reuse the one that is up) and wait until every broker is listed')
    .option(
      '--nodes <n>',
      'nodes, each broker and controller: 1, or 3 (replication factor 3, min.insync.replicas 2); default 3 on 4+ cores, else 1',
      String(RUN_DEFAULTS.localNodes),
    )
    .option(...stateDirOption)
    .action(async (options: { nodes: string; stateDir?: string }) => {
      const nodes = Number(options.nodes);
      if (nodes !== 1 && nodes !== 3) throw new FirehoseError('BAD_OPTION', `--nodes ${options.nodes} is invalid: must be 1 or 3`);
      const log = (line: string): void => {
        process.stderr.write(pc.dim(`${line}\n`));
      };
      const { cluster: c, started } = await LocalCluster.up({ stateDir: stateDirOf(options), nodes, log });
      if (!started) log(`local cluster already up (${c.nodeCount} node${c.nodeCount > 1 ? 's' : ''})`);
      process.stdout.write(`bootstrap.servers=${c.bootstrapServers}\n`);
    });

  cluster
    .command('status')
    .description('nodes, ports, pids and log files; exit 1 if the cluster is not (fully) up')
    .option(...stateDirOption)
    .option('--json', 'print the status as JSON')
    .action((options: { stateDir?: string; json?: boolean }) => {
      const stateDir = stateDirOf(options);
      const c = LocalCluster.open(stateDir);
      const nodes = c?.status() ?? [];
      const up = c !== null && nodes.every((n) => n.state === 'running');
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({ stateDir, up, kafkaVersion: c?.kafkaVersion ?? null, bootstrapServers: c?.bootstrapServers ?? null, nodes }, null, 2)}\n`,
        );
      } else if (!c) {
        process.stdout.write(`no local cluster in ${stateDir} (firehose cluster up starts one)\n`);
      } else {
        process.stdout.write(
          `Apache Kafka ${c.kafkaVersion}, ${c.nodeCount} node${c.nodeCount > 1 ? 's' : ''}, state in ${stateDir}\nbootstrap.servers=${c.bootstrapServers}\n`,
        );
        for (const n of nodes) {
          const state = n.state === 'running' ? pc.green(n.state) : pc.red(n.state);
          process.stdout.write(
            `node ${n.id}  ${state}  pid ${n.pid ?? '-'}  port ${n.port}  controller ${n.controllerPort}  log ${n.log}\n`,
          );
        }
      }
      if (!up) setExit(1);
    });

  cluster
    .command('resolve')
    .description("resolve Apache Kafka's jars through Maven (once; cached) without starting anything")
    .action(() => {
      requireJava();
      resolveKafkaClasspath();
      process.stderr.write(pc.dim(`Apache Kafka ${kafkaVersion()} resolved; classpath cached in ${cacheDir()}\n`));
    });

  cluster
    .command('down')
    .description('stop every node (also a half-crashed cluster) and remove its data and logs')
    .option(...stateDirOption)
    .action(async (options: { stateDir?: string }) => {
      const stateDir = stateDirOf(options);
      const c = LocalCluster.open(stateDir);
      if (!c) {
        process.stderr.write(pc.dim(`no local cluster in ${stateDir}\n`));
        return;
      }
      await c.down();
      process.stderr.write(pc.dim(`local cluster stopped; removed ${stateDir}\n`));
    });
}

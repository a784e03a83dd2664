import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { FirehoseError } from '../errors.js';
import { livePid, nodeFiles, type ClusterState, type NodeAddress } from './cluster-state.js';
import type { JavaRuntime } from './java-runtime.js';
import { replicationProperties } from './replication-settings.js';
import { repoFile } from './repo-files.js';

/**
 * JVM options of one node. Three nodes and the pipeline share two cores here: a small heap, and
 * few threads per node (Kafka sizes its pools for a server).
 */
const JVM_OPTIONS = [
  '-Xms256m',
  '-Xmx512m',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  // One GC thread each: three nodes' GC threads would otherwise compete for the same two cores.
  '-XX:ParallelGCThreads=1',
  '-XX:ConcGCThreads=1',
  '-Djava.awt.headless=true',
];

/** server.properties of one node: broker and controller, loopback listeners on its own ports. */
export function serverProperties(stateDir: string, state: ClusterState, node: NodeAddress): string {
  const voters = state.nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',');
  const properties: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': node.id,
    'controller.quorum.voters': voters,
    listeners: `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': nodeFiles(stateDir, node.id).data,
    ...replicationProperties(state.nodes.length),
    'num.partitions': 8,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'background.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    // The first consumer group would otherwise wait for 50 offsets partitions to be created.
    'offsets.topic.num.partitions': 8,
    'transaction.state.log.num.partitions': 4,
    // Tools create their topics explicitly; a typo must not create one.
    'auto.create.topics.enable': 'false',
    // Kafka's default 3 s wait for more group members would show up as latency of the first ticks.
    'group.initial.rebalance.delay.ms': 0,
    // A killed node is noticed after its session times out; Kafka's 9 s default would leave its
    // partitions without a leader for most of a short run (and past a Ctrl-C's deadline).
    'broker.heartbeat.interval.ms': 500,
    'broker.session.timeout.ms': 3000,
  };
  return `${Object.entries(properties)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

function lastError(logFile: string): string {
  if (!existsSync(logFile)) return 'no log';
  const lines = readFileSync(logFile, 'utf8').split('\n');
  const bind = lines.find((l) => /Address already in use|BindException/.test(l));
  if (bind) return bind.trim().slice(0, 300);
  const error = lines.findLast((l) => /\b(ERROR|FATAL|Exception)\b/.test(l));
  return (error ?? lines.findLast((l) => l.trim() !== '') ?? 'empty log').trim().slice(0, 300);
}

/** Writes server.properties and formats the node's storage (first start only). */
export function formatNode(java: JavaRuntime, classpath: string, stateDir: string, state: ClusterState, node: NodeAddress): void {
  const files = nodeFiles(stateDir, node.id);
  mkdirSync(files.dir, { recursive: true });
  writeFileSync(files.properties, serverProperties(stateDir, state, node));
  if (existsSync(`${files.data}/meta.properties`)) return;
  const format = spawnSync(
    java.command,
    [
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      `--cluster-id=${state.clusterId}`,
      '-c',
      files.properties,
      '--ignore-formatted',
    ],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  if (format.status !== 0) {
    const said = `${format.stdout ?? ''}\n${format.stderr ?? ''}`
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('SLF4J'))
      .at(-1);
    throw new FirehoseError(
      'LOCAL_CLUSTER',
      `formatting the storage of node ${node.id} in ${files.data} failed: ${said ?? format.error?.message ?? `exit ${format.status}`}`,
    );
  }
}

/**
 * Starts a node's JVM in its own process group (a Ctrl-C at the terminal must not reach the
 * brokers while the run drains), output appended to its log file; returns the pid.
 */
export function startNode(java: JavaRuntime, classpath: string, stateDir: string, node: NodeAddress): number {
  const files = nodeFiles(stateDir, node.id);
  const running = livePid(stateDir, node.id);
  if (running !== null) return running;
  const out = openSync(files.log, 'a');
  try {
    const child = spawn(
      java.command,
      [
        ...JVM_OPTIONS,
        `-Dlog4j2.configurationFile=${repoFile('kafka/local-cluster/log4j2.properties')}`,
        '-cp',
        classpath,
        'kafka.Kafka',
        files.properties,
      ],
      { detached: true, stdio: ['ignore', out, out] },
    );
    if (child.pid === undefined) throw new FirehoseError('LOCAL_CLUSTER', `could not start ${java.command} for node ${node.id}`);
    child.unref();
    writeFileSync(files.pid, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/** Why a node is not running, from the end of its log: used when it exits during start. */
export function nodeExitReason(stateDir: string, id: number): string {
  const files = nodeFiles(stateDir, id);
  return `node ${id} exited: ${lastError(files.log)} (log: ${files.log})`;
}

export function signalNode(stateDir: string, id: number, signal: NodeJS.Signals): boolean {
  const pid = livePid(stateDir, id);
  if (pid === null) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Stops a node: SIGCONT (it may be paused), SIGTERM, and SIGKILL if it has not exited after `graceMs`. */
export async function stopNode(stateDir: string, id: number, graceMs: number): Promise<void> {
  if (!signalNode(stateDir, id, 'SIGCONT')) return;
  signalNode(stateDir, id, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (livePid(stateDir, id) !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (signalNode(stateDir, id, 'SIGKILL')) {
    while (livePid(stateDir, id) !== null) await new Promise((r) => setTimeout(r, 50));
  }
  rmSync(nodeFiles(stateDir, id).pid, { force: true });
}

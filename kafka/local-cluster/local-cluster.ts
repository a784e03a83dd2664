import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { FirehoseError } from '../errors.js';
import { isPaused, livePid, nodeFiles, readState, writeState, type ClusterState } from './cluster-state.js';
import { requireJava, type JavaRuntime } from './java-runtime.js';
import { kafkaVersion, resolveKafkaClasspath } from './kafka-classpath.js';
import { formatNode, nodeExitReason, signalNode, startNode, stopNode } from './kafka-node.js';

export const LOCAL_NODE_COUNTS = [1, 3] as const;
const READY_TIMEOUT_MS = 90_000;

export interface NodeStatus {
  id: number;
  port: number;
  controllerPort: number;
  pid: number | null;
  state: 'running' | 'paused' | 'down';
  log: string;
}

/** Free loopback ports, all distinct: each is bound at once, read, then released. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** True if something accepts TCP connections on the loopback port. */
function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `work` holding `<stateDir>.lock`, so that processes starting the cluster at the same time
 * (a loadgen and two ingest processes with --brokers local) start it once and share it. A lock
 * whose holder has exited is taken over.
 */
async function withStartLock<T>(stateDir: string, work: () => Promise<T>): Promise<T> {
  const lock = `${stateDir}.lock`;
  mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), `${process.pid}\n`);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {
        // Just created by another process, which has not written its pid yet.
      }
      if (Number.isInteger(holder) && !processAlive(holder)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new FirehoseError(
          'LOCAL_CLUSTER',
          `another process (pid ${holder}) has been starting the local cluster in ${stateDir} for 3 minutes (lock ${lock})`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Kafka cluster ids are 16 random bytes in URL-safe base64 without padding. */
/**
 * A KRaft cluster id: 16 random bytes, base64url. One in 64 would start with '-', which
 * kafka-storage's argument parser reads as an option ("--cluster-id/-t: expected one argument");
 * Kafka's own Uuid.randomUuid() draws again in that case, and so does this.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * A real Apache Kafka cluster (KRaft; every node broker and controller) of JVMs on this machine,
 * described by a state dir so that later commands and runs find it: `cluster up` in one process,
 * runs in others, `cluster down` in a third.
 */
export class LocalCluster {
  private constructor(
    readonly stateDir: string,
    readonly state: ClusterState,
  ) {}

  get nodeCount(): number {
    return this.state.nodes.length;
  }

  get bootstrapServers(): string {
    return this.state.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  get kafkaVersion(): string {
    return this.state.kafkaVersion;
  }

  /** The cluster described in `stateDir`, running or not; null if there is none. */
  static open(stateDir: string): LocalCluster | null {
    const state = readState(stateDir);
    return state ? new LocalCluster(stateDir, state) : null;
  }

  /** True if every node of the cluster in `stateDir` runs. */
  static isUp(stateDir: string): boolean {
    const cluster = LocalCluster.open(stateDir);
    return cluster !== null && cluster.status().every((n) => n.state !== 'down');
  }

  /**
   * Starts the cluster in `stateDir`, or reuses it: a running one is used as it is, nodes whose
   * pid files are stale (a crash) are started again on their old ports and data. `started` says
   * whether this call started any node.
   */
  static async up(options: {
    stateDir: string;
    nodes: number;
    log?: (line: string) => void;
  }): Promise<{ cluster: LocalCluster; started: boolean }> {
    const { stateDir, nodes } = options;
    const log = options.log ?? (() => {});
    if (!(LOCAL_NODE_COUNTS as readonly number[]).includes(nodes))
      throw new FirehoseError('BAD_OPTION', `--nodes ${nodes} is invalid: must be 1 or 3`);
    const java = requireJava();
    return withStartLock(stateDir, () => LocalCluster.#upLocked(stateDir, nodes, java, log));
  }

  static async #upLocked(
    stateDir: string,
    nodes: number,
    java: JavaRuntime,
    log: (line: string) => void,
  ): Promise<{ cluster: LocalCluster; started: boolean }> {
    let state = readState(stateDir);
    if (state && state.nodes.length !== nodes && state.nodes.some((n) => livePid(stateDir, n.id) !== null)) {
      throw new FirehoseError(
        'BAD_OPTION',
        `a ${state.nodes.length}-node local cluster is up in ${stateDir}: firehose cluster down first to start one of ${nodes}`,
      );
    }
    if (state && state.nodes.length !== nodes) {
      rmSync(stateDir, { recursive: true, force: true });
      state = null;
    }
    const classpath = resolveKafkaClasspath();
    if (!state) {
      const ports = await freePorts(nodes * 2);
      state = {
        tool: 'tick-firehose-local-cluster',
        kafkaVersion: kafkaVersion(),
        clusterId: newClusterId(),
        createdAt: new Date().toISOString(),
        nodes: Array.from({ length: nodes }, (_, i) => ({ id: i + 1, port: ports[2 * i]!, controllerPort: ports[2 * i + 1]! })),
      };
      writeState(stateDir, state);
    }
    const cluster = new LocalCluster(stateDir, state);
    const down = state.nodes.filter((n) => livePid(stateDir, n.id) === null);
    if (down.length === 0) return { cluster, started: false };
    if (down.length < state.nodes.length)
      log(`local cluster: node ${down.map((n) => n.id).join(', ')} not running (stale pid file); starting it again`);
    try {
      for (const node of down) formatNode(java, classpath, stateDir, state, node);
    } catch (error) {
      // A cluster that never started leaves no state behind: every later run would reuse it and fail the same way.
      if (down.length === state.nodes.length) rmSync(stateDir, { recursive: true, force: true });
      throw error;
    }
    for (const node of down) startNode(java, classpath, stateDir, node);
    cluster.#java = java;
    cluster.#classpath = classpath;
    log(`local cluster: starting ${nodes} Apache Kafka ${state.kafkaVersion} node${nodes > 1 ? 's' : ''} on ${cluster.bootstrapServers}`);
    try {
      await cluster.waitReady();
    } catch (error) {
      await cluster.down();
      throw error;
    }
    return { cluster, started: true };
  }

  #java: JavaRuntime | null = null;
  #classpath: string | null = null;

  status(): NodeStatus[] {
    return this.state.nodes.map((n) => {
      const pid = livePid(this.stateDir, n.id);
      return { ...n, pid, state: pid === null ? 'down' : isPaused(pid) ? 'paused' : 'running', log: nodeFiles(this.stateDir, n.id).log };
    });
  }

  /** Ready when the cluster's metadata lists every broker (`ids`: only these, default all). */
  async waitReady(ids: number[] = this.state.nodes.map((n) => n.id), timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const kafka = new Kafka({
      clientId: 'firehose-cluster-ready',
      brokers: this.bootstrapServers.split(','),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1_000,
      retry: { retries: 0 },
    });
    while (true) {
      const dead = ids.find((id) => livePid(this.stateDir, id) === null);
      if (dead !== undefined) throw new FirehoseError('LOCAL_CLUSTER', nodeExitReason(this.stateDir, dead));
      // A node killed moments ago is still listed until its session times out: its own listener says it is back.
      const listening = (await Promise.all(ids.map((id) => accepting(this.#node(id).port)))).every(Boolean);
      const admin = kafka.admin();
      try {
        if (!listening) throw new Error('not listening yet');
        await admin.connect();
        const { brokers } = await admin.describeCluster();
        if (ids.every((id) => brokers.some((b) => b.nodeId === id))) return;
      } catch {
        // Not accepting connections yet, or no controller elected yet.
      } finally {
        await admin.disconnect().catch(() => {});
      }
      if (Date.now() > deadline) {
        throw new FirehoseError(
          'LOCAL_CLUSTER',
          `the local cluster did not list broker${ids.length > 1 ? 's' : ''} ${ids.join(', ')} within ${timeoutMs / 1000} s (logs: ${ids.map((id) => nodeFiles(this.stateDir, id).log).join(', ')})`,
        );
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** Stops every node and removes the state dir (data, logs). Safe when nothing runs. */
  async down(graceMs = 10_000): Promise<void> {
    await Promise.all(this.state.nodes.map((n) => stopNode(this.stateDir, n.id, graceMs)));
    rmSync(this.stateDir, { recursive: true, force: true });
  }

  /**
   * For a process that started the cluster and must not leave it behind: if the process exits
   * without calling down() (a deadline, a crash), the exit kills the nodes. Returns the remover.
   */
  killOnExit(): () => void {
    const hook = (): void => {
      for (const n of this.state.nodes) signalNode(this.stateDir, n.id, 'SIGKILL');
      if (existsSync(this.stateDir)) rmSync(this.stateDir, { recursive: true, force: true });
    };
    process.on('exit', hook);
    return () => process.off('exit', hook);
  }

  #node(id: number): ClusterState['nodes'][number] {
    const node = this.state.nodes.find((n) => n.id === id);
    if (!node) throw new FirehoseError('BAD_OPTION', `node ${id} is not in the ${this.nodeCount}-node local cluster`);
    return node;
  }

  /** SIGKILL: the node dies as in a power cut (no controlled shutdown, unflushed data lost). */
  killNode(id: number): void {
    this.#node(id);
    signalNode(this.stateDir, id, 'SIGKILL');
  }

  /** SIGSTOP: the node freezes (sessions time out, followers fall out of the ISR) until resumed. */
  pauseNode(id: number): void {
    this.#node(id);
    signalNode(this.stateDir, id, 'SIGSTOP');
  }

  resumeNode(id: number): void {
    this.#node(id);
    signalNode(this.stateDir, id, 'SIGCONT');
  }

  /** A clean shutdown (SIGTERM: controlled shutdown moves its leaders first). */
  async stopNode(id: number): Promise<void> {
    this.#node(id);
    await stopNode(this.stateDir, id, 30_000);
  }

  /** Starts a node that is down again, and (unless `wait` is false) waits until the metadata lists it. */
  async startNode(id: number, wait = true): Promise<void> {
    const node = this.#node(id);
    this.#java ??= requireJava();
    this.#classpath ??= resolveKafkaClasspath();
    // A killed process is reaped a moment after the signal; wait for that before starting anew.
    const deadline = Date.now() + 10_000;
    while (livePid(this.stateDir, id) !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    startNode(this.#java, this.#classpath, this.stateDir, node);
    if (wait) await this.waitReady([id]);
  }

  /**
   * Brings back, synchronously, every node that is paused or down: SIGCONT, or its JVM started
   * (not waited for). For an exit handler, where nothing asynchronous runs any more.
   */
  restoreNow(): void {
    for (const node of this.status()) {
      if (node.state === 'paused') this.resumeNode(node.id);
      if (node.state === 'down') {
        this.#java ??= requireJava();
        this.#classpath ??= resolveKafkaClasspath();
        startNode(this.#java, this.#classpath, this.stateDir, this.#node(node.id));
      }
    }
  }

  /** The leader of a partition as the metadata says now (a fault's `leader` target). */
  async leaderOf(topic: string, partition: number): Promise<number> {
    const admin = new Kafka({
      clientId: 'firehose-fault',
      brokers: this.bootstrapServers.split(','),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2_000,
    }).admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const leader = metadata.topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
      if (leader === undefined || leader < 0) throw new FirehoseError('LOCAL_CLUSTER', `partition ${partition} of ${topic} has no leader`);
      return leader;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
}

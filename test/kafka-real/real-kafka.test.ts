import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartResult } from '../../run/result-parts.js';
import type { RunResult } from '../../run/run-result.js';
import { KAFKA_VERSION } from '../../kafka/local-cluster/kafka-version.js';
import { ingestArgs, loadgenArgs, partFiles, startFirehose, type RunningCommand } from '../cli/cli-process.js';
import { runKafkaToolPeers } from '../../bench/kafka-tools-peers.js';
import { withAdmin } from '../../kafka/topic-admin.js';

// Real Apache Kafka: ONE 3-node local cluster for this file (RF 3, min.insync.replicas 2),
// started in beforeAll and stopped in afterAll; every test uses its own topic. The state dir is
// this file's own, so other developers' clusters and the default one are never touched.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'firehose-real-kafka-'));
const env = { FIREHOSE_CLUSTER_DIR: path.join(tmp, 'cluster') };
const running: RunningCommand[] = [];

function firehose(args: string[]): RunningCommand {
  const command = startFirehose(args, env);
  running.push(command);
  return command;
}

async function succeed(args: string[]): Promise<RunningCommand> {
  const command = firehose(args);
  const code = await command.exited;
  if (code !== 0) throw new Error(`firehose ${args.join(' ')} exited ${code}:\n${command.stderr()}`);
  return command;
}

async function run(name: string, args: string[]): Promise<RunResult> {
  const out = path.join(tmp, name);
  await succeed(['run', '--brokers', 'local', '--no-progress', '--topic', `t-${name}-${process.pid}`, '--out', out, ...args]);
  return JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as RunResult;
}

/** Pids of JVMs running a node of this file's cluster. */
function clusterJvms(): string[] {
  try {
    return execFileSync('pgrep', ['-f', env.FIREHOSE_CLUSTER_DIR], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** produced = acked + failed + indeterminate, and acked = distinct consumed + lost. */
function expectBalanced(r: RunResult): void {
  const t = r.ticks;
  expect(t.produced).toBe(t.acked + t.failed + t.indeterminate);
  expect(t.deadLettered).toBe(0);
  if (t.indeterminate === 0) expect(t.acked).toBe(t.distinctConsumed + t.lost);
  else {
    // A tick that timed out in flight may still have been written and read: it is then neither acked nor lost.
    expect(t.distinctConsumed + t.lost).toBeGreaterThanOrEqual(t.acked);
    expect(t.distinctConsumed + t.lost).toBeLessThanOrEqual(t.acked + t.indeterminate);
  }
}

beforeAll(async () => {
  await succeed(['cluster', 'up', '--nodes', '3']);
}, 180_000);

afterAll(async () => {
  for (const r of running)
    if (r.child.exitCode === null) {
      r.child.kill('SIGKILL');
      await r.exited;
    }
  await startFirehose(['cluster', 'down'], env).exited;
  const left = clusterJvms();
  rmSync(tmp, { recursive: true, force: true });
  expect(left).toEqual([]);
}, 120_000);

describe('firehose cluster on real Apache Kafka (3 nodes)', () => {
  it('status names every node running, its pid, port and log file', async () => {
    const status = await succeed(['cluster', 'status', '--json']);
    const s = JSON.parse(status.stdout()) as {
      up: boolean;
      kafkaVersion: string;
      nodes: Array<{ state: string; pid: number; log: string; port: number }>;
    };
    expect(s.up).toBe(true);
    expect(s.kafkaVersion).toBe(KAFKA_VERSION);
    expect(s.nodes.map((n) => n.state)).toEqual(['running', 'running', 'running']);
    for (const n of s.nodes) expect(existsSync(n.log)).toBe(true);
    expect(new Set(s.nodes.map((n) => n.port)).size).toBe(3);
    expect(clusterJvms()).toHaveLength(3);
  });

  it.each(['confluent', 'kafkajs'])('a run with the %s client loses nothing and says it ran on real Kafka', async (client) => {
    const r = await run(`client-${client}`, ['--client', client, '--ticks', '40000', '--rate', '20000', '--partitions', '4']);
    expect(r.cluster).toMatchObject({ kind: 'kafka', kafkaVersion: KAFKA_VERSION, brokers: 3, embedded: false });
    expect(r.cluster.metadata!.partitions.every((p) => p.replicas.length === 3)).toBe(true);
    expect(r.ticks.acked).toBe(40_000);
    expect(r.ticks.lost).toBe(0);
    expectBalanced(r);
    // The cluster was up before the run: the run leaves it up.
    expect(clusterJvms()).toHaveLength(3);
  });

  it('creates the topic, refuses another partition count, and --recreate replaces it', async () => {
    const first = await run('recreate', ['--ticks', '4000', '--rate', '4000', '--partitions', '2']);
    expect(first.cluster.metadata!.partitions).toHaveLength(2);
    const topic = `t-recreate-${process.pid}`;
    const refused = firehose([
      'run',
      '--brokers',
      'local',
      '--no-progress',
      '--topic',
      topic,
      '--partitions',
      '4',
      '--ticks',
      '4000',
      '--out',
      path.join(tmp, 'refused'),
    ]);
    expect(await refused.exited).toBe(2);
    expect(refused.stderr()).toMatch(/exists with 2 partitions.*--recreate/);
    const out = path.join(tmp, 'recreated');
    await succeed([
      'run',
      '--brokers',
      'local',
      '--no-progress',
      '--topic',
      topic,
      '--partitions',
      '4',
      '--ticks',
      '4000',
      '--rate',
      '4000',
      '--recreate',
      '--out',
      out,
    ]);
    const second = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as RunResult;
    expect(second.cluster.metadata!.partitions).toHaveLength(4);
    expect(second.ticks.lost).toBe(0);
    // Only this run's ticks: the old topic's records went with it.
    expect(second.ticks.distinctConsumed).toBe(4_000);
  });

  it('a fixed-rate sweep runs each setting on a topic of its own and deletes them all afterwards', async () => {
    const out = path.join(tmp, 'sweep-fixed');
    const sweep = await succeed([
      'sweep',
      '--brokers',
      'local',
      '--no-progress',
      '--partitions',
      '1,2',
      '--workers',
      '2',
      '--ticks',
      '2000',
      '--rate',
      '2000',
      '--out',
      out,
    ]);
    const written = JSON.parse(readFileSync(path.join(out, 'sweep.json'), 'utf8')) as { topics: string; entries: { label: string }[] };
    expect(written.entries.map((e) => e.label)).toEqual(['1p-2w-confluent-64tpr', '2p-2w-confluent-64tpr']);
    const runTopics = written.entries.map(
      (e) => (JSON.parse(readFileSync(path.join(out, e.label, 'result.json'), 'utf8')) as RunResult).config.topic,
    );
    expect(new Set(runTopics).size).toBe(2);
    expect(written.topics).toMatch(/^deleted after the sweep: /);
    for (const t of runTopics) expect(written.topics).toContain(`${t}.alerts`);
    const status = JSON.parse((await succeed(['cluster', 'status', '--json'])).stdout()) as { nodes: Array<{ port: number }> };
    const left = await withAdmin(status.nodes.map((n) => `127.0.0.1:${n.port}`).join(','), (admin) => admin.listTopics());
    expect(left.filter((t) => runTopics.some((r) => t.startsWith(r)))).toEqual([]);
    expect(sweep.stderr()).toMatch(/topics deleted after the sweep/);
  });

  // Before the fault tests: a consumer group forming on a cluster whose nodes were just killed and
  // restarted took over 120 s to settle in 2 of 3 CI runs, while on a settled cluster it takes ~35 s.
  it('split roles: two ingest processes in one real consumer group and one loadgen', async () => {
    const out = path.join(tmp, 'split');
    const topic = `t-split-${process.pid}`;
    const setup = { brokers: 'local', topic, partitions: 6, out };
    const ingests = [firehose(ingestArgs(setup, ['--idle-timeout', '4s'])), firehose(ingestArgs(setup, ['--idle-timeout', '4s']))];
    await Promise.all(ingests.map((i) => i.waitFor(/assigned partitions \d/, 60_000)));
    await new Promise((r) => setTimeout(r, 2_000));
    await succeed(loadgenArgs(setup, ['--ticks', '40000', '--rate', '20000']));
    expect(await Promise.all(ingests.map((i) => i.exited))).toEqual([0, 0]);
    const files = partFiles(out);
    const parts = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as PartResult);
    expect(parts.filter((p) => p.role === 'ingest')).toHaveLength(2);
    expect(parts.every((p) => p.cluster.kind === 'kafka')).toBe(true);
    const merge = await succeed(['report', 'merge', ...files, '--json', '--out', out]);
    const merged = JSON.parse(merge.stdout()) as RunResult;
    expect(merged.ticks.acked).toBe(40_000);
    expect(merged.ticks.distinctConsumed).toBe(40_000);
    expect(merged.ticks.lost).toBe(0);
  });

  it('acks=all with min.insync.replicas 2 loses nothing when the leader is killed (and restarted)', async () => {
    const r = await run('kill-acks-all', [
      '--acks',
      'all',
      '--rate',
      '20000',
      '--duration',
      '9',
      '--partitions',
      '4',
      '--fault',
      'kill:leader@3s+3s',
      '--drain-timeout',
      '30s',
    ]);
    expect(r.faults.map((f) => `${f.kind} ${f.phase}`)).toEqual(['kill start', 'kill end']);
    expect(r.faults[0]!.detail).toMatch(/SIGKILL node [123] \(leader of partition 0\)/);
    // Drawn on the report's timeline and listed under it, like the mock's faults.
    expect(readFileSync(path.join(tmp, 'kill-acks-all', 'report.html'), 'utf8')).toMatch(/SIGKILL node [123]/);
    expect(r.ticks.lost).toBe(0);
    expect(r.ticks.failed).toBe(0);
    expectBalanced(r);
    expect(clusterJvms()).toHaveLength(3);
  });

  it('acks=1 across a leader kill: whatever is lost is detected and the accounting balances', async () => {
    const r = await run('kill-acks-1', [
      '--acks',
      '1',
      '--rate',
      '20000',
      '--duration',
      '9',
      '--partitions',
      '4',
      '--fault',
      'kill:leader@3s+3s',
      '--drain-timeout',
      '30s',
    ]);
    expect(r.faults.map((f) => f.kind)).toEqual(['kill', 'kill']);
    expectBalanced(r);
    expect(r.ticks.lost).toBe(Math.max(0, r.ticks.acked - r.ticks.distinctConsumed));
    if (r.ticks.lost > 0) expect(r.warnings.join('\n')).toMatch(/acknowledged ticks were never consumed/);
  });

  it('a paused node (SIGSTOP, then SIGCONT) costs latency, not data, with acks=all', async () => {
    const r = await run('pause', [
      '--acks',
      'all',
      '--rate',
      '10000',
      '--duration',
      '8',
      '--partitions',
      '4',
      '--fault',
      'pause:2@2s+3s',
      '--drain-timeout',
      '30s',
    ]);
    expect(r.faults.map((f) => `${f.kind} ${f.phase}`)).toEqual(['pause start', 'pause end']);
    expect(r.ticks.lost).toBe(0);
    expectBalanced(r);
  });

  it('a broker killed, then Ctrl-C: exit 130 within 10 s, the interrupted result written, and the killed node back', async () => {
    const out = path.join(tmp, 'kill-then-sigint');
    const r = firehose([
      'run',
      '--brokers',
      'local',
      '--no-progress',
      '--topic',
      `t-sigint-${process.pid}`,
      '--rate',
      '10000',
      '--duration',
      '60',
      '--partitions',
      '4',
      '--fault',
      'kill:leader@2s+60s',
      '--out',
      out,
    ]);
    await r.waitFor(/offering/, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const sent = Date.now();
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(130);
    expect(Date.now() - sent).toBeLessThan(10_000);
    const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as RunResult;
    expect(result.status).toBe('interrupted');
    expect(result.faults.map((f) => `${f.kind} ${f.phase}`)).toContain('kill start');
    // The cluster outlives the run: the killed node was started again.
    const deadline = Date.now() + 60_000;
    while (clusterJvms().length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
    expect(clusterJvms()).toHaveLength(3);
    await succeed(['cluster', 'up', '--nodes', '3']);
  });

  it("Kafka's own perf tools run as peers on the same cluster", async () => {
    const status = JSON.parse((await succeed(['cluster', 'status', '--json'])).stdout()) as { bootstrapServers: string };
    const peers = await runKafkaToolPeers({
      bootstrapServers: status.bootstrapServers,
      kafkaVersion: KAFKA_VERSION,
      nodes: 3,
      ticksPerRecord: 64,
      partitions: 4,
      records: 5_000,
      acks: 'all',
      pipelineTicksPerSec: 100_000,
    });
    expect(peers.notes.filter((n) => /gave no figures/.test(n))).toEqual([]);
    expect(peers.tools.map((t) => t.tool)).toEqual(['ProducerPerformance', 'ConsumerPerformance', 'EndToEndLatency']);
    for (const t of peers.tools) expect(t.mbPerSec, t.tool).toBeGreaterThan(0);
    expect(peers.ratios.pipelineVsProducerPerformance).toBeGreaterThan(0);
  });

  it('a node whose JVM died (stale pid file) shows as down and cluster up starts it again', async () => {
    const before = JSON.parse((await succeed(['cluster', 'status', '--json'])).stdout()) as { nodes: Array<{ pid: number }> };
    process.kill(before.nodes[2]!.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    const status = firehose(['cluster', 'status']);
    expect(await status.exited).toBe(1);
    expect(status.stdout()).toMatch(/node 3\s+down/);
    const up = await succeed(['cluster', 'up', '--nodes', '3']);
    expect(up.stderr()).toMatch(/node 3 not running \(stale pid file\)/);
    expect(clusterJvms()).toHaveLength(3);
  });
});

import { execFile } from 'node:child_process';
import { requireJava } from '../kafka/local-cluster/java-runtime.js';
import { resolveKafkaClasspath } from '../kafka/local-cluster/kafka-classpath.js';
import { ensureTopic } from '../kafka/topic-admin.js';
import type { z } from 'zod';
import type { kafkaToolPeersSchema } from './bench-schema.js';
import { frameByteLength } from '../wire/tick-frame.js';
import { defaultReplicationFactor } from '../kafka/replication.js';

/** One of Kafka's own perf tools, run on the same cluster with the same record size, count and acks. */
export type KafkaToolFigures = KafkaToolPeers['tools'][number];
/** bench.json's `peers` (schema in bench-schema.ts). */
export type KafkaToolPeers = z.infer<typeof kafkaToolPeersSchema>;

const MB = 1024 * 1024; // Kafka's tools count MB as MiB

/** Bytes of one frame of `ticksPerRecord` ticks, as loadgen writes it (wire/tick-frame.ts). */
export function frameBytes(ticksPerRecord: number): number {
  return frameByteLength(ticksPerRecord);
}

function java(args: string[], timeoutMs: number): Promise<string> {
  const runtime = requireJava();
  const classpath = resolveKafkaClasspath();
  return new Promise((resolve, reject) => {
    execFile(
      runtime.command,
      ['-Xmx512m', '-cp', classpath, ...args],
      { timeout: timeoutMs, maxBuffer: 16 * MB },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new Error(
              `${args[0]} failed: ${
                `${stderr}`
                  .split('\n')
                  .filter((l) => l && !l.startsWith('SLF4J'))
                  .at(-1) ?? error.message
              }`,
            ),
          );
        else resolve(`${stdout}\n${stderr}`);
      },
    );
  });
}

/** "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, P ms 50th, Q ms 95th, S ms 99th, T ms 99.9th." */
export function parseProducerPerformance(output: string, records: number): KafkaToolFigures {
  const line = output.split('\n').findLast((l) => /records sent,.*50th/.test(l));
  const m = line && /([\d.]+) records\/sec \(([\d.]+) MB\/sec\).*?([\d.]+) ms 50th.*?([\d.]+) ms 99th/.exec(line);
  if (!m) throw new Error(`ProducerPerformance printed no summary line: ${output.slice(-300)}`);
  return {
    tool: 'ProducerPerformance',
    records,
    recordsPerSec: Number(m[1]),
    mbPerSec: (Number(m[2]) * MB) / 1e6,
    latencyMs: { p50: Number(m[3]), p99: Number(m[4]) },
    note: "open throttle (--throughput -1): the producer's maximum, latency measured send → ack under that load",
  };
}

/** A header line "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ..." and one value line. */
export function parseConsumerPerformance(output: string, records: number): KafkaToolFigures {
  const lines = output.split('\n').map((l) => l.trim());
  const header = lines.findIndex((l) => l.startsWith('start.time'));
  const names = header >= 0 ? lines[header]!.split(',').map((s) => s.trim()) : [];
  const values = header >= 0 ? (lines[header + 1] ?? '').split(',').map((s) => s.trim()) : [];
  const get = (name: string): number => Number(values[names.indexOf(name)]);
  const mbPerSec = get('MB.sec');
  const recordsPerSec = get('nMsg.sec');
  if (!Number.isFinite(mbPerSec) || !Number.isFinite(recordsPerSec))
    throw new Error(`ConsumerPerformance printed no figures: ${output.slice(-300)}`);
  return {
    tool: 'ConsumerPerformance',
    records,
    recordsPerSec,
    mbPerSec: (mbPerSec * MB) / 1e6,
    latencyMs: null,
    note: 'reads the records ProducerPerformance wrote, from the start of the topic, as fast as it can (group join included in the time)',
  };
}

/** "Avg latency: A ms" and "Percentiles: 50th = P, 99th = Q, 99.9th = R". */
export function parseEndToEndLatency(output: string, records: number, recordSize: number): KafkaToolFigures {
  const avg = /Avg latency: ([\d.]+) ms/.exec(output);
  const pct = /50th = ([\d.]+), 99th = ([\d.]+)/.exec(output);
  if (!avg || !pct) throw new Error(`EndToEndLatency printed no figures: ${output.slice(-300)}`);
  const recordsPerSec = 1000 / Number(avg[1]);
  return {
    tool: 'EndToEndLatency',
    records,
    recordsPerSec,
    mbPerSec: (recordsPerSec * recordSize) / 1e6,
    latencyMs: { p50: Number(pct[1]), p99: Number(pct[2]) },
    note: 'CLOSED LOOP: one record in flight, the next sent only after the previous was consumed; its latency is a floor with no load, not comparable with an open-loop p99 under load',
  };
}

/**
 * Runs ProducerPerformance, ConsumerPerformance (on what the producer wrote) and EndToEndLatency
 * from org.apache.kafka:kafka-tools against the local cluster, each on its own topic.
 */
export async function runKafkaToolPeers(options: {
  bootstrapServers: string;
  kafkaVersion: string;
  nodes: number;
  ticksPerRecord: number;
  partitions: number;
  records: number;
  acks: 'all' | '1' | '0';
  pipelineTicksPerSec: number | null;
  log?: (line: string) => void;
}): Promise<KafkaToolPeers> {
  const log = options.log ?? (() => {});
  const recordSize = frameBytes(options.ticksPerRecord);
  const rf = defaultReplicationFactor(options.nodes);
  const stamp = Date.now().toString(36);
  const topic = `peers-${stamp}`;
  const e2eTopic = `peers-e2e-${stamp}`;
  await ensureTopic(options.bootstrapServers, topic, options.partitions, rf);
  await ensureTopic(options.bootstrapServers, e2eTopic, 1, rf);
  const timeoutMs = 10 * 60_000;
  const tools: KafkaToolFigures[] = [];
  const notes: string[] = [];
  const attempt = async (name: string, work: () => Promise<KafkaToolFigures>): Promise<void> => {
    log(`peers: ${name} (${options.records.toLocaleString('en-US')} records of ${recordSize} bytes, acks=${options.acks})`);
    try {
      tools.push(await work());
    } catch (error) {
      notes.push(`${name} gave no figures: ${(error as Error).message}`);
    }
  };
  await attempt('ProducerPerformance', async () =>
    parseProducerPerformance(
      await java(
        [
          'org.apache.kafka.tools.ProducerPerformance',
          '--topic',
          topic,
          '--num-records',
          String(options.records),
          '--record-size',
          String(recordSize),
          '--throughput',
          '-1',
          '--producer-props',
          `bootstrap.servers=${options.bootstrapServers}`,
          `acks=${options.acks}`,
        ],
        timeoutMs,
      ),
      options.records,
    ),
  );
  await attempt('ConsumerPerformance', async () =>
    parseConsumerPerformance(
      await java(
        [
          'org.apache.kafka.tools.ConsumerPerformance',
          '--bootstrap-server',
          options.bootstrapServers,
          '--topic',
          topic,
          '--messages',
          String(options.records),
          '--timeout',
          '60000',
        ],
        timeoutMs,
      ),
      options.records,
    ),
  );
  // A closed loop is slow: a few thousand round trips are enough for its percentiles.
  const e2eRecords = Math.min(options.records, 5_000);
  await attempt('EndToEndLatency', async () =>
    parseEndToEndLatency(
      await java(
        [
          'org.apache.kafka.tools.EndToEndLatency',
          options.bootstrapServers,
          e2eTopic,
          String(e2eRecords),
          options.acks,
          String(recordSize),
        ],
        timeoutMs,
      ),
      e2eRecords,
      recordSize,
    ),
  );

  const pipeline =
    options.pipelineTicksPerSec === null
      ? null
      : {
          ticksPerSec: options.pipelineTicksPerSec,
          recordsPerSec: Math.round(options.pipelineTicksPerSec / options.ticksPerRecord),
          mbPerSec: ((options.pipelineTicksPerSec / options.ticksPerRecord) * recordSize) / 1e6,
        };
  const ratio = (tool: KafkaToolFigures['tool']): number | null => {
    const peer = tools.find((t) => t.tool === tool);
    return pipeline && peer && peer.mbPerSec > 0 ? Math.round((pipeline.mbPerSec / peer.mbPerSec) * 100) / 100 : null;
  };
  notes.push(
    'same cluster, same run, same record size (one frame of ticks) and acks; MB = 10^6 bytes of record values',
    "this pipeline's figure is its best sustained end-to-end rate (produce, consume and every detector, latency-bounded); ProducerPerformance and ConsumerPerformance each run alone at full throttle",
  );
  return {
    cluster: { kind: 'kafka', kafkaVersion: options.kafkaVersion, nodes: options.nodes, bootstrapServers: options.bootstrapServers },
    recordSize,
    records: options.records,
    acks: options.acks,
    tools,
    pipeline,
    ratios: { pipelineVsProducerPerformance: ratio('ProducerPerformance'), pipelineVsConsumerPerformance: ratio('ConsumerPerformance') },
    notes,
  };
}

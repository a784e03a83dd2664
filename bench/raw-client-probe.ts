import type { ClientKind, ConsumedRecord, FrameConsumer, FrameProducer } from '../kafka/client.js';
import { createFrameConsumer, createFrameProducer } from '../kafka/client-factory.js';
import { EmbeddedCluster } from '../kafka/embedded-cluster.js';
import { ensureTopic } from '../kafka/topic-admin.js';
import { frameByteLength } from '../wire/tick-frame.js';
import { nowUs } from '../wire/clock.js';
import type { ResourceUsage } from './types.js';
import { perRecord, threadCpu, type ThreadCpu } from './thread-cpu.js';
import { defaultReplicationFactor } from '../kafka/replication.js';

export interface RawClientOptions {
  client: ClientKind;
  /** Real brokers; absent = a fresh embedded (librdkafka mock) cluster in this process. */
  brokers?: string;
  partitions: number;
  /** Record size as the pipeline writes it: a 24-byte frame header plus 48 bytes per tick. */
  ticksPerRecord: number;
  /** Measured sending time of the produce-only probe (after a short warm-up). */
  produceSec: number;
  /** The consume-only probe re-reads the prefilled topic (new group each pass) until this much time was measured. */
  consumeSec: number;
  /** Producer linger and acks as the pipeline's defaults. */
  producerLingerMs: number;
  acks: -1 | 0 | 1;
}

export interface RawRate {
  records: number;
  elapsedSec: number;
  recordsPerSec: number;
  megabytesPerSec: number;
}

/** How the consume-only figure was gathered, and what it cost. */
export interface ConsumePasses {
  passes: number;
  recordsPerPass: number;
  /** CPU of the whole process (client threads and the in-process brokers) from each pass's first record to its last, per record, µs. */
  cpuUsPerRecord: number | null;
  /** The same by thread (Linux; zeros elsewhere), first record of each pass to its end. */
  cpuUsPerRecordByThread: ThreadCpu | null;
}

export interface RawClientResult {
  kind: 'raw-client';
  client: ClientKind;
  cluster: 'embedded' | 'brokers';
  partitions: number;
  ticksPerRecord: number;
  recordBytes: number;
  produce: RawRate | null;
  consume: (RawRate & ConsumePasses) | null;
  errors: string[];
  resources: ResourceUsage;
}

const PRODUCE_WARMUP_SEC = 0.5;
const PRODUCE_GRACE_SEC = 10;
/** The mock keeps at most 5 MB per partition and drops older data: prefill well under it. */
const PREFILL_BYTES_PER_PARTITION = 3 * 1024 * 1024;
/** Per-record overhead in a v2 record batch (length, attributes, deltas, key), roughly. */
const RECORD_OVERHEAD_BYTES = 16;
const MAX_CONSUME_PASSES = 30;
/** ... and at most this many records per partition, so that one pass of the slowest client stays short. */
const PREFILL_MAX_RECORDS_PER_PARTITION = 5_000;
const STALL_MS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rate(records: number, elapsedSec: number, recordBytes: number): RawRate {
  const s = Math.max(1e-6, elapsedSec);
  return {
    records,
    elapsedSec: Math.round(s * 1000) / 1000,
    recordsPerSec: Math.round(records / s),
    megabytesPerSec: Math.round((records * recordBytes) / s / 1e4) / 100,
  };
}

/**
 * The client alone, through the same adapter and settings the pipeline uses, with nothing else in
 * the process: no generation, no frame encoding, no analytics. Produce-only pushes records of the
 * pipeline's size as fast as the client acknowledges them (closed loop, bounded by the adapter's
 * pending limit); consume-only reads a prefilled topic from the start as a consumer group and
 * commits after each delivered batch, as the pipeline does. Both count records per second.
 */
export async function runRawClientProbe(options: RawClientOptions): Promise<RawClientResult> {
  const usage0 = process.resourceUsage();
  const recordBytes = frameByteLength(options.ticksPerRecord);
  const topic = `raw-${options.client}-${options.ticksPerRecord}-${process.pid}-${Date.now()}`;
  const errors: string[] = [];
  const cluster = options.brokers
    ? null
    : await EmbeddedCluster.start({ topics: [{ name: topic, partitions: options.partitions }], groupInitialRebalanceDelayMs: 0 });
  const brokers = options.brokers ?? cluster!.bootstrapServers;
  if (options.brokers) await ensureTopic(brokers, topic, options.partitions, defaultReplicationFactor(brokers.split(',').length));
  const value = Buffer.alloc(recordBytes);
  const key = Buffer.from('raw');
  try {
    // Each half stands alone: a client that fails one (a group join that crashed, a connection
    // refused) still reports the other, and the failure is one of the result's errors.
    const produce = await produceOnly(options, brokers, `${topic}`, value, key, errors).catch((error: unknown) => {
      errors.push(`produce: ${messageOf(error)}`);
      return null;
    });
    const consume = await consumePrefilled(options, cluster, brokers, topic, recordBytes, value, key, errors).catch((error: unknown) => {
      errors.push(`consume: ${messageOf(error)}`);
      return null;
    });
    const usage = process.resourceUsage();
    return {
      kind: 'raw-client',
      client: options.client,
      cluster: options.brokers ? 'brokers' : 'embedded',
      partitions: options.partitions,
      ticksPerRecord: options.ticksPerRecord,
      recordBytes,
      produce: produce && rate(produce.records, produce.elapsedSec, recordBytes),
      consume,
      errors,
      resources: {
        cpuUserMs: (usage.userCPUTime - usage0.userCPUTime) / 1000,
        cpuSystemMs: (usage.systemCPUTime - usage0.systemCPUTime) / 1000,
        maxRssMb: usage.maxRSS / 1024,
      },
    };
  } finally {
    await cluster?.stop();
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Fills a fresh topic, then reads it back as consume-only passes; null when nothing was prefilled. */
async function consumePrefilled(
  options: RawClientOptions,
  cluster: EmbeddedCluster | null,
  brokers: string,
  topic: string,
  recordBytes: number,
  value: Buffer,
  key: Buffer,
  errors: string[],
): Promise<(RawRate & ConsumePasses) | null> {
  // A fresh topic for consuming: the produce-only topic lost its oldest data to the mock's retention.
  const consumeTopic = `${topic}-c`;
  if (cluster) await cluster.createTopic(consumeTopic, options.partitions);
  else await ensureTopic(brokers, consumeTopic, options.partitions, defaultReplicationFactor(brokers.split(',').length));
  const perPartition = Math.max(
    1,
    Math.min(PREFILL_MAX_RECORDS_PER_PARTITION, Math.floor(PREFILL_BYTES_PER_PARTITION / (recordBytes + RECORD_OVERHEAD_BYTES))),
  );
  const total = await prefill(brokers, consumeTopic, options.partitions, perPartition, value, key, errors);
  return total > 0 ? await consumeOnly(options, brokers, consumeTopic, total, recordBytes, errors) : null;
}

async function produceOnly(
  options: RawClientOptions,
  brokers: string,
  topic: string,
  value: Buffer,
  key: Buffer,
  errors: string[],
): Promise<{ records: number; elapsedSec: number } | null> {
  let acked = 0;
  let failed = 0;
  const producer: FrameProducer = createFrameProducer(
    options.client,
    {
      brokers,
      clientId: 'firehose-raw-producer',
      topic,
      acks: options.acks,
      compression: 'none',
      lingerMs: options.producerLingerMs,
      maxPendingFrames: 20_000,
      idempotent: false,
    },
    {
      delivered: () => {
        acked++;
      },
      failed: (_f, error) => {
        if (failed++ === 0) errors.push(`produce: ${error.message}`);
      },
    },
  );
  await producer.connect();
  try {
    const startUs = nowUs();
    const endUs = startUs + (PRODUCE_WARMUP_SEC + options.produceSec) * 1e6;
    let partition = 0;
    let measuredFromAcked = -1;
    let measuredFromUs = 0;
    // Closed loop: hand over records until the client refuses more, yield, repeat. A client whose
    // requests take longer than the window (a loaded machine) is given up to PRODUCE_GRACE_SEC more
    // to show any acknowledgement at all, rather than reading as 0.
    const graceEndUs = endUs + PRODUCE_GRACE_SEC * 1e6;
    while (nowUs() < endUs || (acked <= Math.max(0, measuredFromAcked) && nowUs() < graceEndUs)) {
      if (measuredFromAcked < 0 && nowUs() - startUs >= PRODUCE_WARMUP_SEC * 1e6) {
        measuredFromAcked = acked;
        measuredFromUs = nowUs();
      }
      let sent = 0;
      while (sent < 4096 && producer.send({ partition, key, value, tickCount: options.ticksPerRecord, producedAtUs: 0 })) {
        partition = (partition + 1) % options.partitions;
        sent++;
      }
      await new Promise((r) => setImmediate(r));
    }
    const elapsedSec = (nowUs() - measuredFromUs) / 1e6;
    const records = acked - Math.max(0, measuredFromAcked);
    await producer.flush(10_000);
    return failed > 0 && records === 0 ? null : { records, elapsedSec };
  } finally {
    await producer.disconnect();
  }
}

/** Fills the topic with the Confluent client (the fastest producer here), whatever client is measured. */
async function prefill(
  brokers: string,
  topic: string,
  partitions: number,
  perPartition: number,
  value: Buffer,
  key: Buffer,
  errors: string[],
): Promise<number> {
  let acked = 0;
  const producer = createFrameProducer(
    'confluent',
    {
      brokers,
      clientId: 'firehose-raw-prefill',
      topic,
      acks: -1,
      compression: 'none',
      lingerMs: 5,
      maxPendingFrames: 50_000,
      idempotent: false,
    },
    {
      delivered: () => {
        acked++;
      },
      failed: (_f, error) => {
        errors.push(`prefill: ${error.message}`);
      },
    },
  );
  await producer.connect();
  try {
    const total = perPartition * partitions;
    let sent = 0;
    while (sent < total) {
      if (producer.send({ partition: sent % partitions, key, value, tickCount: 0, producedAtUs: 0 })) sent++;
      else await sleep(1);
    }
    await producer.flush(30_000);
    return acked;
  } finally {
    await producer.disconnect();
  }
}

async function consumeOnly(
  options: RawClientOptions,
  brokers: string,
  topic: string,
  total: number,
  recordBytes: number,
  errors: string[],
): Promise<RawRate & ConsumePasses> {
  let measuredRecords = 0;
  let measuredSec = 0;
  let measuredCpuUs = 0;
  const threads: ThreadCpu = { main: 0, client: 0, brokers: 0, other: 0 };
  let passes = 0;
  while (passes < MAX_CONSUME_PASSES && (passes === 0 || measuredSec < options.consumeSec)) {
    passes++;
    let count = 0;
    let firstUs = 0;
    let firstBatch = 0;
    let lastUs = 0;
    // Once per delivered batch, as the times are: the span's CPU counts the same records as its rate.
    let firstCpu = process.cpuUsage();
    let lastCpu = firstCpu;
    let firstThreads: ThreadCpu | null = null;
    let lastThreads: ThreadCpu | null = null;
    let consumer: FrameConsumer | null = null;
    consumer = createFrameConsumer(
      options.client,
      { brokers, clientId: 'firehose-raw-consumer', groupId: `${topic}-pass-${passes}`, topic },
      {
        records: (partition: number, records: ConsumedRecord[]) => {
          const now = nowUs();
          lastCpu = process.cpuUsage();
          if (count === 0) {
            firstUs = now;
            firstBatch = records.length;
            firstCpu = lastCpu;
            firstThreads = threadCpu();
          }
          count += records.length;
          lastUs = now;
          // Threads are read at the pass's last record, as the process CPU and the time are: read
          // after the wait that notices it, they counted up to a poll more than the records did.
          if (count >= total && lastThreads === null) lastThreads = threadCpu();
          const next = records[records.length - 1]!.offset + 1;
          consumer!.commit(partition, next);
        },
        assigned: () => {},
        revoked: () => {},
        error: (error) => {
          if (errors.length < 10) errors.push(`consume: ${error.message}`);
        },
      },
    );
    try {
      await consumer.start();
    } catch (error) {
      await consumer.stop().catch(() => {});
      // Each pass joins a new group (up to MAX_CONSUME_PASSES joins): one that fails after others
      // were measured ends the passes, not the probe.
      if (measuredRecords === 0) throw error;
      errors.push(`consume pass ${passes}: ${messageOf(error)}`);
      passes--; // counts the passes measured
      break;
    }
    let lastCount = -1;
    let lastProgress = Date.now();
    while (count < total) {
      await sleep(2);
      if (count !== lastCount) {
        lastCount = count;
        lastProgress = Date.now();
      } else if (Date.now() - lastProgress > STALL_MS) {
        errors.push(`consume pass ${passes}: stalled at ${count} of ${total} records`);
        break;
      }
    }
    // A pass that stalled short of the last record: its threads as they are now.
    lastThreads ??= threadCpu();
    await consumer.stop();
    // From the first record to the last: the group join before it is not the client's throughput.
    if (count > firstBatch && lastUs > firstUs) {
      measuredRecords += count - firstBatch;
      measuredSec += (lastUs - firstUs) / 1e6;
      measuredCpuUs += lastCpu.user - firstCpu.user + (lastCpu.system - firstCpu.system);
      if (firstThreads !== null)
        for (const k of ['main', 'client', 'brokers', 'other'] as const) threads[k] += lastThreads[k] - firstThreads[k];
    }
    if (count < total) break;
  }
  return {
    ...rate(measuredRecords, measuredSec, recordBytes),
    passes,
    recordsPerPass: total,
    cpuUsPerRecord: measuredRecords > 0 ? Math.round((measuredCpuUs / measuredRecords) * 10) / 10 : null,
    cpuUsPerRecordByThread: measuredRecords > 0 ? perRecord({ main: 0, client: 0, brokers: 0, other: 0 }, threads, measuredRecords) : null,
  };
}

import { IngestSession } from '../ingest/ingest-session.js';
import { prepareCluster } from '../run/run-cluster.js';
import { createLoadGenerator, createProducerFor, ingestOptionsFor } from '../run/run-clients.js';
import { resolveRunConfig } from '../run/run-config.js';
import type { ClientKind } from '../kafka/client.js';
import { nowUs } from '../wire/clock.js';
import { frameByteLength } from '../wire/tick-frame.js';
import type { LoadGenerator } from '../loadgen/load-generator.js';
import { stat } from 'node:fs/promises';
import { MS_PER_TICK, readThreads } from '../metrics/thread-cpu.js';
import { perRecord, threadCpu, type ThreadCpu } from './thread-cpu.js';

export interface PerRecordBacklogOptions {
  client: ClientKind;
  partitions: number;
  workers: number;
  instruments: number;
  venues: number;
  seed: number;
  /** Records (= ticks, one per record) written per partition before the pipeline starts reading. */
  recordsPerPartition: number;
}

export interface PerRecordBacklogResult {
  kind: 'per-record-backlog';
  client: ClientKind;
  cluster: 'embedded';
  partitions: number;
  recordBytes: number;
  /** Records on the topic before the ingest session joined. */
  prefilled: number;
  /** Records the pipeline analysed (every detector on) and committed. */
  analysed: number;
  /** Records analysed after the first task ended: what recordsPerSec counts. */
  timedRecords: number;
  /** Records analysed per second, from the first task's end to the last's (the group join and JIT warm-up before it left out). */
  recordsPerSec: number | null;
  elapsedSec: number;
  /** CPU of the whole process (consumer, workers, the in-process brokers) over that span, per record, µs. */
  cpuUsPerRecord: number | null;
  /** The same by thread (Linux; zeros elsewhere): where the pipeline's per-record CPU goes. */
  cpuUsPerRecordByThread: ThreadCpu | null;
  /**
   * `other` of cpuUsPerRecordByThread in two: the analytics workers (the threads the ingest
   * session started), and the runtime's threads started before it (V8's GC and compiler helpers,
   * libuv's pool) with any others.
   */
  cpuUsPerRecordOther: { workers: number; runtime: number } | null;
  errors: string[];
}

/** The mock keeps at most 100k message sets and ~5 MB per partition: stay well under both. */
export const MAX_BACKLOG_RECORDS_PER_PARTITION = 40_000;
const STALL_MS = 10_000;
const PRODUCE_RATE = 2_000_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The pipeline's consuming half at one tick per record, measured as the raw consume-only probe
 * measures the client alone: a fresh embedded cluster in this process, a topic filled before
 * anyone reads it (here by the real load generator, so the records are valid tick frames), then
 * the ingest session (consumer group, dispatcher, analytics workers with every detector, commits
 * after analysis) reading it from the start. Nothing produces while it is measured, as in the raw
 * probe; what differs from the raw figure is the pipeline's own per-record path.
 */
export async function runPerRecordBacklog(options: PerRecordBacklogOptions): Promise<PerRecordBacklogResult> {
  const perPartition = Math.min(MAX_BACKLOG_RECORDS_PER_PARTITION, Math.max(1, Math.round(options.recordsPerPartition)));
  const total = perPartition * options.partitions;
  const config = resolveRunConfig({
    brokers: 'embedded',
    topic: `backlog-${process.pid}-${Date.now()}`,
    client: options.client,
    partitions: options.partitions,
    workers: options.workers,
    instruments: options.instruments,
    venues: options.venues,
    seed: options.seed,
    ticksPerRecord: 1,
    ticks: total,
    rate: PRODUCE_RATE,
  });
  const errors: string[] = [];
  const prepared = await prepareCluster(config, 1);
  let session: IngestSession | null = null;
  try {
    const prefilled = await prefill(config, prepared.brokers, errors);
    // libuv's pool starts on first use: started now, its threads are not taken for the session's.
    await stat('/').catch(() => {});
    const before = new Set(readThreads().keys());
    session = await IngestSession.start(ingestOptionsFor(config, prepared.brokers, nowUs, () => {}, { sources: 1, capacity: total }));
    const counts = session.counts;
    // The span starts at the first finished task: its records, and the process CPU until then, are left out.
    // Nothing prefilled, or a group that never reads, would wait here for good.
    const firstDeadline = Date.now() + STALL_MS;
    while (counts.firstConsumedUs === 0 && prefilled > 0 && Date.now() < firstDeadline) await sleep(1);
    if (counts.firstConsumedUs === 0) throw new Error(`no record of the ${prefilled} prefilled was analysed within ${STALL_MS / 1000} s`);
    const fromTicks = counts.consumedTicks;
    const fromUs = counts.lastConsumedUs;
    const fromCpu = process.cpuUsage();
    const fromThreads = threadCpu();
    const fromWorkers = workerTicks(before);
    let last = fromTicks;
    let lastChange = Date.now();
    while (counts.consumedTicks < prefilled) {
      await sleep(2);
      if (counts.consumedTicks !== last) {
        last = counts.consumedTicks;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > STALL_MS) {
        errors.push(`stalled at ${counts.consumedTicks} of ${prefilled} records`);
        break;
      }
    }
    // Read at most a poll after the last task ended (or, stalled, STALL_MS after: the CPU figures are then wrong anyway).
    const toCpu = process.cpuUsage();
    const toThreads = threadCpu();
    const toWorkers = workerTicks(before);
    const records = counts.consumedTicks - fromTicks;
    const elapsedSec = (counts.lastConsumedUs - fromUs) / 1e6;
    const cpuUs = toCpu.user - fromCpu.user + (toCpu.system - fromCpu.system);
    errors.push(...counts.errors.slice(0, 5));
    return {
      kind: 'per-record-backlog',
      client: options.client,
      cluster: 'embedded',
      partitions: options.partitions,
      recordBytes: frameByteLength(1),
      prefilled,
      analysed: counts.consumedTicks,
      timedRecords: records,
      recordsPerSec: records > 0 && elapsedSec > 0 ? Math.round(records / elapsedSec) : null,
      elapsedSec: Math.round(elapsedSec * 1e6) / 1e6,
      cpuUsPerRecord: records > 0 ? Math.round((cpuUs / records) * 10) / 10 : null,
      cpuUsPerRecordByThread: records > 0 ? perRecord(fromThreads, toThreads, records) : null,
      cpuUsPerRecordOther:
        records > 0 ? splitOther(perRecord(fromThreads, toThreads, records).other, toWorkers - fromWorkers, records) : null,
      errors,
    };
  } finally {
    await session?.close();
    await prepared.cluster?.stop();
  }
}

/** CPU of the threads started since `before` that are not librdkafka's (the analytics workers), µs. */
function workerTicks(before: Set<number>): number {
  let ticks = 0;
  for (const [tid, thread] of readThreads()) if (!before.has(tid) && !thread.comm.startsWith('rdk:')) ticks += thread.ticks;
  return ticks * MS_PER_TICK * 1000;
}

function splitOther(otherPerRecord: number, workerUs: number, records: number): { workers: number; runtime: number } {
  const workers = Math.round((workerUs / records) * 10) / 10;
  return { workers, runtime: Math.max(0, Math.round((otherPerRecord - workers) * 10) / 10) };
}

/** Writes every tick of the configured stream as fast as the producer takes them; returns how many were acknowledged. */
async function prefill(config: ReturnType<typeof resolveRunConfig>, brokers: string, errors: string[]): Promise<number> {
  let generator: LoadGenerator | null = null;
  const producer = createProducerFor(config, brokers, () => generator);
  await producer.connect();
  try {
    generator = createLoadGenerator(config, nowUs);
    await generator.run(producer, 30_000);
    const stats = generator.produceStats;
    if (stats.failed > 0) errors.push(`prefill: ${stats.failed} ticks failed${stats.firstError ? ` (${stats.firstError})` : ''}`);
    return stats.acked;
  } finally {
    await producer.disconnect();
  }
}

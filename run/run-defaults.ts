import os from 'node:os';
import type { ClientKind, CompressionCodec } from '../kafka/client.js';

/** Defaults in one place; the CLI help shows them and the config schema applies them. */
export const RUN_DEFAULTS = {
  embeddedBrokers: 3,
  // Nodes of a local cluster a run starts: 3 (replication and acks=all as in production) where there
  // are cores for three broker JVMs beside the pipeline; on fewer than 4 cores, 1. On 2 cores three
  // nodes carried 59.5k of 100k ticks/s offered (p50 7.2 s), one node all of it: a first run that is
  // overloaded by its own brokers says nothing about the pipeline. --nodes 3 asks for replication.
  localNodes: (os.availableParallelism() >= 4 ? 3 : 1) as 1 | 3,
  // A sweep's local cluster (when it starts one): 1 node. On 2 cores three broker JVMs take CPU from
  // the pipeline being measured, and a sweep compares settings on one cluster, not replication.
  sweepLocalNodes: 1 as 1 | 3,
  client: 'confluent' as ClientKind,
  partitions: 8,
  workers: Math.max(1, Math.min(4, os.availableParallelism())),
  rate: 100_000,
  durationSec: 10,
  instruments: 1000,
  venues: 5,
  ticksPerRecord: 64,
  /** --frame-linger: longest a partly filled frame (Kafka record) waits for more ticks, ms. */
  frameLingerMs: 2,
  // Measured on the embedded cluster at 900k ticks/s offered: 2 ms sustained 557k/s, 5 ms 802k/s,
  // 10 ms 850k/s (its brokers return one producer batch per partition per fetch).
  producerLingerMs: 5,
  // A message between threads costs about as much as analysing a 64-tick frame.
  framesPerTask: 16,
  requestTimeoutMs: 5_000,
  acks: 'all' as 'all' | '-1' | '0' | '1',
  compression: 'none' as CompressionCodec,
  idempotent: false,
  recreate: false,
  // Generation on its own thread: at 400k ticks/s (embedded, 64 ticks/record, load 12-20, two
  // order-balanced pairs) the main thread spent 1.26-1.38 CPU-s per M ticks with it inline and
  // 0.54-0.55 without it, for the same process total; at load 12-16 inline analysed 152k/301k of
  // 400k offered, threaded 399k/398k (at load 16-20 neither kept up).
  loadgenThread: true,
  seed: 1,
  // The realistic market: its quality figures are the ones worth reading.
  market: 'fair-value' as 'fair-value' | 'simple',
  sourceId: 0,
  inject: 'default' as 'default' | 'none',
  injectScale: 1,
  drainTimeoutSec: 20,
  /** --warmup: seconds at the start of --duration kept out of the headline latency (0 = none). */
  warmupSec: 0,
  profile: 'throughput' as 'throughput' | 'latency',
  json: false,
  progress: true,
  injectMalformed: 0,
  injectWorkerFailures: 0,
};

/** A lower bound on the analysed rate: a percentage of the offered rate, or ticks/s. */
export type RateLimit = { kind: 'percent'; value: number } | { kind: 'absolute'; value: number };

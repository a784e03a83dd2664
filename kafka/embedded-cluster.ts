import net from 'node:net';
import { defaultReplicationFactor } from './replication.js';
import type { KoffiFunc, LibraryHandle } from 'koffi';
import { findLibrdkafka } from './librdkafka-path.js';
import { trackNativeCall } from './native-calls.js';

/** koffi 3 hands C pointers to JS as BigInt addresses (no type tag: passing the wrong one crashes). */
type Ptr = bigint;

/** Kafka protocol ApiKeys most useful for fault injection (see the Kafka protocol guide). */
export const KafkaApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  ApiVersions: 18,
  InitProducerId: 22,
} as const;

/** rd_kafka_resp_err_t values most useful for fault injection; negative ones are librdkafka-internal. */
export const KafkaErrorCode = {
  /** Makes the mock broker drop the client's connection instead of answering. */
  Transport: -195,
  NoError: 0,
  OffsetOutOfRange: 1,
  UnknownTopicOrPartition: 3,
  LeaderNotAvailable: 5,
  NotLeaderOrFollower: 6,
  RequestTimedOut: 7,
  CoordinatorLoadInProgress: 14,
  CoordinatorNotAvailable: 15,
  NotCoordinator: 16,
  NotEnoughReplicas: 19,
  UnknownMemberId: 25,
  RebalanceInProgress: 27,
} as const;

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Default: min(3, brokers), as on a real cluster with default.replication.factor=3. */
  replicationFactor?: number;
}

export interface EmbeddedClusterOptions {
  /** Number of mock brokers, ids 1..brokers. Default 3. */
  brokers?: number;
  topics?: TopicSpec[];
  /**
   * Broker-side group.initial.rebalance.delay.ms: how long the first JoinGroup of an empty consumer
   * group waits for more members before electing a leader. The mock's default (Kafka's) is 3000 ms.
   */
  groupInitialRebalanceDelayMs?: number;
}

/** A broker id (1..brokers) or every broker at once. */
export type BrokerTarget = number | 'all';

const MAX_BROKERS = 16;
const INT32_MAX = 2 ** 31 - 1;
const INT16_MAX = 2 ** 15 - 1;
const RD_KAFKA_PRODUCER = 0;
const RD_KAFKA_CONF_OK = 0;
// Kafka's own limits: legal characters and at most 249 of them.
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
// Healthy mock requests are answered in well under a millisecond; see EmbeddedCluster.#serve.
const WAKE_AFTER_MS = 15;
const WAKE_RETRY_MS = 100;

/**
 * Typed view of the C functions this module calls; names mirror librdkafka's without the rd_kafka_ prefix.
 * Calls served by the mock thread (they queue a request and wait for its answer) keep koffi's `.async`.
 */
interface Librdkafka {
  readonly path: string;
  readonly version: string;
  readonly handle: LibraryHandle;
  confNew(): Ptr | null;
  confSet(conf: Ptr, name: string, value: string, errstr: Buffer, errstrSize: number): number;
  confDestroy(conf: Ptr): void;
  kafkaNew(type: number, conf: Ptr, errstr: Buffer, errstrSize: number): Ptr | null;
  kafkaDestroy: KoffiFunc<(rk: Ptr) => void>;
  err2str(err: number): string;
  mockClusterNew(rk: Ptr, brokers: number): Ptr | null;
  mockClusterDestroy: KoffiFunc<(mc: Ptr) => void>;
  mockClusterBootstraps(mc: Ptr): string;
  mockTopicCreate: KoffiFunc<(mc: Ptr, topic: string, partitions: number, replicationFactor: number) => number>;
  // Calls below are missing from older system librdkafka builds; undefined there.
  mockSetControllerId?: (mc: Ptr, brokerId: number) => void;
  mockGroupInitialRebalanceDelayMs?: (mc: Ptr, delayMs: number) => void;
  mockPushRequestErrorsArray?: (mc: Ptr, apiKey: number, count: number, errors: Int32Array) => void;
  mockClearRequestErrors?: (mc: Ptr, apiKey: number) => void;
  mockBrokerSetDown?: KoffiFunc<(mc: Ptr, brokerId: number) => number>;
  mockBrokerSetUp?: KoffiFunc<(mc: Ptr, brokerId: number) => number>;
  mockBrokerSetRtt?: KoffiFunc<(mc: Ptr, brokerId: number, rttMs: number) => number>;
  mockPartitionSetLeader?: KoffiFunc<(mc: Ptr, topic: string, partition: number, brokerId: number) => number>;
  mockPartitionSetFollower?: KoffiFunc<(mc: Ptr, topic: string, partition: number, brokerId: number) => number>;
  mockCoordinatorSet?: KoffiFunc<(mc: Ptr, keyType: string, key: string, brokerId: number) => number>;
  mockPartitionDeleteRecords?: KoffiFunc<(mc: Ptr, topic: string, partition: number, beforeOffset: number) => number>;
}

let bindings: Promise<Librdkafka> | undefined;

/** Loads librdkafka once per process; koffi is imported lazily so real-cluster runs never need it. */
function loadLibrdkafka(): Promise<Librdkafka> {
  bindings ??= bind().catch((error: unknown) => {
    bindings = undefined; // let a later call retry (e.g. after FIREHOSE_LIBRDKAFKA is fixed)
    throw error;
  });
  return bindings;
}

async function bind(): Promise<Librdkafka> {
  const { default: koffi } = await import('koffi');
  const path = findLibrdkafka();
  const handle = koffi.load(path);
  // Named opaque types make the prototypes readable; koffi 3 does not check them at call time.
  for (const name of ['rd_kafka_t', 'rd_kafka_conf_t', 'rd_kafka_mock_cluster_t']) {
    try {
      koffi.opaque(name);
    } catch {
      // Already declared (a second load after a failed first one).
    }
  }
  const optional = <F>(declaration: string): F | undefined => {
    try {
      return handle.func(declaration) as F;
    } catch {
      return undefined;
    }
  };
  const versionStr = handle.func('const char *rd_kafka_version_str(void)') as () => string;
  return {
    path,
    version: versionStr(),
    handle,
    confNew: handle.func('rd_kafka_conf_t *rd_kafka_conf_new(void)'),
    confSet: handle.func(
      'int rd_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errstr, size_t errstr_size)',
    ),
    confDestroy: handle.func('void rd_kafka_conf_destroy(rd_kafka_conf_t *conf)'),
    kafkaNew: handle.func('rd_kafka_t *rd_kafka_new(int type, rd_kafka_conf_t *conf, char *errstr, size_t errstr_size)'),
    kafkaDestroy: handle.func('void rd_kafka_destroy(rd_kafka_t *rk)'),
    err2str: handle.func('const char *rd_kafka_err2str(int err)'),
    mockClusterNew: handle.func('rd_kafka_mock_cluster_t *rd_kafka_mock_cluster_new(rd_kafka_t *rk, int broker_cnt)'),
    mockClusterDestroy: handle.func('void rd_kafka_mock_cluster_destroy(rd_kafka_mock_cluster_t *mcluster)'),
    mockClusterBootstraps: handle.func('const char *rd_kafka_mock_cluster_bootstraps(const rd_kafka_mock_cluster_t *mcluster)'),
    mockTopicCreate: handle.func(
      'int rd_kafka_mock_topic_create(rd_kafka_mock_cluster_t *mcluster, const char *topic, int partition_cnt, int replication_factor)',
    ),
    mockSetControllerId: optional('void rd_kafka_mock_set_controller_id(rd_kafka_mock_cluster_t *mcluster, int32_t controller_id)'),
    mockGroupInitialRebalanceDelayMs: optional(
      'void rd_kafka_mock_group_initial_rebalance_delay_ms(rd_kafka_mock_cluster_t *mcluster, int32_t delay_ms)',
    ),
    // The va-arg variant cannot be declared portably; the array variant takes the same data.
    mockPushRequestErrorsArray: optional(
      'void rd_kafka_mock_push_request_errors_array(rd_kafka_mock_cluster_t *mcluster, int16_t ApiKey, size_t cnt, const int *errors)',
    ),
    mockClearRequestErrors: optional('void rd_kafka_mock_clear_request_errors(rd_kafka_mock_cluster_t *mcluster, int16_t ApiKey)'),
    mockBrokerSetDown: optional('int rd_kafka_mock_broker_set_down(rd_kafka_mock_cluster_t *mcluster, int32_t broker_id)'),
    mockBrokerSetUp: optional('int rd_kafka_mock_broker_set_up(rd_kafka_mock_cluster_t *mcluster, int32_t broker_id)'),
    mockBrokerSetRtt: optional('int rd_kafka_mock_broker_set_rtt(rd_kafka_mock_cluster_t *mcluster, int32_t broker_id, int rtt_ms)'),
    mockPartitionSetLeader: optional(
      'int rd_kafka_mock_partition_set_leader(rd_kafka_mock_cluster_t *mcluster, const char *topic, int32_t partition, int32_t broker_id)',
    ),
    mockPartitionSetFollower: optional(
      'int rd_kafka_mock_partition_set_follower(rd_kafka_mock_cluster_t *mcluster, const char *topic, int32_t partition, int32_t broker_id)',
    ),
    mockCoordinatorSet: optional(
      'int rd_kafka_mock_coordinator_set(rd_kafka_mock_cluster_t *mcluster, const char *key_type, const char *key, int32_t broker_id)',
    ),
    mockPartitionDeleteRecords: optional(
      'int rd_kafka_mock_partition_delete_records(rd_kafka_mock_cluster_t *mcluster, const char *topic, int32_t partition, int64_t before_offset)',
    ),
  };
}

/** Runs a C call on koffi's worker pool so a slow native call does not stall the event loop. */
function callAsync<A extends unknown[], R>(fn: KoffiFunc<(...args: A) => R>, ...args: A): Promise<R> {
  return trackNativeCall(
    'embedded cluster call',
    new Promise<R>((resolve, reject) => {
      fn.async(...args, (error: unknown, result: R) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result),
      );
    }),
  );
}

/**
 * Every running cluster. The mock brokers are native threads that call into the loaded library;
 * if the cluster object (and with it the koffi library handle) were collected while they run,
 * the library is unloaded under them and the process crashes (verified: SIGSEGV after global.gc()).
 * This set pins them until stop().
 */
const liveClusters = new Set<EmbeddedCluster>();

function requireInteger(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === INT32_MAX ? `>= ${min}` : `between ${min} and ${max}`;
    throw new RangeError(`${field} must be an integer ${range}, got ${String(value)}`);
  }
}

function requireTopicName(name: string): void {
  if (!TOPIC_NAME.test(name)) {
    throw new RangeError(`topic name must be 1-249 characters of [a-zA-Z0-9._-], got ${JSON.stringify(name)}`);
  }
}

function validateTopic(name: string, partitions: number, replicationFactor: number, brokers: number): void {
  requireTopicName(name);
  requireInteger('partitions', partitions, 1, INT32_MAX);
  requireInteger('replicationFactor', replicationFactor, 1, brokers);
}

function cString(buffer: Buffer): string {
  const end = buffer.indexOf(0);
  return buffer.toString('utf8', 0, end === -1 ? buffer.length : end);
}

function parseEndpoints(bootstrapServers: string): Array<{ host: string; port: number }> {
  return bootstrapServers.split(',').map((entry) => {
    const colon = entry.lastIndexOf(':');
    return { host: entry.slice(0, colon), port: Number(entry.slice(colon + 1)) };
  });
}

/** A producer handle with no bootstrap servers: the mock only needs it for bookkeeping and logging. */
function createHandle(lib: Librdkafka): Ptr {
  const conf = lib.confNew();
  if (conf === null || conf === 0n) throw new Error('rd_kafka_conf_new failed');
  const errstr = Buffer.alloc(512);
  // 3 = errors only: the handle's own "no bootstrap.servers" warning and the mock's notices would spam stderr.
  if (lib.confSet(conf, 'log_level', '3', errstr, errstr.length) !== RD_KAFKA_CONF_OK) {
    lib.confDestroy(conf);
    throw new Error(`rd_kafka_conf_set(log_level): ${cString(errstr)}`);
  }
  const rk = lib.kafkaNew(RD_KAFKA_PRODUCER, conf, errstr, errstr.length);
  if (rk === null || rk === 0n) {
    lib.confDestroy(conf); // rd_kafka_new takes ownership of conf only on success
    throw new Error(`rd_kafka_new failed: ${cString(errstr)}`);
  }
  return rk;
}

type OptionalCall = {
  [K in keyof Librdkafka]-?: undefined extends Librdkafka[K] ? K : never;
}[keyof Librdkafka];

/**
 * An in-process Kafka cluster: librdkafka's mock brokers, speaking the real wire protocol on loopback TCP.
 * Any Kafka client (also in other processes) connects through `bootstrapServers`.
 * Limits of the mock: no CreateTopics/CreatePartitions API (use createTopic), `acks` is ignored,
 * each partition keeps at most 5 MB or 100k message sets (older data is dropped silently), and
 * clients that ask for an unknown topic get it auto-created with 4 partitions.
 * The brokers are native threads: they do not keep Node's event loop alive on their own.
 */
export class EmbeddedCluster {
  readonly bootstrapServers: string;
  readonly brokerCount: number;
  /** librdkafka version hosting the mock, e.g. "2.15.1". */
  readonly librdkafkaVersion: string;

  #lib: Librdkafka;
  #rk: Ptr;
  #mc: Ptr;
  #endpoints: Array<{ host: string; port: number }>;
  #inFlight = new Set<Promise<unknown>>();
  #stopping: Promise<void> | undefined;

  private constructor(lib: Librdkafka, rk: Ptr, mc: Ptr, brokerCount: number) {
    this.#lib = lib;
    this.#rk = rk;
    this.#mc = mc;
    this.brokerCount = brokerCount;
    this.librdkafkaVersion = lib.version;
    this.bootstrapServers = lib.mockClusterBootstraps(mc);
    this.#endpoints = parseEndpoints(this.bootstrapServers);
  }

  static async start(options: EmbeddedClusterOptions = {}): Promise<EmbeddedCluster> {
    const brokers = options.brokers ?? 3;
    requireInteger('brokers', brokers, 1, MAX_BROKERS);
    const topics = options.topics ?? [];
    // Validate everything before any native resource exists, so bad input leaks nothing.
    for (const topic of topics) {
      validateTopic(topic.name, topic.partitions, topic.replicationFactor ?? defaultReplicationFactor(brokers), brokers);
    }
    if (options.groupInitialRebalanceDelayMs !== undefined) {
      requireInteger('groupInitialRebalanceDelayMs', options.groupInitialRebalanceDelayMs, 0, INT32_MAX);
    }

    const lib = await loadLibrdkafka();
    const rk = createHandle(lib);
    const mc = lib.mockClusterNew(rk, brokers);
    if (mc === null || mc === 0n) {
      lib.kafkaDestroy(rk);
      throw new Error(`librdkafka ${lib.version} (${lib.path}) could not create a ${brokers}-broker mock cluster`);
    }
    const cluster = new EmbeddedCluster(lib, rk, mc, brokers);
    liveClusters.add(cluster);
    try {
      // Without a controller the Metadata answer names broker -1 and kafkajs's admin fails with "Broker 0 not found".
      lib.mockSetControllerId?.(mc, 1);
      if (options.groupInitialRebalanceDelayMs !== undefined) {
        await cluster.setGroupInitialRebalanceDelayMs(options.groupInitialRebalanceDelayMs);
      }
      for (const topic of topics) await cluster.createTopic(topic.name, topic.partitions, topic.replicationFactor);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Creates a topic on the mock (the mock does not implement the CreateTopics API). */
  async createTopic(name: string, partitions: number, replicationFactor?: number): Promise<void> {
    const rf = replicationFactor ?? defaultReplicationFactor(this.brokerCount);
    validateTopic(name, partitions, rf, this.brokerCount);
    const lib = this.#live();
    this.#check('rd_kafka_mock_topic_create', await this.#serve(callAsync(lib.mockTopicCreate, this.#mc, name, partitions, rf)));
  }

  /** Disconnects the broker and refuses new connections; partition leadership does not move. */
  async brokerSetDown(brokerId: BrokerTarget): Promise<void> {
    const id = this.#brokerArg(brokerId);
    this.#check('rd_kafka_mock_broker_set_down', await this.#serve(callAsync(this.#fn('mockBrokerSetDown'), this.#mc, id)));
  }

  async brokerSetUp(brokerId: BrokerTarget): Promise<void> {
    const id = this.#brokerArg(brokerId);
    this.#check('rd_kafka_mock_broker_set_up', await this.#serve(callAsync(this.#fn('mockBrokerSetUp'), this.#mc, id)));
  }

  /** Delays every response of the broker by rttMs. */
  async brokerSetRtt(brokerId: BrokerTarget, rttMs: number): Promise<void> {
    const id = this.#brokerArg(brokerId);
    requireInteger('rttMs', rttMs, 0, INT32_MAX);
    this.#check('rd_kafka_mock_broker_set_rtt', await this.#serve(callAsync(this.#fn('mockBrokerSetRtt'), this.#mc, id, rttMs)));
  }

  /**
   * The next errorCodes.length requests of this ApiKey (to any broker) fail with these codes, in order.
   * KafkaErrorCode.Transport makes the broker drop the connection instead of answering.
   */
  async pushRequestErrors(apiKey: number, errorCodes: readonly number[]): Promise<void> {
    requireInteger('apiKey', apiKey, 0, INT16_MAX);
    errorCodes.forEach((code, i) => requireInteger(`errorCodes[${i}]`, code, -INT32_MAX, INT32_MAX));
    const push = this.#fn('mockPushRequestErrorsArray');
    if (errorCodes.length > 0) push(this.#mc, apiKey, errorCodes.length, Int32Array.from(errorCodes));
  }

  /** Drops errors still queued by pushRequestErrors for this ApiKey. */
  async clearRequestErrors(apiKey: number): Promise<void> {
    requireInteger('apiKey', apiKey, 0, INT16_MAX);
    this.#fn('mockClearRequestErrors')(this.#mc, apiKey);
  }

  /** Moves the partition's leadership; null leaves it without a leader. Creates the topic if it does not exist. */
  async partitionSetLeader(topic: string, partition: number, brokerId: number | null): Promise<void> {
    requireTopicName(topic);
    requireInteger('partition', partition, 0, INT32_MAX);
    const id = brokerId === null ? -1 : this.#brokerArg(brokerId);
    const call = callAsync(this.#fn('mockPartitionSetLeader'), this.#mc, topic, partition, id);
    this.#check('rd_kafka_mock_partition_set_leader', await this.#serve(call));
  }

  /** Sets the partition's preferred read replica (fetch-from-follower). Creates the topic if it does not exist. */
  async partitionSetFollower(topic: string, partition: number, brokerId: number): Promise<void> {
    requireTopicName(topic);
    requireInteger('partition', partition, 0, INT32_MAX);
    const id = this.#brokerArg(brokerId);
    const call = callAsync(this.#fn('mockPartitionSetFollower'), this.#mc, topic, partition, id);
    this.#check('rd_kafka_mock_partition_set_follower', await this.#serve(call));
  }

  /** Whether this librdkafka build has the mock call behind deleteRecords. */
  get canDeleteRecords(): boolean {
    return this.#lib.mockPartitionDeleteRecords !== undefined;
  }

  /**
   * Drops the partition's message sets that end before `beforeOffset` and moves its log start
   * there, as Kafka's DeleteRecords does. An offset past the partition's end is refused.
   */
  async deleteRecords(topic: string, partition: number, beforeOffset: number): Promise<void> {
    requireTopicName(topic);
    requireInteger('partition', partition, 0, INT32_MAX);
    if (!Number.isSafeInteger(beforeOffset) || beforeOffset < 0)
      throw new RangeError(`beforeOffset must be an offset >= 0, got ${String(beforeOffset)}`);
    const call = callAsync(this.#fn('mockPartitionDeleteRecords'), this.#mc, topic, partition, beforeOffset);
    this.#check('rd_kafka_mock_partition_delete_records', await this.#serve(call));
  }

  /** Controller id reported in Metadata; null reports "no controller". start() sets it to 1. */
  async setControllerId(brokerId: number | null): Promise<void> {
    const id = brokerId === null ? -1 : this.#brokerArg(brokerId);
    this.#fn('mockSetControllerId')(this.#mc, id);
  }

  /** Pins the group or transaction coordinator for `key` (a group.id or transactional.id) to a broker. */
  async coordinatorSet(keyType: 'group' | 'transaction', key: string, brokerId: number): Promise<void> {
    if (keyType !== 'group' && keyType !== 'transaction') {
      throw new RangeError(`keyType must be 'group' or 'transaction', got ${JSON.stringify(keyType)}`);
    }
    const id = this.#brokerArg(brokerId);
    const call = callAsync(this.#fn('mockCoordinatorSet'), this.#mc, keyType, key, id);
    this.#check('rd_kafka_mock_coordinator_set', await this.#serve(call));
  }

  /** See EmbeddedClusterOptions.groupInitialRebalanceDelayMs; applies to groups that start empty from now on. */
  async setGroupInitialRebalanceDelayMs(delayMs: number): Promise<void> {
    requireInteger('groupInitialRebalanceDelayMs', delayMs, 0, INT32_MAX);
    this.#fn('mockGroupInitialRebalanceDelayMs')(this.#mc, delayMs);
  }

  /** Shuts the brokers down (clients see disconnects). Safe to call more than once, also concurrently. */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    // A request still queued when the mock thread exits would never be answered.
    await Promise.allSettled([...this.#inFlight]);
    try {
      // The cluster first: its threads log through rk, so rk must outlive them.
      await this.#serve(callAsync(this.#lib.mockClusterDestroy, this.#mc));
      await callAsync(this.#lib.kafkaDestroy, this.#rk);
    } finally {
      liveClusters.delete(this);
    }
  }

  /**
   * Waits for a request served by the mock thread, waking that thread if it oversleeps.
   * librdkafka 2.15's mock thread can swallow the wake-up of a request queued right after the
   * previous one was answered and then sleeps in poll() for up to 1 s (measured: about half of
   * back-to-back calls). Any socket event ends that poll; a throwaway TCP connection to the brokers
   * is one we can cause, so requests finish in milliseconds.
   */
  async #serve<R>(request: Promise<R>): Promise<R> {
    let timer: NodeJS.Timeout | undefined;
    const wake = (): void => {
      for (const { host, port } of this.#endpoints) {
        const socket = net.connect({ host, port });
        socket.on('connect', () => socket.destroy());
        socket.on('error', () => socket.destroy()); // a broker set down refuses connections
      }
      timer = setTimeout(wake, WAKE_RETRY_MS);
    };
    timer = setTimeout(wake, WAKE_AFTER_MS);
    const tracked = request.finally(() => clearTimeout(timer));
    this.#inFlight.add(tracked);
    try {
      return await tracked;
    } finally {
      this.#inFlight.delete(tracked);
    }
  }

  #live(): Librdkafka {
    if (this.#stopping !== undefined) throw new Error('embedded cluster is stopped');
    return this.#lib;
  }

  #fn<K extends OptionalCall>(name: K): NonNullable<Librdkafka[K]> {
    const fn = this.#live()[name];
    if (fn === undefined) {
      throw new Error(
        `librdkafka ${this.#lib.version} at ${this.#lib.path} lacks this mock call; use a newer librdkafka (the Confluent client's build)`,
      );
    }
    return fn as NonNullable<Librdkafka[K]>;
  }

  #brokerArg(brokerId: BrokerTarget): number {
    if (brokerId === 'all') return -1;
    requireInteger('brokerId', brokerId, 1, this.brokerCount);
    return brokerId;
  }

  #check(call: string, err: number): void {
    if (err !== 0) throw new Error(`${call} failed: ${this.#lib.err2str(err)} (error ${err})`);
  }
}

/** Number of clusters started and not yet stopped in this process (diagnostics and tests). */
export function liveEmbeddedClusterCount(): number {
  return liveClusters.size;
}

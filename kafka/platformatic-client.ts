import type { Message, MessagesStream, ProduceResult } from '@platformatic/kafka';
import type {
  CompressionCodec,
  ConnectionOptions,
  ConsumerCallbacks,
  ConsumerOptions,
  ConsumedRecord,
  FrameConsumer,
  FrameProducer,
  OutgoingFrame,
  ProducerCallbacks,
  ProducerOptions,
} from './client.js';
import { DEFAULT_FETCH_WAIT_MS } from './client.js';
import { brokersUnreachable, FirehoseError } from './errors.js';
import { CompatConsumer, CompatProducer } from './platformatic-compat.js';
import { ProduceRequestQueue } from './produce-request-queue.js';

/** Codecs @platformatic/kafka ships on Node 20 (zstd needs Node's zlib zstd, Node 22+). */
export const PLATFORMATIC_CODECS: readonly CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4'];

function platformaticCompression(codec: CompressionCodec): 'none' | 'gzip' | 'snappy' | 'lz4' {
  if (codec === 'zstd')
    throw new FirehoseError(
      'BAD_OPTION',
      '--compression zstd is not available with --client platformatic on this Node (use none, gzip, snappy or lz4)',
    );
  return codec;
}

function baseOptions(options: ConnectionOptions): {
  clientId: string;
  bootstrapBrokers: string[];
  connectTimeout: number;
  timeout: number;
  retries: number;
  retryDelay: number;
} {
  return {
    clientId: options.clientId,
    bootstrapBrokers: options.brokers.split(','),
    connectTimeout: 3_000,
    timeout: 10_000,
    retries: 3,
    retryDelay: 200,
  };
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

type FetchCallback = (error: Error | null, response?: unknown) => void;
interface FetchPartition {
  partitionIndex: number;
  errorCode: number;
  logStartOffset: bigint;
  records?: unknown;
}
interface FetchError {
  errors?: Array<{ apiCode?: number; path?: string }>;
  response?: { responses: Array<{ partitions: FetchPartition[] }> };
}

/** Kafka's OFFSET_OUT_OF_RANGE: the fetch asked for an offset below the log start (or past the end). */
const OFFSET_OUT_OF_RANGE = 1;

/**
 * The partitions of a failed fetch that failed only because retention evicted the offset asked
 * for; null when any error is of another kind (or the response is missing), which stays an error.
 */
function evictedPartitions(error: unknown): FetchPartition[] | null {
  const e = error as FetchError | null;
  const errors = e?.errors;
  const response = e?.response;
  if (!errors || errors.length === 0 || !response) return null;
  const found: FetchPartition[] = [];
  for (const x of errors) {
    const m = x.apiCode === OFFSET_OUT_OF_RANGE ? /^\/responses\/(\d+)\/partitions\/(\d+)$/.exec(x.path ?? '') : null;
    const partition = m ? response.responses[Number(m[1])]?.partitions[Number(m[2])] : undefined;
    if (!partition || partition.logStartOffset < 0n) return null;
    found.push(partition);
  }
  return found;
}

/**
 * Producer over @platformatic/kafka. Like kafkajs it sends one request set per `send` call, so
 * frames handed over within one event-loop turn are gathered into one call, with a bounded number
 * of calls in flight; each frame names its partition.
 */
export class PlatformaticFrameProducer implements FrameProducer {
  private readonly producer: CompatProducer;
  private readonly compression: 'none' | 'gzip' | 'snappy' | 'lz4';
  private readonly requests: ProduceRequestQueue;

  constructor(
    private readonly options: ProducerOptions,
    callbacks: ProducerCallbacks,
  ) {
    this.compression = platformaticCompression(options.compression);
    this.producer = new CompatProducer({
      ...baseOptions(options),
      ...(options.requestTimeoutMs !== undefined ? { timeout: options.requestTimeoutMs } : {}),
      autocreateTopics: false,
      idempotent: options.idempotent,
      acks: options.acks,
      compression: this.compression,
    });
    this.requests = new ProduceRequestQueue(
      options.maxPendingFrames,
      callbacks,
      (batch) =>
        new Promise((resolve, reject) => {
          const topic = options.topic;
          this.producer.send(
            { messages: batch.map((f) => ({ topic, partition: f.partition, key: f.key, value: f.value })) },
            (error: Error | null, result?: ProduceResult) => {
              if (error) reject(error);
              else resolve((result?.offsets ?? []).map((o) => ({ partition: o.partition, offset: Number(o.offset) })));
            },
          );
        }),
      // A timeout, or retries used up, leaves the write's fate unknown.
      (error) => /timeout|timed out|failed \d+ times|network|closed/i.test(`${error.name} ${error.message}`),
    );
  }

  async connect(): Promise<void> {
    try {
      await this.producer.metadata({ topics: [this.options.topic] });
    } catch (error) {
      throw brokersUnreachable(this.options.brokers, error);
    }
  }

  get pending(): number {
    return this.requests.pending;
  }

  send(frame: OutgoingFrame): boolean {
    return this.requests.send(frame);
  }

  flush(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.requests.flush(timeoutMs, signal);
  }

  async disconnect(): Promise<void> {
    // Errors on close are of no use: the run is over.
    await new Promise<void>((resolve) => {
      this.producer.close(true, () => resolve());
    });
  }
}

/**
 * Consumer group over @platformatic/kafka's MessagesStream, resuming from the committed offsets
 * (earliest when none), with manual commits. The stream pushes one message object at a time; the
 * messages of one fetch are gathered per partition and handed over together once it is parsed.
 */
export class PlatformaticFrameConsumer implements FrameConsumer {
  private readonly consumer: CompatConsumer;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null;
  private assignment = new Set<number>();
  private running = false;
  private paused = false;
  private readonly commitsInFlight = new Set<Promise<void>>();
  private readonly byPartition = new Map<number, ConsumedRecord[]>();
  private flushQueued = false;
  /** Partitions moved on to the log start after retention evicted what they were to read next. */
  offsetResets = 0;

  constructor(
    private readonly options: ConsumerOptions,
    private readonly callbacks: ConsumerCallbacks,
  ) {
    this.consumer = new CompatConsumer({
      ...baseOptions(options),
      groupId: options.groupId,
      sessionTimeout: 6_000,
      heartbeatInterval: 500,
      rebalanceTimeout: 6_000,
      maxWaitTime: options.fetchWaitMaxMs ?? DEFAULT_FETCH_WAIT_MS,
      minBytes: 1,
      maxBytesPerPartition: 4 * 1024 * 1024,
      autocommit: false,
    });
    this.skipEvictedOffsets();
    this.consumer.on('consumer:group:join', (payload: { assignments?: Array<{ topic: string; partitions: number[] }> }) => {
      const mine = new Set((payload.assignments ?? []).filter((a) => a.topic === options.topic).flatMap((a) => a.partitions));
      const revoked = [...this.assignment].filter((p) => !mine.has(p));
      if (revoked.length > 0) this.callbacks.revoked(revoked);
      this.assignment = mine;
      this.callbacks.assigned([...mine]);
    });
  }

  /**
   * @platformatic/kafka ends its stream when a fetch answers OFFSET_OUT_OF_RANGE: after retention
   * evicted records not yet read (the embedded cluster keeps ~5 MB per partition), the consumer
   * then read nothing more and every unread tick counted as lost, none as evicted. Like
   * librdkafka's auto.offset.reset=earliest, such a partition moves on to the log start the broker
   * reported, and the rest of the response is delivered; the pipeline sees the skipped offsets
   * and counts them as evicted. The stream calls `consumer.fetch`, so the wrapper goes there.
   */
  private skipEvictedOffsets(): void {
    const consumer = this.consumer as unknown as { fetch(options: unknown, callback: FetchCallback): void };
    const stock = consumer.fetch.bind(consumer);
    consumer.fetch = (options: unknown, callback: FetchCallback): void => {
      stock(options, (error, response) => {
        const evicted = error ? evictedPartitions(error) : null;
        const offsets = this.stream?.offsetsToFetch;
        if (!evicted || !offsets) {
          callback(error, response);
          return;
        }
        for (const partition of evicted) {
          partition.errorCode = 0;
          partition.records = undefined;
          offsets.set(`${this.options.topic}:${partition.partitionIndex}`, partition.logStartOffset);
        }
        this.offsetResets += evicted.length;
        callback(null, (error as FetchError).response);
      });
    };
  }

  async start(): Promise<void> {
    try {
      this.stream = await this.consumer.consume({
        topics: [this.options.topic],
        mode: 'committed',
        fallbackMode: 'earliest',
        autocommit: false,
        maxWaitTime: this.options.fetchWaitMaxMs ?? DEFAULT_FETCH_WAIT_MS,
        minBytes: 1,
        maxBytesPerPartition: 4 * 1024 * 1024,
        sessionTimeout: 6_000,
        heartbeatInterval: 500,
        rebalanceTimeout: 6_000,
      });
    } catch (error) {
      throw brokersUnreachable(this.options.brokers, error);
    }
    this.running = true;
    this.stream.on('data', (m: Message<Buffer, Buffer, Buffer, Buffer>) => this.onMessage(m));
    this.stream.on('error', (error: unknown) => {
      if (this.running) this.callbacks.error(asError(error));
    });
  }

  private onMessage(m: Message<Buffer, Buffer, Buffer, Buffer>): void {
    if (!m.value) return;
    let list = this.byPartition.get(m.partition);
    if (!list) {
      list = [];
      this.byPartition.set(m.partition, list);
    }
    list.push({ partition: m.partition, offset: Number(m.offset), value: m.value });
    if (!this.flushQueued) {
      this.flushQueued = true;
      // The stream pushes a whole fetch response synchronously: hand it over once it is done.
      queueMicrotask(() => this.deliver());
    }
  }

  private deliver(): void {
    this.flushQueued = false;
    for (const [partition, records] of this.byPartition) {
      if (records.length > 0) this.callbacks.records(partition, records);
    }
    this.byPartition.clear();
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.stream?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.stream?.resume();
  }

  commit(partition: number, nextOffset: number): void {
    if (!this.running) return;
    const commit: Promise<void> = this.consumer
      .commit({ offsets: [{ topic: this.options.topic, partition, offset: BigInt(nextOffset), leaderEpoch: -1 }] })
      // A commit for a partition just revoked fails; its records are redelivered and counted as duplicates.
      .then(
        () => {},
        (error: unknown) => {
          if (this.running) this.callbacks.error(asError(error));
        },
      )
      .finally(() => this.commitsInFlight.delete(commit));
    this.commitsInFlight.add(commit);
  }

  async settleCommits(): Promise<void> {
    await Promise.all([...this.commitsInFlight]);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.stream?.close().catch(() => {});
    await new Promise<void>((resolve) => {
      this.consumer.close(true, () => resolve());
    });
  }
}

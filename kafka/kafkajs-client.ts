import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import type { Consumer, Producer } from 'kafkajs';
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
import { brokersUnreachable, FirehoseError } from './errors.js';
import { DEFAULT_FETCH_WAIT_MS, GROUP_JOIN_TIMEOUT_MS, MAX_RECORD_BYTES } from './client.js';
import { ProduceRequestQueue } from './produce-request-queue.js';

/** Codecs kafkajs ships; the others need codec plug-ins this project does not bundle. */
export const KAFKAJS_CODECS: readonly CompressionCodec[] = ['none', 'gzip'];

function kafkajsCompression(codec: CompressionCodec): CompressionTypes {
  if (codec === 'none') return CompressionTypes.None;
  if (codec === 'gzip') return CompressionTypes.GZIP;
  throw new FirehoseError('BAD_OPTION', `--compression ${codec} is not available with --client kafkajs (use none or gzip)`);
}

function createKafka(options: ConnectionOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
}

/**
 * kafkajs sends one request per `send` call, so frames handed over within one event-loop turn
 * are gathered and sent together, with a bounded number of requests in flight.
 */
export class KafkajsFrameProducer implements FrameProducer {
  private readonly producer: Producer;
  private readonly compression: CompressionTypes;
  private readonly requests: ProduceRequestQueue;

  constructor(
    private readonly options: ProducerOptions,
    callbacks: ProducerCallbacks,
  ) {
    this.compression = kafkajsCompression(options.compression);
    this.producer = createKafka(options).producer({
      allowAutoTopicCreation: false,
      idempotent: options.idempotent,
      maxInFlightRequests: options.idempotent ? 1 : undefined,
    });
    this.requests = new ProduceRequestQueue(
      options.maxPendingFrames,
      callbacks,
      async (batch) =>
        (
          await this.producer.send({
            topic: options.topic,
            acks: options.acks,
            compression: this.compression,
            messages: batch.map((f) => ({ partition: f.partition, key: f.key, value: f.value })),
          })
        ).map((m) => ({ partition: m.partition, offset: Number(m.baseOffset ?? m.offset ?? -1) })),
      // A timeout, or retries used up on a retriable error, leaves the write's fate unknown.
      (error) => /timeout|timed out|retries/i.test(`${error.name} ${error.message}`),
    );
  }

  async connect(): Promise<void> {
    try {
      await this.producer.connect();
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
    await this.producer.disconnect();
  }
}

/** Consumer group over kafkajs with manual commits; records are pushed out as each batch arrives. */
export class KafkajsFrameConsumer implements FrameConsumer {
  private readonly consumer: Consumer;
  private assignment = new Set<number>();
  private running = false;
  private paused = false;
  private roomWaiters: Array<() => void> = [];
  private readonly commitsInFlight = new Set<Promise<void>>();

  constructor(
    private readonly options: ConsumerOptions,
    private readonly callbacks: ConsumerCallbacks,
  ) {
    this.consumer = createKafka(options).consumer({
      groupId: options.groupId,
      sessionTimeout: 6_000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: options.fetchWaitMaxMs ?? DEFAULT_FETCH_WAIT_MS,
      minBytes: 1,
      maxBytesPerPartition: MAX_RECORD_BYTES,
      allowAutoTopicCreation: false,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      const mine = new Set(event.payload.memberAssignment[options.topic] ?? []);
      const revoked = [...this.assignment].filter((p) => !mine.has(p));
      if (revoked.length > 0) this.callbacks.revoked(revoked);
      this.assignment = mine;
      this.callbacks.assigned([...mine]);
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.callbacks.error(event.payload.error);
    });
  }

  async start(): Promise<void> {
    try {
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    } catch (error) {
      throw brokersUnreachable(this.options.brokers, error);
    }
    this.running = true;
    // kafkajs restarts itself after most crashes (a retriable error, retries used up while joining),
    // so a group it cannot join brings neither a join nor a final crash: the deadline ends that
    // wait, as the Confluent consumer's does. A crash it does not restart from fails at once.
    let offJoin = (): void => {};
    let offCrash = (): void => {};
    let deadline: NodeJS.Timeout | undefined;
    const joined = new Promise<void>((resolve, reject) => {
      deadline = setTimeout(
        () =>
          reject(new FirehoseError('KAFKA_CLIENT', `the consumer group assigned no partitions within ${GROUP_JOIN_TIMEOUT_MS / 1000} s`)),
        GROUP_JOIN_TIMEOUT_MS,
      );
      offJoin = this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve());
      offCrash = this.consumer.on(this.consumer.events.CRASH, (event) => {
        if (!event.payload.restart)
          reject(
            new FirehoseError('KAFKA_CLIENT', `the kafkajs consumer stopped before joining its group: ${event.payload.error.message}`),
          );
      });
    });
    // Awaited below; a run() that throws first must not leave its rejection unhandled.
    joined.catch(() => {});
    try {
      await this.runConsumer();
      await joined;
    } catch (error) {
      this.running = false;
      throw error;
    } finally {
      clearTimeout(deadline);
      offJoin();
      offCrash();
    }
  }

  private runConsumer(): Promise<void> {
    return this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 64,
      eachBatch: async ({ batch, heartbeat }) => {
        const records: ConsumedRecord[] = batch.messages.map((m) => ({
          partition: batch.partition,
          offset: Number(m.offset),
          value: m.value ?? Buffer.alloc(0),
        }));
        if (records.length > 0) this.callbacks.records(batch.partition, records);
        // Backpressure by not returning: kafkajs fetches a partition's next batch only after this
        // one resolves. (consumer.pause() instead drops batches already fetched and refetches them.)
        while (this.paused && this.running) {
          await new Promise<void>((resolve) => {
            this.roomWaiters.push(resolve);
            setTimeout(resolve, 1_000);
          });
          await heartbeat();
        }
      },
    });
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }

  commit(partition: number, nextOffset: number): void {
    if (!this.running) return;
    const commit = this.consumer
      .commitOffsets([{ topic: this.options.topic, partition, offset: String(nextOffset) }])
      .catch((error: unknown) => this.callbacks.error(error instanceof Error ? error : new Error(String(error))))
      .finally(() => this.commitsInFlight.delete(commit));
    this.commitsInFlight.add(commit);
  }

  async settleCommits(): Promise<void> {
    await Promise.all([...this.commitsInFlight]);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.resume();
    await this.consumer.disconnect();
  }
}

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
import { MAX_RECORD_BYTES } from './client.js';
import { pause } from './shutdown-steps.js';

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

/** Kafka's default max.request.size: one produce request carries at most this much. */
const MAX_REQUEST_BYTES = 1024 * 1024;

/**
 * kafkajs sends one request per `send` call, so frames handed over within one event-loop turn
 * are gathered and sent together, with a bounded number of requests in flight.
 */
export class KafkajsFrameProducer implements FrameProducer {
  private readonly producer: Producer;
  private readonly compression: CompressionTypes;
  private queued: OutgoingFrame[] = [];
  private inFlightRequests = 0;
  private pendingFrames = 0;
  private flushScheduled = false;
  private static readonly MAX_IN_FLIGHT_REQUESTS = 4;

  constructor(
    private readonly options: ProducerOptions,
    private readonly callbacks: ProducerCallbacks,
  ) {
    this.compression = kafkajsCompression(options.compression);
    this.producer = createKafka(options).producer({
      allowAutoTopicCreation: false,
      idempotent: options.idempotent,
      maxInFlightRequests: options.idempotent ? 1 : undefined,
    });
  }

  async connect(): Promise<void> {
    try {
      await this.producer.connect();
    } catch (error) {
      throw brokersUnreachable(this.options.brokers, error);
    }
  }

  get pending(): number {
    return this.pendingFrames;
  }

  send(frame: OutgoingFrame): boolean {
    if (this.pendingFrames >= this.options.maxPendingFrames) return false;
    this.queued.push(frame);
    this.pendingFrames++;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.sendQueued();
      });
    }
    return true;
  }

  private sendQueued(): void {
    while (this.queued.length > 0 && this.inFlightRequests < KafkajsFrameProducer.MAX_IN_FLIGHT_REQUESTS) {
      const batch = this.takeRequest();
      this.inFlightRequests++;
      this.producer
        .send({
          topic: this.options.topic,
          acks: this.options.acks,
          compression: this.compression,
          messages: batch.map((f) => ({ partition: f.partition, key: f.key, value: f.value })),
        })
        .then(
          (metadata) => {
            // kafkajs reports one base offset per partition; frames of a partition follow in send order.
            const next = new Map<number, number>();
            for (const m of metadata) next.set(m.partition, Number(m.baseOffset ?? m.offset ?? -1));
            for (const frame of batch) {
              const offset = next.get(frame.partition) ?? -1;
              if (offset >= 0) next.set(frame.partition, offset + 1);
              this.pendingFrames--;
              this.callbacks.delivered(frame, offset);
            }
          },
          (error: unknown) => {
            const err = error instanceof Error ? error : new Error(String(error));
            // A timeout, or retries used up on a retriable error, leaves the write's fate unknown.
            const indeterminate = /timeout|timed out|retries/i.test(`${err.name} ${err.message}`);
            for (const frame of batch) {
              this.pendingFrames--;
              this.callbacks.failed(frame, err, indeterminate);
            }
          },
        )
        .finally(() => {
          this.inFlightRequests--;
          this.sendQueued();
        });
    }
  }

  /**
   * The queued frames that fit one request (at least one). Unbounded, a request grows with the
   * queue: a slow request lets more frames queue, the next request is bigger and slower still,
   * and the producer settles at whichever rate it happened to fall into.
   */
  private takeRequest(): OutgoingFrame[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queued.length && (n === 0 || bytes + this.queued[n]!.value.length <= MAX_REQUEST_BYTES)) {
      bytes += this.queued[n]!.value.length;
      n++;
    }
    if (n === this.queued.length) {
      const all = this.queued;
      this.queued = [];
      return all;
    }
    return this.queued.splice(0, n);
  }

  async flush(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pendingFrames > 0 && Date.now() < deadline && !signal?.aborted) await pause(5, signal);
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
      maxWaitTimeInMs: 5,
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
    const joined = new Promise<void>((resolve) => {
      const off = this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
        off();
        resolve();
      });
    });
    await this.consumer.run({
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
    await joined;
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

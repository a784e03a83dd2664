/**
 * The small driver interface between the pipeline and a Kafka client library, in the spirit of
 * OpenMessaging Benchmark's driver-api: the pipeline sends whole frames and receives whole
 * records; everything client-specific stays behind these two interfaces.
 */

export const CLIENT_KINDS = ['confluent', 'kafkajs', 'platformatic'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

export const COMPRESSION_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionCodec = (typeof COMPRESSION_CODECS)[number];

export type Acks = -1 | 0 | 1;

/**
 * The largest record value the consumers fetch in one go, and so the largest a producer of
 * records read back from the topic (the dead-letter producer) must accept: the two must match,
 * or a record counted as dead-lettered never reaches the dead-letter topic.
 */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;

/** How long a consumer's start() waits for its group to assign partitions before it fails. */
export const GROUP_JOIN_TIMEOUT_MS = 30_000;

export interface ConnectionOptions {
  /** Comma-separated host:port list. */
  brokers: string;
  clientId: string;
}

export interface ProducerOptions extends ConnectionOptions {
  topic: string;
  acks: Acks;
  compression: CompressionCodec;
  /** Producer batching delay; frames already batch ticks, so this stays small. */
  lingerMs: number;
  /** Most frames waiting for an acknowledgement before `send` refuses more (backpressure). */
  maxPendingFrames: number;
  idempotent: boolean;
  /** A produce request unanswered this long is retried (librdkafka request.timeout.ms). */
  requestTimeoutMs?: number;
  /** Largest message the client accepts (librdkafka message.max.bytes); the client's default when absent. */
  maxMessageBytes?: number;
  /**
   * Produce requests in flight per broker connection (librdkafka
   * max.in.flight.requests.per.connection); DEFAULT_MAX_IN_FLIGHT_REQUESTS when absent. 1 with a
   * linger of 0 batches only while a request is out (Nagle's rule), as ProduceRequestQueue does for
   * the clients without a linger.
   */
  maxInFlightRequests?: number;
}

/**
 * Kafka's Java producer's max.in.flight.requests.per.connection, where librdkafka's is 1,000,000.
 * librdkafka sends one partition per produce request, and a broker works through one request per
 * connection at a time, with acks=all each until the followers have it. Unbounded, the producer
 * kept sending a small batch per partition every linger while earlier ones waited at the broker
 * (real Kafka, 3 nodes, RF 3, 150k ticks/s: up to 78 requests awaiting a response per broker,
 * batches of 6-32 frames, send -> ack p50 0.9-1.1 s); bounded, frames wait in the client and go
 * in bigger batches (up to 321 frames).
 */
export const DEFAULT_MAX_IN_FLIGHT_REQUESTS = 5;

export interface OutgoingFrame {
  partition: number;
  key: Buffer;
  value: Buffer;
  tickCount: number;
  producedAtUs: number;
}

export interface ProducerCallbacks {
  delivered(frame: OutgoingFrame, offset: number): void;
  /**
   * The frame was not acknowledged. `indeterminate`: it timed out in flight, so it may or may
   * not have been written (a consumer may still see it); otherwise the broker refused it.
   */
  failed(frame: OutgoingFrame, error: Error, indeterminate: boolean): void;
}

export interface FrameProducer {
  connect(): Promise<void>;
  /** Hands a frame to the client. Returns false, keeping nothing, when its queue is full. */
  send(frame: OutgoingFrame): boolean;
  /** Frames handed over and not yet acknowledged or failed. */
  readonly pending: number;
  /** Waits until nothing is pending, the timeout passes, or `signal` aborts. */
  flush(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  disconnect(): Promise<void>;
}

export interface ConsumerOptions extends ConnectionOptions {
  groupId: string;
  topic: string;
  /** Longest a broker holds a fetch that found no data (fetch.wait.max.ms), ms; DEFAULT_FETCH_WAIT_MS when absent. */
  fetchWaitMaxMs?: number;
}

/**
 * A fetch with no data waits this long at most. librdkafka's mock holds an empty fetch for the
 * whole wait and does not answer early when data arrives (rdkafka_mock_handlers.c), so at light
 * load this adds up to its length to every record there; the latency profile shortens it.
 */
export const DEFAULT_FETCH_WAIT_MS = 5;

export interface ConsumedRecord {
  partition: number;
  offset: number;
  /** A record with a null value (a tombstone) arrives as an empty buffer: it is dead-lettered, never dropped. */
  value: Buffer;
  /** Set by the pipeline: when the record arrived (µs) and how often its analysis was tried. */
  receivedUs?: number;
  attempts?: number;
}

export interface ConsumerCallbacks {
  /**
   * Records of one partition in offset order. Called synchronously; must not block. The list is
   * the adapter's and is reused once the call returns: keep the records, not the list.
   */
  records(partition: number, records: ConsumedRecord[]): void;
  assigned(partitions: number[]): void;
  revoked(partitions: number[]): void;
  error(error: Error): void;
}

export interface FrameConsumer {
  /** Connects, subscribes and starts delivering records; resolves once the group is joined. */
  start(): Promise<void>;
  /** Stop fetching (backpressure); records already fetched may still arrive. */
  pause(): void;
  resume(): void;
  /** Commits `nextOffset` (the offset of the next record to read) for a partition. */
  commit(partition: number, nextOffset: number): void;
  /** Resolves once the commits handed over so far were answered (or failed). */
  settleCommits(): Promise<void>;
  /** Stops fetching and leaves the group. May wait on the brokers: callers bound it. */
  stop(): Promise<void>;
}

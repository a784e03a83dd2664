import Kafka from '@confluentinc/kafka-javascript';
import type { LibrdKafkaError, Message, TopicPartition } from '@confluentinc/kafka-javascript';
import type {
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
import { DEFAULT_FETCH_WAIT_MS, DEFAULT_MAX_IN_FLIGHT_REQUESTS, GROUP_JOIN_TIMEOUT_MS, MAX_RECORD_BYTES } from './client.js';
import { trackNativeCall } from './native-calls.js';
import { pause } from './shutdown-steps.js';

// librdkafka error codes the adapters branch on.
const ERR_QUEUE_FULL = -184;
const ERR_MSG_TIMED_OUT = -192;
const ERR_TIMED_OUT = -185;
const ERR_ASSIGN_PARTITIONS = -175;
const ERR_REVOKE_PARTITIONS = -174;

function asError(err: LibrdKafkaError | Error): Error {
  return err instanceof Error ? err : new Error(String((err as { message?: string }).message ?? err));
}

/** Producer over librdkafka (the non-KafkaJS API: the fastest path the package offers). */
export class ConfluentFrameProducer implements FrameProducer {
  private readonly producer: Kafka.Producer;
  private pendingFrames = 0;
  /** Set when disconnect() begins: from then on the native handle may be torn down under any call. */
  private closing = false;
  /** The most recent client-level error (delivery failures are reported per frame). */
  lastError: Error | null = null;

  constructor(
    private readonly options: ProducerOptions,
    private readonly callbacks: ProducerCallbacks,
  ) {
    this.producer = new Kafka.Producer({
      'bootstrap.servers': options.brokers,
      'client.id': options.clientId,
      dr_cb: true,
      acks: options.acks,
      'compression.codec': options.compression,
      'linger.ms': options.lingerMs,
      // A frame still unacknowledged after this is reported as indeterminate (it may have been written).
      'message.timeout.ms': 30_000,
      // A request unanswered this long is retried: market data cannot wait Kafka's default 30 s.
      'request.timeout.ms': options.requestTimeoutMs ?? 5_000,
      'enable.idempotence': options.idempotent,
      'max.in.flight.requests.per.connection': options.maxInFlightRequests ?? DEFAULT_MAX_IN_FLIGHT_REQUESTS,
      'queue.buffering.max.messages': Math.max(1000, options.maxPendingFrames * 2),
      'socket.nagle.disable': true,
      log_level: 3,
      ...(options.maxMessageBytes !== undefined ? { 'message.max.bytes': options.maxMessageBytes } : {}),
    });
    // librdkafka reports client-level errors as events; unhandled, Node would throw them.
    this.producer.on('event.error', (err) => {
      this.lastError = asError(err);
    });
    this.producer.on('delivery-report', (err, report) => {
      this.pendingFrames--;
      const frame = report.opaque as OutgoingFrame;
      if (err) this.callbacks.failed(frame, asError(err), err.code === ERR_MSG_TIMED_OUT || err.code === ERR_TIMED_OUT);
      else this.callbacks.delivered(frame, report.offset);
    });
  }

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.producer.connect({ timeout: 10_000 }, (err) => {
        if (err) {
          reject(brokersUnreachable(this.options.brokers, err));
          return;
        }
        // Delivery reports are served by librdkafka's background thread, which hands each to this
        // thread as it comes (the library's own KafkaJS-style producer does the same). A 1 ms JS
        // poll timer delivered them a timer turn late, and the generator, which closes its frames
        // only when nothing is in flight, waited on those late acknowledgements too.
        this.producer.setPollInBackground(true);
        resolve();
      });
    });
  }

  get pending(): number {
    return this.pendingFrames;
  }

  send(frame: OutgoingFrame): boolean {
    if (this.pendingFrames >= this.options.maxPendingFrames) return false;
    if (this.closing) {
      // A produce racing the native disconnect can touch a deleted handle; such a frame never left.
      this.callbacks.failed(frame, new Error('the producer was closing'), false);
      return true;
    }
    try {
      this.producer.produce(this.options.topic, frame.partition, frame.value, frame.key, null, frame);
    } catch (error) {
      if ((error as { code?: number }).code === ERR_QUEUE_FULL) return false;
      // Refused before it left (e.g. the topic became unauthorised): the frame failed.
      this.callbacks.failed(frame, asError(error as Error), false);
      return true;
    }
    this.pendingFrames++;
    return true;
  }

  async flush(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pendingFrames > 0 && Date.now() < deadline && !signal?.aborted) {
      await trackNativeCall(
        'producer flush',
        new Promise<void>((resolve) => this.producer.flush(Math.min(100, deadline - Date.now()), () => resolve())),
      );
    }
  }

  async disconnect(): Promise<void> {
    if (!this.producer.isConnected()) return;
    this.closing = true;
    // No JS poll timer may run here: one racing the native disconnect called into a handle being
    // destroyed, a segfault or "pure virtual method called" in Producer::Poll (core dump from the
    // fault suite). Delivery reports come from librdkafka's background thread instead.
    // Our flush serves the delivery reports still owed. The one inside the library's disconnect
    // hands them to a dispatcher it deactivates right after: 200 of 2,000 reached JS in a test. So
    // the library's flush gets no time of its own: what ours left after 5 s is abandoned either way.
    await this.flush(5_000);
    await trackNativeCall('producer disconnect', new Promise<void>((resolve) => this.producer.disconnect(0, () => resolve())));
  }
}

/** A batch this big means records queue up: the next consume call gathers for 1 ms after its last message. */
const GATHER_AFTER_BATCH = 64;

/**
 * Consumer over librdkafka with manual commits. Each batch is whatever is ready once a message is
 * there, so batches grow with load and latency stays low when idle.
 */
export class ConfluentFrameConsumer implements FrameConsumer {
  private readonly consumer: Kafka.KafkaConsumer;
  private running = false;
  private paused = false;
  private loopActive = false;
  /** Messages the last consume call returned: it picks how the next one asks (loop()). */
  private lastBatchSize = 0;
  /** Set when stop() begins; rebalance callbacks from then on leave the assignment alone. */
  private stopping = false;
  /** One list per partition, reused from batch to batch (emptied after each delivery). */
  private readonly byPartition: ConsumedRecord[][] = [];
  private readonly touched: number[] = [];
  private onFirstAssignment: (() => void) | null = null;

  constructor(
    private readonly options: ConsumerOptions,
    private readonly callbacks: ConsumerCallbacks,
  ) {
    this.consumer = new Kafka.KafkaConsumer(
      {
        'bootstrap.servers': options.brokers,
        'client.id': options.clientId,
        'group.id': options.groupId,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'fetch.wait.max.ms': options.fetchWaitMaxMs ?? DEFAULT_FETCH_WAIT_MS,
        'fetch.min.bytes': 1,
        'fetch.message.max.bytes': MAX_RECORD_BYTES,
        // Bounds what librdkafka prefetches ahead of the pipeline (memory stays flat under overload).
        'queued.max.messages.kbytes': 32 * 1024,
        // How long librdkafka postpones a partition's next fetch once its prefetched queue is over
        // those bounds (default 1 s). Reading a backlog, the partition was drained long before
        // that: the client alone read 25k-record partitions of 72-byte records at 128-140k/s, its
        // thread asleep a third of the time waiting on consume(), and at 196-219k/s with 5 ms, its
        // thread busy 80-84% (embedded mock, alternating runs, scripts/perrecord-stall-probe.mjs).
        // The bounds still hold: only the wait before fetching again, once under them, is shorter.
        'fetch.queue.backoff.ms': 5,
        'session.timeout.ms': 6_000,
        'heartbeat.interval.ms': 500,
        'socket.nagle.disable': true,
        log_level: 3,
        rebalance_cb: (err: LibrdKafkaError, assignment: TopicPartition[]) => this.onRebalance(err, assignment),
      },
      { 'auto.offset.reset': 'earliest' },
    );
    this.consumer.on('event.error', (err) => this.callbacks.error(asError(err)));
  }

  private onRebalance(err: LibrdKafkaError, assignment: TopicPartition[]): void {
    const partitions = assignment.map((tp) => tp.partition);
    if (err.code === ERR_ASSIGN_PARTITIONS) {
      // An assignment that lands while stopping is not taken: the close that follows gives it back.
      if (this.stopping) return;
      this.consumer.assign(assignment);
      this.callbacks.assigned(partitions);
      this.onFirstAssignment?.();
      this.onFirstAssignment = null;
    } else if (err.code === ERR_REVOKE_PARTITIONS) {
      this.callbacks.revoked(partitions);
      // Once stop() began it has given the partitions back itself. The revocation its unsubscribe
      // queued is delivered here later, while the close runs in the threadpool or after it ended:
      // an unassign then (rd_kafka_assign, no time limit) can wait on a group that is being torn
      // down and never be answered, blocking this thread for good (seen in the fault suite).
      if (this.stopping) return;
      try {
        this.consumer.unassign();
      } catch (error) {
        // A revocation that follows a lost connection (a broker killed) has nothing left to give back.
        if (this.consumer.isConnected()) this.callbacks.error(asError(error as Error));
      }
    } else {
      this.callbacks.error(asError(err));
    }
  }

  /** Resolves once the group has assigned partitions, so no load is sent before anyone reads it. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.onFirstAssignment = null;
        reject(new FirehoseError('KAFKA_CLIENT', `the consumer group assigned no partitions within ${GROUP_JOIN_TIMEOUT_MS / 1000} s`));
      }, GROUP_JOIN_TIMEOUT_MS);
      this.onFirstAssignment = () => {
        clearTimeout(timer);
        resolve();
      };
      this.consumer.connect({ timeout: 10_000 }, (err) => {
        if (err) {
          clearTimeout(timer);
          this.onFirstAssignment = null;
          reject(brokersUnreachable(this.options.brokers, err));
          return;
        }
        this.consumer.subscribe([this.options.topic]);
        this.running = true;
        this.loop();
      });
    });
  }

  private loop(): void {
    if (!this.running || this.paused || this.loopActive) return;
    this.loopActive = true;
    // consume(n) with its timeout for the first message only waits 1 ms more after each message it
    // finds (KafkaConsumerConsumeNum::Execute): every batch left at least 1 ms after its last
    // record. That gathers big batches under load, where 1 ms is nothing; at light load it was a
    // millisecond of each record's latency. So after a small batch, or none: wait for one message,
    // then take what is queued with no wait; after a big batch, gather as before.
    const last = this.lastBatchSize;
    const mode = last >= GATHER_AFTER_BATCH ? 'gather' : last > 0 ? 'drain' : 'wait';
    this.consumer.setDefaultConsumeTimeout(mode === 'drain' ? 0 : 50);
    (this.consumer as unknown as { setDefaultIsTimeoutOnlyForFirstMessage(v: boolean): void }).setDefaultIsTimeoutOnlyForFirstMessage(
      mode === 'gather',
    );
    this.consumer.consume(mode === 'wait' ? 1 : 4096, (err, messages) => {
      this.loopActive = false;
      this.lastBatchSize = err ? 0 : messages.length;
      if (mode === 'drain' && !err && messages.length === 0) {
        this.loop();
        return;
      }
      if (err) {
        if (this.running) this.callbacks.error(asError(err));
      } else if (messages.length > 0) {
        // The next batch is taken from the client's queue (in the threadpool) while this one is
        // handed on here: one after the other, this thread waited on each fetch of the queue,
        // about half its time at one tick per record. A pause the delivery asks for takes effect
        // after the batch already asked for, which is delivered too.
        this.loop();
        this.deliver(messages);
        return;
      }
      if (this.running && !this.paused) setImmediate(() => this.loop());
    });
  }

  /**
   * Hands each partition's messages on as they came from the client: the message objects serve as
   * the records, and the per-partition lists are reused. At one tick per record this is per-record
   * work on the consumer's thread, where a wrapper object per message and a Map per batch showed
   * as garbage-collector time.
   */
  private deliver(messages: Message[]): void {
    const groups = this.byPartition;
    const touched = this.touched;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      // A null value is still a record at an offset: skipping it would count it as evicted and,
      // last in its partition, keep the drain waiting for an offset that never arrives.
      if (m.value == null) m.value = Buffer.alloc(0);
      let list = groups[m.partition];
      if (list === undefined) {
        list = [];
        groups[m.partition] = list;
      }
      if (list.length === 0) touched.push(m.partition);
      list.push(m as ConsumedRecord);
    }
    for (let i = 0; i < touched.length; i++) {
      const partition = touched[i]!;
      const list = groups[partition]!;
      this.callbacks.records(partition, list);
      list.length = 0;
    }
    touched.length = 0;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.loop();
  }

  commit(partition: number, nextOffset: number): void {
    if (!this.running) return;
    try {
      this.consumer.commit({ topic: this.options.topic, partition, offset: nextOffset });
    } catch (error) {
      // A commit for a partition just revoked fails; its records are redelivered and counted as duplicates.
      this.callbacks.error(asError(error as Error));
    }
  }

  settleCommits(): Promise<void> {
    // Commits are queued inside librdkafka and sent by its own thread; close sends what is left.
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopping = true;
    // A consume call returns within its 50 ms timeout.
    while (this.loopActive) await pause(10);
    if (!this.consumer.isConnected()) return;
    // Hand the partitions back from this thread first. The close (rd_kafka_consumer_close, in the
    // libuv threadpool, with no time limit) otherwise passes the revocation to the rebalance
    // callback, which runs on this thread: if the process is exiting by then, neither ever returns.
    try {
      this.consumer.unsubscribe();
      this.consumer.unassign();
    } catch {
      /* already closing */
    }
    await trackNativeCall('consumer close', new Promise<void>((resolve) => this.consumer.disconnect(() => resolve())));
  }
}

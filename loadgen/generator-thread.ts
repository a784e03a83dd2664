import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { InjectedTruth } from '../analytics/ground-truth.js';
import type { FairValueStreamSpec } from './fair-value-market.js';
import type { FrameProducer, OutgoingFrame, ProducerCallbacks } from '../kafka/client.js';
import { ProduceBacklog } from './produce-backlog.js';
import { createMergeHistogram, type Histogram } from '../metrics/latency-histogram.js';
import { PackedFrames } from '../wire/frame-pack.js';
import { FrameReader } from '../wire/tick-frame.js';
import { produceAccounting, type LoadGeneratorOptions, type ProduceStats } from './load-generator.js';

export interface GeneratorThreadData {
  options: Omit<LoadGeneratorOptions, 'clock'>;
  /**
   * Two Int32s the main thread writes: [0] 1 while it holds frames the Kafka client refused;
   * [1] frames handed to the Kafka client and not yet acknowledged (the thread's idle test).
   */
  hold: SharedArrayBuffer;
}

export type GeneratorThreadMessage =
  | { type: 'started'; startUs: number }
  | { type: 'frames'; packed: ArrayBuffer; generated: number }
  | { type: 'done'; generated: number; injected: InjectedTruth | null; truthSpec: FairValueStreamSpec | null; stopped: boolean };

function entryScript(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return path.resolve(path.dirname(here), '..', 'dist', 'loadgen', 'generator-thread-entry.js');
  return path.resolve(path.dirname(here), 'generator-thread-entry.js');
}

/**
 * A LoadGenerator whose ticks are generated and encoded on a thread of its own
 * (loadgen/generator-thread-entry.ts); this side, on the main thread, hands the frames to the
 * Kafka producer and keeps the delivery accounting. Same surface as LoadGenerator.
 */
export class ThreadedLoadGenerator {
  readonly produceLatency: Histogram = createMergeHistogram();
  readonly callbacks: ProducerCallbacks;
  private readonly stats: ProduceStats;
  private readonly hold: Int32Array;
  private readonly backlog = new ProduceBacklog(
    () => this.producer!,
    (frame) => this.sent(frame),
  );
  private readonly reader = new FrameReader();
  private readonly unpacked = new PackedFrames();
  private readonly keys: Buffer[] = [];
  private generatedTicks = 0;
  private truth: InjectedTruth | null = null;
  private spec: FairValueStreamSpec | null = null;
  private stopping = false;
  private worker: Worker | null = null;
  private producer: FrameProducer | null = null;
  private threadDone = false;

  private constructor(
    private readonly options: LoadGeneratorOptions,
    startUs: number,
    hold: SharedArrayBuffer,
  ) {
    this.hold = new Int32Array(hold);
    const accounting = produceAccounting(options.partitions, startUs, options.clock, this.produceLatency);
    this.stats = accounting.stats;
    // Every acknowledgement refreshes the thread's idle test (hold[1]) at once; the run loop no
    // longer polls it with a 1 ms timer (about 1,000 timers and promises a second under load).
    // The clients count a frame off `pending` before they report it, so the count read here is current.
    const { delivered, failed } = accounting.callbacks;
    this.callbacks = {
      delivered: (frame, offset) => {
        delivered(frame, offset);
        this.publishPending();
      },
      failed: (frame, error, indeterminate) => {
        failed(frame, error, indeterminate);
        this.publishPending();
      },
    };
  }

  /** Starts the thread and its schedule; frames wait in the thread's messages until `run` takes them. */
  static start(options: LoadGeneratorOptions): Promise<ThreadedLoadGenerator> {
    const { clock: _clock, ...plain } = options;
    const hold = new SharedArrayBuffer(8);
    const worker = new Worker(entryScript(), { workerData: { options: plain, hold } satisfies GeneratorThreadData });
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (message: GeneratorThreadMessage) => {
        worker.off('error', reject);
        if (message.type !== 'started') {
          reject(new Error(`generator thread: unexpected ${message.type}`));
          return;
        }
        const generator = new ThreadedLoadGenerator(options, message.startUs, hold);
        generator.attach(worker);
        resolve(generator);
      });
    });
  }

  private attach(worker: Worker): void {
    this.worker = worker;
    // Messages queue until run() gives a producer: nothing is lost before then.
    worker.on('message', (message: GeneratorThreadMessage) => this.receive(message));
  }

  get produceStats(): Readonly<ProduceStats> {
    return this.stats;
  }
  get generated(): number {
    return this.generatedTicks;
  }
  /** What regenerates the fair-value stream (LoadGenerator.truthSpec), once the thread is done. */
  get truthSpec(): FairValueStreamSpec | null {
    return this.spec;
  }

  get injected(): InjectedTruth | null {
    return this.truth;
  }
  get stopped(): boolean {
    return this.stopping;
  }

  stop(): void {
    this.stopping = true;
    this.worker?.postMessage({ type: 'stop' });
  }

  private readonly pendingMessages: GeneratorThreadMessage[] = [];
  /** Resolves `run` once the thread is done and every frame was handed to the client. */
  private finished: (() => void) | null = null;
  private retryQueued = false;

  private receive(message: GeneratorThreadMessage): void {
    if (this.producer === null) {
      this.pendingMessages.push(message);
      return;
    }
    if (message.type === 'frames') {
      this.generatedTicks = message.generated;
      const packed = message.packed;
      const frames = this.unpacked.reset(packed);
      for (let i = 0; i < frames.count; i++) {
        // One view per frame, made straight on the transferred buffer: it is the value the client
        // sends, and the reader reads the header through it.
        const value = Buffer.from(packed, frames.byteOffset(i), frames.byteLength(i));
        this.reader.reset(value);
        const keyGroup = this.reader.keyGroup;
        const outgoing: OutgoingFrame = {
          partition: keyGroup % this.options.partitions,
          key: this.key(keyGroup),
          value,
          tickCount: this.reader.tickCount,
          producedAtUs: frames.receivedUs(i),
        };
        if (!this.backlog.offer(outgoing)) Atomics.store(this.hold, 0, 1);
      }
    } else if (message.type === 'done') {
      this.generatedTicks = message.generated;
      this.truth = message.injected;
      this.spec = message.truthSpec;
      if (message.stopped) this.stopping = true;
      this.threadDone = true;
    }
    this.advance();
  }

  private key(keyGroup: number): Buffer {
    while (this.keys.length <= keyGroup) this.keys.push(Buffer.from(String(this.keys.length)));
    return this.keys[keyGroup]!;
  }

  private sent(frame: OutgoingFrame): void {
    this.stats.produced += frame.tickCount;
    this.stats.lastSentUs = this.options.clock();
  }

  /**
   * What the thread's generator reads as its producer's pending frames: it closes its open
   * frames at once only while nothing is in flight here (Nagle's rule, LoadGenerator.run).
   */
  private publishPending(): void {
    Atomics.store(this.hold, 1, this.producer === null ? 0 : this.producer.pending);
  }

  private drainBacklog(): boolean {
    const drained = this.backlog.drain();
    this.publishPending();
    if (!drained) return false;
    Atomics.store(this.hold, 0, 0);
    return true;
  }

  /**
   * After each message from the thread: frames the client refused are retried every millisecond
   * until it takes them (the only timer here), and `run` ends once the thread is done and every
   * frame was handed over.
   */
  private advance(): void {
    if (this.producer === null) return;
    if (!this.drainBacklog()) {
      if (this.retryQueued) return;
      this.retryQueued = true;
      setTimeout(() => {
        this.retryQueued = false;
        this.advance();
      }, 1);
      return;
    }
    if (!this.threadDone) return;
    const finished = this.finished;
    this.finished = null;
    finished?.();
  }

  /** Sends the thread's frames until it finished and every frame was handed over, then waits for acknowledgements. */
  async run(producer: FrameProducer): Promise<void> {
    this.producer = producer;
    const done = new Promise<void>((resolve) => (this.finished = resolve));
    for (const message of this.pendingMessages.splice(0)) this.receive(message);
    this.advance();
    await done;
    await producer.flush(30_000);
    // The thread stays until destroy(): the run reads its CPU (metrics/thread-cpu.ts) after the
    // drain, and a thread that ended is gone from /proc with whatever it used since the last read.
    this.worker?.unref();
  }

  async destroy(): Promise<void> {
    await this.worker?.terminate();
  }
}

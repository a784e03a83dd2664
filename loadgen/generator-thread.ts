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
    ({ stats: this.stats, callbacks: this.callbacks } = produceAccounting(options.partitions, startUs, options.clock, this.produceLatency));
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
  private wake: (() => void) | null = null;

  private receive(message: GeneratorThreadMessage): void {
    if (this.producer === null) {
      this.pendingMessages.push(message);
      return;
    }
    if (message.type === 'frames') {
      this.generatedTicks = message.generated;
      const frames = this.unpacked.reset(message.packed);
      for (let i = 0; i < frames.count; i++) {
        const bytes = frames.frame(i);
        this.reader.reset(bytes);
        const keyGroup = this.reader.keyGroup;
        const outgoing: OutgoingFrame = {
          partition: keyGroup % this.options.partitions,
          key: this.key(keyGroup),
          value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
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
    this.wake?.();
  }

  private key(keyGroup: number): Buffer {
    while (this.keys.length <= keyGroup) this.keys.push(Buffer.from(String(this.keys.length)));
    return this.keys[keyGroup]!;
  }

  private sent(frame: OutgoingFrame): void {
    this.stats.produced += frame.tickCount;
    this.stats.lastSentUs = this.options.clock();
  }

  private drainBacklog(): boolean {
    const drained = this.backlog.drain();
    // What the thread's generator reads as its producer's pending frames: it closes its open
    // frames at once only while nothing is in flight here (Nagle's rule, LoadGenerator.run).
    Atomics.store(this.hold, 1, this.producer === null ? 0 : this.producer.pending);
    if (!drained) return false;
    Atomics.store(this.hold, 0, 0);
    return true;
  }

  /** Sends the thread's frames until it finished and every frame was handed over, then waits for acknowledgements. */
  async run(producer: FrameProducer): Promise<void> {
    this.producer = producer;
    for (const message of this.pendingMessages.splice(0)) this.receive(message);
    while (!(this.threadDone && this.drainBacklog())) {
      const drained = this.drainBacklog();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        // The thread's messages wake this loop. A timer too, but only while frames wait for the
        // client or are in flight: their count (hold[1]) is the thread's idle test and must reach
        // 0 soon after the last acknowledgement. Idle, it slept 1 ms at a time (1,000 wake-ups/s).
        if (!drained || producer.pending > 0) setTimeout(resolve, 1);
      });
      this.wake = null;
    }
    await producer.flush(30_000);
    // The thread stays until destroy(): the run reads its CPU (metrics/thread-cpu.ts) after the
    // drain, and a thread that ended is gone from /proc with whatever it used since the last read.
    this.worker?.unref();
  }

  async destroy(): Promise<void> {
    await this.worker?.terminate();
  }
}

/**
 * The generator thread (--loadgen-thread): the open-loop schedule, market model and frame
 * encoding run here; finished frames go to the main thread, which owns the Kafka producer (the
 * Confluent client's native addon loads in one thread per process only). Each slice's frames
 * travel as one transferred buffer (wire/frame-pack.ts). Ticks keep their intended send time.
 *
 * In: `stop`. Out: `started` {startUs}, `frames` {packed, generated}, `done` {generated, injected}.
 * Backpressure: while the main thread's shared `hold` flag is set, `send` refuses frames, so the
 * LoadGenerator here keeps them and retries, exactly as it does with a full Kafka queue.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FrameProducer, OutgoingFrame } from '../kafka/client.js';
import { initHistograms } from '../metrics/latency-histogram.js';
import { nowUs } from '../wire/clock.js';
import { packFrames } from '../wire/frame-pack.js';
import { LoadGenerator } from './load-generator.js';
import type { GeneratorThreadData, GeneratorThreadMessage } from './generator-thread.js';

const data = workerData as GeneratorThreadData;
const port = parentPort!;
const hold = new Int32Array(data.hold);
const post = (message: GeneratorThreadMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

await initHistograms();
let generator: LoadGenerator | null = null;
const values: Buffer[] = [];
const times: number[] = [];
let flushQueued = false;

/** Sends what this slice produced as one buffer, after the slice (so a slice's frames travel together). */
function flushSoon(): void {
  if (flushQueued) return;
  flushQueued = true;
  setImmediate(() => {
    flushQueued = false;
    if (values.length === 0) return;
    const packed = packFrames(values, times);
    values.length = 0;
    times.length = 0;
    post({ type: 'frames', packed, generated: generator?.generated ?? 0 }, [packed]);
  });
}

const forwarder: FrameProducer = {
  connect: async () => {},
  send(frame: OutgoingFrame): boolean {
    if (Atomics.load(hold, 0) !== 0) return false;
    values.push(frame.value);
    times.push(frame.producedAtUs);
    flushSoon();
    return true;
  },
  // Frames not yet posted, plus those the main thread's Kafka client has in flight: without the
  // latter the generator saw an idle producer after every slice and closed its frames each
  // millisecond, whatever the load.
  get pending() {
    return values.length + Atomics.load(hold, 1);
  },
  flush: async () => {},
  disconnect: async () => {},
};

port.on('message', (message: { type: 'stop' }) => {
  if (message.type === 'stop') generator?.stop();
});
const loadgen = new LoadGenerator({ ...data.options, clock: nowUs });
generator = loadgen;
post({ type: 'started', startUs: loadgen.produceStats.startUs });
await loadgen.run(forwarder);
await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve))); // the last slice's frames go first
post({ type: 'done', generated: loadgen.generated, injected: loadgen.injected, truthSpec: loadgen.truthSpec, stopped: loadgen.stopped });
// The port stays open (the thread idles) until the main thread terminates it: its CPU is read after the drain.

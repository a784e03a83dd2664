import type { ConsumedRecord } from '../kafka/client.js';
import { FrameWriter } from '../wire/tick-frame.js';
import { PartitionDispatcher, type DispatcherHooks } from './partition-dispatcher.js';
import type { FrameTask, FrameTaskResult } from './worker-protocol.js';

/**
 * JIT warm-up of the consumer thread's own per-record path (the dispatcher's checks, copies into
 * shared memory and task settling) on throwaway records, while the workers warm up theirs. Left
 * to the run, the first records were handed on by unoptimised code while V8's compiler threads,
 * on the same 2 cores, compiled it: at one tick per record, half the process's CPU samples in the
 * first quarter of a 200k-record backlog read were TurboFan's (perf), against 4% afterwards.
 */
const WARMUP_BATCHES = 48;
/** Records per batch, as one consume call of the Confluent consumer returns at most. */
const BATCH_RECORDS = 4096;
const PARTITIONS = 8;
/** Every this-many-th batch carries default 64-tick frames instead of one-tick ones. */
const LARGE_FRAME_EVERY = 4;

export interface DispatchWarmupOptions {
  framesPerTask: number;
  taskGroups: number;
  maxQueuedRecords: number;
  maxQueuedBytes: number;
}

/** A task "analysed" at once: every run's ticks as the frames' count (the warm-up counts nothing). */
function settle(task: FrameTask): Promise<FrameTaskResult> {
  const runs = task.segments ? task.segments.length / 3 : 1;
  const segmentTicks = task.segments ? Array.from({ length: runs }, (_, k) => task.segments![k * 3 + 2]!) : undefined;
  return Promise.resolve({ ticks: task.count, problem: null, ...(segmentTicks ? { segmentTicks } : {}) });
}

/**
 * A record shaped as the Confluent consumer's message objects (their properties set in the order
 * the native binding sets them), so the warmed code sees the objects it will see in the run.
 */
function record(value: Buffer, partition: number, offset: number): ConsumedRecord {
  const m: Record<string, unknown> = {};
  m.value = value;
  m.size = value.byteLength;
  m.key = null;
  m.topic = 'warm-up';
  m.offset = offset;
  m.partition = partition;
  m.timestamp = 0;
  return m as unknown as ConsumedRecord;
}

function frames(ticks: number, count: number): Buffer[] {
  const writer = new FrameWriter(ticks);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    for (let t = 0; t < ticks; t++) writer.append(i * ticks + t, 0, t % 5, i % 100, 0, 1, 100, 100.02, 1, 1);
    out.push(writer.finish(0, i % 100, 1));
  }
  return out;
}

/**
 * Runs the dispatcher's per-record path on throwaway one-tick and 64-tick records; touches no run
 * state. Returns the records it saw through (all of them, unless one was refused: a test's check).
 */
export async function warmUpDispatch(options: DispatchWarmupOptions): Promise<number> {
  let settled = 0;
  const hooks: DispatcherHooks = {
    frameDone: (_partition, frames) => {
      settled += frames;
    },
    frameFailed: () => {},
    deadLetter: () => {},
    offsetGap: () => {},
    pause: () => {},
    resume: () => {},
    commit: () => {},
  };
  const dispatcher = new PartitionDispatcher(
    settle,
    hooks,
    () => 0,
    options.maxQueuedRecords,
    3,
    options.framesPerTask,
    options.maxQueuedBytes,
    options.taskGroups,
  );
  const small = frames(1, BATCH_RECORDS);
  const large = frames(64, BATCH_RECORDS / 64);
  const offsets = new Array<number>(PARTITIONS).fill(0);
  const lists: ConsumedRecord[][] = Array.from({ length: PARTITIONS }, () => []);
  for (let batch = 0; batch < WARMUP_BATCHES; batch++) {
    const values = batch % LARGE_FRAME_EVERY === LARGE_FRAME_EVERY - 1 ? large : small;
    for (let i = 0; i < values.length; i++) {
      const partition = i % PARTITIONS;
      lists[partition]!.push(record(values[i]!, partition, offsets[partition]!++));
    }
    for (let p = 0; p < PARTITIONS; p++) {
      dispatcher.push(p, lists[p]!);
      lists[p]!.length = 0;
    }
    // Let the settled tasks' continuations run, as a run's consume callbacks interleave with them.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await dispatcher.whenIdle();
  return settled;
}

/** Records one warm-up hands through. */
export const WARMUP_RECORDS =
  (WARMUP_BATCHES - WARMUP_BATCHES / LARGE_FRAME_EVERY) * BATCH_RECORDS + (WARMUP_BATCHES / LARGE_FRAME_EVERY) * (BATCH_RECORDS / 64);

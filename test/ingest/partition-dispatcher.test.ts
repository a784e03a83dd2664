import { Piscina } from 'piscina';
import { describe, expect, it } from 'vitest';
import { PartitionDispatcher, type DispatcherHooks } from '../../ingest/partition-dispatcher.js';
import type { FrameTaskResult } from '../../ingest/worker-protocol.js';
import type { ConsumedRecord } from '../../kafka/client.js';
import { FrameWriter } from '../../wire/tick-frame.js';
import { PackedFrames } from '../../wire/frame-pack.js';

/** A one-tick frame whose seq is the record's offset and whose venue is how long the fixture worker spins. */
function record(partition: number, offset: number, workUnits: number): ConsumedRecord {
  const writer = new FrameWriter(1);
  writer.append(offset, 0, workUnits, 0, 0, 1, 1, 2, 1, 1);
  return { partition, offset, value: writer.finish(0, partition, 1) };
}

function hooks(overrides: Partial<DispatcherHooks> = {}): DispatcherHooks & {
  commits: Map<number, number>;
  done: number;
  ticks: number;
  ticksByPartition: Map<number, number>;
  pauses: number;
  resumes: number;
  deadLetters: string[];
} {
  const state = {
    commits: new Map<number, number>(),
    done: 0,
    pauses: 0,
    resumes: 0,
    ticks: 0,
    ticksByPartition: new Map<number, number>(),
    frameDone(p: number, frames: number, ticks: number) {
      state.done += frames;
      state.ticks += ticks;
      state.ticksByPartition.set(p, (state.ticksByPartition.get(p) ?? 0) + ticks);
    },
    frameFailed() {
      throw new Error('no task should fail');
    },
    deadLetters: [] as string[],
    deadLetter(r: ConsumedRecord, reason: string) {
      state.deadLetters.push(`${r.partition}/${r.offset}: ${reason}`);
    },
    offsetGap() {},
    pause() {
      state.pauses++;
    },
    resume() {
      state.resumes++;
    },
    commit(partition: number, nextOffset: number) {
      state.commits.set(partition, nextOffset);
    },
    ...overrides,
  };
  return state;
}

describe('partition dispatcher', () => {
  it.each([
    ['a group per partition', Number.POSITIVE_INFINITY],
    ['3 task groups', 3],
  ])('keeps per-partition order and one frame per partition in flight through a real worker pool (%s)', async (_name, taskGroups) => {
    const partitions = 12;
    const framesPerPartition = 60;
    const shared = {
      inFlight: new SharedArrayBuffer(4 * partitions),
      violations: new SharedArrayBuffer(4 * 3),
      lastOffset: new SharedArrayBuffer(4 * partitions),
    };
    new Int32Array(shared.lastOffset).fill(-1);
    const pool = new Piscina({
      filename: new URL('../fixtures/order-worker.mjs', import.meta.url).href,
      minThreads: 4,
      maxThreads: 4,
      workerData: shared,
    });
    const h = hooks();
    let running = 0;
    let mostRunning = 0;
    let multiPartitionTasks = 0;
    const dispatcher = new PartitionDispatcher(
      async (task, transfer) => {
        mostRunning = Math.max(mostRunning, ++running);
        if (task.segments) multiPartitionTasks++;
        try {
          return (await pool.run(task, { transferList: transfer })) as FrameTaskResult;
        } finally {
          running--;
        }
      },
      h,
      () => 0,
      1_000_000,
      3,
      16,
      Number.POSITIVE_INFINITY,
      taskGroups,
    );
    try {
      // Interleave partitions in random-sized batches, as a consumer delivers them.
      let seed = 7;
      const rand = (n: number): number => {
        seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
        return (seed >>> 8) % n;
      };
      const next = new Array<number>(partitions).fill(0);
      while (next.some((n) => n < framesPerPartition)) {
        const p = rand(partitions);
        const batch: ConsumedRecord[] = [];
        const size = 1 + rand(5);
        for (let i = 0; i < size && next[p]! < framesPerPartition; i++) batch.push(record(p, next[p]!++, rand(30)));
        if (batch.length > 0) dispatcher.push(p, batch);
      }
      await dispatcher.whenIdle();
      dispatcher.commitFinished();
      const violations = Array.from(new Int32Array(shared.violations));
      expect(violations).toEqual([0, 0, 0]);
      expect(h.done).toBe(partitions * framesPerPartition);
      for (let p = 0; p < partitions; p++) expect(h.commits.get(p)).toBe(framesPerPartition);
      expect(h.ticks).toBe(partitions * framesPerPartition);
      expect(mostRunning).toBeLessThanOrEqual(Math.min(partitions, taskGroups));
      if (Number.isFinite(taskGroups)) expect(multiPartitionTasks).toBeGreaterThan(0);
      else expect(multiPartitionTasks).toBe(0);
    } finally {
      await pool.destroy();
    }
  });

  it('pauses the consumer when too many frames wait and resumes when they drain', async () => {
    const h = hooks();
    const pending: Array<() => void> = [];
    const dispatcher = new PartitionDispatcher(
      () => new Promise<FrameTaskResult>((resolve) => pending.push(() => resolve({ ticks: 1, problem: null }))),
      h,
      () => 0,
      10,
    );
    // One task takes up to 16 × 64 ticks of these 1-tick frames; the rest wait and fill the queue.
    dispatcher.push(
      0,
      Array.from({ length: 1100 }, (_, i) => record(0, i, 0)),
    );
    expect(h.pauses).toBe(1);
    expect(dispatcher.framesInFlight).toBe(1);
    while (pending.length > 0) {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await dispatcher.whenIdle();
    expect(h.resumes).toBe(1);
    expect(h.done).toBe(1100);
  });

  it('resumes the consumer after a fetched batch of malformed records that filled the queue (no stall)', async () => {
    const h = hooks();
    const dispatcher = new PartitionDispatcher(
      () => Promise.resolve({ ticks: 1, problem: null }),
      h,
      () => 0,
      256,
    );
    dispatcher.push(
      0,
      Array.from({ length: 300 }, (_, i) => ({ partition: 0, offset: i, value: Buffer.from(`junk ${i}`) })),
    );
    await dispatcher.whenIdle();
    expect(h.deadLetters).toHaveLength(300);
    // Paused or not while pushing, the consumer must be left running: nothing else would resume it.
    expect(h.pauses).toBe(h.resumes);
  });

  it('dead-letters malformed records behind a busy frame at once, and commits past them once the frame finished', async () => {
    const h = hooks();
    const pending: Array<() => void> = [];
    const dispatcher = new PartitionDispatcher(
      () => new Promise<FrameTaskResult>((resolve) => pending.push(() => resolve({ ticks: 1, problem: null }))),
      h,
      () => 0,
      256,
    );
    dispatcher.push(0, [record(0, 0, 0)]);
    dispatcher.push(
      0,
      Array.from({ length: 300 }, (_, i) => ({ partition: 0, offset: i + 1, value: Buffer.alloc(0) })),
    );
    // Nothing of theirs waits (nor pauses the consumer), but the frame before them is not finished.
    expect(h.deadLetters).toHaveLength(300);
    expect(h.pauses).toBe(0);
    dispatcher.commitFinished();
    expect(h.commits.has(0)).toBe(false);
    pending.shift()!();
    await dispatcher.whenIdle();
    dispatcher.commitFinished();
    expect(h.commits.get(0)).toBe(301);
  });

  it('commits past a malformed record only once the frames on both sides of it finished', async () => {
    const h = hooks();
    const pending: Array<() => void> = [];
    const dispatcher = new PartitionDispatcher(
      (task) => new Promise<FrameTaskResult>((resolve) => pending.push(() => resolve({ ticks: task.count, problem: null }))),
      h,
      () => 0,
      256,
    );
    dispatcher.push(0, [record(0, 0, 0)]);
    dispatcher.push(0, [record(0, 1, 0), { partition: 0, offset: 2, value: Buffer.from('junk') }, record(0, 3, 0)]);
    pending.shift()!();
    await new Promise((r) => setImmediate(r));
    dispatcher.commitFinished();
    expect(h.commits.get(0)).toBe(1);
    pending.shift()!();
    await dispatcher.whenIdle();
    dispatcher.commitFinished();
    expect(h.commits.get(0)).toBe(4);
    expect(h.deadLetters).toEqual(['0/2: truncated']);
    expect(h.done).toBe(3);
  });

  it('dead-letters the frames a worker refused and counts only the others as analysed', async () => {
    const h = hooks();
    const dispatcher = new PartitionDispatcher(
      (task) => Promise.resolve({ ticks: task.count - 1, problem: null, rejected: [{ index: 1, problem: 'bad-timestamp' }] }),
      h,
      () => 0,
      100,
    );
    dispatcher.push(4, [record(4, 0, 0), record(4, 1, 0), record(4, 2, 0)]);
    await dispatcher.whenIdle();
    dispatcher.commitFinished();
    expect(h.deadLetters).toEqual(['4/1: bad-timestamp']);
    expect(h.done).toBe(2);
    expect(h.commits.get(4)).toBe(3);
  });

  it('commits only offsets whose frames finished', async () => {
    const h = hooks();
    const pending: Array<() => void> = [];
    const dispatcher = new PartitionDispatcher(
      () => new Promise<FrameTaskResult>((resolve) => pending.push(() => resolve({ ticks: 1, problem: null }))),
      h,
      () => 0,
      100,
    );
    dispatcher.push(3, [record(3, 100, 0), record(3, 101, 0)]);
    dispatcher.commitFinished();
    expect(h.commits.has(3)).toBe(false);
    pending.shift()!();
    await new Promise((r) => setImmediate(r));
    dispatcher.commitFinished();
    // Both frames went out as one task; its completion commits past both.
    expect(h.commits.get(3)).toBe(102);
  });

  it('reports offset gaps (records removed by retention) and drops revoked partitions', () => {
    let gap = 0;
    const h = hooks({
      offsetGap: (_p, missing) => {
        gap += missing;
      },
    });
    const dispatcher = new PartitionDispatcher(
      () => new Promise<FrameTaskResult>(() => {}),
      h,
      () => 0,
      100,
      3,
      1,
    );
    // The first record goes out at once; the others wait behind it (one task per partition in flight).
    dispatcher.push(1, [record(1, 0, 0)]);
    dispatcher.push(1, [record(1, 1, 0), record(1, 5, 0)]);
    expect(gap).toBe(3);
    expect(dispatcher.queuedFrames).toBe(2);
    dispatcher.revoke([1]);
    expect(dispatcher.queuedFrames).toBe(0);
  });

  it("drops a revoked partition's waiting frames and keeps the rest of its group's task, in order", async () => {
    const h = hooks();
    const tasks: Array<number[] | undefined> = [];
    const pending: Array<() => void> = [];
    const dispatcher = new PartitionDispatcher(
      (task) => {
        tasks.push(task.segments ?? [task.partition, task.offset, task.count]);
        return new Promise<FrameTaskResult>((resolve) =>
          pending.push(() => resolve({ ticks: task.count, problem: null, segmentTicks: task.segments?.filter((_, k) => k % 3 === 2) })),
        );
      },
      h,
      () => 0,
      100,
      3,
      16,
      Number.POSITIVE_INFINITY,
      1,
    );
    dispatcher.push(0, [record(0, 0, 0)]);
    // Waiting together in the group's next task: 0/1, 1/0-1, 0/2, 1/2.
    dispatcher.push(0, [record(0, 1, 0)]);
    dispatcher.push(1, [record(1, 0, 0), record(1, 1, 0)]);
    dispatcher.push(0, [record(0, 2, 0)]);
    dispatcher.push(1, [record(1, 2, 0)]);
    expect(dispatcher.queuedFrames).toBe(5);
    dispatcher.revoke([1]);
    expect(dispatcher.queuedFrames).toBe(2);
    expect(dispatcher.nextOffset(1)).toBe(-1);
    while (pending.length > 0 || !dispatcher.idle) {
      pending.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    dispatcher.commitFinished();
    expect(tasks).toEqual([
      [0, 0, 1],
      [0, 1, 2],
    ]);
    expect(h.commits.get(0)).toBe(3);
    expect(h.commits.has(1)).toBe(false);
    expect(h.done).toBe(3);
  });

  it('dead-letters a malformed record without sending it to a worker, and commits past it', async () => {
    const h = hooks();
    let runs = 0;
    const dispatcher = new PartitionDispatcher(
      () => {
        runs++;
        return Promise.resolve({ ticks: 1, problem: null });
      },
      h,
      () => 0,
      100,
    );
    dispatcher.push(2, [record(2, 0, 0), { partition: 2, offset: 1, value: Buffer.from('garbage') }, record(2, 2, 0)]);
    await dispatcher.whenIdle();
    dispatcher.commitFinished();
    // The frames on both sides go in one task (two runs of the partition, the malformed offset between).
    expect(runs).toBe(1);
    expect(h.deadLetters).toEqual(['2/1: truncated']);
    expect(h.commits.get(2)).toBe(3);
  });

  it('retries a failing frame, then dead-letters it and goes on in order', async () => {
    const failures: boolean[] = [];
    const h = hooks({
      frameFailed: (_p, _o, _e, willRetry) => {
        failures.push(willRetry);
      },
    });
    const tasks: string[] = [];
    const dispatcher = new PartitionDispatcher(
      (task) => {
        const offsets = Array.from({ length: task.count }, (_, i) => task.offset + i);
        tasks.push(offsets.join('+'));
        return offsets.includes(1) ? Promise.reject(new Error('boom')) : Promise.resolve({ ticks: offsets.length, problem: null });
      },
      h,
      () => 0,
      100,
      3,
    );
    dispatcher.push(0, [record(0, 0, 0), record(0, 1, 0), record(0, 2, 0)]);
    await dispatcher.whenIdle();
    dispatcher.commitFinished();
    // The batch fails; its frames go one by one; the failing one (3 tries with the batch's) is dead-lettered.
    expect(tasks).toEqual(['0+1+2', '0', '1', '1', '2']);
    expect(failures).toEqual([true, true, false]);
    expect(h.deadLetters).toEqual(['0/1: analytics failed 3 times: boom']);
    expect(h.done).toBe(2);
    expect(h.commits.get(0)).toBe(3);
  });

  it("gives the worker its own copy of the record values, one buffer per task: the partition's shared memory, reused", async () => {
    const slab = Buffer.alloc(4096, 0);
    const values = [record(5, 0, 0), record(5, 1, 0)].map((r, i) => {
      const at = 100 + i * 1000;
      r.value.copy(slab, at);
      return { ...r, value: slab.subarray(at, at + r.value.byteLength) };
    });
    const seen: Array<{ packed: ArrayBuffer | SharedArrayBuffer; count: number; transfer: ArrayBuffer[]; seq: number }> = [];
    const dispatcher = new PartitionDispatcher(
      (task, transfer) => {
        // Read now, as a worker does before its task settles: the memory is refilled for the next task.
        const frames = new PackedFrames().reset(task.packed);
        const seq = new DataView(frames.frame(0).slice().buffer).getUint32(24, true);
        seen.push({ packed: task.packed, count: task.count, transfer, seq });
        return Promise.resolve({ ticks: 0, problem: null });
      },
      hooks(),
      () => 0,
      100,
      3,
    );
    dispatcher.push(5, values);
    await dispatcher.whenIdle();
    dispatcher.push(5, [record(5, 2, 0)]);
    await dispatcher.whenIdle();
    expect(seen).toHaveLength(2);
    expect(seen.map((t) => [t.count, t.seq])).toEqual([
      [2, 0],
      [1, 2],
    ]);
    expect(seen[0]!.packed).toBeInstanceOf(SharedArrayBuffer);
    expect(seen[0]!.transfer).toEqual([]);
    expect(seen[1]!.packed).toBe(seen[0]!.packed);
    expect(seen[0]!.packed).not.toBe(slab.buffer);
  });

  it('gives an outsized frame shared memory of its own', async () => {
    // A frame of 30,000 ticks is 1.44 MB: above what a task's reused memory holds.
    const writer = new FrameWriter(30_000);
    for (let i = 0; i < 30_000; i++) writer.append(i, 0, 0, 0, 0, 1, 1, 2, 1, 1);
    const big = { partition: 1, offset: 0, value: writer.finish(0, 1, 1) };
    const seen: Array<{ packed: ArrayBuffer | SharedArrayBuffer; transfer: ArrayBuffer[] }> = [];
    const dispatcher = new PartitionDispatcher(
      (task, transfer) => {
        seen.push({ packed: task.packed, transfer });
        return Promise.resolve({ ticks: 0, problem: null });
      },
      hooks(),
      () => 0,
      100,
    );
    dispatcher.push(1, [big]);
    await dispatcher.whenIdle();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.packed).toBeInstanceOf(SharedArrayBuffer);
    expect(seen[0]!.transfer).toEqual([]);
    expect(Buffer.from(new PackedFrames().reset(seen[0]!.packed).frame(0)).equals(big.value)).toBe(true);
  });

  it('pauses on queued bytes before queued records when the bytes bound is the tighter one', () => {
    const h = hooks();
    const dispatcher = new PartitionDispatcher(
      () => new Promise<FrameTaskResult>(() => {}),
      h,
      () => 0,
      1_000_000,
      3,
      16,
      // 72-byte records: ten of them, with one in flight.
      72 * 10,
    );
    dispatcher.push(0, [record(0, 0, 0)]);
    dispatcher.push(
      0,
      Array.from({ length: 9 }, (_, i) => record(0, i + 1, 0)),
    );
    expect(h.pauses).toBe(0);
    dispatcher.push(0, [record(0, 10, 0)]);
    expect(h.pauses).toBe(1);
  });
  it('keeps the consumer paused by the bytes bound until half of those bytes drained', async () => {
    const h = hooks();
    const pending: Array<() => void> = [];
    const dispatcher = new PartitionDispatcher(
      () => new Promise<FrameTaskResult>((resolve) => pending.push(() => resolve({ ticks: 1, problem: null }))),
      h,
      () => 0,
      1_000_000,
      3,
      // One frame per task, so each finished task takes one frame off the queue.
      1 / 64,
      // 72-byte records: ten may wait.
      72 * 10,
    );
    dispatcher.push(
      0,
      Array.from({ length: 11 }, (_, i) => record(0, i, 0)),
    );
    expect(h.pauses).toBe(1);
    expect(dispatcher.queuedFrames).toBe(10);
    // 10 → 6 waiting: still more than half the bytes bound (5 records).
    for (let k = 0; k < 4; k++) {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    expect(dispatcher.queuedFrames).toBe(6);
    expect(h.resumes).toBe(0);
    pending.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(dispatcher.queuedFrames).toBe(5);
    expect(h.resumes).toBe(1);
    while (pending.length > 0) {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await dispatcher.whenIdle();
    expect(h.done).toBe(11);
  });

  it("sends a task group's partitions in one task: ticks, refusals and commits land on each record's own partition", async () => {
    const h = hooks();
    const tasks: Array<{ count: number; segments: number[] | undefined }> = [];
    const pending: Array<() => void> = [];
    const dispatcher = new PartitionDispatcher(
      (task) => {
        tasks.push({ count: task.count, segments: task.segments });
        // The worker refuses the task's 4th frame (partition 2's second): 2 ticks analysed in partition 0, 1 in 2.
        return new Promise<FrameTaskResult>((resolve) =>
          pending.push(() =>
            resolve(
              task.segments
                ? { ticks: 3, problem: null, rejected: [{ index: 3, problem: 'bad-timestamp' }], segmentTicks: [2, 1] }
                : { ticks: task.count, problem: null },
            ),
          ),
        );
      },
      h,
      () => 0,
      100,
      3,
      16,
      Number.POSITIVE_INFINITY,
      2,
    );
    // Partitions 0 and 2 share group 0, partition 1 is group 1's.
    dispatcher.push(0, [record(0, 0, 0)]);
    dispatcher.push(1, [record(1, 0, 0)]);
    dispatcher.push(0, [record(0, 1, 0), record(0, 2, 0)]);
    dispatcher.push(2, [record(2, 7, 0), record(2, 8, 0)]);
    expect(dispatcher.framesInFlight).toBe(2);
    pending.shift()!();
    await new Promise((r) => setImmediate(r));
    // Group 0's next task carries both of its partitions' waiting frames.
    expect(tasks[2]).toEqual({ count: 4, segments: [0, 1, 2, 2, 7, 2] });
    while (pending.length > 0) pending.shift()!();
    await dispatcher.whenIdle();
    dispatcher.commitFinished();
    expect(h.deadLetters).toEqual(['2/8: bad-timestamp']);
    expect(h.done).toBe(5);
    expect([...h.ticksByPartition].sort((a, b) => a[0] - b[0])).toEqual([
      [0, 3],
      [1, 1],
      [2, 1],
    ]);
    expect([...h.commits].sort((a, b) => a[0] - b[0])).toEqual([
      [0, 3],
      [1, 1],
      [2, 9],
    ]);
  });

  it("retries a failed task group's frames one at a time, each partition still in order", async () => {
    const failures: boolean[] = [];
    const h = hooks({
      frameFailed: (_p, _o, _e, willRetry) => {
        failures.push(willRetry);
      },
    });
    const tasks: string[] = [];
    let release: (() => void) | null = null;
    const dispatcher = new PartitionDispatcher(
      (task) => {
        const segments = task.segments ?? [task.partition, task.offset, task.count];
        const frames: string[] = [];
        for (let s = 0; s < segments.length; s += 3)
          for (let k = 0; k < segments[s + 2]!; k++) frames.push(`${segments[s]}/${segments[s + 1]! + k}`);
        tasks.push(frames.join('+'));
        const segmentTicks = task.segments ? segments.filter((_, i) => i % 3 === 2) : undefined;
        // The first task is held, so that both partitions' frames wait and go out together.
        if (tasks.length === 1) return new Promise((resolve) => (release = () => resolve({ ticks: 1, problem: null })));
        return frames.includes('1/1')
          ? Promise.reject(new Error('boom'))
          : Promise.resolve({ ticks: frames.length, problem: null, segmentTicks });
      },
      h,
      () => 0,
      100,
      3,
      16,
      Number.POSITIVE_INFINITY,
      1,
    );
    dispatcher.push(2, [record(2, 0, 0)]);
    dispatcher.push(0, [record(0, 0, 0), record(0, 1, 0)]);
    dispatcher.push(1, [record(1, 0, 0), record(1, 1, 0), record(1, 2, 0)]);
    release!();
    await dispatcher.whenIdle();
    dispatcher.commitFinished();
    // The group's task fails; its frames go one by one, partition by partition, each in order;
    // the failing one (3 tries with the batch's) is dead-lettered.
    expect(tasks.slice(0, 2)).toEqual(['2/0', '0/0+0/1+1/0+1/1+1/2']);
    const singles = tasks.slice(2);
    expect(singles.filter((t) => t.includes('+'))).toEqual([]);
    expect(singles.filter((t) => t.startsWith('0/'))).toEqual(['0/0', '0/1']);
    expect(singles.filter((t) => t.startsWith('1/'))).toEqual(['1/0', '1/1', '1/1', '1/2']);
    expect(failures).toEqual([true, true, false]);
    expect(h.deadLetters).toEqual(['1/1: analytics failed 3 times: boom']);
    expect(h.commits.get(0)).toBe(2);
    expect(h.commits.get(1)).toBe(3);
    expect(h.done).toBe(5);
  });
});

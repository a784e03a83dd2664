import { Piscina } from 'piscina';
import { describe, expect, it } from 'vitest';
import { PartitionDispatcher, transferableCopy, type DispatcherHooks } from '../../ingest/partition-dispatcher.js';
import type { FrameTaskResult } from '../../ingest/worker-protocol.js';
import type { ConsumedRecord } from '../../kafka/client.js';

function record(partition: number, offset: number, workUnits: number): ConsumedRecord {
  const value = Buffer.alloc(8);
  value.writeInt32LE(offset, 0);
  value[4] = workUnits;
  return { partition, offset, value };
}

function hooks(overrides: Partial<DispatcherHooks> = {}): DispatcherHooks & { commits: Map<number, number>; done: number; pauses: number; resumes: number } {
  const state = {
    commits: new Map<number, number>(), done: 0, pauses: 0, resumes: 0,
    frameDone() { state.done++; },
    frameFailed() { throw new Error('no task should fail'); },
    offsetGap() {},
    pause() { state.pauses++; },
    resume() { state.resumes++; },
    commit(partition: number, nextOffset: number) { state.commits.set(partition, nextOffset); },
    ...overrides,
  };
  return state;
}

describe('partition dispatcher', () => {
  it('keeps per-partition order and one frame per partition in flight through a real worker pool', async () => {
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
      minThreads: 4, maxThreads: 4,
      workerData: shared,
    });
    const h = hooks();
    const dispatcher = new PartitionDispatcher(
      (task, transfer) => pool.run(task, { transferList: transfer }) as Promise<FrameTaskResult>,
      h, () => 0, 1_000_000,
    );
    try {
      // Interleave partitions in random-sized batches, as a consumer delivers them.
      let seed = 7;
      const rand = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff; return (seed >>> 8) % n; };
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
    } finally {
      await pool.destroy();
    }
  });

  it('pauses the consumer when too many frames wait and resumes when they drain', async () => {
    const h = hooks();
    const pending: Array<() => void> = [];
    const dispatcher = new PartitionDispatcher(
      () => new Promise<FrameTaskResult>((resolve) => pending.push(() => resolve({ ticks: 1, problem: null }))),
      h, () => 0, 10,
    );
    dispatcher.push(0, Array.from({ length: 30 }, (_, i) => record(0, i, 0)));
    expect(h.pauses).toBe(1);
    expect(dispatcher.framesInFlight).toBe(1);
    while (pending.length > 0) {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await dispatcher.whenIdle();
    expect(h.resumes).toBe(1);
    expect(h.done).toBe(30);
  });

  it('commits only offsets whose frames finished', async () => {
    const h = hooks();
    const pending: Array<() => void> = [];
    const dispatcher = new PartitionDispatcher(
      () => new Promise<FrameTaskResult>((resolve) => pending.push(() => resolve({ ticks: 1, problem: null }))),
      h, () => 0, 100,
    );
    dispatcher.push(3, [record(3, 100, 0), record(3, 101, 0)]);
    dispatcher.commitFinished();
    expect(h.commits.has(3)).toBe(false);
    pending.shift()!();
    await new Promise((r) => setImmediate(r));
    dispatcher.commitFinished();
    expect(h.commits.get(3)).toBe(101);
  });

  it('reports offset gaps (records removed by retention) and drops revoked partitions', () => {
    let gap = 0;
    const h = hooks({ offsetGap: (_p, missing) => { gap += missing; } });
    const dispatcher = new PartitionDispatcher(() => new Promise<FrameTaskResult>(() => {}), h, () => 0, 100);
    dispatcher.push(1, [record(1, 0, 0), record(1, 1, 0), record(1, 5, 0)]);
    expect(gap).toBe(3);
    expect(dispatcher.queuedFrames).toBe(2);
    dispatcher.revoke([1]);
    expect(dispatcher.queuedFrames).toBe(0);
  });

  it('moves a record value that owns its buffer and copies one that is a slice', () => {
    const owned = Buffer.from(new ArrayBuffer(16));
    expect(transferableCopy(owned)).toBe(owned.buffer);
    const slab = Buffer.alloc(64);
    const slice = slab.subarray(8, 24);
    const copy = transferableCopy(slice);
    expect(copy).not.toBe(slab.buffer);
    expect(copy.byteLength).toBe(16);
  });
});

import type { ConsumedRecord } from '../kafka/client.js';
import type { ClockUs } from '../wire/clock.js';
import { FRAME_HEADER_BYTES, TICK_BYTES, validateFrame } from '../wire/tick-frame.js';
import { packedByteLength, packFrames, packFramesInto } from '../wire/frame-pack.js';
import type { FrameTask, FrameTaskResult } from './worker-protocol.js';

/**
 * A task's tick budget is `maxFramesPerTask` frames of this many ticks (the default frame), so
 * small records batch many to a task: a message between threads costs the same for one tick or
 * a thousand.
 */
const BUDGET_TICKS_PER_FRAME = 64;

/**
 * Each partition packs its tasks into shared memory of its own, reused from task to task: it has
 * at most one task in flight, so the memory is free again when that task settles. A task larger
 * than this (frames of thousands of ticks) gets a buffer of its own, moved to the worker.
 */
const LANE_SLAB_MAX_BYTES = 1 << 20;
const LANE_SLAB_MIN_BYTES = 64 << 10;

/** Runs one task on the worker pool; `transfer` lists what moves (not copies) to the worker (empty for shared memory). */
export type RunFrameTask = (task: FrameTask, transfer: ArrayBuffer[]) => Promise<FrameTaskResult>;

/**
 * Why a record is dead-lettered: `malformed` records (bad header, or ticks refused by the worker
 * before any side effect) carry no tick to account for; `failed` ones are real frames the analytics
 * threw on every try, whose ticks count as dead-lettered rather than lost.
 */
export type DeadLetterKind = 'malformed' | 'failed';

export interface DispatcherHooks {
  /** A task of `frames` consecutive frames was analysed. */
  frameDone(partition: number, frames: number, result: FrameTaskResult): void;
  /** A task failed (the worker threw or died); it is tried again up to the retry limit. */
  frameFailed(partition: number, offset: number, error: unknown, willRetry: boolean): void;
  /**
   * A record that cannot be analysed: malformed, or failing on every try. It is passed on (to
   * the dead-letter topic) and its offset committed, so the consumer never loops on it.
   */
  deadLetter(record: ConsumedRecord, reason: string, kind: DeadLetterKind): void;
  /** Offsets skipped inside a partition (below the log start: evicted by retention). */
  offsetGap(partition: number, missingRecords: number): void;
  pause(): void;
  resume(): void;
  commit(partition: number, nextOffset: number): void;
}

interface PartitionLane {
  queue: ConsumedRecord[];
  head: number;
  busy: boolean;
  /** Frames still to be sent one per task (after a batch failed). */
  singles: number;
  /** Next offset expected from the consumer, -1 before the first record. */
  expectedOffset: number;
  /** Offset to commit (last completed + 1), and whether it changed since the last commit. */
  commitOffset: number;
  dirty: boolean;
  /** This partition's task memory (see LANE_SLAB_MAX_BYTES); grown on demand. */
  slab: SharedArrayBuffer | null;
}

/**
 * Hands frames to the pool keeping Kafka's per-partition order: at most one frame of a
 * partition is in flight, the next starts when it finishes. Offsets are committed only for
 * finished frames (at-least-once). When too many frames wait, the consumer is paused instead of
 * buffering without bound.
 */
export class PartitionDispatcher {
  private readonly lanes = new Map<number, PartitionLane>();
  private queued = 0;
  /** Value bytes of the queued records. */
  private queuedBytes = 0;
  private inFlight = 0;
  private paused = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly run: RunFrameTask,
    private readonly hooks: DispatcherHooks,
    private readonly clock: ClockUs,
    private readonly maxQueuedFrames: number,
    /** Tries per frame before it is dead-lettered. */
    private readonly maxAttempts = 3,
    /** Most consecutive frames of a partition sent to a worker as one task. */
    private readonly maxFramesPerTask = 16,
    /**
     * Value bytes that may wait before the consumer is paused, besides `maxQueuedFrames` records:
     * whichever is reached first pauses it. A bound in bytes lets many small records wait (one tick
     * per record) where a bound in records would stop the consumer after every fetch.
     */
    private readonly maxQueuedBytes = Number.POSITIVE_INFINITY,
  ) {}

  private lane(partition: number): PartitionLane {
    let lane = this.lanes.get(partition);
    if (!lane) {
      lane = { queue: [], head: 0, busy: false, singles: 0, expectedOffset: -1, commitOffset: -1, dirty: false, slab: null };
      this.lanes.set(partition, lane);
    }
    return lane;
  }

  get queuedFrames(): number {
    return this.queued;
  }

  get framesInFlight(): number {
    return this.inFlight;
  }

  push(partition: number, records: ConsumedRecord[]): void {
    const lane = this.lane(partition);
    const now = this.clock();
    for (const record of records) {
      if (lane.expectedOffset >= 0) {
        if (record.offset < lane.expectedOffset) continue; // already queued: a refetch after a seek
        if (record.offset > lane.expectedOffset) this.hooks.offsetGap(partition, record.offset - lane.expectedOffset);
      }
      lane.expectedOffset = record.offset + 1;
      record.receivedUs = now;
      lane.queue.push(record);
      this.queued++;
      this.queuedBytes += record.value.byteLength;
    }
    this.pump(partition, lane);
    // After the pump: it may have dead-lettered a run of malformed records synchronously, and a
    // pause taken before it would then wait for a release that never comes (a stall for good).
    if (!this.paused && (this.queued >= this.maxQueuedFrames || this.queuedBytes >= this.maxQueuedBytes)) {
      this.paused = true;
      this.hooks.pause();
    } else {
      this.maybeResume();
    }
    this.notifyIfIdle();
  }

  /** Partitions taken away by a rebalance: drop what waits (the new owner reads it again). */
  revoke(partitions: number[]): void {
    for (const partition of partitions) {
      const lane = this.lanes.get(partition);
      if (!lane) continue;
      for (let i = lane.head; i < lane.queue.length; i++) this.queuedBytes -= lane.queue[i]!.value.byteLength;
      this.queued -= lane.queue.length - lane.head;
      lane.queue = [];
      lane.head = 0;
      lane.expectedOffset = -1;
      this.flushCommit(partition, lane);
      if (!lane.busy) this.lanes.delete(partition);
    }
    this.maybeResume();
    this.notifyIfIdle();
  }

  private pump(partition: number, lane: PartitionLane): void {
    while (!lane.busy && lane.head < lane.queue.length) {
      // Consecutive well-formed frames go out together; a lane that just saw a batch fail sends
      // one frame at a time until the failing frame is found.
      const single = lane.singles > 0;
      const tickBudget = this.maxFramesPerTask * BUDGET_TICKS_PER_FRAME;
      const batch: ConsumedRecord[] = [];
      let ticks = 0;
      while (lane.head < lane.queue.length && (single ? batch.length < 1 : batch.length < tickBudget && ticks < tickBudget)) {
        const record = lane.queue[lane.head]!;
        // Header checks only (O(1)): a malformed record never reaches a worker.
        const problem = validateFrame(record.value);
        if (problem !== null && batch.length > 0) break; // its turn comes after the batch
        this.take(lane);
        if (problem !== null) {
          this.hooks.deadLetter(record, problem, 'malformed');
          this.finished(lane, record);
          continue;
        }
        batch.push(record);
        ticks += (record.value.byteLength - FRAME_HEADER_BYTES) / TICK_BYTES;
      }
      if (batch.length === 0) continue;
      if (lane.singles > 0) lane.singles--;
      lane.busy = true;
      this.inFlight++;
      this.attempt(partition, lane, batch);
    }
  }

  private take(lane: PartitionLane): void {
    this.queuedBytes -= lane.queue[lane.head]!.value.byteLength;
    lane.queue[lane.head] = undefined as unknown as ConsumedRecord; // let the frame go once sent
    lane.head++;
    if (lane.head > 1024 && lane.head * 2 > lane.queue.length) {
      lane.queue = lane.queue.slice(lane.head);
      lane.head = 0;
    }
    this.queued--;
  }

  private attempt(partition: number, lane: PartitionLane, batch: ConsumedRecord[]): void {
    // The worker gets its own copy, all frames in one buffer (the lane's shared memory, or one moved
    // not cloned); the records stay here for a retry or the dead-letter topic.
    const now = this.clock();
    const values: Buffer[] = [];
    const receivedUs: number[] = [];
    for (const r of batch) {
      r.attempts = (r.attempts ?? 0) + 1;
      values.push(r.value);
      receivedUs.push(r.receivedUs ?? now);
    }
    const bytes = packedByteLength(values);
    let packed: ArrayBuffer | SharedArrayBuffer;
    let transfer: ArrayBuffer[];
    if (bytes <= LANE_SLAB_MAX_BYTES) {
      if (lane.slab === null || lane.slab.byteLength < bytes) lane.slab = new SharedArrayBuffer(slabBytes(bytes));
      packed = lane.slab;
      packFramesInto(packed, values, receivedUs);
      transfer = [];
    } else {
      const own = packFrames(values, receivedUs);
      packed = own;
      transfer = [own];
    }
    this.run({ packed, count: batch.length, partition, offset: batch[0]!.offset }, transfer).then(
      (result) => {
        this.finished(lane, batch[batch.length - 1]!);
        const rejected = result.rejected ?? [];
        for (const { index, problem } of rejected) {
          const record = batch[index];
          if (record) this.hooks.deadLetter(record, problem, 'malformed');
        }
        this.hooks.frameDone(partition, batch.length - rejected.length, result);
        this.release(partition, lane);
      },
      (error: unknown) => {
        const record = batch[0]!;
        const attempts = record.attempts ?? 1;
        const willRetry = batch.length > 1 || attempts < this.maxAttempts;
        this.hooks.frameFailed(partition, record.offset, error, willRetry);
        if (batch.length > 1) {
          // Which frame failed is unknown: put them back and send them one at a time.
          lane.queue.splice(lane.head, 0, ...batch);
          this.queued += batch.length;
          for (const r of batch) this.queuedBytes += r.value.byteLength;
          lane.singles = batch.length;
          this.release(partition, lane);
          return;
        }
        if (willRetry) {
          this.attempt(partition, lane, batch);
          return;
        }
        this.hooks.deadLetter(
          record,
          `analytics failed ${attempts} times: ${error instanceof Error ? error.message : String(error)}`,
          'failed',
        );
        this.finished(lane, record);
        this.release(partition, lane);
      },
    );
  }

  private finished(lane: PartitionLane, record: ConsumedRecord): void {
    lane.commitOffset = record.offset + 1;
    lane.dirty = true;
  }

  private release(partition: number, lane: PartitionLane): void {
    lane.busy = false;
    this.inFlight--;
    this.pump(partition, lane);
    // After the pump, which may have dead-lettered records without a task (no later release).
    this.maybeResume();
    this.notifyIfIdle();
  }

  private maybeResume(): void {
    if (this.paused && this.queued <= this.maxQueuedFrames / 2) {
      this.paused = false;
      this.hooks.resume();
    }
  }

  private flushCommit(partition: number, lane: PartitionLane): void {
    if (!lane.dirty) return;
    lane.dirty = false;
    this.hooks.commit(partition, lane.commitOffset);
  }

  /** Commits every partition whose finished offset moved; call periodically and at the end. */
  commitFinished(): void {
    for (const [partition, lane] of this.lanes) this.flushCommit(partition, lane);
  }

  /** The next offset this dispatcher expects for a partition (-1 before its first record). */
  nextOffset(partition: number): number {
    return this.lanes.get(partition)?.expectedOffset ?? -1;
  }

  get idle(): boolean {
    return this.queued === 0 && this.inFlight === 0;
  }

  /** Resolves once nothing is queued or in flight. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIfIdle(): void {
    if (!this.idle || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** A lane's slab size for a task of `bytes`: the next power of two, at least LANE_SLAB_MIN_BYTES. */
function slabBytes(bytes: number): number {
  let size = LANE_SLAB_MIN_BYTES;
  while (size < bytes) size *= 2;
  return size;
}

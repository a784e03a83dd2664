import type { Alert } from '../analytics/alerts.js';
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
 * Each task group packs its tasks into shared memory of its own, reused from task to task: it has
 * at most one task in flight, so the memory is free again when that task settles. A task larger
 * than this (frames of thousands of ticks) gets a buffer of its own, moved to the worker.
 */
const SLAB_MAX_BYTES = 1 << 20;
const SLAB_MIN_BYTES = 64 << 10;

/** Runs one task on the worker pool; `transfer` lists what moves (not copies) to the worker (empty for shared memory). */
export type RunFrameTask = (task: FrameTask, transfer: ArrayBuffer[]) => Promise<FrameTaskResult>;

/**
 * Why a record is dead-lettered: `malformed` records (bad header, or ticks refused by the worker
 * before any side effect) carry no tick to account for; `failed` ones are real frames the analytics
 * threw on every try, whose ticks count as dead-lettered rather than lost.
 */
export type DeadLetterKind = 'malformed' | 'failed';

export interface DispatcherHooks {
  /**
   * `frames` consecutive frames of a partition were analysed, holding `ticks` ticks. A task that
   * carried several partitions reports each of them; its alerts come with the first.
   */
  frameDone(partition: number, frames: number, ticks: number, alerts: readonly Alert[] | undefined): void;
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
  partition: number;
  queue: ConsumedRecord[];
  /**
   * When the consumer handed each queued record over (µs), beside `queue`: kept here rather than
   * as a property added to the client's message object, an allocation per record.
   */
  received: number[];
  head: number;
  /** Whether some of this partition's frames are in its group's task now. */
  inFlight: boolean;
  /** Next offset expected from the consumer, -1 before the first record. */
  expectedOffset: number;
  /** Offset to commit (last completed + 1), and whether it changed since the last commit. */
  commitOffset: number;
  dirty: boolean;
  group: TaskGroup;
}

/**
 * Partitions whose frames travel to the workers together: at most one task of a group is in
 * flight, carrying the frames that waited in each of its partitions. With one group per worker,
 * a task takes what a whole share of the partitions gathered while the previous one ran, instead
 * of one task per partition (at one tick per record, the messages between threads were the
 * consumer thread's largest cost after the client itself).
 */
interface TaskGroup {
  lanes: PartitionLane[];
  busy: boolean;
  /** Frames still to be sent one per task (after a batch failed). */
  singles: number;
  /** The lane a task starts with, turned each task so no partition always goes last. */
  cursor: number;
  /** This group's task memory (see SLAB_MAX_BYTES); grown on demand. */
  slab: SharedArrayBuffer | null;
}

/** The records of one partition inside a task: `batch[start .. start + count)`. */
interface Segment {
  lane: PartitionLane;
  start: number;
  count: number;
}

/**
 * Hands frames to the pool keeping Kafka's per-partition order: at most one task of a partition's
 * group is in flight, the next starts when it finishes. Offsets are committed only for finished
 * frames (at-least-once). When too many frames wait, the consumer is paused instead of
 * buffering without bound.
 */
export class PartitionDispatcher {
  private readonly lanes = new Map<number, PartitionLane>();
  private readonly groups = new Map<number, TaskGroup>();
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
    /** Most consecutive frames of a partition sent to a worker in one task. */
    private readonly maxFramesPerTask = 16,
    /**
     * Value bytes that may wait before the consumer is paused, besides `maxQueuedFrames` records:
     * whichever is reached first pauses it. A bound in bytes lets many small records wait (one tick
     * per record) where a bound in records would stop the consumer after every fetch.
     */
    private readonly maxQueuedBytes = Number.POSITIVE_INFINITY,
    /**
     * Task groups: partition p belongs to group p mod taskGroups, so at most this many tasks are
     * in flight. Infinity: each partition is a group of its own.
     */
    private readonly taskGroups = Number.POSITIVE_INFINITY,
  ) {}

  private lane(partition: number): PartitionLane {
    let lane = this.lanes.get(partition);
    if (!lane) {
      const key = Number.isFinite(this.taskGroups) ? partition % this.taskGroups : partition;
      let group = this.groups.get(key);
      if (!group) {
        group = { lanes: [], busy: false, singles: 0, cursor: 0, slab: null };
        this.groups.set(key, group);
      }
      lane = { partition, queue: [], received: [], head: 0, inFlight: false, expectedOffset: -1, commitOffset: -1, dirty: false, group };
      group.lanes.push(lane);
      this.lanes.set(partition, lane);
    }
    return lane;
  }

  get queuedFrames(): number {
    return this.queued;
  }

  /** Tasks at the workers now. */
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
      lane.queue.push(record);
      lane.received.push(now);
      this.queued++;
      this.queuedBytes += record.value.byteLength;
    }
    this.pump(lane.group);
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
      lane.received = [];
      lane.head = 0;
      lane.expectedOffset = -1;
      this.flushCommit(lane);
      if (!lane.inFlight) {
        this.lanes.delete(partition);
        const lanes = lane.group.lanes;
        lanes.splice(lanes.indexOf(lane), 1);
      }
    }
    this.maybeResume();
    this.notifyIfIdle();
  }

  private pump(group: TaskGroup): void {
    const lanes = group.lanes;
    const tickBudget = this.maxFramesPerTask * BUDGET_TICKS_PER_FRAME;
    while (!group.busy) {
      // Consecutive well-formed frames of each partition go out together; a group that just saw
      // a batch fail sends one frame at a time until the failing frame is found.
      const single = group.singles > 0;
      const batch: ConsumedRecord[] = [];
      const receivedUs: number[] = [];
      const segments: Segment[] = [];
      const n = lanes.length;
      for (let k = 0; k < n && !(single && batch.length > 0); k++) {
        const lane = lanes[(group.cursor + k) % n]!;
        const start = batch.length;
        let ticks = 0;
        while (lane.head < lane.queue.length && (single ? batch.length < 1 : batch.length - start < tickBudget && ticks < tickBudget)) {
          const record = lane.queue[lane.head]!;
          const received = lane.received[lane.head]!;
          // Header checks only (O(1)): a malformed record never reaches a worker.
          const problem = validateFrame(record.value);
          // Its turn comes after the partition's frames in this task: committing past it now would
          // commit them before they are analysed.
          if (problem !== null && batch.length > start) break;
          this.take(lane);
          if (problem !== null) {
            this.hooks.deadLetter(record, problem, 'malformed');
            this.finished(lane, record);
            continue;
          }
          batch.push(record);
          receivedUs.push(received);
          ticks += (record.value.byteLength - FRAME_HEADER_BYTES) / TICK_BYTES;
        }
        if (batch.length > start) {
          segments.push({ lane, start, count: batch.length - start });
          lane.inFlight = true;
        }
      }
      if (batch.length === 0) return;
      if (n > 1) group.cursor = (group.cursor + 1) % n;
      if (group.singles > 0) group.singles--;
      group.busy = true;
      this.inFlight++;
      this.attempt(group, batch, receivedUs, segments);
    }
  }

  private take(lane: PartitionLane): void {
    this.queuedBytes -= lane.queue[lane.head]!.value.byteLength;
    lane.queue[lane.head] = undefined as unknown as ConsumedRecord; // let the frame go once sent
    lane.head++;
    if (lane.head > 1024 && lane.head * 2 > lane.queue.length) {
      lane.queue = lane.queue.slice(lane.head);
      lane.received = lane.received.slice(lane.head);
      lane.head = 0;
    }
    this.queued--;
  }

  private attempt(group: TaskGroup, batch: ConsumedRecord[], receivedUs: number[], segments: Segment[]): void {
    // The worker gets its own copy, all frames in one buffer (the group's shared memory, or one
    // moved not cloned); the records stay here for a retry or the dead-letter topic.
    const values: Buffer[] = [];
    for (const r of batch) values.push(r.value);
    const bytes = packedByteLength(values);
    let packed: ArrayBuffer | SharedArrayBuffer;
    let transfer: ArrayBuffer[];
    if (bytes <= SLAB_MAX_BYTES) {
      if (group.slab === null || group.slab.byteLength < bytes) group.slab = new SharedArrayBuffer(slabBytes(bytes));
      packed = group.slab;
      packFramesInto(packed, values, receivedUs);
      transfer = [];
    } else {
      const own = packFrames(values, receivedUs);
      packed = own;
      transfer = [own];
    }
    const first = segments[0]!;
    const task: FrameTask = { packed, count: batch.length, partition: first.lane.partition, offset: batch[0]!.offset };
    if (segments.length > 1) {
      const flat: number[] = [];
      for (const s of segments) flat.push(s.lane.partition, batch[s.start]!.offset, s.count);
      task.segments = flat;
    }
    this.run(task, transfer).then(
      (result) => {
        const rejected = result.rejected ?? [];
        for (const s of segments) this.finished(s.lane, batch[s.start + s.count - 1]!);
        for (const { index, problem } of rejected) {
          const record = batch[index];
          if (record) this.hooks.deadLetter(record, problem, 'malformed');
        }
        for (let i = 0; i < segments.length; i++) {
          const s = segments[i]!;
          let refused = 0;
          for (const { index } of rejected) if (index >= s.start && index < s.start + s.count) refused++;
          const ticks = segments.length === 1 ? result.ticks : (result.segmentTicks?.[i] ?? 0);
          this.hooks.frameDone(s.lane.partition, s.count - refused, ticks, i === 0 ? result.alerts : undefined);
        }
        this.release(group, segments);
      },
      (error: unknown) => {
        // A record's tries are counted when they fail (every earlier one did too): nothing is
        // written on the message objects on the way out.
        for (const r of batch) r.attempts = (r.attempts ?? 0) + 1;
        const record = batch[0]!;
        const attempts = record.attempts!;
        const willRetry = batch.length > 1 || attempts < this.maxAttempts;
        this.hooks.frameFailed(record.partition, record.offset, error, willRetry);
        if (batch.length > 1) {
          // Which frame failed is unknown: put them back and send them one at a time.
          for (const s of segments) {
            const lane = s.lane;
            const records = batch.slice(s.start, s.start + s.count);
            lane.queue.splice(lane.head, 0, ...records);
            lane.received.splice(lane.head, 0, ...receivedUs.slice(s.start, s.start + s.count));
            this.queued += records.length;
            for (const r of records) this.queuedBytes += r.value.byteLength;
          }
          group.singles = batch.length;
          this.release(group, segments);
          return;
        }
        if (willRetry) {
          this.attempt(group, batch, receivedUs, segments);
          return;
        }
        this.hooks.deadLetter(
          record,
          `analytics failed ${attempts} times: ${error instanceof Error ? error.message : String(error)}`,
          'failed',
        );
        this.finished(first.lane, record);
        this.release(group, segments);
      },
    );
  }

  private finished(lane: PartitionLane, record: ConsumedRecord): void {
    lane.commitOffset = record.offset + 1;
    lane.dirty = true;
  }

  private release(group: TaskGroup, segments: Segment[]): void {
    for (const s of segments) s.lane.inFlight = false;
    group.busy = false;
    this.inFlight--;
    this.pump(group);
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

  private flushCommit(lane: PartitionLane): void {
    if (!lane.dirty) return;
    lane.dirty = false;
    this.hooks.commit(lane.partition, lane.commitOffset);
  }

  /** Commits every partition whose finished offset moved; call periodically and at the end. */
  commitFinished(): void {
    for (const lane of this.lanes.values()) this.flushCommit(lane);
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

/** A group's slab size for a task of `bytes`: the next power of two, at least SLAB_MIN_BYTES. */
function slabBytes(bytes: number): number {
  let size = SLAB_MIN_BYTES;
  while (size < bytes) size *= 2;
  return size;
}

import type { Alert } from '../analytics/alerts.js';
import type { ConsumedRecord } from '../kafka/client.js';
import type { ClockUs } from '../wire/clock.js';
import { FRAME_HEADER_BYTES, TICK_BYTES, validateFrame } from '../wire/tick-frame.js';
import { FrameAppender } from '../wire/frame-pack.js';
import type { FrameTask, FrameTaskResult } from './worker-protocol.js';

/**
 * A task's tick budget is `maxFramesPerTask` frames of this many ticks (the default frame), so
 * small records batch many to a task: a message between threads costs the same for one tick or
 * a thousand.
 */
const BUDGET_TICKS_PER_FRAME = 64;

/**
 * Records are copied into shared memory when they arrive, into the task that will carry them (a
 * stage), and the client's message objects are let go at once. Held until their task settled (in
 * a queue, then for a retry), they outlived the young generation's collections at one tick per
 * record: copied, promoted, and marked again, 2-3 µs of GC helper threads' CPU per record beside
 * the client's 5. Each partition stages its frames apart (a task takes one stage of each, as
 * before); a stage's frames take up to this many bytes, and its memory is reused for the group's
 * later tasks once its own settles. A frame larger than that gets memory of its own.
 */
const STAGE_FRAME_BYTES = 128 << 10;

/** Runs one task on the worker pool; `transfer` lists what moves (not copies) to the worker (empty: shared memory, as here). */
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
  group: TaskGroup;
  /** Next offset expected from the consumer, -1 before the first record. */
  expectedOffset: number;
  /** This partition's frames staged, in flight or waiting for a retry: not finished. */
  outstanding: number;
  /**
   * Past a malformed record dead-lettered while frames before it were outstanding: the offset to
   * commit once they are finished (-1: none).
   */
  skipTo: number;
  /** Offset to commit (last completed + 1), and whether it changed since the last commit. */
  commitOffset: number;
  dirty: boolean;
  /** This partition's frames waiting, oldest first; the last stage is still being filled. */
  stages: Stage[];
  /**
   * Taken away by a rebalance while frames of it were in flight: no longer the partition's lane
   * (an assignment again gets a fresh one, reading from the committed offset), it only counts its
   * frames finishing, and commits nothing: the partition is someone else's, or read again.
   */
  revoked: boolean;
}

/**
 * A partition's frames for one task, copied in as they arrive (wire/frame-pack.ts FrameAppender):
 * runs of consecutive offsets, `segments` (partition, first offset, frames) with the lane of each
 * run beside it.
 */
interface Stage {
  frames: FrameAppender;
  segments: number[];
  lanes: PartitionLane[];
  ticks: number;
  /** Memory of its own (an outsized frame): not reused. */
  own: boolean;
}

/** A run of a task: `count` frames of `lane` from `offset`, frame `first` of the task and `local` of its stage. */
interface Run {
  stage: Stage;
  lane: PartitionLane;
  offset: number;
  count: number;
  first: number;
  local: number;
}

/**
 * Partitions whose frames travel to the workers together: at most one task of a group is in
 * flight, carrying the frames that arrived in each of its partitions meanwhile. With one group per
 * worker, a task takes what a whole share of the partitions gathered while the previous one ran,
 * instead of one task per partition (at one tick per record, the messages between threads were
 * the consumer thread's largest cost after the client itself).
 */
interface TaskGroup {
  lanes: PartitionLane[];
  busy: boolean;
  /** The lane a task starts with, turned each task so no partition always goes last. */
  cursor: number;
  /** Reusable stages (their tasks settled). */
  free: Stage[];
  /**
   * Frames of a failed task, sent one task each (in their order) before anything staged, until
   * the failing one is found; the first is in flight while `busy` with a single.
   */
  retry: ConsumedRecord[];
  singleInFlight: boolean;
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
  /** Frames waiting (staged or for a retry), not in flight. */
  private queued = 0;
  /** Value bytes of the queued frames. */
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
    /** A task carries up to this many frames' worth of ticks (of the default 64) per partition of its group. */
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
        group = { lanes: [], busy: false, cursor: 0, free: [], retry: [], singleInFlight: false };
        this.groups.set(key, group);
      }
      lane = {
        partition,
        group,
        expectedOffset: -1,
        outstanding: 0,
        skipTo: -1,
        commitOffset: -1,
        dirty: false,
        stages: [],
        revoked: false,
      };
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
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      if (lane.expectedOffset >= 0) {
        if (record.offset < lane.expectedOffset) continue; // already taken: a refetch after a seek
        if (record.offset > lane.expectedOffset) this.hooks.offsetGap(partition, record.offset - lane.expectedOffset);
      }
      lane.expectedOffset = record.offset + 1;
      // Header checks only (O(1)): a malformed record never reaches a worker. It is passed on now;
      // its offset is committed once the frames before it are finished.
      const problem = validateFrame(record.value);
      if (problem !== null) {
        this.hooks.deadLetter(record, problem, 'malformed');
        this.skipPast(lane, record.offset);
        continue;
      }
      this.stage(lane, record.value, record.offset, now);
    }
    this.pump(lane.group);
    if (!this.paused && (this.queued >= this.maxQueuedFrames || this.queuedBytes >= this.maxQueuedBytes)) {
      this.paused = true;
      this.hooks.pause();
    } else {
      this.maybeResume();
    }
    this.notifyIfIdle();
  }

  /** Copies a frame into its partition's last stage (a new one when that is full or missing). */
  private stage(lane: PartitionLane, value: Uint8Array, offset: number, receivedUs: number): void {
    const bytes = value.byteLength;
    const ticks = (bytes - FRAME_HEADER_BYTES) / TICK_BYTES;
    let stage = lane.stages[lane.stages.length - 1];
    if (stage === undefined || !stage.frames.fits(bytes) || (stage.frames.count > 0 && stage.ticks + ticks > this.stageTicks())) {
      stage = this.newStage(lane.group, bytes);
      lane.stages.push(stage);
    }
    this.appendTo(stage, lane, value, offset, receivedUs);
  }

  /** Appends a frame to a stage, continuing its last run when it is the same partition's next offset. */
  private appendTo(stage: Stage, lane: PartitionLane, value: Uint8Array, offset: number, receivedUs: number): void {
    const segments = stage.segments;
    const last = segments.length - 3;
    if (last >= 0 && stage.lanes[stage.lanes.length - 1] === lane && segments[last + 1]! + segments[last + 2]! === offset)
      segments[last + 2]!++;
    else {
      segments.push(lane.partition, offset, 1);
      stage.lanes.push(lane);
    }
    stage.frames.append(value, receivedUs);
    stage.ticks += (value.byteLength - FRAME_HEADER_BYTES) / TICK_BYTES;
    lane.outstanding++;
    this.queued++;
    this.queuedBytes += value.byteLength;
  }

  /** A partition's share of a task, in ticks: `maxFramesPerTask` default frames. */
  private stageTicks(): number {
    return this.maxFramesPerTask * BUDGET_TICKS_PER_FRAME;
  }

  private newStage(group: TaskGroup, bytes: number): Stage {
    const capacity = Math.max(1, this.stageTicks());
    const reused = group.free.pop();
    if (reused !== undefined && reused.frames.fits(bytes)) return reused;
    if (bytes > STAGE_FRAME_BYTES) {
      return {
        frames: new FrameAppender(new SharedArrayBuffer(FrameAppender.bufferBytes(1, bytes)), 1),
        segments: [],
        lanes: [],
        ticks: 0,
        own: true,
      };
    }
    const buffer = new SharedArrayBuffer(FrameAppender.bufferBytes(capacity, STAGE_FRAME_BYTES));
    return { frames: new FrameAppender(buffer, capacity), segments: [], lanes: [], ticks: 0, own: false };
  }

  /** Empties a stage whose task settled for the group's later tasks (memory of its own is let go). */
  private recycle(group: TaskGroup, stage: Stage): void {
    if (stage.own) return;
    stage.frames.reset();
    stage.segments = [];
    stage.lanes = [];
    stage.ticks = 0;
    group.free.push(stage);
  }

  /** A malformed record at `offset`: committed past now if nothing of its partition is outstanding, else once that is finished. */
  private skipPast(lane: PartitionLane, offset: number): void {
    if (lane.outstanding === 0) {
      lane.commitOffset = offset + 1;
      lane.dirty = true;
    } else {
      lane.skipTo = offset + 1;
    }
  }

  /** Frames of a lane up to `nextOffset` finished (analysed, refused or dead-lettered). */
  private finished(lane: PartitionLane, frames: number, nextOffset: number): void {
    lane.outstanding -= frames;
    if (lane.revoked) return;
    lane.commitOffset = lane.outstanding === 0 && lane.skipTo > nextOffset ? lane.skipTo : nextOffset;
    if (lane.outstanding === 0 || lane.skipTo <= lane.commitOffset) lane.skipTo = -1;
    lane.dirty = true;
  }

  /** Partitions taken away by a rebalance: drop what waits (the new owner reads it again). */
  revoke(partitions: number[]): void {
    for (const partition of partitions) {
      const lane = this.lanes.get(partition);
      if (!lane) continue;
      const group = lane.group;
      for (const stage of lane.stages) {
        this.queued -= stage.frames.count;
        this.queuedBytes -= stage.frames.frameBytes;
        lane.outstanding -= stage.frames.count;
        this.recycle(group, stage);
      }
      lane.stages = [];
      // Its frames waiting for a retry too, but one in flight now.
      const keep = group.singleInFlight ? 1 : 0;
      const kept = group.retry.slice(0, keep);
      for (const record of group.retry.slice(keep)) {
        if (record.partition === partition) {
          lane.outstanding--;
          this.queued--;
          this.queuedBytes -= record.value.byteLength;
        } else kept.push(record);
      }
      group.retry = kept;
      lane.expectedOffset = -1;
      lane.skipTo = -1;
      this.flushCommit(lane);
      lane.revoked = true;
      this.lanes.delete(partition);
      group.lanes.splice(group.lanes.indexOf(lane), 1);
    }
    this.maybeResume();
    this.notifyIfIdle();
  }

  /**
   * Sends the group's next task: the oldest waiting stage of each of its partitions (a share of
   * `maxFramesPerTask` frames each, so no partition runs far ahead of the others), one buffer each.
   */
  private pump(group: TaskGroup): void {
    if (group.busy) return;
    if (group.retry.length > 0) {
      this.sendSingle(group);
      return;
    }
    const lanes = group.lanes;
    const n = lanes.length;
    const parts: Stage[] = [];
    for (let k = 0; k < n; k++) {
      const lane = lanes[(group.cursor + k) % n]!;
      const stage = lane.stages[0];
      if (stage === undefined || stage.frames.count === 0) continue;
      lane.stages.shift();
      this.queued -= stage.frames.count;
      this.queuedBytes -= stage.frames.frameBytes;
      parts.push(stage);
    }
    if (parts.length === 0) return;
    if (n > 1) group.cursor = (group.cursor + 1) % n;
    group.busy = true;
    this.inFlight++;
    const segments = parts.length === 1 ? parts[0]!.segments : parts.flatMap((p) => p.segments);
    let count = 0;
    for (const p of parts) count += p.frames.count;
    const task: FrameTask = { packed: parts[0]!.frames.buffer, count, partition: segments[0]!, offset: segments[1]! };
    if (parts.length > 1) task.more = parts.slice(1).map((p) => p.frames.buffer);
    if (segments.length > 3) task.segments = segments;
    this.run(task, []).then(
      (result) => this.stageDone(group, parts, result),
      (error: unknown) => this.stageFailed(group, parts, error),
    );
  }

  private stageDone(group: TaskGroup, parts: Stage[], result: FrameTaskResult): void {
    const rejected = result.rejected ?? [];
    const runs = this.runsOf(parts);
    const refused = new Array<number>(runs.length).fill(0);
    for (const { index, problem } of rejected) {
      const run = this.runOf(runs, index);
      if (run < 0) continue;
      refused[run]!++;
      this.hooks.deadLetter(this.recordOf(runs[run]!, index), problem, 'malformed');
    }
    for (const r of runs) this.finished(r.lane, r.count, r.offset + r.count);
    for (let k = 0; k < runs.length; k++) {
      const r = runs[k]!;
      const ticks = runs.length === 1 ? result.ticks : (result.segmentTicks?.[k] ?? 0);
      this.hooks.frameDone(r.lane.partition, r.count - refused[k]!, ticks, k === 0 ? result.alerts : undefined);
    }
    for (const p of parts) this.recycle(group, p);
    this.release(group);
  }

  private stageFailed(group: TaskGroup, parts: Stage[], error: unknown): void {
    // Which frame failed is unknown: its frames wait again, copied out, to go one per task.
    const records: ConsumedRecord[] = [];
    let firstLane: PartitionLane | null = null;
    for (const r of this.runsOf(parts)) {
      if (r.lane.revoked) {
        r.lane.outstanding -= r.count;
        continue;
      }
      firstLane ??= r.lane;
      for (let k = 0; k < r.count; k++) {
        const record = this.recordOf(r, r.first + k);
        record.attempts = 1;
        records.push(record);
      }
    }
    for (const p of parts) this.recycle(group, p);
    if (firstLane === null) {
      this.release(group);
      return;
    }
    const first = records[0]!;
    const willRetry = records.length > 1 || this.maxAttempts > 1;
    this.hooks.frameFailed(first.partition, first.offset, error, willRetry);
    if (willRetry) {
      group.retry = records;
      this.queued += records.length;
      for (const r of records) this.queuedBytes += r.value.byteLength;
    } else {
      this.giveUp(first, error, firstLane);
    }
    this.release(group);
  }

  /** The next frame of a failed task, alone in a task. */
  private sendSingle(group: TaskGroup): void {
    const record = group.retry[0]!;
    const lane = this.lanes.get(record.partition)!;
    const stage = this.newStage(group, record.value.byteLength);
    stage.frames.append(record.value, record.receivedUs ?? this.clock());
    stage.segments.push(record.partition, record.offset, 1);
    stage.lanes.push(lane);
    this.queued--;
    this.queuedBytes -= record.value.byteLength;
    group.busy = true;
    group.singleInFlight = true;
    this.inFlight++;
    this.run({ packed: stage.frames.buffer, count: 1, partition: record.partition, offset: record.offset }, []).then(
      (result) => {
        group.retry.shift();
        group.singleInFlight = false;
        this.stageDone(group, [stage], result);
      },
      (error: unknown) => {
        this.recycle(group, stage);
        group.singleInFlight = false;
        const attempts = (record.attempts = (record.attempts ?? 0) + 1);
        const willRetry = attempts < this.maxAttempts;
        this.hooks.frameFailed(record.partition, record.offset, error, willRetry);
        if (lane.revoked) {
          group.retry.shift();
          lane.outstanding--;
        } else if (willRetry) {
          this.queued++;
          this.queuedBytes += record.value.byteLength;
        } else {
          group.retry.shift();
          this.giveUp(record, error, lane);
        }
        this.release(group);
      },
    );
  }

  /** A frame the analytics failed on every try: dead-lettered, and its offset finished. */
  private giveUp(record: ConsumedRecord, error: unknown, lane: PartitionLane): void {
    this.hooks.deadLetter(
      record,
      `analytics failed ${record.attempts ?? 1} times: ${error instanceof Error ? error.message : String(error)}`,
      'failed',
    );
    this.finished(lane, 1, record.offset + 1);
  }

  /** A task's runs in order: each with its stage, its first frame's index in the task and in its stage. */
  private runsOf(parts: Stage[]): Run[] {
    const runs: Run[] = [];
    let first = 0;
    for (const stage of parts) {
      let local = 0;
      for (let s = 0; s < stage.lanes.length; s++) {
        const count = stage.segments[s * 3 + 2]!;
        runs.push({ stage, lane: stage.lanes[s]!, offset: stage.segments[s * 3 + 1]!, count, first, local });
        first += count;
        local += count;
      }
    }
    return runs;
  }

  /** Which run frame `index` of the task is in (-1: none). */
  private runOf(runs: Run[], index: number): number {
    for (let k = 0; k < runs.length; k++) if (index >= runs[k]!.first && index < runs[k]!.first + runs[k]!.count) return k;
    return -1;
  }

  /** Frame `index` of the task (in run `r`) as a record of its own, its bytes copied out of the shared memory. */
  private recordOf(r: Run, index: number): ConsumedRecord {
    const local = r.local + (index - r.first);
    return {
      partition: r.lane.partition,
      offset: r.offset + (index - r.first),
      value: Buffer.from(r.stage.frames.frame(local)),
      receivedUs: r.stage.frames.receivedUs(local),
    };
  }

  private release(group: TaskGroup): void {
    group.busy = false;
    this.inFlight--;
    this.pump(group);
    this.maybeResume();
    this.notifyIfIdle();
  }

  /**
   * Resumes once both bounds have half their room back. On records alone, a pause the bytes bound
   * set (large frames: 256 of 64 ticks, far below the records bound) was lifted by the very next
   * finished task, so the consumer fetched again with the bytes still over their bound.
   */
  private maybeResume(): void {
    if (this.paused && this.queued <= this.maxQueuedFrames / 2 && this.queuedBytes <= this.maxQueuedBytes / 2) {
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

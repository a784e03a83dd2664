import type { TickLabels } from '../analytics/tick-labels.js';
import type { TickQuote } from '../wire/tick-frame.js';
import type { FrameBatcher } from './frame-batcher.js';
import type { OpenLoopSchedule } from './open-loop-schedule.js';

/**
 * A market that writes its next tick into these fields (no object per tick): the simple market
 * (loadgen/market-model.ts) and the fair-value market (loadgen/fair-value-market.ts).
 * `flags` are the tick's ground-truth labels for the side channel, never for the wire.
 */
export interface TickModel extends TickQuote {
  readonly keyGroups: number;
  instrument: number;
  venue: number;
  keyGroup: number;
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
  flags: number;
  /** The intended time of the last tick, µs. */
  intendedUs: number;
  nextTick(intendedUs: number): void;
  /**
   * [0]: the intended time of the tick `generate` makes. nextTick(t) is tickTime[0] = t and
   * generate(); the hot loop uses these two because a double passed as an argument to a call
   * that is not inlined is boxed, an allocation per tick.
   */
  readonly tickTime: Float64Array;
  generate(): void;
}

/**
 * Turns the schedule's due ticks into market ticks and frames: tick i of the schedule gets
 * seq i and is stamped with its intended send time, never with the time it was generated, so a
 * late producer shows up as latency downstream (coordinated omission).
 */
export class TickSource {
  readonly source: number;
  private readonly model: TickModel;
  private readonly batcher: FrameBatcher;
  private readonly schedule: OpenLoopSchedule;
  private next = 0;

  private readonly labels: TickLabels | null;

  /**
   * @param source this load generator's id (u16), written into every tick and frame.
   * @param labels where the ticks' ground-truth labels go, by (source, seq); they never go on the
   *   wire, whose flags field is written 0. Null: the labels are dropped (no scorer shares memory with us).
   */
  constructor(model: TickModel, batcher: FrameBatcher, source: number, schedule: OpenLoopSchedule, labels: TickLabels | null = null) {
    if (!Number.isInteger(source) || source < 0 || source > 0xffff) {
      throw new RangeError(`tick source id must be an integer in 0..65535, got ${source}`);
    }
    if (batcher.keyGroups < model.keyGroups) {
      throw new RangeError(`FrameBatcher has ${batcher.keyGroups} key groups but the market model uses ${model.keyGroups}`);
    }
    this.model = model;
    this.batcher = batcher;
    this.source = source;
    this.schedule = schedule;
    this.labels = labels;
  }

  /** Ticks emitted so far; also the index (and seq) of the next one. */
  get emitted(): number {
    return this.next;
  }

  /** True once a limited schedule has had every tick emitted; never true for an unlimited one. */
  get finished(): boolean {
    const total = this.schedule.total;
    return total !== undefined && this.next >= total;
  }

  /** Ticks due at `nowUs` and not emitted yet: how far behind its schedule the generator is. */
  dueNotEmitted(nowUs: number): number {
    return Math.max(0, this.schedule.dueBy(nowUs) - this.next);
  }

  /**
   * Emits the ticks due at `nowUs` that have not been emitted yet, at most `maxTicks` of them
   * (the caller's bound on one slice of work, so that a long stall does not turn into one huge
   * synchronous burst). Returns how many it emitted.
   */
  generateDue(nowUs: number, maxTicks: number): number {
    if (!(maxTicks >= 0) || (maxTicks !== Infinity && !Number.isInteger(maxTicks))) {
      throw new RangeError(`maxTicks must be a non-negative integer or Infinity, got ${maxTicks}`);
    }
    const start = this.next;
    const end = Math.min(this.schedule.dueBy(nowUs), start + maxTicks);
    if (!(end > start)) return 0;
    this.emit(start, end);
    this.next = end;
    return end - start;
  }

  /**
   * Emits ticks start..end-1. The loop alone in its method: the optimized code entered in the
   * middle of a hot loop (on-stack replacement) then has no code after the loop lacking type
   * feedback, which deoptimized it at the end of every slice, so that each slice began again in
   * the interpreter, boxing every double it touched.
   */
  private emit(start: number, end: number): void {
    const model = this.model;
    const batcher = this.batcher;
    const schedule = this.schedule;
    const source = this.source;
    const labels = this.labels;
    const tickTime = model.tickTime;
    // No double crosses a call here (see TickModel.tickTime): the generation path allocates nothing per tick.
    for (let index = start; index < end; index++) {
      schedule.intendedTimeInto(index, tickTime);
      model.generate();
      if (labels !== null) labels.write(source, index, model.flags);
      batcher.addQuote(model.keyGroup, index >>> 0, source, model);
    }
  }
}

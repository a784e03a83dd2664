/**
 * Open-loop send schedule, after OpenMessaging Benchmark's UniformRateLimiter: tick i is due at
 * startUs + i·1e6/rate whatever happened to ticks before it.
 *
 * The schedule is a pure function of the clock reading, so when the producer stalls (GC, a full
 * client queue, a slow broker) the ticks that fell due in the meantime are all due at once and
 * keep their original intended times. Stamping those intended times into the ticks is what makes
 * a stall show up as end-to-end latency instead of as a quieter load (coordinated omission).
 */
export class OpenLoopSchedule {
  readonly ratePerSec: number;
  readonly startUs: number;
  private readonly limitTicks: number | undefined;

  constructor(ratePerSec: number, startUs: number, limitTicks?: number) {
    if (!Number.isFinite(ratePerSec) || ratePerSec <= 0) {
      throw new RangeError(`schedule rate must be a finite number > 0 (ticks/s), got ${ratePerSec}`);
    }
    if (!Number.isFinite(startUs)) {
      throw new RangeError(`schedule startUs must be a finite number, got ${startUs}`);
    }
    if (limitTicks !== undefined && (!Number.isSafeInteger(limitTicks) || limitTicks < 0)) {
      throw new RangeError(`schedule limitTicks must be a non-negative integer, got ${limitTicks}`);
    }
    this.ratePerSec = ratePerSec;
    this.startUs = startUs;
    this.limitTicks = limitTicks;
  }

  /** How many ticks the schedule holds in all; undefined when it runs until stopped. */
  get total(): number | undefined {
    return this.limitTicks;
  }

  get intervalUs(): number {
    return 1e6 / this.ratePerSec;
  }

  /**
   * When tick `index` should be sent. Multiplying before dividing keeps whole-µs intervals exact
   * (rate 1000/s gives exactly startUs + 1000·index) instead of accumulating 1e6/rate errors.
   */
  intendedTimeUs(index: number): number {
    return this.startUs + (index * 1e6) / this.ratePerSec;
  }

  /**
   * How many ticks, counted from index 0, are due at `nowUs`: tick i is due once
   * intendedTimeUs(i) ≤ nowUs. Capped at the limit. Never decreases as nowUs grows.
   */
  /**
   * intendedTimeUs(index) into out[0], the same expression: a double returned from a call that is
   * not inlined is boxed, and this runs once per tick.
   */
  intendedTimeInto(index: number, out: Float64Array): void {
    out[0] = this.startUs + (index * 1e6) / this.ratePerSec;
  }

  dueBy(nowUs: number): number {
    if (!(nowUs >= this.startUs)) return 0;
    const limit = this.limitTicks;
    let due = Math.floor(((nowUs - this.startUs) * this.ratePerSec) / 1e6) + 1;
    // Past the limit (or past exact integers) there is nothing to settle; this also keeps a
    // nowUs of +Infinity out of the loops below.
    if (limit !== undefined && due > limit + 1) return limit;
    if (!(due <= Number.MAX_SAFE_INTEGER)) return due;
    // The estimate can be one off through rounding; settle it against intendedTimeUs itself so
    // that "due" and "intended time" can never disagree.
    while (due > 0 && this.intendedTimeUs(due - 1) > nowUs) due--;
    while (this.intendedTimeUs(due) <= nowUs) due++;
    return limit !== undefined && due > limit ? limit : due;
  }
}

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OpenLoopSchedule } from '../../loadgen/open-loop-schedule.js';

const START_US = 1_700_000_000_000_000; // a realistic epoch-µs start, where doubles are coarse

describe('OpenLoopSchedule', () => {
  it('spaces intended times equally at 1e6/rate µs', () => {
    const schedule = new OpenLoopSchedule(1000, START_US);
    expect(schedule.intervalUs).toBe(1000);
    for (let i = 0; i < 100; i++) expect(schedule.intendedTimeUs(i)).toBe(START_US + 1000 * i);
    const thirds = new OpenLoopSchedule(3, 0);
    expect(thirds.intendedTimeUs(3)).toBe(1e6);
    expect(thirds.intendedTimeUs(300)).toBe(1e8);
  });

  it('makes tick i due exactly at its intended time', () => {
    const schedule = new OpenLoopSchedule(1000, START_US);
    expect(schedule.dueBy(START_US - 1)).toBe(0);
    expect(schedule.dueBy(START_US)).toBe(1);
    expect(schedule.dueBy(START_US + 999)).toBe(1);
    expect(schedule.dueBy(START_US + 1000)).toBe(2);
    expect(schedule.dueBy(START_US + 1_000_000)).toBe(1001);
    expect(schedule.dueBy(Number.NaN)).toBe(0);
  });

  it('agrees with intendedTimeUs for any rate and time: exactly the ticks with intended time ≤ now are due', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 1e8, noNaN: true }),
        fc.constantFrom(0, 12_345.678, START_US),
        fc.double({ min: -1e6, max: 1e9, noNaN: true }),
        (rate, start, offsetUs) => {
          const schedule = new OpenLoopSchedule(rate, start);
          const now = start + offsetUs;
          const due = schedule.dueBy(now);
          if (due > 0 && !(schedule.intendedTimeUs(due - 1) <= now)) return false;
          return schedule.intendedTimeUs(due) > now;
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never decreases as the clock advances', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 1e7, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 1e7, noNaN: true }), { minLength: 2, maxLength: 50 }),
        (rate, offsets) => {
          const schedule = new OpenLoopSchedule(rate, START_US);
          const times = offsets.map((o) => START_US + o).sort((a, b) => a - b);
          let previous = 0;
          for (const t of times) {
            const due = schedule.dueBy(t);
            if (due < previous) return false;
            previous = due;
          }
          return true;
        },
      ),
    );
  });

  it('caps due ticks at the limit', () => {
    const schedule = new OpenLoopSchedule(1000, 0, 5);
    expect(schedule.total).toBe(5);
    expect(schedule.dueBy(3000)).toBe(4);
    expect(schedule.dueBy(4000)).toBe(5);
    expect(schedule.dueBy(1e12)).toBe(5);
    expect(schedule.dueBy(Infinity)).toBe(5);
    expect(new OpenLoopSchedule(1000, 0, 0).dueBy(1e6)).toBe(0);
    expect(new OpenLoopSchedule(1000, 0).total).toBeUndefined();
  });

  it('after a stalled clock, releases the missed ticks at once with their original (past) intended times', () => {
    let clockUs = START_US;
    const clock = (): number => clockUs;
    const schedule = new OpenLoopSchedule(10_000, START_US);
    let sent = schedule.dueBy(clock());
    expect(sent).toBe(1);

    clockUs += 100_000; // the producer was stuck for 100 ms
    const due = schedule.dueBy(clock());
    const burst = due - sent;
    expect(burst).toBe(1000);
    for (let i = sent; i < due; i++) {
      const intended = schedule.intendedTimeUs(i);
      expect(intended).toBe(START_US + 100 * i);
      expect(intended).toBeLessThanOrEqual(clockUs);
    }
    // The first tick of the burst is ~100 ms late: that lateness is what downstream latency shows.
    expect(clockUs - schedule.intendedTimeUs(sent)).toBe(99_900);
    sent = due;
    expect(schedule.dueBy(clock())).toBe(sent);
  });

  it('rejects a rate that is not finite and positive, and bad limits', () => {
    for (const rate of [0, -1, Number.NaN, Infinity]) {
      expect(() => new OpenLoopSchedule(rate, 0)).toThrow(RangeError);
    }
    expect(() => new OpenLoopSchedule(1, Number.NaN)).toThrow(RangeError);
    expect(() => new OpenLoopSchedule(1, 0, -1)).toThrow(RangeError);
    expect(() => new OpenLoopSchedule(1, 0, 1.5)).toThrow(RangeError);
  });
});

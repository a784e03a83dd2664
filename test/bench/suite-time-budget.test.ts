import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MODES } from '../../bench/suite.js';
import { SuiteTimeBudget } from '../../bench/suite-time-budget.js';

describe("the suite's time budget", () => {
  it('gives each stage its nominal budget while the suite is on schedule', () => {
    let now = 0;
    const budget = new SuiteTimeBudget(
      400,
      new Map([
        ['a', 100],
        ['b', 200],
      ]),
      () => now,
    );
    expect(budget.start('a')).toBe(100);
    now = 60_000; // a finished early: its 40 s are not handed on
    expect(budget.start('b')).toBe(200);
  });

  it('shares what is left by nominal budget once behind, so the last stage is not the one starved', () => {
    let now = 0;
    const budget = new SuiteTimeBudget(
      300,
      new Map([
        ['a', 100],
        ['b', 100],
        ['c', 200],
      ]),
      () => now,
    );
    now = 100_000; // 200 s left for 400 s of nominal budgets
    expect(budget.start('a')).toBeCloseTo(50);
    now = 150_000; // 150 s left for b (100) and c (200)
    expect(budget.start('b')).toBeCloseTo(50);
    now = 200_000;
    expect(budget.start('c')).toBeCloseTo(100);
    now = 400_000;
    expect(budget.leftSec()).toBe(0);
    expect(budget.start('unlisted')).toBe(0);
  });

  it('never hands out more than is left, whatever the stages take', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 0, max: 900 })), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 3_600 }),
        (stages, totalSec) => {
          let now = 0;
          const budget = new SuiteTimeBudget(totalSec, new Map(stages.map(([nominal], i) => [`s${i}`, nominal])), () => now);
          stages.forEach(([nominal, tookSec], i) => {
            const left = budget.leftSec();
            const given = budget.start(`s${i}`);
            expect(given).toBeGreaterThanOrEqual(0);
            expect(given).toBeLessThanOrEqual(Math.min(nominal, left) + 1e-9);
            now += tookSec * 1000;
          });
        },
      ),
    );
  });

  // The issue: --quick within 8 minutes, the full suite within 30. The stages' nominal budgets must
  // fit the mode's suite budget with room for the limit and the raw clients before them.
  it.each([
    ['full', 30 * 60, 3],
    ['quick', 8 * 60, 1],
  ] as const)('plans the %s suite within its promised wall time', (mode, promisedSec, perRecordClients) => {
    const m = MODES[mode];
    expect(m.perRecordClients.length).toBe(perRecordClients);
    const nominal = m.naiveBudgetSec + 3 * m.budgetSec + perRecordClients * (m.perRecordBudgetSec + m.perRecordBacklogSec);
    expect(nominal).toBeLessThanOrEqual(m.suiteBudgetSec);
    // The last probe may start just before the deadline: one confirmation (or probe) must still end in time.
    const longestProbeSec = m.warmupSec + (m.confirmWindowSec ?? m.windowSec) + m.probeOverheadSec + m.drainTimeoutSec;
    expect(m.suiteBudgetSec + longestProbeSec).toBeLessThanOrEqual(promisedSec);
  });
});

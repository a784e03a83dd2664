import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { median, medianInterval, medianOfRepeats, overlaps } from '../../bench/sweep/interval.js';
import { answerTargetRate, decideVerdict } from '../../bench/sweep/verdict.js';
import { limitingProbe, limitingSide } from '../../bench/sweep/limiting-side.js';
import type { SweepEntryResult, SweepProbe } from '../../run/sweep-result.js';

const samples = fc.array(fc.array(fc.double({ min: 0, max: 1e7, noNaN: true }), { minLength: 1, maxLength: 8 }), {
  minLength: 1,
  maxLength: 6,
});

describe('medians and their bootstrap intervals', () => {
  it('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('the interval holds the median and lies within the samples; the same samples give the same interval', () => {
    fc.assert(
      fc.property(samples, (groups) => {
        const e = medianInterval(groups);
        const all = groups.flat();
        expect(e.median).toBe(median(all));
        expect(e.low).toBeLessThanOrEqual(e.median);
        expect(e.high).toBeGreaterThanOrEqual(e.median);
        expect(e.low).toBeGreaterThanOrEqual(Math.min(...all));
        expect(e.high).toBeLessThanOrEqual(Math.max(...all));
        expect(medianInterval(groups)).toEqual(e);
      }),
      { numRuns: 60 },
    );
  });

  it("resamples repeats, not only seconds: the interval spans the repeats' disagreement", () => {
    // Five repeats of five tight seconds each, drifting from 10 to 14: the interval must reflect the drift.
    const groups = [10, 11, 12, 13, 14].map((m) => [m - 0.05, m, m + 0.05, m - 0.02, m + 0.02]);
    const e = medianInterval(groups);
    expect(e.median).toBe(12);
    expect(e.low).toBeLessThanOrEqual(11);
    expect(e.high).toBeGreaterThanOrEqual(13);
  });

  it('identical repeats give a zero-width interval; one value is its own interval', () => {
    expect(medianOfRepeats([5, 5, 5])).toEqual({ median: 5, low: 5, high: 5 });
    expect(medianOfRepeats([7])).toEqual({ median: 7, low: 7, high: 7 });
    expect(overlaps({ low: 1, high: 2 }, { low: 2, high: 3 })).toBe(true);
    expect(overlaps({ low: 1, high: 2 }, { low: 2.01, high: 3 })).toBe(false);
  });
});

function entry(partitions: number, workers: number, capacity: [number, number, number], p99AtHalf = 20_000): SweepEntryResult {
  const [ticksPerSec, low, high] = capacity;
  return {
    label: `${partitions}p-${workers}w-confluent-64tpr`,
    settings: { partitions, workers, client: 'confluent', ticksPerRecord: 64 },
    beyondCores: partitions > 2,
    topic: null,
    capacity: { ticksPerSec, low, high, perRepeat: [] },
    curve: [
      {
        fraction: 0.5,
        offered: ticksPerSec / 2,
        p50: 5000,
        p50Low: 4000,
        p50High: 6000,
        p99: p99AtHalf,
        p99Low: p99AtHalf * 0.9,
        p99High: p99AtHalf * 1.1,
        sustained: 3,
        repeats: 3,
      },
    ],
    limitedBy: { side: 'consumer', evidence: 'test', atRate: ticksPerSec * 1.2 },
    probes: [],
  };
}

describe('the verdict', () => {
  it('names a winner only when its interval is clear of every other', () => {
    const v = decideVerdict([entry(1, 2, [200e3, 180e3, 230e3]), entry(4, 2, [800e3, 760e3, 850e3]), entry(16, 2, [500e3, 450e3, 560e3])], {
      targetRate: null,
      maxP99Us: 1e6,
    });
    expect(v.best).toBe('4p-2w-confluent-64tpr');
    expect(v.ties).toEqual([]);
    expect(v.reason).toMatch(/clear of the next best 16p/);
    expect(v.summary[0]).toMatch(/^4 partitions .* carry 800k ticks\/s \(±6%\) with p99 20 ms at 50% load; the consumer side limits it\.$/);
    expect(v.summary.join(' ')).toMatch(/1 partition carries less: 200k/);
    expect(v.summary.join(' ')).toMatch(/16 partitions are more than this machine's cores/);
  });

  it('overlapping intervals are a tie, and the cheapest tied setting is preferred (fewest partitions, then workers)', () => {
    const entries = [
      entry(16, 2, [900e3, 800e3, 1000e3], 26_000),
      entry(8, 4, [870e3, 790e3, 950e3]),
      entry(8, 2, [850e3, 700e3, 905e3], 20_000),
      entry(1, 1, [100e3, 90e3, 120e3]),
    ];
    const v = decideVerdict(entries, { targetRate: null, maxP99Us: 1e6 });
    expect(v.best).toBe('8p-2w-confluent-64tpr');
    expect(v.ties).toEqual(['8p-2w-confluent-64tpr', '8p-4w-confluent-64tpr', '16p-2w-confluent-64tpr']);
    expect(v.reason).toMatch(/3 settings tie/);
    expect(v.summary.join(' ')).toMatch(/16 partitions add no capacity beyond the noise .* raise p99 at 50% load by 30%/);
  });

  it('property: the best is always in the ties or clear of all; ties are exactly those overlapping the top', () => {
    const capacity = fc
      .tuple(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 0, max: 3e5 }), fc.integer({ min: 0, max: 3e5 }))
      .map(([m, down, up]) => [m, Math.max(0, m - down), m + up] as [number, number, number]);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 6 }),
        fc.array(capacity, { minLength: 6, maxLength: 6 }),
        (parts, caps) => {
          const entries = parts.map((p, i) => entry(p, 2, caps[i]!));
          const v = decideVerdict(entries, { targetRate: null, maxP99Us: 1e6 });
          const top = [...entries].sort(
            (a, b) => b.capacity.ticksPerSec - a.capacity.ticksPerSec || a.settings.partitions - b.settings.partitions,
          )[0]!;
          const tied = entries.filter((e) => overlaps(e.capacity, top.capacity));
          if (tied.length === 1) {
            expect(v.best).toBe(top.label);
            expect(v.ties).toEqual([]);
          } else {
            expect(new Set(v.ties)).toEqual(new Set(tied.map((e) => e.label)));
            expect(v.best).toBe([...tied].sort((a, b) => a.settings.partitions - b.settings.partitions)[0]!.label);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('no setting sustained anything: no best, said so', () => {
    const v = decideVerdict([entry(1, 2, [0, 0, 0])], { targetRate: 1e6, maxP99Us: 1e6 });
    expect(v.best).toBeNull();
    expect(v.reason).toMatch(/no setting sustained/);
    expect(v.forTargetRate?.setting).toBeNull();
  });

  it('--target-rate: the cheapest setting whose whole interval carries it, else one within the noise, else none', () => {
    const entries = [entry(1, 2, [300e3, 280e3, 320e3]), entry(4, 2, [1.1e6, 0.95e6, 1.2e6]), entry(8, 2, [1.3e6, 1.2e6, 1.4e6])];
    expect(answerTargetRate(entries, 1e6, 1e6)).toMatchObject({ setting: '8p-2w-confluent-64tpr', partitions: 8, confident: true });
    expect(answerTargetRate(entries, 1.25e6, 1e6)).toMatchObject({ setting: '8p-2w-confluent-64tpr', confident: false });
    const none = answerTargetRate(entries, 2e6, 1e6);
    expect(none).toMatchObject({ setting: null, partitions: null, confident: false });
    expect(none.answer).toMatch(
      /No setting tried carries 2.00M ticks\/s .* the most is 1.30M with 8 partitions, limited by the consumer side/,
    );
  });
});

function probe(rate: number, sustained: boolean, stages: Record<string, number>, extra: Partial<SweepProbe> = {}): SweepProbe {
  return { phase: 'search', repeat: 1, rate, sustained, reasons: [], wallSec: 6, stagesP99: stages, producedTicksPerSec: rate, ...extra };
}

describe('which side limits a setting', () => {
  const ms = 1000;
  it.each([
    [{ schedule: 2 * ms, produce: 5 * ms, transport: 40 * ms, queue: 300 * ms, analytics: 1 * ms }, {}, 'workers'],
    [{ schedule: 2 * ms, produce: 300 * ms, transport: 400 * ms, queue: 3 * ms, analytics: 1 * ms }, {}, 'broker'],
    [{ schedule: 2 * ms, produce: 20 * ms, transport: 900 * ms, queue: 3 * ms, analytics: 1 * ms }, {}, 'consumer'],
    [{ schedule: 800 * ms, produce: 20 * ms, transport: 90 * ms, queue: 3 * ms, analytics: 1 * ms }, {}, 'producer'],
    [
      { schedule: 2 * ms, produce: 20 * ms, transport: 900 * ms, queue: 3 * ms, analytics: 1 * ms },
      { producedTicksPerSec: 500_000 },
      'producer',
    ],
  ])('stages %j → %s', (stages, extra, side) => {
    const limit = limitingSide(probe(1e6, false, stages, extra), 2);
    expect(limit?.side).toBe(side);
    expect(limit?.evidence).toMatch(/first failing rate 1,000,000\/s/);
  });

  it('judges the first failure above the capacity, else the highest sustained rate', () => {
    const probes = [
      probe(400e3, true, {}),
      probe(1.6e6, false, {}),
      probe(800e3, false, {}),
      probe(570e3, true, {}),
      { ...probe(600e3, false, {}), phase: 'curve' as const },
    ];
    expect(limitingProbe(probes, 570e3)?.rate).toBe(800e3);
    expect(
      limitingProbe(
        probes.filter((p) => p.sustained),
        570e3,
      )?.rate,
    ).toBe(570e3);
    expect(limitingProbe([], 0)).toBeNull();
  });
});

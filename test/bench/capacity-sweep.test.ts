import { describe, expect, it } from 'vitest';
import { measureSettings } from '../../bench/sweep/capacity-sweep.js';
import { DEFAULT_BUDGET, estimateSweepSec, maxProbesPerSetting, type ProbeRequest } from '../../bench/sweep/sweep-types.js';
import { sweepEntrySchema, sweepVerdictSchema, type SweepProbe } from '../../run/sweep-result.js';

/** A pipeline whose capacity grows with partitions up to 4 and then stops, p99 rising towards saturation. */
function modelProbe(capacityOf: (partitions: number) => number, calls: ProbeRequest[]) {
  return async (request: ProbeRequest): Promise<SweepProbe> => {
    calls.push(request);
    const capacity = capacityOf(request.setting.partitions);
    const load = request.rate / capacity;
    const sustained = load <= 1;
    const p99 = Math.round(5_000 / Math.max(0.05, 1 - Math.min(load, 0.95)));
    return {
      phase: request.phase,
      repeat: request.repeat,
      rate: request.rate,
      sustained,
      reasons: sustained ? [] : ['lag grew'],
      wallSec: 6,
      ticksPerSec: Math.min(request.rate, capacity),
      producedTicksPerSec: request.rate,
      p50: Math.round(p99 / 4),
      p99,
      windowP99s: [p99 * 0.9, p99, p99 * 1.1],
      stagesP99: { schedule: 1000, produce: 3000, transport: sustained ? 8000 : 900_000, queue: 2000, analytics: 200 },
    };
  };
}

const settings = [1, 4, 16].map((partitions) => ({ partitions, workers: 2, client: 'confluent', ticksPerRecord: 64 }));

describe('measureSettings (a model pipeline in place of firehose run)', () => {
  it('interleaves probes across settings, measures the curve at fractions of the median capacity, and calls a tie', async () => {
    const calls: ProbeRequest[] = [];
    const lines: string[] = [];
    let clock = 0;
    const capacityOf = (p: number): number => (p === 1 ? 300_000 : 800_000);
    const probe = modelProbe(capacityOf, calls);
    const measured = await measureSettings({
      settings,
      repeat: 3,
      budget: DEFAULT_BUDGET,
      maxP99Us: 1e6,
      targetRate: 700_000,
      cpus: 2,
      probe: async (r) => {
        clock += 5_950;
        return probe(r);
      },
      topicFor: () => null,
      log: (l) => lines.push(l),
      shouldStop: () => false,
      now: () => clock,
    });

    // Round robin: no setting gets two probes in a row while the others still have work.
    const order = calls.map((c) => c.setting.partitions);
    expect(order.slice(0, 6)).toEqual([1, 4, 16, 1, 4, 16]);
    for (const e of measured.entries) {
      sweepEntrySchema.parse(e);
      expect(e.probes.length).toBeLessThanOrEqual(maxProbesPerSetting(DEFAULT_BUDGET, 3));
      expect(e.capacity.perRepeat).toHaveLength(3);
      const truth = capacityOf(e.settings.partitions);
      expect(e.capacity.ticksPerSec).toBeLessThanOrEqual(truth);
      expect(e.capacity.ticksPerSec).toBeGreaterThan(truth * 0.8);
      expect(e.capacity.low).toBeLessThanOrEqual(e.capacity.ticksPerSec);
      expect(e.capacity.high).toBeGreaterThan(truth);
      expect(e.curve.map((c) => c.fraction)).toEqual([0.25, 0.5, 0.75]);
      for (const c of e.curve) {
        expect(c.repeats).toBe(3);
        expect(c.offered / e.capacity.ticksPerSec).toBeCloseTo(c.fraction, 1);
        expect(c.p99Low).toBeLessThanOrEqual(c.p99);
        expect(c.p99High).toBeGreaterThanOrEqual(c.p99);
      }
      expect(e.curve[2]!.p99).toBeGreaterThan(e.curve[0]!.p99);
      expect(e.limitedBy?.side).toBe('consumer');
      expect(e.beyondCores).toBe(e.settings.partitions > 2);
    }
    sweepVerdictSchema.parse(measured.verdict);
    // 4 and 16 partitions carry the same: a tie, and the cheaper one is preferred.
    expect(measured.verdict.best).toBe('4p-2w-confluent-64tpr');
    expect(measured.verdict.ties).toEqual(['4p-2w-confluent-64tpr', '16p-2w-confluent-64tpr']);
    expect(measured.verdict.forTargetRate?.partitions).toBe(4);
    // One progress line per probe, with its place, elapsed time and an ETA that reaches 0:00.
    expect(lines).toHaveLength(calls.length);
    // Seconds never read 60 (59.5 s is 1:00, not 0:60).
    for (const line of lines) expect(line).toMatch(/^\[\d+\/\d+ \d+:[0-5]\d ETA \d+:[0-5]\d\] /);
    expect(lines[9]).toMatch(/^\[10\/\d+ 1:00 /);
    expect(lines[0]).toMatch(/^\[1\/\d+ 0:06 ETA \d+:\d\d\] 1p-2w-confluent-64tpr search 1\/3 at 200\.0k\/s: sustained/);
    expect(lines.at(-1)).toMatch(new RegExp(`^\\[${calls.length}/${calls.length} \\d+:\\d\\d ETA 0:00\\]`));
  });

  it('stops between probes when asked, and says it was interrupted', async () => {
    const calls: ProbeRequest[] = [];
    const probe = modelProbe(() => 500_000, calls);
    const measured = await measureSettings({
      settings,
      repeat: 2,
      budget: DEFAULT_BUDGET,
      maxP99Us: 1e6,
      targetRate: null,
      cpus: 2,
      probe,
      topicFor: (label) => `t-${label}`,
      log: () => {},
      shouldStop: () => calls.length >= 4,
    });
    expect(measured.interrupted).toBe(true);
    expect(calls.length).toBeLessThanOrEqual(6);
    expect(calls.every((c) => c.topic === `t-${c.label}`)).toBe(true);
  });

  it("probes a marginal failure once more before the search believes it (bench's rule), and a real one only once", async () => {
    const calls: ProbeRequest[] = [];
    const lines: string[] = [];
    const model = modelProbe(() => 300_000, calls);
    // The first probe of the 200k rate hits a noisy second: it fails on p99 alone, with nothing lost.
    let noisy = true;
    const measured = await measureSettings({
      settings: settings.slice(0, 1),
      repeat: 1,
      budget: DEFAULT_BUDGET,
      maxP99Us: 1e6,
      targetRate: null,
      cpus: 2,
      probe: async (r) => {
        const record = await model(r);
        if (noisy && r.rate === 200_000) {
          noisy = false;
          return { ...record, sustained: false, marginal: true, reasons: ['p99 of a second in the window 1200 ms > 1000 ms'] };
        }
        return record.sustained ? record : { ...record, marginal: false };
      },
      topicFor: () => null,
      log: (l) => lines.push(l),
      shouldStop: () => false,
    });
    const at200k = calls.filter((c) => c.rate === 200_000);
    expect(at200k).toHaveLength(2);
    expect(lines.some((l) => /failed only on lag or p99 with nothing lost: probing 200\.0k\/s once more/.test(l))).toBe(true);
    // Failures that are not marginal (the model's overloads) are not repeated.
    const failedRates = calls.filter((c) => c.rate > 300_000).map((c) => c.rate);
    expect(new Set(failedRates).size).toBe(failedRates.length);
    expect(measured.entries[0]!.capacity.ticksPerSec).toBeGreaterThan(200_000);
  });

  it('behind its time target, later repeats search until their first sustained rate and measure each curve point once; the first search always runs', async () => {
    const calls: ProbeRequest[] = [];
    let clock = 0;
    const model = modelProbe(() => 500_000, calls);
    // The 4-partition setting's second repeat fails its first probe (a noisy second): its search
    // goes on down until a rate is sustained rather than ending with nothing (a capacity of 0).
    let noisy = true;
    const probe = async (r: ProbeRequest): Promise<SweepProbe> => {
      const record = await model(r);
      if (noisy && r.setting.partitions === 4 && r.repeat === 2) {
        noisy = false;
        return { ...record, sustained: false, marginal: true, reasons: ['p99 of a second in the window 1200 ms > 1000 ms'] };
      }
      return record;
    };
    // Probes of 60 s: far behind a 14-minute target from the first probe on.
    const measured = await measureSettings({
      settings,
      repeat: 3,
      budget: DEFAULT_BUDGET,
      maxP99Us: 1e6,
      targetRate: null,
      cpus: 2,
      probe: async (r) => {
        clock += 60_000;
        return probe(r);
      },
      topicFor: () => null,
      log: () => {},
      shouldStop: () => false,
      now: () => clock,
    });
    expect(measured.interrupted).toBe(false);
    expect(measured.cutSearches).toBe(6);
    expect(measured.cutCurvePoints).toBe(18);
    for (const e of measured.entries) {
      const [first, ...later] = e.capacity.perRepeat;
      expect(first!.probes).toBeGreaterThan(1);
      expect(later.map((r) => r.probes)).toEqual(e.settings.partitions === 4 ? [2, 1] : [1, 1]);
      for (const r of later) expect(r.best).toBeGreaterThan(0);
      // The cut repeats saw no failure above their sustained rate: the interval reaches a step above it.
      if (later.every((r) => r.lowestFailed === null)) expect(e.capacity.high).toBeGreaterThan(Math.max(...later.map((r) => r.best)));
      expect(e.curve.map((c) => c.repeats)).toEqual([1, 1, 1]);
      expect(e.capacity.ticksPerSec).toBeGreaterThan(0);
    }
  });

  it('the default budget keeps `--partitions 1,4,16 --repeat 3` under 15 minutes even with every search at its probe limit', () => {
    expect(estimateSweepSec(3, 3, DEFAULT_BUDGET)).toBeLessThan(15 * 60);
  });
});

import { describe, expect, it } from 'vitest';
import { ProgressSampler, type ProgressSnapshot } from '../../run/progress-sampler.js';

function fakeRun(bothHalves: boolean) {
  let now = 1_000_000;
  const counts = { generated: 0, produced: 0, acked: 0, consumed: 0 };
  const seen: ProgressSnapshot[] = [];
  const sampler = new ProgressSampler(
    {
      clock: () => now,
      startUs: now,
      durationSec: 10,
      bothHalves,
      counts: () => ({ ...counts }),
      takeInterval: () => ({ p99: 1234 }) as never,
    },
    (s) => seen.push(s),
  );
  return {
    sampler,
    seen,
    step(sec: number, c: Partial<typeof counts>) {
      now += sec * 1e6;
      Object.assign(counts, c);
      return sampler.sample();
    },
  };
}

describe('ProgressSampler', () => {
  it('rates are per interval, the timeline keeps one point per sample, the phase is what the run says', () => {
    const run = fakeRun(true);
    const first = run.step(1, { generated: 1000, produced: 1000, acked: 900, consumed: 500 });
    expect([first.elapsedSec, first.sendRate, first.consumeRate, first.lagTicks, first.p99Us]).toEqual([1, 1000, 500, 400, 1234]);
    run.sampler.phase = 'draining';
    const second = run.step(2, { produced: 1000, acked: 1000, consumed: 1000 });
    expect([second.sendRate, second.consumeRate, second.lagTicks, second.phase]).toEqual([0, 250, 0, 'draining']);
    expect(run.sampler.timeline.map((p) => [p.t, p.producedTicks, p.consumedTicks, p.lagTicks])).toEqual([
      [1, 1000, 500, 400],
      [3, 1000, 1000, 0],
    ]);
    expect(run.seen).toHaveLength(2);
    expect(run.sampler.lastSnapshot).toBe(second);
  });

  it('a split role knows one half only: no lag is made up from the other half’s zero', () => {
    const run = fakeRun(false);
    expect(run.step(1, { produced: 5000, acked: 5000 }).lagTicks).toBe(0);
  });
});

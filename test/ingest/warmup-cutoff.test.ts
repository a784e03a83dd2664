import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WarmupCutoff } from '../../ingest/warmup-cutoff.js';

describe('WarmupCutoff', () => {
  it('the schedule start sets the cutoff once; later starts and ticks do not move it', () => {
    const cutoff = WarmupCutoff.create(2_000_000);
    expect(cutoff.cutoffUs).toBe(0);
    cutoff.startAt(1_700_000_000_000_000.5);
    expect(cutoff.cutoffUs).toBe(1_700_000_002_000_000);
    cutoff.startAt(1_800_000_000_000_000);
    expect(cutoff.cutoffFor(1_900_000_000_000_000)).toBe(1_700_000_002_000_000);
  });

  it('without a schedule start, the first tick seen by any holder of the buffer sets it for all', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3_600_000_000 }),
        fc.array(fc.double({ min: 1e15, max: 2e15, noNaN: true }), { minLength: 1, maxLength: 20 }),
        (durationUs, sendTimes) => {
          const first = WarmupCutoff.create(durationUs);
          const other = new WarmupCutoff(first.buffer, durationUs);
          const expected = Math.floor(sendTimes[0]! + durationUs);
          expect(first.cutoffFor(sendTimes[0]!)).toBe(expected);
          for (const t of sendTimes) expect(other.cutoffFor(t)).toBe(expected);
        },
      ),
    );
  });
});

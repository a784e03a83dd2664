import { describe, expect, it } from 'vitest';
import { probeTimings } from '../../bench/sweep/child-probe.js';

describe('probeTimings (where one probe’s wall time went)', () => {
  it('splits boot (spawn to the run’s start), start-up steps, sending and the end (flush, drain, close, exit)', () => {
    const spawned = Date.parse('2026-11-29T09:00:00.000Z');
    const t = probeTimings(
      {
        startedAt: '2026-11-29T09:00:01.500Z',
        finishedAt: '2026-11-29T09:00:08.000Z',
        startup: [
          { step: 'consumer group join', ms: 700 },
          { step: 'priming', ms: 800 },
        ],
      },
      spawned,
      10,
      4,
    );
    expect(t).toEqual({ bootSec: 1.5, startupSec: 1.5, sendingSec: 4, endSec: 3 });
    expect(t.bootSec + t.startupSec + t.sendingSec + t.endSec).toBeCloseTo(10, 5);
  });

  it('never counts more sending than the schedule lasts, nor boot beyond the wall time', () => {
    const spawned = Date.parse('2026-11-29T09:00:00.000Z');
    const t = probeTimings({ startedAt: '2026-11-29T09:00:30.000Z', finishedAt: '2026-11-29T09:00:40.000Z' }, spawned, 20, 4);
    expect(t.bootSec).toBe(20);
    expect(t.sendingSec).toBe(4);
    expect(t.endSec).toBe(0);
  });
});

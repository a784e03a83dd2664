import { describe, expect, it } from 'vitest';
import { WARMUP_RECORDS, warmUpDispatch } from '../../ingest/dispatch-warmup.js';

describe('dispatcher JIT warm-up', () => {
  it.each([
    ['one task group per worker', 2],
    ['a group per partition', Number.POSITIVE_INFINITY],
  ])('hands every throwaway record through the dispatcher and settles it (%s)', async (_name, taskGroups) => {
    // Tight bounds as well, so the warm-up also passes through the pause path and still drains.
    const settled = await warmUpDispatch({ framesPerTask: 16, taskGroups, maxQueuedRecords: 1000, maxQueuedBytes: 72 * 1000 });
    expect(settled).toBe(WARMUP_RECORDS);
  });
});

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAnalyticsState } from '../../analytics/analytics-state.js';
import { createDeliveryLedger } from '../../metrics/delivery-ledger.js';
import { createAnalyticsPool } from '../../ingest/worker-pool.js';

describe('analytics worker pool', () => {
  it('says when every worker finished its warm-up, and stays warm', async () => {
    const errors: unknown[] = [];
    const pool = createAnalyticsPool(
      2,
      {
        analytics: createAnalyticsState({ instruments: 20, venues: 3 }),
        analyticsConfig: {},
        ledger: createDeliveryLedger(1, 1 << 12),
        statsChannel: `pool-${randomUUID()}`,
        reportIntervalMs: 60_000,
        failures: null,
      },
      (error) => errors.push(error),
    );
    try {
      // Both workers start at once; a wait long enough for either to load counts both.
      expect(await pool.whenWarm(120_000)).toBe(true);
      expect(pool.threads).toBe(2);
      expect(await pool.whenWarm(0)).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await pool.destroy();
    }
  });
});

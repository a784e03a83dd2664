import { describe, expect, it } from 'vitest';
import { runPerRecordBacklog } from '../../bench/per-record-backlog.js';

describe('the per-record backlog read (bench)', () => {
  it('analyses every prefilled one-tick record once and times the read from the first analysed task', async () => {
    const result = await runPerRecordBacklog({
      client: 'confluent',
      partitions: 2,
      workers: 1,
      instruments: 50,
      venues: 3,
      seed: 7,
      recordsPerPartition: 1_500,
    });
    expect(result.errors).toEqual([]);
    expect(result.recordBytes).toBe(72);
    expect(result.prefilled).toBe(3_000);
    expect(result.analysed).toBe(3_000);
    expect(result.elapsedSec).toBeGreaterThan(0);
    expect(result.recordsPerSec).toBeGreaterThan(0);
    // The first task's records are left out of the timed span (the group join and JIT warm-up are before it).
    expect(result.timedRecords).toBeGreaterThan(0);
    expect(result.timedRecords).toBeLessThan(result.analysed);
    expect(Math.abs(result.recordsPerSec! * result.elapsedSec - result.timedRecords)).toBeLessThan(1);
    expect(result.cpuUsPerRecord).toBeGreaterThan(0);
    // By thread too (10 ms clock ticks per thread: too coarse for 3,000 records to show each one).
    expect(result.cpuUsPerRecordByThread).not.toBeNull();
    // Its `other` split into the session's worker threads and the rest.
    const other = result.cpuUsPerRecordByThread!.other;
    const { workers, runtime } = result.cpuUsPerRecordOther!;
    expect(workers).toBeGreaterThanOrEqual(0);
    expect(runtime).toBe(Math.max(0, Math.round((other - workers) * 10) / 10));
  }, 60_000);
});

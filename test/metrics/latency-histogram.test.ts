import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createLatencyHistogram,
  createMergeHistogram,
  encodeHistogram,
  initHistograms,
  mergeEncoded,
  recordLatency,
  summarize,
  toHgrm,
} from '../../metrics/latency-histogram.js';

beforeAll(async () => {
  await initHistograms();
});

describe('latency histograms', () => {
  it('merging encoded per-worker histograms equals recording everything in one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 50_000_000 }), { maxLength: 300 }), { minLength: 1, maxLength: 6 }),
        (perWorker) => {
          const reference = createMergeHistogram();
          const merged = createMergeHistogram();
          for (const values of perWorker) {
            const worker = createLatencyHistogram();
            for (const v of values) {
              recordLatency(worker, v);
              recordLatency(reference, v);
            }
            mergeEncoded(merged, encodeHistogram(worker));
            worker.destroy();
          }
          expect(merged.totalCount).toBe(reference.totalCount);
          // Merging keeps every bucket count exactly; min, max and mean are known to bucket precision (3 digits).
          const m = summarize(merged);
          const r = summarize(reference);
          expect([m.p50, m.p90, m.p99, m.p999, m.p9999]).toEqual([r.p50, r.p90, r.p99, r.p999, r.p9999]);
          for (const key of ['min', 'max', 'mean'] as const) {
            expect(Math.abs(m[key] - r[key])).toBeLessThanOrEqual(Math.max(1, r[key] / 1000));
          }
          for (const p of [1, 25, 50, 75, 90, 99, 99.9, 100]) {
            expect(merged.getValueAtPercentile(p)).toBe(reference.getValueAtPercentile(p));
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('clamps negative (clock skew) and huge values instead of throwing', () => {
    const h = createLatencyHistogram();
    recordLatency(h, -5);
    recordLatency(h, 1e15);
    recordLatency(h, 100, 3);
    expect(h.totalCount).toBe(5);
    expect(h.maxValue).toBeGreaterThanOrEqual(3_599_000_000);
  });

  it('writes the HdrHistogram percentile format', () => {
    const h = createMergeHistogram();
    for (let i = 1; i <= 1000; i++) recordLatency(h, i);
    const text = toHgrm(h);
    expect(text).toMatch(/Value\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)/);
    expect(text).toMatch(/#\[Max\s*=\s*1000\.000, Total count\s*=\s*1000\]/);
  });

  it('summarizes an empty histogram as zeros', () => {
    expect(summarize(createMergeHistogram()).count).toBe(0);
  });
});

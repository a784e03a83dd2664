import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createLatencyHistogram,
  encodeHistogram,
  HIGHEST_TRACKABLE_US,
  initHistograms,
  recordLatency,
} from '../../metrics/latency-histogram.js';
import { bucketIndexOf, bucketValueOf, LatencyTally } from '../../metrics/latency-tally.js';

describe('latency tally', () => {
  beforeAll(async () => {
    await initHistograms();
  });

  it('gives a histogram exactly what recording each value would (same encoded form)', () => {
    const value = fc.oneof(
      fc.integer({ min: 0, max: 5000 }),
      fc.double({ min: -1e3, max: HIGHEST_TRACKABLE_US * 1.5, noNaN: true }),
      fc.constantFrom(0, 1, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 2 ** 31 - 1, 2 ** 31, HIGHEST_TRACKABLE_US),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(value, fc.integer({ min: 1, max: 64 })), { maxLength: 300 }), (values) => {
        const direct = createLatencyHistogram();
        const viaTally = createLatencyHistogram();
        const tally = new LatencyTally();
        for (const [v, count] of values) {
          recordLatency(direct, v, count);
          tally.record(v, count);
        }
        expect(tally.total).toBe(values.reduce((s, [, c]) => s + c, 0));
        tally.flushInto(viaTally);
        expect(tally.total).toBe(0);
        expect(viaTally.totalCount).toBe(direct.totalCount);
        expect(encodeHistogram(viaTally)).toBe(encodeHistogram(direct));
        for (const p of [50, 90, 99, 99.9, 100]) expect(viaTally.getValueAtPercentile(p)).toBe(direct.getValueAtPercentile(p));
        // A flush leaves nothing behind: flushing again adds nothing.
        tally.flushInto(viaTally);
        expect(encodeHistogram(viaTally)).toBe(encodeHistogram(direct));
        direct.destroy();
        viaTally.destroy();
      }),
      { numRuns: 200 },
    );
  });

  it('counts nothing for a count of 0, however many times (a run of empty frames)', () => {
    const tally = new LatencyTally();
    for (let i = 0; i < 50_000; i++) tally.record(1234, 0);
    tally.record(1234, 2);
    const histogram = createLatencyHistogram();
    tally.flushInto(histogram);
    expect(histogram.totalCount).toBe(2);
    histogram.destroy();
  });

  it('maps each bucket to a value that falls back into it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: HIGHEST_TRACKABLE_US }), (v) => {
        const index = bucketIndexOf(v);
        expect(bucketIndexOf(bucketValueOf(index))).toBe(index);
        expect(bucketValueOf(index)).toBeLessThanOrEqual(v);
      }),
    );
    // Exact below 2,048; steps of 2 above.
    expect(bucketValueOf(bucketIndexOf(2047))).toBe(2047);
    expect(bucketValueOf(bucketIndexOf(2049))).toBe(2048);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DetectionLog, mergeDetections, type SerializedDetections } from '../../analytics/detection-log.js';
import { analyticsCountersZero } from '../../analytics/frame-analyzer.js';
import { FairValueMarket, fairValueOptionsFor, TruthKind, type FairValueStreamSpec } from '../../loadgen/fair-value-market.js';
import { partResultSchema } from '../../run/result-schema.js';
import { regenerateStream, scoreRunQuality } from '../../run/run-quality.js';

/** A stream generated as a run does (no per-tick truth kept) and the spec its loadgen part would carry. */
function liveStream(seed: number, ticks: number, ratePerSec: number, instruments = 40): FairValueStreamSpec {
  const options = fairValueOptionsFor({ instruments, venues: 6, ratePerSec, inject: { scale: 3 } }, 4);
  const market = new FairValueMarket({ ...options, seed, ticks, record: false });
  const startUs = 1.7e15 + seed;
  for (let k = 0; k < ticks; k++) market.nextTick(startUs + (k * 1e6) / ratePerSec);
  const { seed: _s, ...rest } = market.o;
  return { market: 'fair-value', seed, options: rest, ticks, startUs, ratePerSec, generated: ticks, checksum: market.checksum };
}

const detections = (source: number, lists: Partial<Record<'outlier' | 'tradeable' | 'triangular', number[]>>): SerializedDetections => ({
  bySource: { [String(source)]: { outlier: lists.outlier ?? [], tradeable: lists.tradeable ?? [], triangular: lists.triangular ?? [] } },
  truncated: 0,
});

describe('run quality on the fair-value market', () => {
  it('regenerates the stream a run sent, bit for bit (checksum), for any seed and rate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1_000, max: 500_000 }), (seed, rate) => {
        const spec = liveStream(seed, 3_000, rate);
        expect(regenerateStream(spec).checksumMatched).toBe(true);
        expect(regenerateStream({ ...spec, checksum: spec.checksum + 1 }).checksumMatched).toBe(false);
      }),
      { numRuns: 8 },
    );
  });

  it('scores flagged seqs against the regenerated truth: flagging exactly the bad ticks gives recall 1 and no false flags', () => {
    const spec = liveStream(7, 40_000, 20_000);
    const { truth } = regenerateStream(spec);
    const bad: number[] = [];
    for (let s = 0; s < truth.ticks; s++) if (truth.kind[s] === TruthKind.Spike || truth.kind[s] === TruthKind.DecimalShift) bad.push(s);
    expect(bad.length).toBeGreaterThan(50);
    const perfect = scoreRunQuality([spec], [3], [detections(3, { outlier: bad })], analyticsCountersZero())!;
    expect(perfect.block.outliers.recall).toBe(1);
    expect(perfect.block.outliers.falsePer10k).toBe(0);
    expect(perfect.checksumMatched).toBe(true);
    // Detections of another source are not this one's.
    const elsewhere = scoreRunQuality([spec], [3], [detections(4, { outlier: bad })], analyticsCountersZero())!;
    expect(elsewhere.block.outliers.recall).toBe(0);
    // A prefix is scored when the run is longer than the limit, and the figures say so.
    const prefix = scoreRunQuality([spec], [3], [detections(3, { outlier: bad })], analyticsCountersZero(), 10_000)!;
    expect(prefix.scoredTicks).toBe(10_000);
    expect(prefix.checksumMatched).toBeNull();
  });

  it('labels triangles from the fair cross rates: none tradeable without dislocations, while the quotes open phantom ones', () => {
    const base = { instruments: 40, venues: 6, ratePerSec: 20_000, dislocationProb: 0, seed: 3, ticks: 60_000 };
    const m = new FairValueMarket(base);
    for (let k = 0; k < base.ticks; k++) m.nextTick(1.7e15 + k * 50);
    let tradeable = 0,
      phantom = 0;
    for (let s = 0; s < m.truth.ticks; s++) {
      tradeable += m.truth.triTradeable[s]!;
      phantom += m.truth.triPhantom[s]!;
    }
    expect(m.fx).not.toBeNull();
    expect(tradeable).toBe(0);
    expect(phantom).toBeGreaterThan(0);
    const d = new FairValueMarket({ ...base, dislocationProb: 5e-3 });
    for (let k = 0; k < base.ticks; k++) d.nextTick(1.7e15 + k * 50);
    let withDislocations = 0;
    for (let s = 0; s < d.truth.ticks; s++) withDislocations += d.truth.triTradeable[s]!;
    expect(withDislocations).toBeGreaterThan(0);
  });

  it('detections are a set per source and kind; merging parts is their union', () => {
    const seqs = fc.array(fc.integer({ min: 0, max: 1_000 }), { maxLength: 60 });
    fc.assert(
      fc.property(seqs, seqs, (a, b) => {
        const log = (xs: number[]) => {
          const l = new DetectionLog();
          l.add(
            xs.map((seq) => ({
              kind: 'outlier' as const,
              source: 1,
              seq,
              instrument: 0,
              venue: 0,
              sendTimeUs: 0,
              detectedUs: 0,
              value: 0,
            })),
          );
          return l.serialize();
        };
        const merged = mergeDetections([log(a), log(b)]).bySource['1']?.outlier ?? [];
        expect(merged).toEqual([...new Set([...a, ...b])].sort((x, y) => x - y));
      }),
    );
  });

  it('a part whose truth would make merge regenerate an unbounded stream is refused', () => {
    const spec = liveStream(1, 100, 1_000);
    const part = (truth: unknown) => ({
      tool: 'tick-firehose',
      version: 1,
      role: 'loadgen',
      startedAt: 'x',
      finishedAt: 'x',
      config: {
        brokers: null,
        client: 'confluent',
        topic: 't',
        partitions: 1,
        workers: 1,
        rate: 1,
        durationSec: 1,
        ticks: 1,
        instruments: 1,
        venues: 2,
        ticksPerRecord: 1,
        sourceId: 0,
      },
      cluster: { embedded: true, bootstrapServers: 'x', brokers: 1 },
      timeline: [],
      loadgen: {
        sourceId: 0,
        generated: 100,
        stats: {
          produced: 0,
          acked: 0,
          failed: 0,
          framesAcked: 0,
          ackedByPartition: [],
          endOffsetByPartition: [],
          firstError: null,
          startUs: 0,
          lastSentUs: 0,
        },
        produceHistogram: '',
        interrupted: false,
        truth,
      },
    });
    expect(partResultSchema.safeParse(part(spec)).success).toBe(true);
    expect(partResultSchema.safeParse(part({ ...spec, options: { ...spec.options, tailNu: 1e9 } })).success).toBe(false);
    expect(partResultSchema.safeParse(part({ ...spec, options: { ...spec.options, instruments: 1_000_000, venues: 64 } })).success).toBe(
      false,
    );
  });
});

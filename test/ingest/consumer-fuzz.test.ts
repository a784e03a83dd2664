/**
 * Consumer-side fuzz: anything anyone can write to the topic goes through the dispatcher and the
 * real analytics workers. Every offset must end committed, nothing may throw out of the
 * dispatcher, the consumer must never stay paused, and every record must be analysed or
 * dead-lettered exactly once (issue 12).
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsState } from '../../analytics/analytics-state.js';
import { PartitionDispatcher } from '../../ingest/partition-dispatcher.js';
import { packFrames } from '../../wire/frame-pack.js';
import { createAnalyticsPool, type AnalyticsPool } from '../../ingest/worker-pool.js';
import { MAX_RECORD_BYTES, type ConsumedRecord } from '../../kafka/client.js';
import { createDeliveryLedger, DeliveryLedger } from '../../metrics/delivery-ledger.js';
import { FrameReader, FrameWriter } from '../../wire/tick-frame.js';

const SOURCES = 4;
const INSTRUMENTS = 8;
const VENUES = 4;

/** What the generator made, and so what the pipeline must do with it (`either` for blind mutations). */
type Expect = 'analysed' | 'dead-letter' | 'either';
interface Input {
  value: Buffer;
  expect: Expect;
}

function frame(
  source: number,
  tickSource: (i: number) => number,
  seq0: number,
  n: number,
  sendTimeUs: (i: number) => number,
  producedAtUs = 1.7e15,
): Buffer {
  const writer = new FrameWriter(n);
  for (let i = 0; i < n; i++) writer.append(seq0 + i, tickSource(i), i % VENUES, i % INSTRUMENTS, 0, sendTimeUs(i), 100, 100.02, 1, 1);
  return writer.finish(source, 0, producedAtUs);
}

const validFrame = fc
  .record({ source: fc.integer({ min: 0, max: SOURCES - 1 }), seq: fc.nat(1 << 20), n: fc.integer({ min: 1, max: 6 }) })
  .map(({ source, seq, n }) =>
    frame(
      source,
      () => source,
      seq,
      n,
      (i) => 1.7e15 + i,
    ),
  );

const oversize = Buffer.alloc(MAX_RECORD_BYTES + 1, 0x54);

const input: fc.Arbitrary<Input> = fc.oneof(
  validFrame.map((value) => ({ value, expect: 'analysed' as const })),
  // A load generator id the ledger does not track: analysed, counted unchecked.
  fc.integer({ min: SOURCES, max: 0xffff }).map((s) => ({
    value: frame(
      s,
      () => s,
      0,
      2,
      () => 1.7e15,
    ),
    expect: 'analysed' as const,
  })),
  fc.uint8Array({ maxLength: 160 }).map((b) => ({ value: Buffer.from(b), expect: 'dead-letter' as const })),
  fc.constant({ value: Buffer.alloc(0), expect: 'dead-letter' as const }), // null value or empty record
  fc.constant({ value: oversize, expect: 'dead-letter' as const }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY).map((t) => ({
    value: frame(
      0,
      () => 0,
      0,
      3,
      (i) => (i === 1 ? t : 1.7e15),
    ),
    expect: 'dead-letter' as const,
  })),
  fc.constant({
    value: frame(
      1,
      () => 1,
      0,
      2,
      () => 1.7e15,
      Number.NaN,
    ),
    expect: 'dead-letter' as const,
  }),
  // A frame from source 1 whose ticks claim source 0: it must not mark source 0's seqs as seen.
  fc.nat(1000).map((seq) => ({
    value: frame(
      1,
      (i) => (i === 0 ? 1 : 0),
      seq,
      3,
      () => 1.7e15,
    ),
    expect: 'dead-letter' as const,
  })),
  fc.tuple(validFrame, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([value, at, byte]) => {
    const copy = Buffer.from(value);
    copy[at % copy.length] = byte;
    return { value: copy, expect: 'either' as const };
  }),
  fc.tuple(validFrame, fc.nat()).map(([value, cut]) => ({ value: value.subarray(0, cut % value.length), expect: 'dead-letter' as const })),
);

describe('consumer-side fuzz through the dispatcher and real workers', () => {
  let pool: AnalyticsPool;
  const ledgerShared = createDeliveryLedger(SOURCES, 1 << 21);
  const workerErrors: unknown[] = [];

  beforeAll(() => {
    pool = createAnalyticsPool(
      2,
      {
        analytics: createAnalyticsState({ instruments: INSTRUMENTS, venues: VENUES }),
        analyticsConfig: {},
        ledger: ledgerShared,
        statsChannel: `fuzz-${randomUUID()}`,
        reportIntervalMs: 60_000,
        failures: null,
      },
      (error) => workerErrors.push(error),
    );
  });
  afterAll(async () => {
    await pool.destroy();
  });

  it('commits every offset, never stays paused, and analyses or dead-letters each record exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ partition: fc.integer({ min: 0, max: 2 }), input }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(1, 2, Number.POSITIVE_INFINITY),
        async (records, fetchSize, taskGroups) => {
          const analysed = new Map<string, number>();
          const deadLettered = new Map<string, number>();
          const commits = new Map<number, number>();
          let analysedTicks = 0;
          let paused = false;
          let wake: (() => void) | null = null;
          const dispatcher = new PartitionDispatcher(
            (task, transfer) =>
              pool.run(task, transfer).then((result) => {
                const refused = new Set((result.rejected ?? []).map((r) => r.index));
                // A task group's task carries several partitions: partition, first offset, frames.
                const segments = task.segments ?? [task.partition, task.offset, task.count];
                for (let s = 0, i = 0; s < segments.length; s += 3) {
                  for (let k = 0; k < segments[s + 2]!; k++, i++) {
                    if (refused.has(i)) continue;
                    const key = `${segments[s]}/${segments[s + 1]! + k}`;
                    analysed.set(key, (analysed.get(key) ?? 0) + 1);
                  }
                }
                analysedTicks += result.ticks;
                return result;
              }),
            {
              frameDone: () => {},
              frameFailed: (_p, offset, error) => {
                throw new Error(`a worker failed on offset ${offset}: ${String(error)}`);
              },
              deadLetter: (r) => {
                const key = `${r.partition}/${r.offset}`;
                deadLettered.set(key, (deadLettered.get(key) ?? 0) + 1);
              },
              offsetGap: () => {
                throw new Error('no offset was skipped');
              },
              pause: () => {
                paused = true;
              },
              resume: () => {
                paused = false;
                wake?.();
              },
              commit: (partition, next) => commits.set(partition, next),
            },
            () => 1.7e15,
            8,
            3,
            4,
            Number.POSITIVE_INFINITY,
            taskGroups,
          );
          // The consumer: fetches up to `fetchSize` records of one partition at a time, waits while paused.
          const nextOffset = [0, 0, 0];
          const byPartition: ConsumedRecord[][] = [[], [], []];
          const expected = new Map<string, Expect>();
          let expectedTicks = 0;
          for (const {
            partition,
            input: { value, expect: e },
          } of records) {
            const offset = nextOffset[partition]!++;
            byPartition[partition]!.push({ partition, offset, value });
            expected.set(`${partition}/${offset}`, e);
          }
          const cursor = [0, 0, 0];
          while (cursor.some((c, p) => c < byPartition[p]!.length)) {
            if (paused) {
              // A pause with nothing in flight could never end: that is the stall.
              expect(dispatcher.idle && dispatcher.framesInFlight === 0 && dispatcher.queuedFrames === 0).toBe(false);
              await new Promise<void>((resolve) => {
                wake = resolve;
                void dispatcher.whenIdle().then(resolve);
              });
              wake = null;
              expect(paused).toBe(false);
              continue;
            }
            for (let p = 0; p < 3; p++) {
              const batch = byPartition[p]!.slice(cursor[p], cursor[p]! + fetchSize);
              if (batch.length === 0) continue;
              cursor[p]! += batch.length;
              expect(() => dispatcher.push(p, batch)).not.toThrow();
              if (paused) break;
            }
          }
          await dispatcher.whenIdle();
          dispatcher.commitFinished();
          expect(paused).toBe(false);
          for (let p = 0; p < 3; p++) if (nextOffset[p]! > 0) expect(commits.get(p)).toBe(nextOffset[p]);
          for (const [key, e] of expected) {
            const a = analysed.get(key) ?? 0;
            const d = deadLettered.get(key) ?? 0;
            expect(a + d, key).toBe(1);
            if (e === 'analysed') expect(a, key).toBe(1);
            if (e === 'dead-letter') expect(d, key).toBe(1);
            if (a === 1) {
              const [p, o] = key.split('/').map(Number);
              expectedTicks += new FrameReader().reset(byPartition[p!]![o!]!.value).tickCount;
            }
          }
          expect(analysedTicks).toBe(expectedTicks);
        },
      ),
      { numRuns: 40 },
    );
    expect(workerErrors).toEqual([]);
  });

  it('a frame with a NaN timestamp or a foreign tick source leaves no trace in the ledger', async () => {
    const ledger = new DeliveryLedger(ledgerShared);
    const base = 1_900_000; // seqs no other test here uses
    const before = ledger.countSeen(3, base + 10);
    const nan = frame(
      3,
      () => 3,
      base,
      4,
      (i) => (i === 2 ? Number.NaN : 1.7e15),
    );
    // Source 2's frame claiming to carry source 3's ticks.
    const foreign = frame(
      2,
      () => 3,
      base + 4,
      4,
      () => 1.7e15,
    );
    for (let attempt = 0; attempt < 3; attempt++) {
      const packed = packFrames([nan, foreign], [1.7e15, 1.7e15]);
      const result = await pool.run({ packed, count: 2, partition: 0, offset: 0 }, [packed]);
      expect(result.ticks).toBe(0);
      expect(result.rejected).toEqual([
        { index: 0, problem: 'bad-timestamp' },
        { index: 1, problem: 'source-mismatch' },
      ]);
    }
    expect(ledger.countSeen(3, base + 10)).toBe(before);
  });
});

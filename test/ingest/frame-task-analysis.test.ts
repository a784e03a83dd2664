import { beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsState } from '../../analytics/analytics-state.js';
import { FrameAnalyzer } from '../../analytics/frame-analyzer.js';
import { FrameTaskAnalysis } from '../../ingest/frame-task-analysis.js';
import { createDeliveryLedger, DeliveryLedger } from '../../metrics/delivery-ledger.js';
import { decodeHistogram, initHistograms } from '../../metrics/latency-histogram.js';
import { packFrames } from '../../wire/frame-pack.js';
import { FrameWriter } from '../../wire/tick-frame.js';

/** A frame of the given seqs (source 0), sent at 1,000 µs, produced at 1,100. */
function frame(seqs: number[]): Buffer {
  const writer = new FrameWriter(Math.max(1, seqs.length));
  for (const seq of seqs) writer.append(seq, 0, seq % 3, seq % 7, 0, 1000, 100, 100.02, 1, 1);
  return writer.finish(0, 0, 1100);
}

describe('frame task analysis (an analytics worker’s tasks, in-process)', () => {
  beforeAll(async () => {
    await initHistograms();
  });

  it('counts every tick once per partition, duplicates within a task and across tasks, and latencies by tick', () => {
    const ledgerShared = createDeliveryLedger(1, 1000);
    let now = 2000;
    const analysis = new FrameTaskAnalysis(
      new FrameAnalyzer(createAnalyticsState({ instruments: 10, venues: 3 }), {}),
      new DeliveryLedger(ledgerShared),
      null,
      () => (now += 5),
    );
    // Partition 1: seqs 0-39 one per frame, 40 twice (a duplicate inside the task); partition 2: a 3-tick frame.
    const p1 = [...Array.from({ length: 41 }, (_, s) => frame([s])), frame([40])];
    const p2 = [frame([100, 101, 102])];
    // Each partition's frames in a buffer of their own, as a task group's task carries them.
    const first = analysis.run({
      packed: packFrames(
        p1,
        p1.map(() => 1500),
      ),
      more: [packFrames(p2, [1500])],
      count: p1.length + p2.length,
      partition: 1,
      offset: 0,
      segments: [1, 0, p1.length, 2, 0, p2.length],
    });
    expect(first).toMatchObject({ ticks: 45, problem: null, segmentTicks: [42, 3] });
    // The ledger holds the task's ticks as soon as its result is out.
    expect(new DeliveryLedger(ledgerShared).countSeen(0, 1000)).toBe(44);
    // A redelivered frame (seqs 5, 6) in a later task: two more duplicates.
    const again = [frame([5, 6])];
    expect(analysis.run({ packed: packFrames(again, [1500]), count: 1, partition: 1, offset: 41 })).toMatchObject({ ticks: 2 });

    const m = analysis.takeMeasurements();
    expect(m.duplicates).toBe(3);
    expect(m.unchecked).toBe(0);
    const byPartition = new Map(m.e2eByPartition.map((p) => [p.partition, p]));
    expect(byPartition.get(1)!.ticks).toBe(44);
    expect(byPartition.get(2)!.ticks).toBe(3);
    expect(decodeHistogram(byPartition.get(1)!.histogram).totalCount).toBe(44);
    // Stages count ticks: transport = received - produced = 400 µs for all 47.
    const transport = decodeHistogram(m.stages.transport);
    expect(transport.totalCount).toBe(47);
    expect(transport.maxValue).toBe(400);
    expect(decodeHistogram(m.stages.schedule).maxValue).toBe(100);
    // End-to-end is from the send time to the frame's analysis end, later than its queue wait.
    expect(decodeHistogram(byPartition.get(1)!.histogram).minNonZeroValue).toBeGreaterThan(1000);

    // Taken: nothing left until new work.
    const empty = analysis.takeMeasurements();
    expect(empty.e2eByPartition).toEqual([]);
    expect(empty.stages).toEqual({ schedule: '', transport: '', queue: '', analytics: '' });
    expect(empty.duplicates).toBe(0);
  });

  it('refuses a frame with a foreign tick before it touches the ledger or a histogram', () => {
    const ledgerShared = createDeliveryLedger(2, 100);
    const analysis = new FrameTaskAnalysis(
      new FrameAnalyzer(createAnalyticsState({ instruments: 10, venues: 3 }), {}),
      new DeliveryLedger(ledgerShared),
      null,
    );
    const writer = new FrameWriter(2);
    writer.append(7, 0, 0, 0, 0, 1000, 100, 100.02, 1, 1);
    writer.append(8, 1, 0, 0, 0, 1000, 100, 100.02, 1, 1);
    const foreign = writer.finish(0, 0, 1100);
    const values = [frame([1]), foreign, frame([2])];
    const result = analysis.run({ packed: packFrames(values, [0, 0, 0]), count: 3, partition: 0, offset: 0 });
    expect(result.ticks).toBe(2);
    expect(result.rejected).toEqual([{ index: 1, problem: 'source-mismatch' }]);
    expect(new DeliveryLedger(ledgerShared).countSeen(0, 100)).toBe(2);
    expect(new DeliveryLedger(ledgerShared).countSeen(1, 100)).toBe(0);
    expect(decodeHistogram(analysis.takeMeasurements().stages.transport).totalCount).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import { createAnalyticsState } from '../../analytics/analytics-state.js';
import { FrameAnalyzer } from '../../analytics/frame-analyzer.js';
import { createDeliveryLedger, DeliveryLedger } from '../../metrics/delivery-ledger.js';
import { FrameTaskAnalysis } from '../../ingest/frame-task-analysis.js';
import { groupTask } from '../../ingest/jit-warmup.js';
import { FrameWriter } from '../../wire/tick-frame.js';

function oneTickFrames(count: number): Buffer[] {
  const writer = new FrameWriter(1);
  return Array.from({ length: count }, (_, i) => {
    writer.append(i, 0, i % 5, i % 10, 0, 1_000 + i, 100, 100.02, 1, 1);
    return writer.finish(0, i % 10, 2_000 + i);
  });
}

describe('worker JIT warm-up', () => {
  it.each([256, 7, 1])('builds a task group task of %i one-tick frames that the task path analyses whole, run by run', (count) => {
    const task = groupTask(oneTickFrames(count));
    expect(task.packed).toBeInstanceOf(SharedArrayBuffer);
    const runs = task.segments!.length / 3;
    expect(1 + (task.more?.length ?? 0)).toBe(runs);
    const analysis = new FrameTaskAnalysis(
      new FrameAnalyzer(createAnalyticsState({ instruments: 10, venues: 5 }), {}),
      new DeliveryLedger(createDeliveryLedger(1, count + 1)),
      null,
    );
    const result = analysis.run(task);
    expect(result.rejected).toBeUndefined();
    expect(result.ticks).toBe(count);
    expect(result.segmentTicks).toEqual(Array.from({ length: runs }, (_, r) => task.segments![r * 3 + 2]));
  });
});

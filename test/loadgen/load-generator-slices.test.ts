import { describe, expect, it } from 'vitest';
import type { FrameProducer, OutgoingFrame } from '../../kafka/client.js';
import { LoadGenerator } from '../../loadgen/load-generator.js';

/**
 * Frames close and are sent inside a slice, before the generator's count moves on: the distinct
 * counts seen by `send` are the slices' starts, and their differences the slices' sizes.
 */
class SliceRecorder implements FrameProducer {
  readonly starts: number[] = [];
  constructor(private readonly generator: () => LoadGenerator) {}
  async connect(): Promise<void> {}
  get pending(): number {
    return 0;
  }
  send(_frame: OutgoingFrame): boolean {
    const at = this.generator().generated;
    if (this.starts.at(-1) !== at) this.starts.push(at);
    return true;
  }
  async flush(): Promise<void> {}
  async disconnect(): Promise<void> {}
}

describe('slice size follows how far behind the generator is', () => {
  it('after a stall it takes big slices, and short ones as it nears its schedule', async () => {
    const ticks = 100_000;
    // The whole schedule (1 s at 100k/s) is due at the first step: a generator one second behind.
    let started = false;
    const generator = new LoadGenerator({
      partitions: 8,
      ratePerSec: 100_000,
      ticks,
      instruments: 100,
      venues: 2,
      seed: 1,
      source: 1,
      ticksPerRecord: 16,
      lingerUs: 10_000_000,
      flushWhenIdle: false,
      clock: () => (started ? 1_000_001 : 0),
    });
    started = true;
    const producer = new SliceRecorder(() => generator);
    await generator.run(producer, 0);
    const sizes = producer.starts.slice(1).map((s, i) => s - producer.starts[i]!);
    sizes.push(ticks - producer.starts.at(-1)!);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(ticks);
    // Far behind: the old share, 16,384 ticks per turn.
    expect(sizes[0]).toBe(16_384);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(16_384);
    // Never larger than the one before: the backlog only shrinks here.
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeLessThanOrEqual(sizes[i - 1]!);
    // Near the schedule (under 4,096 due), slices of 2,048 at most: short holds of the thread.
    const remainingBefore = sizes.map((_, i) => ticks - sizes.slice(0, i).reduce((a, b) => a + b, 0));
    sizes.forEach((size, i) => {
      if (remainingBefore[i]! < 4_096) expect(size).toBeLessThanOrEqual(2_048);
    });
    expect(sizes).toContain(2_048);
  });
});

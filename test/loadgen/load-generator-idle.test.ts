import { describe, expect, it } from 'vitest';
import type { FrameProducer, OutgoingFrame } from '../../kafka/client.js';
import { LoadGenerator } from '../../loadgen/load-generator.js';
import { nowUs } from '../../wire/clock.js';

/** A producer that acknowledges each frame at once (always idle), or never (always busy). */
class FakeProducer implements FrameProducer {
  readonly frameTicks: number[] = [];
  private inFlight = 0;
  private offset = 0;
  constructor(
    private readonly acksAtOnce: boolean,
    private readonly generator: () => LoadGenerator,
  ) {}
  async connect(): Promise<void> {}
  get pending(): number {
    return this.inFlight;
  }
  send(frame: OutgoingFrame): boolean {
    this.frameTicks.push(frame.tickCount);
    if (this.acksAtOnce) this.generator().callbacks.delivered(frame, this.offset++);
    else this.inFlight++;
    return true;
  }
  async flush(): Promise<void> {}
  async disconnect(): Promise<void> {}
}

// 300 ticks over 0.3 s into 2 key groups, frames of up to 64 ticks and a 10 s linger: only the
// idle rule (or the end of the run) can close a frame before it is full.
async function run(flushWhenIdle: boolean, acksAtOnce: boolean): Promise<{ frames: number[]; acked: number }> {
  const generator = new LoadGenerator({
    partitions: 2,
    ratePerSec: 1_000,
    ticks: 300,
    instruments: 4,
    venues: 2,
    seed: 1,
    source: 1,
    ticksPerRecord: 64,
    lingerUs: 10_000_000,
    flushWhenIdle,
    clock: nowUs,
  });
  const producer = new FakeProducer(acksAtOnce, () => generator);
  await generator.run(producer, 0);
  expect(producer.frameTicks.reduce((a, b) => a + b, 0)).toBe(300);
  return { frames: producer.frameTicks, acked: generator.produceStats.acked };
}

describe('batching only while there is a queue (flushWhenIdle)', () => {
  it('an idle producer gets the open frames at once, long before they fill or linger', async () => {
    const { frames, acked } = await run(true, true);
    expect(acked).toBe(300);
    // Full frames alone would be ⌈300 / 64⌉ + 2 at most; the idle rule sent many small ones.
    expect(frames.length).toBeGreaterThan(8);
    expect(Math.min(...frames)).toBeLessThan(64);
  });

  it('while frames are in flight, ticks keep batching: frames close only when full or at the end', async () => {
    const { frames } = await run(true, false);
    // The first slice finds the producer idle (one partial frame per group); after that nothing is
    // acknowledged, so the only other partial frames are the two flushed at the end.
    expect(frames.filter((t) => t < 64).length).toBeLessThanOrEqual(4);
    expect(frames.length).toBeLessThanOrEqual(Math.ceil(300 / 64) + 4);
  });

  it('off, frames wait for size or linger even with an idle producer', async () => {
    const { frames } = await run(false, true);
    expect(frames.filter((t) => t < 64).length).toBeLessThanOrEqual(2);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { FrameProducer, OutgoingFrame } from '../../kafka/client.js';
import { ThreadedLoadGenerator } from '../../loadgen/generator-thread.js';
import { initHistograms } from '../../metrics/latency-histogram.js';
import { nowUs } from '../../wire/clock.js';
import { FrameReader } from '../../wire/tick-frame.js';

/**
 * A producer that refuses the first `refusals` sends (a full client queue) and acknowledges every
 * frame it takes after `ackAfterMs` (0: on the next turn of the event loop).
 */
class FakeProducer implements FrameProducer {
  readonly frames: OutgoingFrame[] = [];
  private inFlight = 0;
  private offset = 0;
  refused = 0;
  constructor(
    private readonly generator: () => ThreadedLoadGenerator,
    private refusals: number,
    private readonly ackAfterMs: number,
  ) {}
  async connect(): Promise<void> {}
  get pending(): number {
    return this.inFlight;
  }
  send(frame: OutgoingFrame): boolean {
    if (this.refusals > 0) {
      this.refusals--;
      this.refused++;
      return false;
    }
    this.frames.push(frame);
    this.inFlight++;
    setTimeout(() => {
      this.inFlight--;
      this.generator().callbacks.delivered(frame, this.offset++);
    }, this.ackAfterMs);
    return true;
  }
  async flush(): Promise<void> {
    while (this.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  async disconnect(): Promise<void> {}
}

let generator: ThreadedLoadGenerator | null = null;
afterEach(async () => {
  await generator?.destroy();
  generator = null;
});

// 2,000 ticks over 0.2 s into 4 key groups, frames of up to 64 ticks and a 10 s linger: only the
// idle rule (or the end of the run) can close a frame before it is full.
async function run(refusals: number, ackAfterMs: number): Promise<{ producer: FakeProducer; generator: ThreadedLoadGenerator }> {
  await initHistograms();
  const g = await ThreadedLoadGenerator.start({
    partitions: 4,
    ratePerSec: 10_000,
    ticks: 2_000,
    instruments: 8,
    venues: 2,
    seed: 3,
    source: 1,
    ticksPerRecord: 64,
    lingerUs: 10_000_000,
    flushWhenIdle: true,
    clock: nowUs,
    market: 'simple',
  });
  generator = g;
  const producer = new FakeProducer(() => g, refusals, ackAfterMs);
  await g.run(producer);
  return { producer, generator: g };
}

describe('the generator thread and the main thread that produces its frames', () => {
  it('hands every frame over whole and in order, counting each tick produced and acknowledged', async () => {
    const { producer, generator } = await run(0, 0);
    const reader = new FrameReader();
    let ticks = 0;
    const lastSeqByGroup = new Map<number, number>();
    for (const frame of producer.frames) {
      reader.reset(frame.value);
      expect(reader.tickCount).toBe(frame.tickCount);
      expect(frame.partition).toBe(reader.keyGroup % 4);
      expect(frame.key.toString()).toBe(String(reader.keyGroup));
      expect(frame.producedAtUs).toBeGreaterThanOrEqual(generator.produceStats.startUs);
      // Seqs rise within a key group's frames: no frame overtook another.
      const first = reader.seq(0);
      expect(first).toBeGreaterThan(lastSeqByGroup.get(reader.keyGroup) ?? -1);
      lastSeqByGroup.set(reader.keyGroup, reader.seq(reader.tickCount - 1));
      ticks += frame.tickCount;
    }
    expect(ticks).toBe(2_000);
    expect(generator.generated).toBe(2_000);
    expect(generator.produceStats.produced).toBe(2_000);
    expect(generator.produceStats.acked).toBe(2_000);
    expect(generator.produceStats.framesAcked).toBe(producer.frames.length);
  });

  it('frames the client refused wait and go out in order once it takes them again; none is lost', async () => {
    const { producer, generator } = await run(25, 0);
    expect(producer.refused).toBe(25);
    expect(producer.frames.reduce((n, f) => n + f.tickCount, 0)).toBe(2_000);
    expect(generator.produceStats.produced).toBe(2_000);
    expect(generator.produceStats.acked).toBe(2_000);
  });

  it('acknowledgements reach the thread without a polling timer: an idle client gets frames long before they fill', async () => {
    // Acknowledged on the next event-loop turn, the client is idle between slices: were its
    // in-flight count (the thread's idle test) left stale, frames would wait to fill (64 ticks).
    const { producer } = await run(0, 0);
    const partial = producer.frames.filter((f) => f.tickCount < 64).length;
    // Left stale, 7 frames of 2,000 ticks were partial (those the first slice and the end close);
    // kept current, more than 200 (a slice takes about 10 ticks).
    expect(partial).toBeGreaterThan(40);
  });
});

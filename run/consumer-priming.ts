import type { FrameProducer } from '../kafka/client.js';
import type { IngestSession } from '../ingest/ingest-session.js';
import type { ClockUs } from '../wire/clock.js';
import { FrameWriter } from '../wire/tick-frame.js';

/**
 * Before the schedule starts, sends one empty frame (no ticks) to every partition and waits until
 * the consumer has read each. A consumer group that just got its assignment still has to look up
 * offsets and start its fetchers; without this, the first second of ticks would wait on that
 * start-up and read as pipeline latency. Empty frames carry no ticks, so no count changes.
 */
export async function primeConsumers(
  producer: FrameProducer,
  session: IngestSession,
  partitions: number,
  clock: ClockUs,
  timeoutMs = 15_000,
): Promise<boolean> {
  const writer = new FrameWriter(1);
  const key = Buffer.from('prime');
  for (let partition = 0; partition < partitions; partition++) {
    const value = writer.finish(0, partition, clock());
    while (!producer.send({ partition, key, value, tickCount: 0, producedAtUs: clock() })) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  const deadline = Date.now() + timeoutMs;
  const allRead = (): boolean => {
    for (let p = 0; p < partitions; p++) if (session.nextOffset(p) < 1) return false;
    return true;
  };
  while (!allRead()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  await session.drain(() => true, timeoutMs / 1000);
  return true;
}

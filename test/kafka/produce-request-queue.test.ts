import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProduceRequestQueue, type BaseOffsets } from '../../kafka/produce-request-queue.js';
import type { OutgoingFrame } from '../../kafka/client.js';

interface Pending {
  batch: readonly OutgoingFrame[];
  resolve: (offsets: BaseOffsets) => void;
}

const frame = (partition: number, id: number, bytes: number): OutgoingFrame => ({
  partition,
  key: Buffer.alloc(0),
  value: Buffer.alloc(bytes),
  tickCount: id, // the frame's identity in this test
  producedAtUs: 0,
});

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ProduceRequestQueue', () => {
  // Kafka keeps a partition's order only for the order its requests arrive in, and a client
  // with several requests in flight may deliver them out of call order.
  it('keeps one request in flight per partition and each partition in send order, whatever order requests complete in', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ partition: fc.integer({ min: 0, max: 3 }), bytes: fc.integer({ min: 1, max: 700_000 }) }), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
        async (specs, picks) => {
          const inFlight: Pending[] = [];
          const sentOrder = new Map<number, number[]>();
          const deliveredIds: number[] = [];
          let overlap = false;
          let sendsInFlight = 0;
          let maxInFlight = 0;
          const queue = new ProduceRequestQueue(
            1_000,
            { delivered: (f) => deliveredIds.push(f.tickCount), failed: () => undefined },
            (batch) => {
              const partitions = new Set(batch.map((f) => f.partition));
              for (const p of inFlight.flatMap((r) => r.batch.map((f) => f.partition))) if (partitions.has(p)) overlap = true;
              for (const f of batch) sentOrder.set(f.partition, [...(sentOrder.get(f.partition) ?? []), f.tickCount]);
              sendsInFlight++;
              maxInFlight = Math.max(maxInFlight, sendsInFlight);
              return new Promise<BaseOffsets>((resolve) =>
                inFlight.push({
                  batch,
                  resolve: (o) => {
                    sendsInFlight--;
                    resolve(o);
                  },
                }),
              );
            },
            () => false,
          );
          specs.forEach((s, id) => expect(queue.send(frame(s.partition, id, s.bytes))).toBe(true));
          await turn();
          let pick = 0;
          while (inFlight.length > 0) {
            const [request] = inFlight.splice(picks[pick++ % picks.length]! % inFlight.length, 1);
            request!.resolve([]);
            await turn();
          }
          expect(overlap).toBe(false);
          expect(queue.pending).toBe(0);
          expect(deliveredIds.sort((a, b) => a - b)).toEqual(specs.map((_, id) => id));
          for (const [partition, ids] of sentOrder) {
            const expected = specs.flatMap((s, id) => (s.partition === partition ? [id] : []));
            expect(ids).toEqual(expected);
          }
          expect(maxInFlight).toBeLessThanOrEqual(4);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('overlaps requests for different partitions', async () => {
    const batches: number[][] = [];
    const queue = new ProduceRequestQueue(
      100,
      { delivered: () => undefined, failed: () => undefined },
      (batch) => {
        batches.push(batch.map((f) => f.partition));
        return new Promise<BaseOffsets>(() => undefined);
      },
      () => false,
    );
    queue.send(frame(0, 0, 10));
    await turn();
    queue.send(frame(0, 1, 10));
    queue.send(frame(1, 2, 10));
    await turn();
    // Partition 0's second frame waits for its first request; partition 1 goes at once.
    expect(batches).toEqual([[0], [1]]);
  });
});

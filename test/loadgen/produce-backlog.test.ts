import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OutgoingFrame } from '../../kafka/client.js';
import { ProduceBacklog } from '../../loadgen/produce-backlog.js';

const frame = (n: number): OutgoingFrame => ({
  partition: 0,
  key: Buffer.from('0'),
  value: Buffer.alloc(0),
  tickCount: n,
  producedAtUs: n,
});

describe('ProduceBacklog', () => {
  it('hands every frame to the producer once, in the order offered, whatever the producer refuses', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 200 }), (pattern) => {
        const accepts = [...pattern];
        let call = 0;
        const taken: number[] = [];
        const sent: number[] = [];
        const producer = {
          send: (f: OutgoingFrame): boolean => {
            const ok = accepts[call++ % accepts.length]!;
            if (ok) taken.push(f.tickCount);
            return ok;
          },
        };
        const backlog = new ProduceBacklog(
          () => producer,
          (f) => sent.push(f.tickCount),
        );
        for (let n = 1; n <= 50; n++) {
          backlog.offer(frame(n));
          if (n % 7 === 0) backlog.drain();
        }
        // A producer that takes something sooner or later: drain until empty.
        accepts.push(true);
        while (!backlog.drain());
        expect(backlog.empty).toBe(true);
        expect(taken).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
        expect(sent).toEqual(taken);
      }),
    );
  });
});

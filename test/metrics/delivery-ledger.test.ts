import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countBits, createDeliveryLedger, DeliveryLedger, LedgerMarker, MarkResult } from '../../metrics/delivery-ledger.js';

describe('delivery ledger', () => {
  it('counts distinct, duplicate and missing ticks exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 999 }), { maxLength: 3000 }), (seqs) => {
        const ledger = new DeliveryLedger(createDeliveryLedger(2, 1000));
        let duplicates = 0;
        for (const seq of seqs) if (ledger.mark(1, seq) === MarkResult.Duplicate) duplicates++;
        const distinct = new Set(seqs);
        expect(duplicates).toBe(seqs.length - distinct.size);
        expect(ledger.countSeen(1, 1000)).toBe(distinct.size);
        expect(ledger.countSeen(0, 1000)).toBe(0);
        const upTo = 517;
        expect(ledger.countSeen(1, upTo)).toBe([...distinct].filter((s) => s < upTo).length);
        const missing = ledger.missingRanges(1, 1000, 10_000).reduce((n, [a, b]) => n + b - a, 0);
        expect(missing).toBe(1000 - distinct.size);
      }),
    );
  });

  it('reports ticks beyond its capacity as unchecked rather than guessing', () => {
    const ledger = new DeliveryLedger(createDeliveryLedger(1, 64));
    expect(ledger.mark(0, 64)).toBe(MarkResult.Unchecked);
    expect(ledger.mark(5, 1)).toBe(MarkResult.Unchecked);
    expect(ledger.mark(0, 63)).toBe(MarkResult.First);
  });

  it('counts bits with limits at and beyond 2^32 without wrapping (issue 12)', () => {
    const bits = new Uint8Array([0xff, 0x0f]);
    // `limit >>> 3` is 0 for a limit of 2^32: every bit was missed.
    expect(countBits(bits, 2 ** 32)).toBe(12);
    expect(countBits(bits, 2 ** 32 + 3)).toBe(12);
    expect(countBits(bits, 12)).toBe(12);
  });

  it('refuses a ledger whose seqs would wrap 32 bits or that would not fit, and never marks a seq it cannot hold', () => {
    expect(() => createDeliveryLedger(1, 2 ** 32 + 1)).toThrow(RangeError);
    expect(() => createDeliveryLedger(64, 2 ** 32)).toThrow(RangeError);
    const ledger = new DeliveryLedger(createDeliveryLedger(1, 64));
    expect(ledger.mark(0, Number.NaN)).toBe(MarkResult.Unchecked);
    expect(ledger.mark(0, -1)).toBe(MarkResult.Unchecked);
  });

  it('is shared across threads through its SharedArrayBuffer', () => {
    const shared = createDeliveryLedger(1, 100);
    const a = new DeliveryLedger(shared);
    const b = new DeliveryLedger(structuredClone(shared));
    a.mark(0, 42);
    expect(b.mark(0, 42)).toBe(MarkResult.Duplicate);
  });

  it('marks a word at a time with the counts and bits that marking one by one gives', () => {
    const mark = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.oneof(fc.integer({ min: -2, max: 200 }), fc.constant(Number.NaN)));
    fc.assert(
      fc.property(fc.array(fc.array(mark, { maxLength: 80 }), { maxLength: 8 }), (tasks) => {
        // Sources 0-2 exist (3 does not), seqs 0-127 are checked: the rest count as unchecked.
        const one = new DeliveryLedger(createDeliveryLedger(3, 128));
        const shared = createDeliveryLedger(3, 128);
        const marker = new LedgerMarker(new DeliveryLedger(shared));
        let duplicates = 0;
        let unchecked = 0;
        for (const task of tasks) {
          for (const [source, seq] of task) {
            const result = one.mark(source, seq);
            if (result === MarkResult.Duplicate) duplicates++;
            else if (result === MarkResult.Unchecked) unchecked++;
            marker.mark(source, seq);
          }
          marker.flush();
          // After each flush the ledger holds every mark so far.
          expect(new DeliveryLedger(shared).serialize()).toEqual(one.serialize());
        }
        expect(marker.duplicates).toBe(duplicates);
        expect(marker.unchecked).toBe(unchecked);
      }),
    );
  });
});

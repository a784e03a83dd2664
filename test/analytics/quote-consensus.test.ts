import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAnalyticsState } from '../../analytics/analytics-state.js';
import { QuoteConsensus, VenueClass } from '../../analytics/quote-consensus.js';

/**
 * Per venue, what the reference remembers between classifications: its steady run (quotes within
 * its spread of one another, counted from 1 as runs begin) and the side and run of a departure
 * found (side 0: none).
 */
interface VenueMemory {
  low: number;
  high: number;
  run: number;
  side: number;
  departedRun: number;
}

function remember(memory: VenueMemory, mid: number, spread: number): void {
  const low = mid < memory.low ? mid : memory.low;
  const high = mid > memory.high ? mid : memory.high;
  if (high - low <= spread) {
    memory.low = low;
    memory.high = high;
  } else {
    memory.low = mid;
    memory.high = mid;
    memory.run++;
  }
}

/** The classification from plain arrays of every venue's quotes as sent (see QuoteConsensus); updates `memory` as classify does. */
function reference(history: number[][][], memory: VenueMemory[]): { classes: number[]; movers: number } {
  const latest = history.map((h) => h[h.length - 1]);
  const mids = (q: number[] | undefined): number => (q && q[0]! > 0 && q[1]! >= q[0]! && q[1]! < Infinity ? (q[0]! + q[1]!) / 2 : NaN);
  const spreads = (q: number[] | undefined): number => (Number.isNaN(mids(q)) ? NaN : q![1]! - q![0]!);
  const median = (x: number[]): number => {
    const s = [...x].sort((a, b) => a - b);
    const h = s.length >> 1;
    return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
  };
  const quoted = latest.map(mids).filter((m) => !Number.isNaN(m));
  const movers = history.filter((h) => {
    const move = mids(h[h.length - 2]) - mids(h[h.length - 3]);
    return Math.abs(move) > spreads(h[h.length - 1]);
  }).length;
  if (quoted.length < 3) return { classes: history.map(() => VenueClass.None), movers };
  const c = median(quoted);
  const s = median(latest.map(spreads).filter((x) => !Number.isNaN(x)));
  const classes = history.map((h) => {
    const [m1, m2, m3] = [mids(h[h.length - 1]), mids(h[h.length - 2]), mids(h[h.length - 3])];
    if (Number.isNaN(m1)) return VenueClass.None;
    const moved = m2 - m3;
    const resent = Math.abs(m1 - m2) <= s && Math.abs(moved) > spreads(h[h.length - 1]);
    // A departure found before holds while the venue quotes on in its run, off on the same side.
    const mem = memory[history.indexOf(h)]!;
    const stays = mem.side !== 0 && mem.departedRun === mem.run;
    if (Math.abs(m1 - c) <= s) return VenueClass.Consistent;
    if (m1 - c > s && ((m2 - c > s && moved > s && resent) || (stays && mem.side > 0))) return VenueClass.DepartedUp;
    if (c - m1 > s && ((c - m2 > s && -moved > s && resent) || (stays && mem.side < 0))) return VenueClass.DepartedDown;
    if (m1 === m2 && m2 === m3) return VenueClass.Stale;
    return VenueClass.Off;
  });
  classes.forEach((cls, v) => {
    const mem = memory[v]!;
    const stays = mem.side !== 0 && mem.departedRun === mem.run;
    const departed = cls === VenueClass.DepartedUp || cls === VenueClass.DepartedDown;
    if (departed && !stays) {
      mem.side = cls === VenueClass.DepartedUp ? 1 : -1;
      mem.departedRun = mem.run;
    } else if (!departed) mem.side = 0;
  });
  return { classes, movers };
}

describe('QuoteConsensus', () => {
  it('classifies every venue like a from-scratch check of the quotes it sent (departures held while their run lasts), and keeps its counts of movers and of held departures exact', () => {
    const seen = new Map<number, number>();
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 8 }),
        fc.array(
          fc.tuple(
            fc.nat(),
            // Two price levels 10 bp apart (venues jump between them: departures), and bad prices.
            fc.oneof(
              { weight: 10, arbitrary: fc.integer({ min: 9998, max: 10002 }).map((c) => c / 100) },
              { weight: 4, arbitrary: fc.integer({ min: 10008, max: 10012 }).map((c) => c / 100) },
              { weight: 1, arbitrary: fc.constantFrom(NaN, 0, -1) },
            ),
            fc.integer({ min: -1, max: 4 }).map((d) => d / 100),
            // Half the time the venue sends its previous quote again.
            fc.boolean(),
          ),
          { minLength: 1, maxLength: 200 },
        ),
        (venues, ops) => {
          const consensus = new QuoteConsensus(createAnalyticsState({ instruments: 2, venues }));
          const history: number[][][] = Array.from({ length: venues }, () => []);
          const memory: VenueMemory[] = Array.from({ length: venues }, () => ({ low: NaN, high: NaN, run: 0, side: 0, departedRun: 0 }));
          let t = 0;
          for (const [v0, newBid, newStep, again] of ops) {
            const v = v0 % venues;
            const last = history[v]![history[v]!.length - 1];
            const [bid, ask] = again && last ? last : [newBid, newBid + newStep];
            consensus.record(1, v, bid!, ask!, (t += 1000));
            history[v]!.push([bid!, ask!]);
            const valid = bid! > 0 && ask! >= bid! && ask! < Infinity;
            remember(memory[v]!, valid ? (bid! + ask!) / 2 : NaN, valid ? ask! - bid! : NaN);
            const want = reference(history, memory);
            consensus.classify(1);
            expect([...consensus.classes]).toEqual(want.classes);
            for (const c of want.classes) seen.set(c, (seen.get(c) ?? 0) + 1);
            const held = memory.some((mem) => mem.side !== 0 && mem.departedRun === mem.run);
            expect(consensus.holdsDeparture(1)).toBe(held);
            expect(consensus.mayHaveDeparted(1)).toBe(want.movers > 0 || held);
          }
          // The other instrument is untouched.
          expect(consensus.classify(0)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
    // Every class came up, the departed ones too.
    for (const c of Object.values(VenueClass)) expect(seen.get(c) ?? 0).toBeGreaterThan(0);
  });
});

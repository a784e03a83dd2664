import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAnalyticsState } from '../../analytics/analytics-state.js';
import { ONE_SPREAD, QuoteConsensus, VenueClass } from '../../analytics/quote-consensus.js';

/**
 * Per venue, what the reference remembers between classifications: the side of a departure found
 * (0: none) and the venue's latest mid (a move back by more than its spread ends the departure).
 */
interface VenueMemory {
  side: number;
  last: number;
}

function remember(memory: VenueMemory, mid: number, spread: number): void {
  const back = memory.side > 0 ? memory.last - mid : mid - memory.last;
  if (memory.side !== 0 && !(back <= spread)) memory.side = 0;
  memory.last = mid;
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
    // A move of at least its own spread (and of the consensus spread, below): on a tick grid a move of exactly one spread is one.
    const resent = Math.abs(m1 - m2) <= s && Math.abs(moved) > ONE_SPREAD * spreads(h[h.length - 1]);
    // A departure found before holds while the venue stays off on the same side and has not moved back.
    const mem = memory[history.indexOf(h)]!;
    const stays = mem.side !== 0;
    if (Math.abs(m1 - c) <= s) return VenueClass.Consistent;
    if (m1 - c > s && ((m2 - c > s && moved > ONE_SPREAD * s && resent) || (stays && mem.side > 0))) return VenueClass.DepartedUp;
    if (c - m1 > s && ((c - m2 > s && -moved > ONE_SPREAD * s && resent) || (stays && mem.side < 0))) return VenueClass.DepartedDown;
    if (m1 === m2 && m2 === m3) return VenueClass.Stale;
    return VenueClass.Off;
  });
  classes.forEach((cls, v) => {
    const mem = memory[v]!;
    const departed = cls === VenueClass.DepartedUp || cls === VenueClass.DepartedDown;
    if (departed) mem.side = cls === VenueClass.DepartedUp ? 1 : -1;
    else mem.side = 0;
  });
  return { classes, movers };
}

describe('QuoteConsensus', () => {
  it('classifies every venue like a from-scratch check of the quotes it sent (departures held until the venue moves back), and keeps its counts of movers and of held departures exact', () => {
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
          const memory: VenueMemory[] = Array.from({ length: venues }, () => ({ side: 0, last: NaN }));
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
            const held = memory.some((mem) => mem.side !== 0);
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

  it('on a whole-tick grid, a venue that moved by exactly one spread past the consensus and re-sent departs; one that moved less is Off', () => {
    const consensus = new QuoteConsensus(createAnalyticsState({ instruments: 1, venues: 4 }));
    // Every book 2 ticks wide: the consensus spread and the venue's own are both 2; others at mid 100.
    for (let v = 1; v < 4; v++) consensus.record(0, v, 99, 101, 1000 + v);
    const quote = (mid: number, us: number): number => {
      consensus.record(0, 0, mid - 1, mid + 1, us);
      consensus.classify(0);
      return consensus.classes[0]!;
    };
    expect(quote(101, 10_000)).toBe(VenueClass.Consistent);
    // Up 2 ticks (one spread) to 3 off, then the same book again: its own move (with `> S` it was Off).
    quote(103, 20_000);
    expect(quote(103, 30_000)).toBe(VenueClass.DepartedUp);
    expect(consensus.departedUs(0, 0)).toBe(20_000);
    // Back, then to 3 off by a 1-tick move from 2 off: less than a spread, no departure of its own.
    expect(quote(100, 40_000)).toBe(VenueClass.Consistent);
    quote(102, 50_000);
    quote(103, 60_000);
    expect(quote(103, 70_000)).toBe(VenueClass.Off);
  });

  it('a departed venue stays departed while its book rides the market off the consensus, and not after it moved back', () => {
    const consensus = new QuoteConsensus(createAnalyticsState({ instruments: 1, venues: 4 }));
    const others = (mid: number, us: number): void => {
      for (let v = 1; v < 4; v++) consensus.record(0, v, mid - 1, mid + 1, us + v);
    };
    const quote = (mid: number, us: number): number => {
      consensus.record(0, 0, mid - 0.5, mid + 0.5, us);
      consensus.classify(0);
      return consensus.classes[0]!;
    };
    others(100, 0);
    quote(100, 10_000);
    quote(105, 20_000);
    expect(quote(105, 30_000)).toBe(VenueClass.DepartedUp);
    // The market moves up 2 and the venue's book with it: a new steady run, the same departure.
    others(102, 40_000);
    expect(quote(107, 50_000)).toBe(VenueClass.DepartedUp);
    expect(consensus.departedUs(0, 0)).toBe(20_000);
    // Back with the others: over. A later single quote as far off is a bad tick's, not a departure.
    expect(quote(102, 60_000)).toBe(VenueClass.Consistent);
    expect(consensus.holdsDeparture(0)).toBe(false);
    expect(quote(107, 70_000)).toBe(VenueClass.Off);
  });

  it('a venue holding an up departure that departs down takes the new side and time (its next re-send stays departed)', () => {
    const consensus = new QuoteConsensus(createAnalyticsState({ instruments: 1, venues: 4 }));
    // Venues 1–3 quote 99 / 101 (consensus spread 2); venue 0 a 1-wide book.
    for (let v = 1; v < 4; v++) consensus.record(0, v, 99, 101, 1000 + v);
    const quote = (mid: number, spread: number, us: number, classify = true): number => {
      consensus.record(0, 0, mid - spread / 2, mid + spread / 2, us);
      if (!classify) return VenueClass.None;
      consensus.classify(0);
      return consensus.classes[0]!;
    };
    quote(100, 1, 10_000);
    quote(105, 1, 20_000);
    expect(quote(105, 1, 30_000)).toBe(VenueClass.DepartedUp);
    expect(consensus.departedUs(0, 0)).toBe(20_000);
    // Down past the consensus, first in a 10-wide book (8 back is within its spread: the up
    // departure is still held), then re-sent 1 wide, unclassified in between (classify runs on
    // few ticks): a departure down from 40 000 µs.
    quote(97, 10, 40_000, false);
    expect(quote(97, 1, 50_000)).toBe(VenueClass.DepartedDown);
    expect(consensus.departedUs(0, 0)).toBe(40_000);
    // Held on that side: its next re-send is still departed (with the up side kept it was Off).
    expect(quote(97, 1, 60_000)).toBe(VenueClass.DepartedDown);
    expect(consensus.departedUs(0, 0)).toBe(40_000);
    expect(consensus.holdsDeparture(0)).toBe(true);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SCORER_CELL_STRIDE, ScorerField, createAnalyticsState, scorerCellTable } from '../../analytics/analytics-state.js';
import { CrossFlag, CrossState, CrossedMarketDetector } from '../../analytics/crossed-market-detector.js';
import { HABIT_MIN_SAMPLES, VenueClass } from '../../analytics/quote-consensus.js';

/** O(venues²) answer from plain arrays: every ordered pair (bid venue u, ask venue w), u ≠ w. */
class BruteForceBook {
  private readonly bids: number[][];
  private readonly asks: number[][];
  private readonly sell: number[];
  private readonly buy: number[];

  constructor(
    instruments: number,
    private readonly venues: number,
    feesBps: readonly number[],
  ) {
    this.bids = Array.from({ length: instruments }, () => new Array<number>(venues).fill(NaN));
    this.asks = Array.from({ length: instruments }, () => new Array<number>(venues).fill(NaN));
    this.sell = Array.from({ length: venues }, (_, v) => 1 - (feesBps[v] ?? 0) * 1e-4);
    this.buy = Array.from({ length: venues }, (_, v) => 1 + (feesBps[v] ?? 0) * 1e-4);
  }

  set(instrument: number, venue: number, bid: number, ask: number): void {
    const valid = (p: number): number => (p > 0 && p < Infinity ? p : NaN);
    this.bids[instrument][venue] = valid(bid);
    this.asks[instrument][venue] = valid(ask);
  }

  private netBid(i: number, u: number): number {
    return this.bids[i][u] * this.sell[u];
  }
  private netAsk(i: number, w: number): number {
    return this.asks[i][w] * this.buy[w];
  }

  pairs(instrument: number): { crossed: number; locked: number } {
    let crossed = 0;
    let locked = 0;
    for (let u = 0; u < this.venues; u++) {
      for (let w = 0; w < this.venues; w++) {
        if (u === w) continue;
        if (this.netBid(instrument, u) > this.netAsk(instrument, w)) crossed++;
        else if (this.netBid(instrument, u) === this.netAsk(instrument, w)) locked++;
      }
    }
    return { crossed, locked };
  }

  /** Widest edge net of fees over ordered pairs, bps (NaN without two quotes). */
  crossBps(instrument: number): number {
    let best = NaN;
    for (let u = 0; u < this.venues; u++) {
      for (let w = 0; w < this.venues; w++) {
        if (u === w) continue;
        const edge = this.netBid(instrument, u) / this.netAsk(instrument, w) - 1;
        if (!Number.isNaN(edge) && (Number.isNaN(best) || edge > best)) best = edge;
      }
    }
    return best * 1e4;
  }

  state(instrument: number): CrossState {
    const { crossed, locked } = this.pairs(instrument);
    return crossed > 0 ? CrossState.Crossed : locked > 0 ? CrossState.Locked : CrossState.None;
  }

  /** How the given venue's quote relates to the other venues' quotes. */
  involvement(instrument: number, venue: number): number {
    let result = 0;
    for (let u = 0; u < this.venues; u++) {
      if (u === venue) continue;
      const out = this.netBid(instrument, venue) - this.netAsk(instrument, u);
      const inn = this.netBid(instrument, u) - this.netAsk(instrument, venue);
      if (out > 0 || inn > 0) return CrossFlag.Crossed;
      if (out === 0 || inn === 0) result = CrossFlag.Locked;
    }
    return result;
  }
}

// Prices on a coarse grid so that equal (locked) and crossed quotes are common.
const price = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 9990, max: 10010 }).map((c) => c / 100) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, 0, -1, Infinity) },
);

describe('CrossedMarketDetector', () => {
  it('agrees exactly with an O(venues²) check after every tick', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.constantFrom(0, 0, 1, 2.5, 10), { maxLength: 6 }),
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.nat(),
            price,
            fc.integer({ min: -3, max: 4 }).map((d) => d / 100),
          ),
          {
            minLength: 1,
            maxLength: 300,
          },
        ),
        (instruments, venues, fees, ops) => {
          const feesBps = fees.slice(0, venues);
          const detector = new CrossedMarketDetector(createAnalyticsState({ instruments, venues }), { venueFeesBps: feesBps });
          const book = new BruteForceBook(instruments, venues, feesBps);
          const wasCrossed = new Array<boolean>(instruments).fill(false);
          const wasLocked = new Array<boolean>(instruments).fill(false);
          for (const [i0, v0, bid, step] of ops) {
            const instrument = i0 % instruments;
            const venue = v0 % venues;
            const ask = bid + step; // may lock or cross the venue's own quote, or be invalid
            const flags = detector.onTick(instrument, venue, bid, ask);
            book.set(instrument, venue, bid, ask);

            for (let i = 0; i < instruments; i++) {
              expect(detector.crossState(i)).toBe(book.state(i));
              expect(detector.pairCounts(i)).toEqual(book.pairs(i));
              expect(detector.isCrossed(i)).toBe(book.state(i) === CrossState.Crossed);
              expect(detector.isLocked(i)).toBe(book.state(i) === CrossState.Locked);
            }
            expect(flags & (CrossFlag.Crossed | CrossFlag.Locked)).toBe(book.involvement(instrument, venue));
            const crossedNow = book.state(instrument) === CrossState.Crossed;
            expect((flags & CrossFlag.WindowOpened) !== 0).toBe(crossedNow && !wasCrossed[instrument]);
            expect((flags & CrossFlag.WindowClosed) !== 0).toBe(!crossedNow && wasCrossed[instrument]);
            const lockedNow = book.state(instrument) === CrossState.Locked;
            expect((flags & CrossFlag.LockOpened) !== 0).toBe(lockedNow && !wasLocked[instrument]);
            wasCrossed[instrument] = crossedNow;
            wasLocked[instrument] = lockedNow;
            const bps = detector.crossBps(instrument);
            const want = book.crossBps(instrument);
            if (Number.isNaN(want)) expect(bps).toBeNaN();
            else expect(bps).toBeCloseTo(want, 9);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('confirms a crossed window as tradeable once it has lasted arbitrageConfirmUs, once per window; a brief cross never', () => {
    const d = new CrossedMarketDetector(createAnalyticsState({ instruments: 1, venues: 3 }), {
      venueFeesBps: [0, 0, 0],
      arbitrageConfirmUs: 50_000,
    });
    const confirmed = (venue: number, bid: number, ask: number, t: number): boolean =>
      (d.onTick(0, venue, bid, ask, t) & CrossFlag.Confirmed) !== 0;
    expect(confirmed(0, 99.99, 100.01, 0)).toBe(false);
    expect(confirmed(1, 99.99, 100.01, 1_000)).toBe(false);
    // A lagging venue's old quote crosses for 30 ms, then catches up: a phantom, never confirmed.
    expect(confirmed(2, 100.03, 100.05, 10_000)).toBe(false);
    expect(confirmed(0, 99.99, 100.01, 30_000)).toBe(false);
    expect(confirmed(2, 99.99, 100.01, 40_000)).toBe(false);
    // A cross that stays: confirmed on the first tick of the instrument 50 ms after it opened, and only then.
    expect(confirmed(2, 100.03, 100.05, 100_000)).toBe(false);
    expect(confirmed(1, 99.99, 100.01, 149_999)).toBe(false);
    expect(confirmed(0, 99.99, 100.01, 150_000)).toBe(true);
    expect(confirmed(1, 99.99, 100.01, 200_000)).toBe(false);
    // Untimed ticks (no send time) never confirm.
    const untimed = new CrossedMarketDetector(createAnalyticsState({ instruments: 1, venues: 2 }), { venueFeesBps: [0, 0] });
    untimed.onTick(0, 0, 99.99, 100.01);
    expect(untimed.onTick(0, 1, 100.03, 100.05) & CrossFlag.Confirmed).toBe(0);
    expect(
      () => new CrossedMarketDetector(createAnalyticsState({ instruments: 1, venues: 2 }), { venueFeesBps: [], arbitrageConfirmUs: -1 }),
    ).toThrow(/arbitrageConfirmUs/);
  });

  it('nets fees out of a cross', () => {
    const state = createAnalyticsState({ instruments: 1, venues: 2 });
    const free = new CrossedMarketDetector(state, { venueFeesBps: [] });
    free.onTick(0, 1, 99.9, 100.0);
    expect(free.onTick(0, 0, 100.05, 100.1) & CrossFlag.Crossed).toBe(CrossFlag.Crossed);
    expect(free.isCrossed(0)).toBe(true);

    // 5 bps on each leg: 100.05·(1 − 0.0005) < 100.00·(1 + 0.0005), the 5 bp edge is eaten.
    const paid = new CrossedMarketDetector(createAnalyticsState({ instruments: 1, venues: 2 }), { venueFeesBps: [5, 5] });
    paid.onTick(0, 1, 99.9, 100.0);
    expect(paid.onTick(0, 0, 100.05, 100.1)).toBe(0);
    expect(paid.isCrossed(0)).toBe(false);
    // A wider edge survives the fees.
    expect(paid.onTick(0, 0, 100.2, 100.3) & CrossFlag.Crossed).toBe(CrossFlag.Crossed);
  });

  it('opens one window per crossed episode and reports locks separately', () => {
    const d = new CrossedMarketDetector(createAnalyticsState({ instruments: 1, venues: 3 }), { venueFeesBps: [] });
    expect(d.onTick(0, 0, 99, 100)).toBe(0);
    expect(d.onTick(0, 1, 100, 101)).toBe(CrossFlag.Locked | CrossFlag.LockOpened); // bid on 1 = ask on 0
    expect(d.isLocked(0)).toBe(true);
    expect(d.onTick(0, 2, 101.5, 102)).toBe(CrossFlag.Crossed | CrossFlag.WindowOpened);
    expect(d.onTick(0, 2, 101.2, 102)).toBe(CrossFlag.Crossed); // still crossed: same window
    expect(d.onTick(0, 2, 100.5, 102)).toBe(CrossFlag.Crossed);
    // Venue 2 clear, 1 still locked with 0: the window closes and the instrument is locked again.
    expect(d.onTick(0, 2, 99.5, 102)).toBe(CrossFlag.WindowClosed | CrossFlag.LockOpened);
    expect(d.isLocked(0)).toBe(true);
    expect(d.onTick(0, 0, NaN, NaN)).toBe(0); // quote withdrawn
    expect(d.crossState(0)).toBe(CrossState.None);
  });

  it('rejects impossible fees with the option name, and ignores entries past the venue count', () => {
    const state = createAnalyticsState({ instruments: 1, venues: 2 });
    expect(() => new CrossedMarketDetector(state, { venueFeesBps: [1, -1] })).toThrow(/venueFeesBps\[1\]/);
    expect(() => new CrossedMarketDetector(state, { venueFeesBps: [1, NaN] })).toThrow(/venueFeesBps\[1\]/);
    // A schedule for more venues (like the 64-entry default) applies its first entries.
    const d = new CrossedMarketDetector(state, { venueFeesBps: [5, 5, -3] });
    d.onTick(0, 1, 99.9, 100.0);
    expect(d.onTick(0, 0, 100.05, 100.1)).toBe(0);
  });
});

describe('CrossedMarketDetector, confirmation by re-quotes', () => {
  const config = { venueFeesBps: [], arbitrageConfirmUs: 50_000, arbitrageConfirmByRequote: true };

  it('never confirms a cross against a quote that is not sent again, however long it stays open', () => {
    const d = new CrossedMarketDetector(createAnalyticsState({ instruments: 1, venues: 3 }), config);
    d.onTick(0, 0, 100, 100.02, 0);
    d.onTick(0, 1, 100, 100.02, 1_000);
    d.onTick(0, 2, 100, 100.02, 2_000);
    // The market moves up; venue 1 quotes it, venue 0's old ask is stale and crossed.
    expect(d.onTick(0, 1, 100.05, 100.07, 10_000) & CrossFlag.WindowOpened).not.toBe(0);
    // Venues 1 and 2 keep re-quoting across venue 0's stale ask, long past 50 ms: still unconfirmed.
    for (let t = 20_000; t < 400_000; t += 20_000) {
      const flags = d.onTick(0, 1 + ((t / 20_000) % 2), 100.05, 100.07, t);
      expect(flags & CrossFlag.Confirmed).toBe(0);
    }
    // Venue 0 catches up: the phantom closes without ever being reported as tradeable.
    expect(d.onTick(0, 0, 100.05, 100.07, 400_000) & CrossFlag.WindowClosed).not.toBe(0);
  });

  it('confirms a cross once both of its sides have quoted again after it opened and it has lasted arbitrageConfirmUs', () => {
    const d = new CrossedMarketDetector(createAnalyticsState({ instruments: 1, venues: 3 }), config);
    d.onTick(0, 0, 100, 100.02, 0);
    d.onTick(0, 1, 100, 100.02, 1_000);
    // Venue 2's own book moves past the others'.
    expect(d.onTick(0, 2, 100.05, 100.07, 10_000) & CrossFlag.WindowOpened).not.toBe(0);
    expect(d.onTick(0, 2, 100.05, 100.07, 70_000) & CrossFlag.Confirmed).toBe(0); // venue 0/1 not re-sent yet
    expect(d.onTick(0, 0, 100, 100.02, 80_000) & CrossFlag.Confirmed).not.toBe(0);
  });

  it('confirms on time alone when the option is off (the old rule)', () => {
    const d = new CrossedMarketDetector(createAnalyticsState({ instruments: 1, venues: 3 }), {
      ...config,
      arbitrageConfirmByRequote: false,
    });
    d.onTick(0, 0, 100, 100.02, 0);
    d.onTick(0, 1, 100.05, 100.07, 10_000);
    expect(d.onTick(0, 1, 100.05, 100.07, 60_000) & CrossFlag.Confirmed).not.toBe(0);
  });
});

describe('CrossedMarketDetector, confirmation by the consensus (arbitrageConsensus)', () => {
  // Five fee-less venues around 100 with a 2 bp spread; times in µs, a feed lag of 50 ms.
  const config = { venueFeesBps: [], arbitrageConfirmUs: 50_000, arbitrageConsensus: true };
  const setup = () => {
    const d = new CrossedMarketDetector(createAnalyticsState({ instruments: 1, venues: 5 }), config);
    const confirmed: number[] = [];
    const quote = (venue: number, mid: number, t: number, withdrawn = false): number => {
      const flags = d.onTick(0, venue, mid - 0.01, mid + 0.01, t, withdrawn);
      if ((flags & CrossFlag.Confirmed) !== 0) confirmed.push(t);
      return flags;
    };
    for (let round = 0; round < 3; round++) for (let v = 0; v < 5; v++) quote(v, 100, round * 10_000 + v * 1_000);
    return { d, quote, confirmed };
  };

  it("confirms, once, a venue's own book that moved past the others, re-sent, against a venue that stood still a feed lag after", () => {
    const { d, quote, confirmed } = setup();
    quote(4, 100.06, 100_000); // venue 4's book moves 6 bp up: its bid crosses every ask
    quote(1, 100, 120_000); // a re-quote within the feed lag is no witness yet
    expect(confirmed).toEqual([]);
    quote(0, 100, 160_000); // venue 0 still quotes 100, a feed lag after the move
    expect(confirmed).toEqual([]); // one quote off could still be a bad tick
    quote(4, 100.06, 200_000); // re-sent: a departure
    expect(confirmed).toEqual([200_000]);
    expect(d.consensus.classes[4]).toBe(VenueClass.DepartedUp);
    expect(d.consensus.classes[0]).toBe(VenueClass.Consistent);
    quote(2, 100, 250_000);
    quote(4, 100.06, 300_000); // the same episode: no second report
    quote(4, 100, 400_000); // back
    expect(confirmed).toEqual([200_000]);
  });

  it('confirms a re-sent departure whose first quote the outlier test withdrew from the book', () => {
    const { quote, confirmed } = setup();
    expect(quote(4, 100.06, 100_000, true) & CrossFlag.Crossed).toBe(0);
    quote(0, 100, 160_000);
    quote(4, 100.06, 200_000);
    expect(confirmed).toEqual([200_000]);
  });

  it('never confirms a cross against a quote the market moved away from (stale or lagging), however often the others re-quote', () => {
    const { d, quote, confirmed } = setup();
    // The market moves 6 bp up: venue 0 first, twice, the others within the feed lag; venue 4 is stale.
    quote(0, 100.06, 100_000);
    quote(0, 100.06, 110_000);
    quote(1, 100.06, 120_000);
    quote(2, 100.06, 130_000);
    quote(3, 100.06, 140_000);
    for (let t = 200_000; t < 2_000_000; t += 50_000) {
      const flags = quote((t / 50_000) % 4, 100.06, t);
      expect(flags & CrossFlag.Crossed).toBe(CrossFlag.Crossed);
    }
    expect(confirmed).toEqual([]);
    expect(d.consensus.classify(0)).toBe(true);
    expect(d.consensus.classes[4]).toBe(VenueClass.Stale);
  });

  it('never confirms a single bad tick, nor a venue that always quotes off the others (biased)', () => {
    const { quote, confirmed } = setup();
    quote(4, 100.5, 100_000); // a spike, not sent again
    quote(0, 100, 160_000);
    quote(1, 100, 180_000);
    quote(4, 100, 300_000);
    expect(confirmed).toEqual([]);

    const biased = new CrossedMarketDetector(createAnalyticsState({ instruments: 1, venues: 5 }), config);
    for (let t = 0; t < 3_000_000; t += 10_000) {
      const v = (t / 10_000) % 5;
      // Venue 4 quotes 6 bp rich from its first quote on, moving with the market (a 0.1 bp wiggle):
      // its bid crosses the others' asks all along.
      const mid = (v === 4 ? 100.06 : 100) + ((t / 50_000) % 2) * 0.001;
      const flags = biased.onTick(0, v, mid - 0.01, mid + 0.01, t);
      if (t > 100_000) expect(flags & CrossFlag.Crossed).toBe(CrossFlag.Crossed);
      expect(flags & CrossFlag.Confirmed).toBe(0);
    }
    expect(biased.consensus.classify(0)).toBe(true);
    expect(biased.consensus.classes[4]).toBe(VenueClass.Off);
  });

  it('confirms a departure that came with a smaller market move: the witness moved, but never to the departed level', () => {
    const { quote, confirmed } = setup();
    // The market rises 3 bp (more than the 2 bp spreads) while venue 4's own book drops 8 bp.
    quote(0, 100.03, 100_000);
    quote(4, 99.92, 110_000);
    quote(1, 100.03, 115_000);
    quote(2, 100.03, 120_000);
    quote(3, 100.03, 130_000);
    quote(0, 100.03, 170_000); // a feed lag after: venue 0 never quoted near 99.92
    quote(4, 99.92, 200_000); // re-sent
    expect(confirmed).toEqual([200_000]);
  });

  it('confirms a departure whose witness quotes only after the departed venue sent its book a third time', () => {
    const { quote, confirmed } = setup();
    quote(4, 100.06, 100_000);
    quote(4, 100.061, 120_000); // re-sent within the feed lag: departed, no witness yet
    quote(4, 100.06, 140_000); // and again: still the departed book
    expect(confirmed).toEqual([]);
    quote(0, 100, 200_000); // the first quote a feed lag after the departure
    expect(confirmed).toEqual([200_000]);
  });

  it('never confirms a lagging quote whose departure the witness followed: it quoted that level within a feed lag of it', () => {
    // Venues 0-3 quote a 5 bp spread, venue 4 (lagging) 2 bp. The market goes 4 bp up and back
    // down, which venue 4 shows late and 0.5 bp low (its own noise); then it goes up again, and
    // venue 4 sends its old book once more before its feed catches up.
    const d = new CrossedMarketDetector(createAnalyticsState({ instruments: 1, venues: 5 }), config);
    const confirmed: number[] = [];
    const quote = (venue: number, mid: number, t: number): void => {
      const half = venue === 4 ? 0.01 : 0.025;
      if ((d.onTick(0, venue, mid - half, mid + half, t) & CrossFlag.Confirmed) !== 0) confirmed.push(t);
    };
    for (let round = 0; round < 3; round++) for (let v = 0; v < 5; v++) quote(v, 100, round * 10_000 + v * 1_000);
    for (let v = 0; v < 4; v++) quote(v, 100.04, 100_000 + v * 10_000);
    quote(4, 100.04, 140_000);
    for (let v = 0; v < 4; v++) quote(v, 100, 200_000 + v * 10_000);
    quote(4, 99.985, 250_000);
    for (let v = 0; v < 4; v++) quote(v, 100.04, 400_000 + v * 10_000);
    expect(d.onTick(0, 4, 99.975, 99.995, 435_000) & CrossFlag.Crossed).toBe(CrossFlag.Crossed);
    expect(d.consensus.classes[4]).toBe(VenueClass.DepartedDown);
    quote(0, 100.04, 440_000);
    expect(confirmed).toEqual([]);
  });

  it("never confirms a departure of a venue the source scorer found off the consensus by habit (a biased feed's moves)", () => {
    const state = createAnalyticsState({ instruments: 1, venues: 5 });
    const d = new CrossedMarketDetector(state, config);
    const confirmed: number[] = [];
    const quote = (venue: number, mid: number, t: number): void => {
      if ((d.onTick(0, venue, mid - 0.01, mid + 0.01, t) & CrossFlag.Confirmed) !== 0) confirmed.push(t);
    };
    for (let round = 0; round < 3; round++) for (let v = 0; v < 5; v++) quote(v, 100, round * 10_000 + v * 1_000);
    // The scorer's long-run view of venue 4: RMS deviation of a consensus spread over 100 quotes.
    const scorer = scorerCellTable(state);
    scorer[4 * SCORER_CELL_STRIDE + ScorerField.dev] = 1;
    scorer[4 * SCORER_CELL_STRIDE + ScorerField.devN] = 100;
    quote(4, 100.06, 100_000);
    quote(0, 100, 160_000);
    quote(4, 100.06, 200_000); // the move that a clean venue's departure is confirmed on (above)
    expect(d.consensus.classes[4]).toBe(VenueClass.Off);
    // A short history is no habit: the same quotes confirm.
    scorer[4 * SCORER_CELL_STRIDE + ScorerField.devN] = HABIT_MIN_SAMPLES - 1;
    quote(4, 100, 300_000);
    quote(4, 100.06, 400_000);
    quote(0, 100, 460_000);
    quote(4, 100.06, 500_000);
    expect(confirmed).toEqual([500_000]);
  });

  it('classifies nothing with fewer than three quoting venues', () => {
    const d = new CrossedMarketDetector(createAnalyticsState({ instruments: 1, venues: 2 }), config);
    for (let k = 0; k < 3; k++) d.onTick(0, 0, 99.99, 100.01, k * 100_000);
    for (let k = 0; k < 3; k++) expect(d.onTick(0, 1, 100.05, 100.07, k * 100_000 + 500_000) & CrossFlag.Confirmed).toBe(0);
    expect(d.consensusCross(0)).toBe(false);
  });
});

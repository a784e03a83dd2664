import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAnalyticsState } from '../../analytics/analytics-state.js';
import { CrossedMarketDetector } from '../../analytics/crossed-market-detector.js';
import { FX_USD_VALUE, fxLayout, fxPairIndex } from '../../analytics/market-conventions.js';
import { TriFlag, TriangularDetector } from '../../analytics/triangular-detector.js';
import { BruteBook, bruteTriangles, productCycles } from './brute-force.js';

describe('fx layout', () => {
  it('lists every pair once and every triangle with its three pairs; each pair is in currencies − 2 triangles', () => {
    for (let c = 3; c <= 10; c++) {
      const fx = fxLayout(100, c, 7)!;
      expect(fx.pairs).toBe((c * (c - 1)) / 2);
      expect(fx.triangles).toBe((c * (c - 1) * (c - 2)) / 6);
      const seen = new Set<string>();
      for (let p = 0; p < fx.pairs; p++) {
        expect(fx.base[p]).toBeLessThan(fx.quote[p]!);
        expect(fxPairIndex(c, fx.base[p]!, fx.quote[p]!)).toBe(p);
        seen.add(`${fx.base[p]}/${fx.quote[p]}`);
      }
      expect(seen.size).toBe(fx.pairs);
      for (let t = 0; t < fx.triangles; t++) {
        const [ab, bc, ac] = [0, 1, 2].map((k) => fx.trianglePairs[t * 3 + k]!) as [number, number, number];
        expect(fx.base[ab]).toBe(fx.base[ac]); // a
        expect(fx.quote[ab]).toBe(fx.base[bc]); // b
        expect(fx.quote[bc]).toBe(fx.quote[ac]); // c
        for (const p of [ab, bc, ac])
          expect([...fx.pairTriangles.subarray(p * fx.trianglesPerPair, (p + 1) * fx.trianglesPerPair)]).toContain(t);
      }
    }
    expect(fxLayout(29)).toBeNull(); // 5 currencies on 20..29 need 30 instruments
    expect(fxLayout(30)!.first).toBe(20);
    expect(fxLayout(100, 0)).toBeNull();
  });
});

describe('TriangularDetector', () => {
  it('agrees exactly with a brute-force check of every triangle after every tick', () => {
    let opened = 0;
    let checked = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.constantFrom(0, 0.1, 0.5, 2), { maxLength: 4 }),
        fc.array(
          fc.record({
            pair: fc.nat(),
            venue: fc.nat(),
            // Quote around the consistent cross rate: off by up to ±10 bp, half spread 0–2 bp, or withdrawn.
            offBps: fc.double({ min: -10, max: 10, noNaN: true }),
            halfBps: fc.double({ min: 0, max: 2, noNaN: true }),
            withdraw: fc.integer({ min: 0, max: 9 }).map((k) => k === 0),
          }),
          { minLength: 50, maxLength: 400 },
        ),
        (currencies, venues, first, fees, ops) => {
          const fx = fxLayout(first + 15 + 2, currencies, first)!;
          const instruments = first + fx.pairs + 2;
          const state = createAnalyticsState({ instruments, venues, fxCurrencies: currencies, fxFirstInstrument: first });
          const cross = new CrossedMarketDetector(state, { venueFeesBps: fees });
          const tri = new TriangularDetector(state);
          const book = new BruteBook(instruments, venues, fees);
          let before = bruteTriangles(book, fx);
          for (const op of ops) {
            const p = op.pair % fx.pairs;
            const v = op.venue % venues;
            const instrument = first + p;
            const mid = (FX_USD_VALUE[fx.base[p]!]! / FX_USD_VALUE[fx.quote[p]!]!) * (1 + op.offBps * 1e-4);
            const [bid, ask] = op.withdraw ? [NaN, NaN] : [mid * (1 - op.halfBps * 1e-4), mid * (1 + op.halfBps * 1e-4)];
            cross.onTick(instrument, v, bid, ask);
            book.set(instrument, v, bid, ask);
            const flags = tri.onTick(instrument);
            const after = bruteTriangles(book, fx);
            // Every triangle, not only those containing the pair.
            for (let t = 0; t < fx.triangles; t++) expect(tri.triangleState(t)).toBe(after[t]);
            const mine = [...fx.pairTriangles.subarray(p * fx.trianglesPerPair, (p + 1) * fx.trianglesPerPair)];
            const up = mine.reduce((n, t) => n + bitCount(after[t]! & ~before[t]!), 0);
            const down = mine.reduce((n, t) => n + bitCount(before[t]! & ~after[t]!), 0);
            expect((flags & TriFlag.Open) !== 0).toBe(mine.some((t) => after[t] !== 0));
            expect((flags & TriFlag.Opened) !== 0).toBe(up > 0);
            expect((flags & TriFlag.Closed) !== 0).toBe(down > 0);
            if (up > 0) expect(tri.lastOpened).toBe(up);
            expect(tri.pairOpen(instrument)).toBe(mine.some((t) => after[t] !== 0));
            // The products of rates say the same wherever the cycle is not within rounding of break-even.
            for (let t = 0; t < fx.triangles; t++) {
              const [f, b] = productCycles(book, fx, t);
              if (Math.abs(f - 1) > 1e-12) expect(f > 1).toBe((after[t]! & 1) !== 0);
              if (Math.abs(b - 1) > 1e-12) expect(b > 1).toBe((after[t]! & 2) !== 0);
            }
            opened += up;
            checked++;
            before = after;
          }
          // A tick of a non-FX instrument is not a pair.
          expect(tri.onTick(first + fx.pairs)).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
    expect(opened).toBeGreaterThan(300);
    expect(checked).toBeGreaterThan(10_000);
  });

  it('finds a mispricing net of fees, and not one the fees eat', () => {
    // USD, EUR, JPY: EUR/JPY quoted 3 bp rich against USD/EUR and USD/JPY.
    const run = (feeBps: number): number => {
      const state = createAnalyticsState({ instruments: 3, venues: 1, fxCurrencies: 3, fxFirstInstrument: 0 });
      const cross = new CrossedMarketDetector(state, { venueFeesBps: [feeBps] });
      const tri = new TriangularDetector(state);
      const quote = (instrument: number, mid: number): number => {
        cross.onTick(instrument, 0, mid * (1 - 0.5e-4), mid * (1 + 0.5e-4));
        return tri.onTick(instrument);
      };
      quote(0, 1 / 1.08); // USD/EUR
      quote(1, 150); // USD/JPY
      return quote(2, 1.08 * 150 * (1 + 3e-4)); // EUR/JPY
    };
    // Three legs of 0.5 bp half spread cost 1.5 bp < 3 bp: open; with 1 bp fees per leg (+3 bp), closed.
    expect(run(0) & TriFlag.Opened).toBe(TriFlag.Opened);
    expect(run(1)).toBe(0);
  });
});

function bitCount(x: number): number {
  return (x & 1) + ((x >> 1) & 1);
}

describe('TriangularDetector, confirmation', () => {
  // USD, EUR, JPY on 2 venues; venue 0 quotes EUR/JPY 3 bp rich.
  function setup(byRequote: boolean) {
    const state = createAnalyticsState({ instruments: 3, venues: 2, fxCurrencies: 3, fxFirstInstrument: 0 });
    const config = { venueFeesBps: [0, 0], arbitrageConfirmUs: 50_000, arbitrageConfirmByRequote: byRequote };
    const cross = new CrossedMarketDetector(state, config);
    const tri = new TriangularDetector(state, config);
    const quote = (instrument: number, venue: number, mid: number, nowUs: number): number => {
      cross.onTick(instrument, venue, mid * (1 - 0.5e-4), mid * (1 + 0.5e-4), nowUs);
      return tri.onTick(instrument, nowUs);
    };
    quote(0, 0, 1 / 1.08, 0);
    quote(1, 0, 150, 1_000);
    expect(quote(2, 0, 1.08 * 150 * (1 + 3e-4), 2_000) & TriFlag.Opened).toBe(TriFlag.Opened);
    return quote;
  }

  it('confirms an open triangle on time alone once it has lasted arbitrageConfirmUs, once', () => {
    const quote = setup(false);
    expect(quote(0, 1, 1 / 1.08, 30_000) & TriFlag.Confirmed).toBe(0);
    expect(quote(0, 1, 1 / 1.08, 60_000) & TriFlag.Confirmed).toBe(TriFlag.Confirmed);
    expect(quote(0, 1, 1 / 1.08, 90_000) & TriFlag.Confirmed).toBe(0);
  });

  it('with re-quotes, waits until every leg best quote was sent after the opening', () => {
    const quote = setup(true);
    // Only venue 1 quotes, worse than venue 0: the legs' best quotes are still the old ones.
    expect(quote(0, 1, 1.0001 / 1.08, 60_000) & TriFlag.Confirmed).toBe(0);
    expect(quote(0, 0, 1 / 1.08, 70_000) & TriFlag.Confirmed).toBe(0); // USD/EUR again; USD/JPY not yet
    expect(quote(1, 0, 150, 80_000) & TriFlag.Confirmed).toBe(0); // EUR/JPY (the opener) not yet
    expect(quote(2, 0, 1.08 * 150 * (1 + 3e-4), 90_000) & TriFlag.Confirmed).toBe(TriFlag.Confirmed);
  });
});

describe('TriangularDetector, confirmation by the consensus (arbitrageConsensus)', () => {
  // USD, EUR, CHF all worth 1: every pair at 1 on 3 fee-less venues with a 2 bp spread. Pairs:
  // AB = USD/EUR (instrument 0), AC = USD/CHF (1), BC = EUR/CHF (2). Times in µs, feed lag 50 ms.
  const setup = () => {
    const state = createAnalyticsState({ instruments: 3, venues: 3, fxCurrencies: 3, fxFirstInstrument: 0 });
    const config = { venueFeesBps: [], arbitrageConfirmUs: 50_000, arbitrageConsensus: true };
    const cross = new CrossedMarketDetector(state, config);
    const tri = new TriangularDetector(state, config);
    const confirmed: string[] = [];
    const quote = (pair: number, venue: number, mid: number, t: number): void => {
      cross.onTick(pair, venue, mid - 1e-4, mid + 1e-4, t);
      if ((tri.onTick(pair, t) & TriFlag.Confirmed) !== 0) confirmed.push(`${pair}@${t}`);
    };
    for (let round = 0; round < 3; round++)
      for (let p = 0; p < 3; p++) for (let v = 0; v < 3; v++) quote(p, v, 1, round * 10_000 + p * 3_000 + v * 1_000);
    return { quote, confirmed, tri };
  };

  it("reports a triangle a venue's own departed book opens, on each pair's own tick", () => {
    const { quote, confirmed } = setup();
    // Venue 2 bids USD/EUR 8 bp rich: sell USD there, sell EUR for CHF, buy USD back with CHF.
    quote(0, 2, 1.0008, 100_000);
    quote(0, 0, 1, 160_000); // venue 0 still quotes 1 a feed lag later
    expect(confirmed).toEqual([]); // a single quote off could be a bad tick
    quote(0, 2, 1.0008, 200_000);
    expect(confirmed).toEqual(['0@200000']);
    quote(2, 1, 1, 210_000); // EUR/CHF ticks: its triangle is open too
    quote(2, 0, 1, 220_000); // same episode
    expect(confirmed).toEqual(['0@200000', '2@210000']);
  });

  it('keeps a departed book trusted while its venue re-sends it, so a pair that ticks later still reports the triangle', () => {
    const { quote, confirmed } = setup();
    quote(0, 2, 1.0008, 100_000);
    quote(0, 0, 1, 160_000);
    quote(0, 2, 1.0008, 200_000);
    quote(0, 2, 1.00081, 300_000); // venue 2 sends its departed book a third time
    quote(2, 1, 1, 310_000); // EUR/CHF's first tick since
    expect(confirmed).toEqual(['0@200000', '2@310000']);
  });

  it('never reports a triangle that only a single bad tick or a stale quote opens', () => {
    const { quote, confirmed, tri } = setup();
    quote(0, 2, 1.0008, 100_000); // a spike on USD/EUR, never sent again
    for (let t = 150_000; t < 1_000_000; t += 10_000) quote((t / 10_000) % 3, (t / 30_000) % 2, 1, t);
    expect(tri.pairOpen(0)).toBe(true);
    expect(confirmed).toEqual([]);
    // Now USD loses 8 bp: USD/EUR and USD/CHF move down, but venue 2 stops quoting USD/EUR.
    // Its old bid at 1 is stale: selling USD there opens the triangle in the quotes only.
    for (let t = 1_000_000; t < 2_000_000; t += 10_000) {
      quote(0, (t / 10_000) % 2, 0.9992, t);
      quote(1, (t / 10_000) % 3, 0.9992, t + 1);
      quote(2, (t / 10_000) % 3, 1, t + 2);
    }
    expect(tri.pairOpen(0)).toBe(true);
    expect(confirmed).toEqual([]);
  });
});

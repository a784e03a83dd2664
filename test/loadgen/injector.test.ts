import { describe, expect, it } from 'vitest';
import { DEFAULT_VENUE_FEES_BPS, fxLayout } from '../../analytics/market-conventions.js';
import { INJECT_DEFAULTS, type InjectConfig } from '../../loadgen/injector.js';
import { MarketModel, type MarketModelConfig } from '../../loadgen/market-model.js';
import { TickEvent, TickFlag, tickEvent } from '../../wire/tick-frame.js';
import { BruteBook, bruteTriangles } from '../analytics/brute-force.js';

const START_US = 1_700_000_000_000_000;
const BASE: MarketModelConfig = { seed: 42, instruments: 300, venues: 5, keyGroups: 8, fx: {} };
/** Every class off: a switch-on-one-at-a-time base. */
const NOTHING: Partial<InjectConfig> = {
  spikeRate: 0,
  decimalShiftRate: 0,
  frozenRunRate: 0,
  genuineJumpRate: 0,
  arbitrageRate: 0,
  triangularRate: 0,
  noiseSpreads: 0,
  sourcePanelEvery: 0,
};

interface T {
  instrument: number;
  venue: number;
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
  flags: number;
  us: number;
}

function record(config: MarketModelConfig, count: number, intervalUs = 10): { ticks: T[]; model: MarketModel } {
  const model = new MarketModel(config);
  const ticks: T[] = [];
  for (let k = 0; k < count; k++) {
    const us = START_US + k * intervalUs;
    model.nextTick(us);
    const { instrument, venue, bid, ask, bidSize, askSize, flags } = model;
    ticks.push({ instrument, venue, bid, ask, bidSize, askSize, flags, us });
  }
  return { ticks, model };
}

const mid = (t: T): number => 0.5 * (t.bid + t.ask);
const halfSpread = (venue: number): number => (1 * (1 + 0.5 * venue) * 1e-4) / 2; // the model's default spreads

/** The stream with one injection class on (others off) and its clean twin (--inject none). */
function withTwin(inject: Partial<InjectConfig>, count = 200_000, config: Partial<MarketModelConfig> = {}) {
  const on = record({ ...BASE, ...config, inject: { ...NOTHING, ...inject } }, count);
  const clean = record({ ...BASE, ...config, inject: null }, count);
  return { on, clean };
}

describe('injected ground truth', () => {
  it('reproduces every tick and every event, with its id, from the seed and tick count', () => {
    const a = record({ ...BASE, inject: {} }, 150_000);
    const b = record({ ...BASE, inject: {} }, 150_000);
    expect(a.ticks).toEqual(b.ticks);
    expect(a.model.injectedEvents).toEqual(b.model.injectedEvents);
    const events = a.model.injectedEvents;
    expect(events.length).toBeGreaterThan(50);
    events.forEach((e, k) => {
      expect(e.id).toBe(k);
      // The event's tick (its seq) carries the event's kind in its flags.
      expect(tickEvent(a.ticks[e.tick]!.flags)).toBe(e.kind);
      expect([a.ticks[e.tick]!.instrument, a.ticks[e.tick]!.venue]).toEqual([e.instrument, e.venue]);
    });
    const kinds = new Set(events.map((e) => e.kind));
    for (const k of [
      TickEvent.Spike,
      TickEvent.DecimalShift,
      TickEvent.FrozenRun,
      TickEvent.ArbitrageWindow,
      TickEvent.Triangular,
      TickEvent.BiasedSource,
      TickEvent.FrozenSource,
    ]) {
      expect(kinds.has(k)).toBe(true);
    }
    // Every tick with an event code is in the log, and only those.
    expect(a.ticks.filter((t) => tickEvent(t.flags) !== 0).length).toBe(events.length);
    const c = a.model.injected!;
    expect(c.events).toBe(events.length);
    expect(c.ticks).toBe(150_000);
    expect(c.outlierTicks).toBe(a.ticks.filter((t) => (t.flags & TickFlag.InjectedOutlier) !== 0).length);
    expect(c.frozenTicks).toBe(a.ticks.filter((t) => (t.flags & TickFlag.InjectedFrozen) !== 0).length);
    expect(c.arbitrageTicks).toBe(a.ticks.filter((t) => (t.flags & TickFlag.InjectedArbitrage) !== 0).length);
    expect(c.spikes).toBe(events.filter((e) => e.kind === TickEvent.Spike).length);
    expect(c.spikes + c.decimalShifts).toBe(c.outlierTicks);
  });

  it('leaves the clean stream untouched: same instruments, venues and sizes; same prices with every class off', () => {
    const on = record({ ...BASE, inject: {} }, 100_000).ticks;
    const off = record({ ...BASE, inject: null }, 100_000).ticks;
    const choices = (t: T): number[] => [t.instrument, t.venue, t.bidSize, t.askSize];
    expect(on.map(choices)).toEqual(off.map(choices));
    expect(off.every((t) => t.flags === 0)).toBe(true);
    const idle = record({ ...BASE, inject: NOTHING }, 100_000).ticks;
    expect(idle.map((t) => [t.bid, t.ask])).toEqual(off.map((t) => [t.bid, t.ask]));
    // (Labels of real crosses still appear: the truth book is kept; no price is touched.)
    expect(idle.every((t) => (t.flags & (TickFlag.InjectedOutlier | TickFlag.InjectedFrozen | TickFlag.InjectedArbitrage)) === 0)).toBe(
      true,
    );
  });

  it('labels crosses and triangles exactly as a brute-force true book (bad ticks excluded) says', () => {
    const fx = fxLayout(BASE.instruments)!;
    for (const seed of [1, 2, 3]) {
      const { ticks } = record({ ...BASE, seed, inject: { scale: 4 } }, 80_000);
      const book = new BruteBook(BASE.instruments, BASE.venues, DEFAULT_VENUE_FEES_BPS);
      let crossed = 0;
      let open = 0;
      for (const t of ticks) {
        if ((t.flags & TickFlag.InjectedOutlier) !== 0) book.set(t.instrument, t.venue, NaN, NaN);
        else book.set(t.instrument, t.venue, t.bid, t.ask);
        const labelled = (t.flags & (TickFlag.InjectedArbitrage | TickFlag.MarketCross)) !== 0;
        expect(labelled).toBe(book.crossed(t.instrument, t.venue));
        if (labelled) crossed++;
        const p = t.instrument - fx.first;
        if (p >= 0 && p < fx.pairs) {
          const tri = bruteTriangles(book, fx);
          const mine = [...fx.pairTriangles.subarray(p * fx.trianglesPerPair, (p + 1) * fx.trianglesPerPair)];
          const isOpen = mine.some((k) => tri[k] !== 0);
          expect((t.flags & TickFlag.TriangularOpen) !== 0).toBe(isOpen);
          if (isOpen) open++;
        } else {
          expect(t.flags & TickFlag.TriangularOpen).toBe(0);
        }
        if (tickEvent(t.flags) === TickEvent.ArbitrageWindow) expect(t.flags & TickFlag.InjectedArbitrage).toBeTruthy();
        if (tickEvent(t.flags) === TickEvent.Triangular) expect(t.flags & TickFlag.TriangularOpen).toBeTruthy();
      }
      expect(crossed).toBeGreaterThan(100);
      expect(open).toBeGreaterThan(50);
    }
  });

  it('spikes by k·σ, k in [8, 16], σ at least the venue half spread; nothing else moves', () => {
    const { on, clean } = withTwin({ spikeRate: 2e-3 });
    const events = on.model.injectedEvents;
    expect(events.length).toBeGreaterThan(100);
    const spikeTicks = new Set(events.map((e) => e.tick));
    for (const e of events) {
      expect(e.kind).toBe(TickEvent.Spike);
      expect(Math.abs(e.magnitude)).toBeGreaterThanOrEqual(8);
      expect(Math.abs(e.magnitude)).toBeLessThanOrEqual(16);
      const r = Math.log(mid(on.ticks[e.tick]!) / mid(clean.ticks[e.tick]!));
      expect(Math.sign(r)).toBe(Math.sign(e.magnitude));
      const sigma = r / e.magnitude;
      expect(sigma).toBeGreaterThanOrEqual(halfSpread(e.venue) * (1 - 1e-9));
      expect(on.ticks[e.tick]!.flags & TickFlag.InjectedOutlier).toBeTruthy();
    }
    on.ticks.forEach((t, k) => {
      if (!spikeTicks.has(k)) expect([t.bid, t.ask]).toEqual([clean.ticks[k]!.bid, clean.ticks[k]!.ask]);
    });
  });

  it('shifts decimals by exactly ×10 or ÷10 on one tick', () => {
    const { on, clean } = withTwin({ decimalShiftRate: 1e-3 });
    const events = on.model.injectedEvents;
    expect(events.length).toBeGreaterThan(50);
    const factors = new Set<number>();
    for (const e of events) {
      const ratio = on.ticks[e.tick]!.bid / clean.ticks[e.tick]!.bid;
      expect([10, 0.1].some((f) => Math.abs(ratio / f - 1) < 1e-12)).toBe(true);
      factors.add(e.magnitude);
    }
    expect([...factors].sort()).toEqual([0.1, 10]);
  });

  it('freezes a venue on its last price for the run length, then lets it catch up', () => {
    const { on, clean } = withTwin({ frozenRunRate: 3e-4 });
    const events = on.model.injectedEvents;
    expect(events.length).toBeGreaterThan(20);
    for (const e of events) {
      const cell = (t: T): boolean => t.instrument === e.instrument && t.venue === e.venue;
      const before = on.ticks.slice(0, e.tick).reverse().find(cell)!;
      const run = on.ticks.slice(e.tick).filter(cell);
      const length = e.magnitude;
      expect(length).toBeGreaterThanOrEqual(INJECT_DEFAULTS.frozenRunMin);
      expect(length).toBeLessThanOrEqual(INJECT_DEFAULTS.frozenRunMax);
      if (run.length <= length) continue; // the stream ended inside the run
      for (const t of run.slice(0, length)) {
        expect([t.bid, t.ask]).toEqual([before.bid, before.ask]);
        expect(t.flags & TickFlag.InjectedFrozen).toBeTruthy();
      }
      const after = run[length]!;
      expect(after.flags & TickFlag.InjectedFrozen).toBe(0);
      const k = on.ticks.indexOf(after);
      expect([after.bid, after.ask]).toEqual([clean.ticks[k]!.bid, clean.ticks[k]!.ask]);
    }
  });

  it("moves an instrument for good on a genuine jump, labelling each venue's first tick after it, not as an error", () => {
    const { on, clean } = withTwin({ genuineJumpRate: 1e-4 });
    const events = on.model.injectedEvents;
    expect(events.length).toBeGreaterThan(5);
    const first = events[0]!;
    expect(Math.abs(first.magnitude)).toBeGreaterThanOrEqual(INJECT_DEFAULTS.jumpBpsMin);
    const factor = Math.exp(first.magnitude * 1e-4);
    const later = events.filter((e) => e.instrument === first.instrument && e.tick > first.tick)[0]?.tick ?? on.ticks.length;
    const seenVenues = new Set<number>();
    for (let k = first.tick; k < later; k++) {
      const t = on.ticks[k]!;
      if (t.instrument !== first.instrument) continue;
      expect(mid(t) / mid(clean.ticks[k]!)).toBeCloseTo(factor, 12);
      expect((t.flags & TickFlag.GenuineJump) !== 0).toBe(!seenVenues.has(t.venue));
      expect(t.flags & TickFlag.InjectedOutlier).toBe(0);
      seenVenues.add(t.venue);
    }
    expect(seenVenues.size).toBe(BASE.venues);
  });

  it('opens arbitrage windows that cross net of fees on their first tick, with a shift under the cap, for D ms', () => {
    const { on, clean } = withTwin({ arbitrageRate: 1e-3 });
    const events = on.model.injectedEvents;
    expect(events.length).toBeGreaterThan(50);
    for (const e of events.slice(0, 60)) {
      const t = on.ticks[e.tick]!;
      const shift = Math.log(mid(t) / mid(clean.ticks[e.tick]!));
      expect(Math.abs(shift)).toBeLessThanOrEqual(INJECT_DEFAULTS.maxShiftHalfSpreads * halfSpread(e.venue) * (1 + 1e-9));
      expect(shift * 1e4).toBeCloseTo(e.magnitude, 9);
      expect(t.flags & TickFlag.InjectedArbitrage).toBeTruthy();
      // The venue's ticks in the window keep the shift; the first one after D ms is clean.
      const cellTicks = on.ticks
        .map((x, k) => [x, k] as const)
        .filter(([x, k]) => k > e.tick && x.instrument === e.instrument && x.venue === e.venue);
      for (const [x, k] of cellTicks) {
        const s = Math.log(mid(x) / mid(clean.ticks[k]!));
        if (x.us - t.us >= INJECT_DEFAULTS.windowMsMax * 1000) {
          expect(s).toBe(0);
          break;
        }
        if (s === 0) {
          expect(x.us - t.us).toBeGreaterThanOrEqual(INJECT_DEFAULTS.windowMsMin * 1000);
          break;
        }
        expect(s).toBeCloseTo(shift, 12);
      }
    }
  });

  it('misprices an FX triangle on the trigger tick, under the shift cap, on FX pairs only', () => {
    const { on, clean } = withTwin({ triangularRate: 2e-2 });
    const fx = fxLayout(BASE.instruments)!;
    const events = on.model.injectedEvents;
    expect(events.length).toBeGreaterThan(50);
    for (const e of events) {
      expect(e.kind).toBe(TickEvent.Triangular);
      expect(e.instrument - fx.first).toBeGreaterThanOrEqual(0);
      expect(e.instrument - fx.first).toBeLessThan(fx.pairs);
      const shift = Math.log(mid(on.ticks[e.tick]!) / mid(clean.ticks[e.tick]!));
      expect(Math.abs(shift)).toBeLessThanOrEqual(INJECT_DEFAULTS.maxShiftHalfSpreads * halfSpread(e.venue) * (1 + 1e-9));
      expect(on.ticks[e.tick]!.flags & TickFlag.TriangularOpen).toBeTruthy();
    }
  });

  it("biases one venue by n consensus spreads and freezes another on the panel instruments; grades the others' noise", () => {
    const { on, clean } = withTwin({ sourcePanelEvery: 20, noiseSpreads: 0.3 }, 300_000);
    const s = on.model.injectedSources!;
    expect(s.biasedVenue).toBeGreaterThanOrEqual(0);
    expect(s.frozenVenue).toBeGreaterThanOrEqual(0);
    expect(s.frozenVenue).not.toBe(s.biasedVenue);
    expect(s.consensusSpreadBps).toBe(2); // median of 1, 1.5, 2, 2.5, 3 bp
    [...s.noiseSpreads].sort((a, b) => a - b).forEach((x, k) => expect(x).toBeCloseTo((0.3 * k) / 4, 12));
    const events = on.model.injectedEvents;
    const biased = events.filter((e) => e.kind === TickEvent.BiasedSource);
    const frozen = events.filter((e) => e.kind === TickEvent.FrozenSource);
    expect(biased.length).toBeGreaterThan(3);
    expect(frozen.length).toBeGreaterThan(3);
    for (const e of biased) {
      expect(e.venue).toBe(s.biasedVenue);
      expect(e.instrument % 20).toBe(5);
      expect(Math.abs(e.magnitude)).toBeCloseTo(3 * 2, 9); // 3 consensus spreads of 2 bp
      // After the ramp the venue's mid sits n spreads off (its own noise aside).
      const late = on.ticks
        .map((t, k) => [t, k] as const)
        .filter(([t, k]) => k > e.tick && t.instrument === e.instrument && t.venue === e.venue)
        .slice(INJECT_DEFAULTS.biasRampUpdates + 5, INJECT_DEFAULTS.biasRampUpdates + 50);
      for (const [t, k] of late) {
        const noiseBound = Math.sqrt(3) * s.noiseSpreads[e.venue]! * 2e-4 + 1e-9;
        expect(Math.abs(mid(t) / mid(clean.ticks[k]!) - 1 - e.magnitude * 1e-4)).toBeLessThanOrEqual(noiseBound * 1.01 + 1e-12);
      }
    }
    for (const e of frozen) {
      expect(e.venue).toBe(s.frozenVenue);
      expect(e.instrument % 20).toBe(15);
      const cell = on.ticks.slice(e.tick).filter((t) => t.instrument === e.instrument && t.venue === e.venue);
      for (const t of cell) {
        expect([t.bid, t.ask]).toEqual([cell[0]!.bid, cell[0]!.ask]);
        expect(t.flags & TickFlag.InjectedFrozen).toBeTruthy();
      }
    }
    // Graded noise: the std. dev. of each venue's offset from the clean quote matches its level.
    const sums = new Array<number>(BASE.venues).fill(0);
    const counts = new Array<number>(BASE.venues).fill(0);
    const fx = fxLayout(BASE.instruments)!;
    on.ticks.forEach((t, k) => {
      if (t.instrument % 20 === 5 || t.instrument % 20 === 15 || (t.instrument >= fx.first && t.instrument < fx.first + fx.pairs)) return;
      sums[t.venue]! += Math.log(mid(t) / mid(clean.ticks[k]!)) ** 2;
      counts[t.venue]!++;
    });
    for (let v = 0; v < BASE.venues; v++) {
      const sdBps = Math.sqrt(sums[v]! / counts[v]!) * 1e4;
      expect(sdBps).toBeCloseTo(s.noiseBps[v]!, 1);
    }
  });

  it('puts every FX pair in one key group, with cross rates that multiply to 1 around each triangle', () => {
    const model = new MarketModel({ ...BASE, inject: null });
    const fx = model.fx!;
    expect(fx.currencies).toBe(5);
    const group = model.keyGroupOf(fx.first);
    for (let p = 0; p < fx.pairs; p++) expect(model.keyGroupOf(fx.first + p)).toBe(group);
    for (let t = 0; t < fx.triangles; t++) {
      const [ab, bc, ac] = [0, 1, 2].map((k) => model.midOf(fx.first + fx.trianglePairs[t * 3 + k]!));
      expect((ab! * bc!) / ac!).toBeCloseTo(1, 12);
    }
    // Without FX every instrument keeps its own key group (the default model is unchanged).
    const plain = new MarketModel({ seed: 1, instruments: 300, venues: 5, keyGroups: 8 });
    expect(plain.fx).toBeNull();
    expect(plain.keyGroupOf(21)).toBe(21 % 8);
  });

  it('rejects bad injection options by name', () => {
    expect(() => new MarketModel({ ...BASE, inject: { spikeRate: -1 } })).toThrow(/inject\.spikeRate/);
    expect(() => new MarketModel({ ...BASE, inject: { frozenRunMin: 2.5 } })).toThrow(/inject\.frozenRunMin/);
    expect(() => new MarketModel({ ...BASE, inject: { spikeRate: 0.5, scale: 3 } })).toThrow(/add up to at most 1/);
    const typo = { spikeRat: 1 } as Partial<InjectConfig>;
    expect(() => new MarketModel({ ...BASE, inject: typo })).toThrow(/inject\.spikeRat is not an injection option/);
  });
});

import { describe, expect, it } from 'vitest';
import { createAnalyticsState } from '../../analytics/analytics-state.js';
import { FrameAnalyzer } from '../../analytics/frame-analyzer.js';
import { createTickLabels, TickLabels } from '../../analytics/tick-labels.js';
import { FrameWriter, TICK_EVENT_SHIFT, TickEvent, TickFlag } from '../../wire/tick-frame.js';
import { gaussian, prng } from './helpers.js';

/**
 * One instrument on a grid of 0.01, quoted by 5 venues in turn every 20 ms; from round `faultFrom`
 * on, venue 3 quotes 3 ticks too high (biased) and venue 4 freezes (a frozen source), each fault
 * labelled on its first tick in the side channel as the generator labels it.
 */
function faultyStream(seed: number, rounds: number, faultFrom: number): { analyzer: FrameAnalyzer } {
  const venues = 5;
  const ticks = rounds * venues;
  const labels = createTickLabels(1, ticks);
  const labelWriter = new TickLabels(labels);
  const state = createAnalyticsState({ instruments: 1, venues, fxCurrencies: 0 });
  state.labels = labels;
  const analyzer = new FrameAnalyzer(state, {}, () => 0);
  const w = new FrameWriter(ticks);
  const gauss = gaussian(prng(seed));
  let fair = 100;
  let frozen = NaN;
  let seq = 0;
  for (let r = 0; r < rounds; r++) {
    fair += 0.01 * gauss();
    for (let v = 0; v < venues; v++) {
      let mid = Math.round(fair * 100) / 100;
      let flags = 0;
      if (r >= faultFrom && v === 3) {
        mid += 0.03;
        if (r === faultFrom) flags |= TickEvent.BiasedSource << TICK_EVENT_SHIFT;
      }
      if (r >= faultFrom && v === 4) {
        if (r === faultFrom) {
          frozen = mid;
          flags |= TickEvent.FrozenSource << TICK_EVENT_SHIFT;
        }
        mid = frozen;
        flags |= TickFlag.InjectedFrozen;
      }
      labelWriter.write(0, seq, flags);
      w.append(seq, 0, v, 0, 0, 1e12 + seq * 20_000, mid - 0.01, mid + 0.01, 1, 1);
      seq++;
    }
  }
  analyzer.analyze(w.finish(0, 0, 0));
  return { analyzer };
}

describe('GroundTruthTracker: faulty sources', () => {
  it('finds a biased venue once it ranks below every clean venue, though a frozen venue ranks lower still', () => {
    for (const seed of [1, 2, 3]) {
      const { analyzer } = faultyStream(seed, 400, 100);
      const a = analyzer.sources;
      // The frozen venue, itself faulty, ends below the biased one: "ranks last" could never hold.
      expect(a.quality(0, 4)).toBeLessThan(a.quality(0, 3));
      const c = analyzer.takeCounters();
      expect(c.biasedSources).toBe(1);
      expect(c.biasedRankedLast).toBe(1);
      expect(c.biasedOnTime).toBe(1);
      expect(c.biasedDelayMax).toBeLessThanOrEqual(analyzer.config.evalBiasedWithin);
      expect(c.frozenSources).toBe(1);
      expect(c.frozenSourcesOnTime).toBe(1);
    }
  });

  it('counts a biased venue that never drops below the clean ones as late, not found', () => {
    // Biased by 3 ticks, but every clean venue as wrong as it (all quote 3 ticks off, at random sides).
    const venues = 4;
    const rounds = 700;
    const labels = createTickLabels(1, rounds * venues);
    const labelWriter = new TickLabels(labels);
    const state = createAnalyticsState({ instruments: 1, venues, fxCurrencies: 0 });
    state.labels = labels;
    const analyzer = new FrameAnalyzer(state, {}, () => 0);
    const w = new FrameWriter(rounds * venues);
    const rand = prng(5);
    let seq = 0;
    for (let r = 0; r < rounds; r++) {
      for (let v = 0; v < venues; v++) {
        const mid = 100 + (v === 0 ? 0.03 : rand() < 0.5 ? 0.03 : -0.03) + 0.01 * (r % 2);
        labelWriter.write(0, seq, v === 0 && r === 50 ? TickEvent.BiasedSource << TICK_EVENT_SHIFT : 0);
        w.append(seq, 0, v, 0, 0, 1e12 + seq * 20_000, mid - 0.01, mid + 0.01, 1, 1);
        seq++;
      }
    }
    analyzer.analyze(w.finish(0, 0, 0));
    const c = analyzer.takeCounters();
    expect(c.biasedSources).toBe(1);
    expect(c.biasedOnTime).toBe(0);
    expect(c.biasedLate).toBe(1);
  });
});

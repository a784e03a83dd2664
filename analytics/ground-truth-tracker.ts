import {
  EVAL_STRIDE,
  EvalField,
  SCORER_CELL_STRIDE,
  ScorerField,
  evalCellTable,
  evalInstrumentTable,
  scorerCellTable,
  type AnalyticsSharedState,
} from './analytics-state.js';
import type { AnalyticsCounters } from './analytics-counters.js';
import type { AnalyticsConfig } from './frame-analyzer.js';
import type { SourceScorer } from './source-scorer.js';
import { TickEvent, TickFlag, tickEvent } from '../wire/tick-frame.js';
import { TickSlot } from './current-tick.js';

/**
 * The analyzer's scoring against the generator's labels (the side channel, never the wire): the
 * rare paths of FrameAnalyzer.analyze, which calls `onLabelled` on a labelled tick and `follow`
 * on a cell with an event open, from branches it takes anyway. Counts into the analyzer's
 * counters; the detectors never read anything here.
 */
export class GroundTruthTracker {
  private readonly evalCells: Float64Array;
  private readonly scorerCells: Float64Array;
  private readonly faultyInstrument: Uint8Array;
  private readonly venues: number;
  private readonly tauUs: number;

  constructor(
    state: AnalyticsSharedState,
    private readonly config: Readonly<AnalyticsConfig>,
    private readonly sources: SourceScorer,
    private readonly counters: AnalyticsCounters,
    /** The analyzer's current tick (analytics/current-tick.ts): its send time is read there, not passed. */
    private readonly tick: Float64Array,
  ) {
    this.evalCells = evalCellTable(state);
    this.scorerCells = scorerCellTable(state);
    this.faultyInstrument = evalInstrumentTable(state);
    this.venues = state.dims.venues;
    this.tauUs = config.scorerStalenessTauUs;
  }

  /**
   * A labelled tick the outlier detector held, judged an outlier on its venue's next tick: its
   * flag counts then (onLabelled counted the tick itself, unflagged).
   */
  onHeldFlagged(flags: number): void {
    const c = this.counters;
    if ((flags & TickFlag.GenuineJump) !== 0) c.outliersFlaggedOnJumps++;
    const ev = tickEvent(flags);
    if (ev === TickEvent.Spike) c.spikesFlagged++;
    else if (ev === TickEvent.DecimalShift) c.decimalShiftsFlagged++;
  }

  /** Per-tick label bookkeeping of a labelled tick, and the start of a multi-tick event. */
  onLabelled(flags: number, instrument: number, venue: number, isOutlier: boolean, isCrossed: boolean, triOpen: boolean): void {
    const c = this.counters;
    if ((flags & TickFlag.GenuineJump) !== 0) {
      c.genuineJumpTicks++;
      if (isOutlier) c.outliersFlaggedOnJumps++;
    }
    if ((flags & TickFlag.InjectedFrozen) !== 0) c.frozenTicks++;
    if ((flags & TickFlag.InjectedArbitrage) !== 0) c.injectedArbitrageTicks++;
    if ((flags & TickFlag.MarketCross) !== 0) {
      c.marketCrossTicks++;
      if (isCrossed) c.marketCrossFlagged++;
    }
    if ((flags & TickFlag.TriangularOpen) !== 0) c.triangularLabelled++;
    const ev = tickEvent(flags);
    switch (ev) {
      case TickEvent.Spike:
        c.spikeTicks++;
        if (isOutlier) c.spikesFlagged++;
        break;
      case TickEvent.DecimalShift:
        c.decimalShiftTicks++;
        if (isOutlier) c.decimalShiftsFlagged++;
        break;
      case TickEvent.ArbitrageWindow:
        c.arbitrageTriggers++;
        if (isCrossed) c.arbitrageTriggersFlagged++;
        break;
      case TickEvent.Triangular:
        c.triangularTriggers++;
        if (triOpen) c.triangularTriggersFlagged++;
        break;
      case TickEvent.FrozenRun:
      case TickEvent.FrozenSource:
      case TickEvent.BiasedSource: {
        const e = (instrument * this.venues + venue) * EVAL_STRIDE;
        const E = this.evalCells;
        // A faulty source stays the cell's event (open, or decided and kept negated): a frozen run
        // on it would make it count as clean again or leave it undecided for ever.
        const held = Math.abs(E[e + EvalField.event]!);
        if (ev === TickEvent.FrozenRun && (held === TickEvent.FrozenSource || held === TickEvent.BiasedSource)) break;
        if (ev === TickEvent.FrozenRun) c.frozenRunsStarted++;
        else if (ev === TickEvent.FrozenSource) c.frozenSources++;
        else c.biasedSources++;
        // Faulty sources are kept out of the venue averages the noise ranking is checked on.
        if (ev !== TickEvent.FrozenRun) this.faultyInstrument[instrument] = 1;
        E[e + EvalField.event] = ev;
        this.scorerCells[(instrument * this.venues + venue) * SCORER_CELL_STRIDE + ScorerField.evalOpen] = 1;
        E[e + EvalField.startUpdate] = this.sources.updates(instrument, venue);
        E[e + EvalField.startUs] = this.tick[TickSlot.timeUs];
        E[e + EvalField.late] = 0;
        break;
      }
      default:
        break;
    }
  }

  /** Follows a cell's open event (frozen run, frozen or biased source) until it is detected or over. */
  follow(instrument: number, venue: number, flags: number, stalled: boolean): void {
    const sendTimeUs = this.tick[TickSlot.timeUs];
    const c = this.counters;
    const E = this.evalCells;
    const e = (instrument * this.venues + venue) * EVAL_STRIDE;
    const ev = E[e + EvalField.event];
    const delay = this.sources.updates(instrument, venue) - E[e + EvalField.startUpdate];
    if (ev === TickEvent.FrozenRun) {
      if ((flags & TickFlag.InjectedFrozen) === 0) {
        // the run ended undetected
        c.frozenRuns++;
        this.closeEvent(e, instrument, venue);
        return;
      }
      if (!stalled) return;
      const delayUs = sendTimeUs - E[e + EvalField.startUs];
      c.frozenRuns++;
      c.frozenRunsDetected++;
      c.frozenDelayTicksSum += delay;
      c.frozenDelayUsSum += delayUs;
      if (delay > c.frozenDelayTicksMax) c.frozenDelayTicksMax = delay;
      if (delayUs > c.frozenDelayUsMax) c.frozenDelayUsMax = delayUs;
      this.closeEvent(e, instrument, venue);
      return;
    }
    const quality = this.sources.quality(instrument, venue);
    if (ev === TickEvent.FrozenSource) {
      if (quality < this.config.evalFrozenScore) {
        c.frozenSourcesBelow++;
        if (delay <= this.config.evalFrozenWithin) c.frozenSourcesOnTime++;
        c.frozenSourceDelaySum += delay;
        if (delay > c.frozenSourceDelayMax) c.frozenSourceDelayMax = delay;
        this.closeEvent(e, instrument, venue);
      } else if (delay > this.config.evalFrozenWithin && E[e + EvalField.late] === 0) {
        c.frozenSourcesLate++;
        E[e + EvalField.late] = 1;
      }
      return;
    }
    if (ev === TickEvent.BiasedSource) {
      if (this.ranksBelowClean(instrument, venue, quality, sendTimeUs)) {
        c.biasedRankedLast++;
        if (delay <= this.config.evalBiasedWithin) c.biasedOnTime++;
        c.biasedDelaySum += delay;
        if (delay > c.biasedDelayMax) c.biasedDelayMax = delay;
        this.closeEvent(e, instrument, venue);
      } else if (delay > this.config.evalBiasedWithin && E[e + EvalField.late] === 0) {
        c.biasedLate++;
        E[e + EvalField.late] = 1;
      }
    }
  }

  private closeEvent(e: number, instrument: number, venue: number): void {
    // A faulty source stays marked once decided (the event negated): it is never a clean venue
    // that another faulty source of the instrument must rank below.
    const ev = this.evalCells[e + EvalField.event];
    this.evalCells[e + EvalField.event] = ev === TickEvent.FrozenRun ? 0 : -ev;
    this.scorerCells[(instrument * this.venues + venue) * SCORER_CELL_STRIDE + ScorerField.evalOpen] = 0;
  }

  /**
   * Whether the venue's score (at this tick) is below the score, decayed to now, of every clean
   * venue quoting the instrument: the "the faulty venue is found". Another faulty source
   * of the instrument (a frozen venue beside the biased one) is itself wrong and may rank lower.
   */
  private ranksBelowClean(instrument: number, venue: number, quality: number, nowUs: number): boolean {
    if (!(quality === quality)) return false;
    let others = 0;
    const E = this.evalCells;
    for (let w = 0; w < this.venues; w++) {
      if (w === venue) continue;
      const ev = Math.abs(E[(instrument * this.venues + w) * EVAL_STRIDE + EvalField.event]!);
      if (ev === TickEvent.FrozenSource || ev === TickEvent.BiasedSource) continue;
      const q = this.sources.quality(instrument, w);
      if (q !== q) continue;
      const last = this.sources.lastQuoteUs(instrument, w);
      const s = q * Math.exp(-(nowUs > last ? nowUs - last : 0) / this.tauUs);
      if (!(quality < s)) return false;
      others++;
    }
    return others > 0;
  }
}

/**
 * Analytics state shared by every analytics worker thread.
 *
 * Any worker may receive any frame, but a partition has at most one frame in flight and all
 * venues of an instrument live in one partition, so each instrument's cells have a single
 * writer at any moment. That is why plain (non-Atomics) typed-array reads and writes are
 * enough: the hand-over between workers goes through the pool's message passing, which orders
 * the memory accesses of the previous frame before those of the next.
 *
 * The state is a plain object of SharedArrayBuffers plus its dimensions: structured clone
 * (postMessage, piscina task arguments) shares the memory instead of copying it. Each thread
 * builds its own typed-array views with the wrappers below.
 *
 * Cell = (instrument, venue), index `instrument * venues + venue`.
 *
 * buffers.cellLines        Float64Array, CELL_LINE_STRIDE per cell (128 bytes: two cache lines): the
 *                          outlier detector's line, then the source scorer's. Every tick touches
 *                          both for its cell, and adjacent lines are fetched together; apart, each
 *                          was a miss of its own on a market of many instruments.
 * outlier line (outlierTable: OUTLIER_STRIDE per cell, the first 64 bytes of the cell's lines)
 *   +0 lastMid   last accepted mid (NaN = none yet)
 *   +1 mean      EWMA mean of the log return
 *   +2 var       EWMA variance of the log return (each update clipped, see OutlierDetector)
 *   +3 n         accepted returns so far (warm-up counter)
 *   +4 heldMid   mid of the venue's tick held for judgement on its next tick (NaN = none)
 *   +5 heldRet   that tick's log return from lastMid, less the mean (the "out" leg)
 *   +6 heldId    its id (source · 2³² + seq), for the alert raised once it is judged
 *   +7 heldUs    its send time, µs
 * buffers.outlierRejects   Uint8Array, 1 per cell: consecutive rejected ticks
 * buffers.scorerRows       Float64Array, SCORER_ROWS × venues per instrument, row-major: value
 *                          (i, row, v) at (i * SCORER_ROWS + row) * venues + v. Each tick scans
 *                          these across all venues, so they are rows: few cache lines per scan.
 *   row 0 mid        latest mid (+∞ = never quoted)
 *   row 1 spread     latest ask - bid (+∞ = never quoted)
 *   row 2 lastUs     time of the latest quote (NaN = never quoted)
 *   row 3 pendingUs  time of the venue's quote still waiting to be judged (NaN = none)
 *   row 4 pendingMid its mid
 *   row 5 pendingNewer other venues that have quoted since it (judged once enough have)
 *   row 6 awayUs     time of the venue's first update, in its current unchanged run and from the
 *                    scorerStallAfter-th on, that saw the consensus moved away from its price (NaN =
 *                    not away; a shorter run leaves an older run's time, ignored); the venue's own
 *                    field, kept as a row so the cell line stays one cache line
 *   row 7 pendingFirst the first venue that quoted after the waiting quote (valid while row 5 ≥ 1):
 *                    with one more, the two its reference is the mean of
 * scorer line (scorerCellTable: SCORER_CELL_STRIDE per cell, the last 64 bytes of the cell's
 *                          lines): fields only the venue's own tick touches
 *   +0 dev        EWMA of ((mid - consensus) / consensus spread)^2
 *   +1 devN       deviation samples so far (bias correction of the EWMA start)
 *   +2 uptime     EWMA of the fraction of time the venue's quote was fresh
 *   +3 stall      EWMA of "price unchanged for too many updates"
 *   +4 sameRun    consecutive updates with an unchanged mid
 *   +5 updates    the venue's updates of the instrument so far
 *   +6 evalOpen   1 while buffers.evalCells follows an event of this cell (scoring only; kept on
 *                 this line so that the per-tick check touches no other memory)
 *   +7 runConsensus  the consensus mid when the venue's mid last changed (its own mid when too
 *                 few venues were fresh to tell); +∞ once the run was found stalled
 * buffers.scorerOrder      Uint8Array, ORDER_ROWS × venues per instrument, row-major:
 *   row 0 midOrder   venue indices, the quoted ones first in ascending order of mid (ties in any order), then the
 *                    never-quoted ones; a tick moves only its own venue, so a median is a lookup
 *   row 1 midPos     inverse of midOrder: where each venue sits in it
 *   row 2 spreadOrder, row 3 spreadPos: the same by spread
 * buffers.scorerInstruments Float64Array, SCORER_INSTRUMENT_STRIDE per instrument (one line per two)
 *   +0 oldestUs  at most the oldest of the quoted venues' latest quote times (+∞ = none quoted):
 *                when it is fresh, every quoted venue is
 *   +1 quoted    venues that have quoted the instrument
 *   +2 latestUs  the latest quote time of the instrument so far (−∞ = none)
 *   +3 disordered 1 once a quote of the instrument came with an earlier time than one before it
 *                (quotes from several generators' clocks): the scorer's shortcuts that rest on
 *                times that never go back are off for it from then on
 *   +4 pending   bit v set while venue v has a quote waiting to be judged (pendingUs not NaN), so a
 *                tick visits only those (≤ 31 venues: the mask is an int32, exact in a double)
 *   +5 pendingDueUs at most the earliest waiting quote's time (the time-based reference,
 *                scorerReferenceAfterUs): no tick before it plus that delay visits the waiting quotes
 *   +6..+7       unused
 * buffers.quotes           Float64Array, QUOTE_STRIDE per cell, net of the venue's fee:
 *                          +0 bid·(1 − fee), +1 ask·(1 + fee) (NaN = no quote)
 * buffers.crossPairs       Uint16Array, CROSS_PAIR_STRIDE per instrument: ordered venue pairs
 *                          (u bids, w asks, u ≠ w) that are +0 crossed, +1 locked, net of fees
 * buffers.crossOpenedUs    Float64Array, 1 per instrument: when its open crossed window opened
 *                          (sendTimeUs), NaN once confirmed as tradeable or when none is open
 * buffers.crossQuoteUs     Float64Array, 1 per cell: send time of the venue's latest quote (NaN = none);
 *                          a window is confirmed only by quotes sent after it opened
 * buffers.crossMids        Float64Array, CROSS_MID_STRIDE per cell: the venue's last quotes as sent
 *                          (outlier-flagged ones too), for the consensus check of a cross
 *                          (analytics/quote-consensus.ts): +0 latest mid, +1 the one before,
 *                          +2 the one before that, +3 latest spread, +4 the send time of the
 *                          one before the latest (the latest's is in crossQuoteUs), +5 lowest
 *                          and +6 highest mid of its steady run, which began at +7 (send time):
 *                          quotes within a spread of one another (NaN = none); +8 lowest and +9
 *                          highest mid of the run before it, which began at +10 (a witness's
 *                          quotes since a departure, QuoteConsensus.witnesses); +11 when the
 *                          venue's departure from the consensus began and +12 its side (+1 up,
 *                          −1 down) while it keeps quoting in the run it departed in (NaN
 *                          otherwise, QuoteConsensus.classify); +13..+15 unused,
 *                          so that a cell is two whole 64-byte lines (the second touched only
 *                          when a run ends and when a cross is classified)
 * buffers.crossTradeable   Uint8Array, CROSS_TRADEABLE_STRIDE per instrument: +0 1 while a
 *                          consensus-consistent cross is open, +1 venues whose quote is withdrawn
 *                          from the book (judged bad), +2 venues that moved by more than their
 *                          spread between their two quotes before the latest (could be departed:
 *                          QuoteConsensus), +3 venues holding a departure found before (crossMids +11)
 * buffers.fxPairTradeable  Uint8Array, 1 per FX pair: 1 while a triangle containing the pair is open
 *                          on consensus-consistent legs
 * buffers.outlierJumps     Float64Array, OUTLIER_JUMP_STRIDE per instrument: a flagged move waiting
 *                          to be confirmed by another venue as a genuine jump
 *   +0 return    the flagged log return (NaN = none)
 *   +1 left      ticks of the instrument it may still be confirmed on
 *   +2 venue     the venue that raised it: only a different venue can confirm it
 *   +3 deadline  at most the earliest time (µs) by which a held tick of the instrument is to be
 *                decided without its venue's next quote (NaN = none held with a deadline); a
 *                tick past it scans the instrument's venues and sets it again
 *   +4 us        the send time of the tick that raised the move (µs)
 *   +5..+7       unused
 * buffers.outlierFlat      Uint8Array, 1 per cell: consecutive accepted ticks with an unchanged mid
 * buffers.outlierFirstUs   Float64Array, 1 per cell: the venue's first quote time (µs, NaN = none):
 *                          with the scorer line's updates, its mean quote interval, which sets how
 *                          long a held tick of the venue may wait for its next quote
 * buffers.fxLegs           Float64Array, 2 per FX pair: +0 −ln best net bid, +1 ln best net ask
 *                          across venues (+∞ = no quote)
 * buffers.fxTriangles      Uint8Array, 1 per triangle: bit 0 forward cycle open, bit 1 backward
 * buffers.fxTriangleOpenedUs Float64Array, 2 per triangle (forward, backward): when the open cycle
 *                          opened (send time), NaN once confirmed or when it is not open
 * buffers.fxPairUpdates    Float64Array, 1 per FX pair: the pair's ticks so far (an integer, exact to
 *                          2⁵³), the version of everything a pair's trusted legs depend on: the
 *                          triangular detector's leg cache is keyed by it. Shared, so a worker that
 *                          takes the pair over sees the ticks another one analysed.
 * buffers.evalCells        Float64Array, EVAL_STRIDE per cell: scoring against the generator's
 *                          labels, not detection: +0 open event (TickEvent, 0 = none; a faulty
 *                          source's event negated once decided: the venue stays marked), +1 the
 *                          cell's update count at its start, +2 its intended time, +3 1 once it
 *                          was counted as late
 * buffers.evalInstruments  Uint8Array, 1 per instrument: 1 = hosts injected faulty sources (left
 *                          out of the venue score averages the ranking is checked on)
 *
 * dims.fxCurrencies / dims.fxFirstInstrument place the FX universe (analytics/market-conventions.ts);
 * fxCurrencies is 0 when there is none.
 */

import type { TickLabelsShared } from './tick-labels.js';
import { DEFAULT_FX_CURRENCIES, DEFAULT_FX_FIRST_INSTRUMENT, fxLayout, type FxLayout } from './market-conventions.js';

export interface AnalyticsDims {
  instruments: number;
  venues: number;
  /** Currencies of the FX universe (default 5; 0 = none; none either when the pairs do not fit). */
  fxCurrencies?: number;
  /** Instrument of the first FX pair (default 20). */
  fxFirstInstrument?: number;
}

export interface AnalyticsBuffers {
  cellLines: SharedArrayBuffer;
  outlierRejects: SharedArrayBuffer;
  scorerRows: SharedArrayBuffer;
  scorerOrder: SharedArrayBuffer;
  scorerInstruments: SharedArrayBuffer;
  quotes: SharedArrayBuffer;
  crossPairs: SharedArrayBuffer;
  crossOpenedUs: SharedArrayBuffer;
  crossQuoteUs: SharedArrayBuffer;
  crossMids: SharedArrayBuffer;
  crossTradeable: SharedArrayBuffer;
  fxPairTradeable: SharedArrayBuffer;
  outlierJumps: SharedArrayBuffer;
  outlierFlat: SharedArrayBuffer;
  outlierFirstUs: SharedArrayBuffer;
  fxLegs: SharedArrayBuffer;
  fxTriangles: SharedArrayBuffer;
  fxTriangleOpenedUs: SharedArrayBuffer;
  fxPairUpdates: SharedArrayBuffer;
  evalCells: SharedArrayBuffer;
  evalInstruments: SharedArrayBuffer;
}

export interface AnalyticsSharedState {
  dims: AnalyticsDims;
  buffers: AnalyticsBuffers;
  /**
   * The generator's labels by (source, seq) when the generator runs in this process
   * (analytics/tick-labels.ts); absent otherwise, and then nothing is scored against labels.
   */
  labels?: TickLabelsShared;
}

export const MAX_INSTRUMENTS = 1_000_000;
export const MAX_VENUES = 64;
/**
 * Tables take about 300 bytes per cell, so this is about 2.4 GB (1M instruments × 8 venues): a
 * run that needs more is more likely a typo in --instruments or --venues than a plan, and is
 * better refused up front than swapped to death.
 */
export const MAX_CELLS = 8_388_608;

/** Doubles per cell in buffers.cellLines: the outlier line, then the scorer line. */
export const CELL_LINE_STRIDE = 16;
export const OUTLIER_STRIDE = CELL_LINE_STRIDE;
export const OutlierField = { lastMid: 0, mean: 1, variance: 2, n: 3, heldMid: 4, heldRet: 5, heldId: 6, heldUs: 7 } as const;

export const SCORER_ROWS = 8;
export const ScorerRow = {
  mid: 0,
  spread: 1,
  lastUs: 2,
  pendingUs: 3,
  pendingMid: 4,
  pendingNewer: 5,
  awayUs: 6,
  pendingFirst: 7,
} as const;
export const SCORER_CELL_STRIDE = CELL_LINE_STRIDE;
export const ScorerField = { dev: 0, devN: 1, uptime: 2, stall: 3, sameRun: 4, updates: 5, evalOpen: 6, runConsensus: 7 } as const;
export const SCORER_INSTRUMENT_STRIDE = 8;
export const ScorerInstrumentField = { oldestUs: 0, quoted: 1, latestUs: 2, disordered: 3, pending: 4, pendingDueUs: 5 } as const;
export const ORDER_ROWS = 4;
export const OrderRow = { midOrder: 0, midPos: 1, spreadOrder: 2, spreadPos: 3 } as const;

export const QUOTE_STRIDE = 2;
export const CROSS_PAIR_STRIDE = 2;
export const CROSS_TRADEABLE_STRIDE = 4;
export const CROSS_MID_STRIDE = 16;
export const CrossMidField = {
  mid: 0,
  prevMid: 1,
  prevMid2: 2,
  spread: 3,
  prevUs: 4,
  low: 5,
  high: 6,
  steadyUs: 7,
  runBeforeLow: 8,
  runBeforeHigh: 9,
  runBeforeUs: 10,
  departedUs: 11,
  departedSide: 12,
} as const;
export const OUTLIER_JUMP_STRIDE = 8;
export const OutlierJumpField = { ret: 0, left: 1, venue: 2, deadline: 3, us: 4 } as const;
export const EVAL_STRIDE = 4;
export const EvalField = { event: 0, startUpdate: 1, startUs: 2, late: 3 } as const;

/** The FX universe of a state (null when it has none). Every thread derives the same layout from dims. */
export function stateFxLayout(state: AnalyticsSharedState): FxLayout | null {
  return fxLayout(state.dims.instruments, state.dims.fxCurrencies ?? 0, state.dims.fxFirstInstrument ?? DEFAULT_FX_FIRST_INSTRUMENT);
}

function checkDims(dims: AnalyticsDims): void {
  const { instruments, venues } = dims;
  if (!Number.isInteger(instruments) || instruments < 1 || instruments > MAX_INSTRUMENTS) {
    throw new RangeError(`dims.instruments must be an integer in 1..${MAX_INSTRUMENTS}, got ${instruments}`);
  }
  if (!Number.isInteger(venues) || venues < 1 || venues > MAX_VENUES) {
    throw new RangeError(`dims.venues must be an integer in 1..${MAX_VENUES}, got ${venues}`);
  }
  if (instruments * venues > MAX_CELLS) {
    throw new RangeError(`dims.instruments × dims.venues must be at most ${MAX_CELLS}, got ${instruments} × ${venues}`);
  }
}

function fillStrided(table: Float64Array, stride: number, field: number, value: number): void {
  for (let i = field; i < table.length; i += stride) table[i] = value;
}

/** Allocates and initialises the shared tables. Call once, in the main thread. */
export function createAnalyticsState(dims: AnalyticsDims): AnalyticsSharedState {
  checkDims(dims);
  const cells = dims.instruments * dims.venues;
  const fxFirstInstrument = dims.fxFirstInstrument ?? DEFAULT_FX_FIRST_INSTRUMENT;
  const fx = fxLayout(dims.instruments, dims.fxCurrencies ?? DEFAULT_FX_CURRENCIES, fxFirstInstrument);
  const state: AnalyticsSharedState = {
    dims: { instruments: dims.instruments, venues: dims.venues, fxCurrencies: fx?.currencies ?? 0, fxFirstInstrument },
    buffers: {
      cellLines: new SharedArrayBuffer(cells * CELL_LINE_STRIDE * 8),
      outlierRejects: new SharedArrayBuffer(cells),
      scorerRows: new SharedArrayBuffer(cells * SCORER_ROWS * 8),
      scorerOrder: new SharedArrayBuffer(cells * ORDER_ROWS),
      scorerInstruments: new SharedArrayBuffer(dims.instruments * SCORER_INSTRUMENT_STRIDE * 8),
      quotes: new SharedArrayBuffer(cells * QUOTE_STRIDE * 8),
      crossPairs: new SharedArrayBuffer(dims.instruments * CROSS_PAIR_STRIDE * 2),
      crossOpenedUs: new SharedArrayBuffer(dims.instruments * 8),
      crossQuoteUs: new SharedArrayBuffer(cells * 8),
      crossMids: new SharedArrayBuffer(cells * CROSS_MID_STRIDE * 8),
      crossTradeable: new SharedArrayBuffer(dims.instruments * CROSS_TRADEABLE_STRIDE),
      fxPairTradeable: new SharedArrayBuffer(fx?.pairs ?? 0),
      outlierJumps: new SharedArrayBuffer(dims.instruments * OUTLIER_JUMP_STRIDE * 8),
      outlierFlat: new SharedArrayBuffer(cells),
      outlierFirstUs: new SharedArrayBuffer(cells * 8),
      fxLegs: new SharedArrayBuffer((fx?.pairs ?? 0) * 2 * 8),
      fxTriangles: new SharedArrayBuffer(fx?.triangles ?? 0),
      fxTriangleOpenedUs: new SharedArrayBuffer((fx?.triangles ?? 0) * 2 * 8),
      fxPairUpdates: new SharedArrayBuffer((fx?.pairs ?? 0) * 8),
      evalCells: new SharedArrayBuffer(cells * EVAL_STRIDE * 8),
      evalInstruments: new SharedArrayBuffer(dims.instruments),
    },
  };
  fillStrided(outlierJumpTable(state), OUTLIER_JUMP_STRIDE, OutlierJumpField.ret, NaN);
  fillStrided(outlierJumpTable(state), OUTLIER_JUMP_STRIDE, OutlierJumpField.deadline, NaN);
  outlierFirstUsTable(state).fill(NaN);
  fxLegTable(state).fill(Infinity);
  // NaN marks "nothing seen yet" so the hot path needs no separate presence bitmap.
  fillStrided(outlierTable(state), OUTLIER_STRIDE, OutlierField.lastMid, NaN);
  fillStrided(outlierTable(state), OUTLIER_STRIDE, OutlierField.heldMid, NaN);
  // Never-quoted mids and spreads are +∞ so that they sort after every real price with plain
  // comparisons; a never-quoted time is NaN (every freshness test fails on it).
  const V = dims.venues;
  const rows = scorerRowTable(state);
  rows.fill(Infinity);
  for (let i = 0; i < dims.instruments; i++) {
    const lastUs = (i * SCORER_ROWS + ScorerRow.lastUs) * V;
    rows.fill(NaN, lastUs, lastUs + V);
    const pendingUs = (i * SCORER_ROWS + ScorerRow.pendingUs) * V;
    rows.fill(NaN, pendingUs, pendingUs + V);
    const awayUs = (i * SCORER_ROWS + ScorerRow.awayUs) * V;
    rows.fill(NaN, awayUs, awayUs + V);
  }
  fillStrided(scorerInstrumentTable(state), SCORER_INSTRUMENT_STRIDE, ScorerInstrumentField.oldestUs, Infinity);
  fillStrided(scorerInstrumentTable(state), SCORER_INSTRUMENT_STRIDE, ScorerInstrumentField.latestUs, -Infinity);
  // Identity permutations: every order and its inverse start as 0..venues-1.
  const order = scorerOrderTable(state);
  for (let k = 0; k < order.length; k++) order[k] = k % V;
  quoteTable(state).fill(NaN);
  crossOpenedTable(state).fill(NaN);
  crossQuoteTable(state).fill(NaN);
  crossMidTable(state).fill(NaN);
  fxTriangleOpenedTable(state).fill(NaN);
  return state;
}

/**
 * Rejects a state whose buffers do not match its dims (e.g. built by another version or
 * hand-assembled), before a worker indexes out of bounds and silently reads undefined.
 */
function checkBuffer(state: AnalyticsSharedState, name: keyof AnalyticsBuffers, bytes: number): SharedArrayBuffer {
  const buf = state.buffers[name];
  if (!(buf instanceof SharedArrayBuffer) || buf.byteLength !== bytes) {
    throw new TypeError(`analytics state buffer '${name}' must be a SharedArrayBuffer of ${bytes} bytes`);
  }
  return buf;
}

function cellCount(state: AnalyticsSharedState): number {
  checkDims(state.dims);
  return state.dims.instruments * state.dims.venues;
}

export function outlierTable(state: AnalyticsSharedState): Float64Array {
  return new Float64Array(checkBuffer(state, 'cellLines', cellCount(state) * CELL_LINE_STRIDE * 8));
}

export function outlierRejectTable(state: AnalyticsSharedState): Uint8Array {
  return new Uint8Array(checkBuffer(state, 'outlierRejects', cellCount(state)));
}

export function scorerRowTable(state: AnalyticsSharedState): Float64Array {
  return new Float64Array(checkBuffer(state, 'scorerRows', cellCount(state) * SCORER_ROWS * 8));
}

export function scorerCellTable(state: AnalyticsSharedState): Float64Array {
  // From the cell's second 64 bytes on: index (cell · SCORER_CELL_STRIDE + field) as before.
  return new Float64Array(checkBuffer(state, 'cellLines', cellCount(state) * CELL_LINE_STRIDE * 8), 64);
}

export function scorerOrderTable(state: AnalyticsSharedState): Uint8Array {
  return new Uint8Array(checkBuffer(state, 'scorerOrder', cellCount(state) * ORDER_ROWS));
}

export function scorerInstrumentTable(state: AnalyticsSharedState): Float64Array {
  checkDims(state.dims);
  return new Float64Array(checkBuffer(state, 'scorerInstruments', state.dims.instruments * SCORER_INSTRUMENT_STRIDE * 8));
}

export function quoteTable(state: AnalyticsSharedState): Float64Array {
  return new Float64Array(checkBuffer(state, 'quotes', cellCount(state) * QUOTE_STRIDE * 8));
}

export function crossPairTable(state: AnalyticsSharedState): Uint16Array {
  checkDims(state.dims);
  return new Uint16Array(checkBuffer(state, 'crossPairs', state.dims.instruments * CROSS_PAIR_STRIDE * 2));
}

export function crossOpenedTable(state: AnalyticsSharedState): Float64Array {
  checkDims(state.dims);
  return new Float64Array(checkBuffer(state, 'crossOpenedUs', state.dims.instruments * 8));
}

export function crossQuoteTable(state: AnalyticsSharedState): Float64Array {
  return new Float64Array(checkBuffer(state, 'crossQuoteUs', cellCount(state) * 8));
}

export function crossMidTable(state: AnalyticsSharedState): Float64Array {
  return new Float64Array(checkBuffer(state, 'crossMids', cellCount(state) * CROSS_MID_STRIDE * 8));
}

export function crossTradeableTable(state: AnalyticsSharedState): Uint8Array {
  checkDims(state.dims);
  return new Uint8Array(checkBuffer(state, 'crossTradeable', state.dims.instruments * CROSS_TRADEABLE_STRIDE));
}

export function fxPairTradeableTable(state: AnalyticsSharedState): Uint8Array {
  return new Uint8Array(checkBuffer(state, 'fxPairTradeable', stateFxLayout(state)?.pairs ?? 0));
}

export function outlierJumpTable(state: AnalyticsSharedState): Float64Array {
  checkDims(state.dims);
  return new Float64Array(checkBuffer(state, 'outlierJumps', state.dims.instruments * OUTLIER_JUMP_STRIDE * 8));
}

export function outlierFlatTable(state: AnalyticsSharedState): Uint8Array {
  return new Uint8Array(checkBuffer(state, 'outlierFlat', cellCount(state)));
}

export function outlierFirstUsTable(state: AnalyticsSharedState): Float64Array {
  return new Float64Array(checkBuffer(state, 'outlierFirstUs', cellCount(state) * 8));
}

export function fxLegTable(state: AnalyticsSharedState): Float64Array {
  return new Float64Array(checkBuffer(state, 'fxLegs', (stateFxLayout(state)?.pairs ?? 0) * 2 * 8));
}

export function fxTriangleTable(state: AnalyticsSharedState): Uint8Array {
  return new Uint8Array(checkBuffer(state, 'fxTriangles', stateFxLayout(state)?.triangles ?? 0));
}

export function fxTriangleOpenedTable(state: AnalyticsSharedState): Float64Array {
  return new Float64Array(checkBuffer(state, 'fxTriangleOpenedUs', (stateFxLayout(state)?.triangles ?? 0) * 2 * 8));
}

export function fxPairUpdateTable(state: AnalyticsSharedState): Float64Array {
  return new Float64Array(checkBuffer(state, 'fxPairUpdates', (stateFxLayout(state)?.pairs ?? 0) * 8));
}

export function evalCellTable(state: AnalyticsSharedState): Float64Array {
  return new Float64Array(checkBuffer(state, 'evalCells', cellCount(state) * EVAL_STRIDE * 8));
}

export function evalInstrumentTable(state: AnalyticsSharedState): Uint8Array {
  checkDims(state.dims);
  return new Uint8Array(checkBuffer(state, 'evalInstruments', state.dims.instruments));
}

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
 * buffers.outlier          Float64Array, OUTLIER_STRIDE per cell
 *   +0 lastMid   last accepted mid (NaN = none yet)
 *   +1 mean      EWMA mean of the log return
 *   +2 var       EWMA variance of the log return
 *   +3 n         accepted returns so far (warm-up counter)
 * buffers.outlierRejects   Uint8Array, 1 per cell: consecutive rejected ticks
 * buffers.scorer           Float64Array, one block of SCORER_ROWS × venues per instrument,
 *                          row-major: value (i, v, row) at (i * SCORER_ROWS + row) * venues + v.
 *                          Rows rather than per-cell records because every tick scans one row
 *                          (mids, spreads, times) across all venues: fewer cache lines.
 *   row 0 mid        latest mid (NaN = never quoted)
 *   row 1 spread     latest ask - bid
 *   row 2 lastUs     time of the latest quote (NaN = never quoted)
 *   row 3 dev        EWMA of ((mid - consensus) / consensus spread)^2
 *   row 4 uptime     EWMA of the fraction of time the venue's quote was fresh
 *   row 5 stall      EWMA of "price unchanged for too many updates"
 *   row 6 devN       deviation samples so far (bias correction of the EWMA start)
 *   row 7 sameRun    consecutive updates with an unchanged mid
 * buffers.midOrder         Uint8Array, venues per instrument: a permutation of the venues,
 * buffers.spreadOrder      last known ascending order of mids / spreads (quoted venues first);
 *                          feeding the median's insertion sort in this order makes it ~O(venues).
 * buffers.quotes           Float64Array, QUOTE_STRIDE per cell: +0 bid, +1 ask (NaN = no quote)
 * buffers.crossPairs       Uint16Array, CROSS_PAIR_STRIDE per instrument: ordered venue pairs
 *                          (u bids, w asks, u ≠ w) that are +0 crossed, +1 locked, net of fees
 */

export interface AnalyticsDims {
  instruments: number;
  venues: number;
}

export interface AnalyticsBuffers {
  outlier: SharedArrayBuffer;
  outlierRejects: SharedArrayBuffer;
  scorer: SharedArrayBuffer;
  midOrder: SharedArrayBuffer;
  spreadOrder: SharedArrayBuffer;
  quotes: SharedArrayBuffer;
  crossPairs: SharedArrayBuffer;
}

export interface AnalyticsSharedState {
  dims: AnalyticsDims;
  buffers: AnalyticsBuffers;
}

export const MAX_INSTRUMENTS = 1_000_000;
export const MAX_VENUES = 64;
/** About 1.6 GB of tables at ~100 bytes per cell: beyond this the allocation is the real limit. */
export const MAX_CELLS = 16_777_216;

export const OUTLIER_STRIDE = 4;
export const OutlierField = { lastMid: 0, mean: 1, variance: 2, n: 3 } as const;

export const SCORER_ROWS = 8;
export const ScorerRow = {
  mid: 0, spread: 1, lastUs: 2, dev: 3, uptime: 4, stall: 5, devN: 6, sameRun: 7,
} as const;

export const QUOTE_STRIDE = 2;
export const CROSS_PAIR_STRIDE = 2;

function checkDims(dims: AnalyticsDims): void {
  const { instruments, venues } = dims;
  if (!Number.isInteger(instruments) || instruments < 1 || instruments > MAX_INSTRUMENTS) {
    throw new RangeError(`dims.instruments must be an integer in 1..${MAX_INSTRUMENTS}, got ${instruments}`);
  }
  if (!Number.isInteger(venues) || venues < 1 || venues > MAX_VENUES) {
    throw new RangeError(`dims.venues must be an integer in 1..${MAX_VENUES}, got ${venues}`);
  }
  if (instruments * venues > MAX_CELLS) {
    throw new RangeError(
      `dims.instruments × dims.venues must be at most ${MAX_CELLS}, got ${instruments} × ${venues}`,
    );
  }
}

function fillStrided(table: Float64Array, stride: number, field: number, value: number): void {
  for (let i = field; i < table.length; i += stride) table[i] = value;
}

/** Allocates and initialises the shared tables. Call once, in the main thread. */
export function createAnalyticsState(dims: AnalyticsDims): AnalyticsSharedState {
  checkDims(dims);
  const cells = dims.instruments * dims.venues;
  const state: AnalyticsSharedState = {
    dims: { instruments: dims.instruments, venues: dims.venues },
    buffers: {
      outlier: new SharedArrayBuffer(cells * OUTLIER_STRIDE * 8),
      outlierRejects: new SharedArrayBuffer(cells),
      scorer: new SharedArrayBuffer(cells * SCORER_ROWS * 8),
      midOrder: new SharedArrayBuffer(cells),
      spreadOrder: new SharedArrayBuffer(cells),
      quotes: new SharedArrayBuffer(cells * QUOTE_STRIDE * 8),
      crossPairs: new SharedArrayBuffer(dims.instruments * CROSS_PAIR_STRIDE * 2),
    },
  };
  // NaN marks "nothing seen yet" so the hot path needs no separate presence bitmap.
  fillStrided(outlierTable(state), OUTLIER_STRIDE, OutlierField.lastMid, NaN);
  const scorer = scorerTable(state);
  const V = dims.venues;
  for (let i = 0; i < dims.instruments; i++) {
    const block = i * SCORER_ROWS * V;
    scorer.fill(NaN, block + ScorerRow.mid * V, block + (ScorerRow.mid + 1) * V);
    scorer.fill(NaN, block + ScorerRow.lastUs * V, block + (ScorerRow.lastUs + 1) * V);
  }
  const midOrder = midOrderTable(state);
  const spreadOrder = spreadOrderTable(state);
  for (let c = 0; c < cells; c++) {
    midOrder[c] = c % V;
    spreadOrder[c] = c % V;
  }
  quoteTable(state).fill(NaN);
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
  return new Float64Array(checkBuffer(state, 'outlier', cellCount(state) * OUTLIER_STRIDE * 8));
}

export function outlierRejectTable(state: AnalyticsSharedState): Uint8Array {
  return new Uint8Array(checkBuffer(state, 'outlierRejects', cellCount(state)));
}

export function scorerTable(state: AnalyticsSharedState): Float64Array {
  return new Float64Array(checkBuffer(state, 'scorer', cellCount(state) * SCORER_ROWS * 8));
}

export function midOrderTable(state: AnalyticsSharedState): Uint8Array {
  return new Uint8Array(checkBuffer(state, 'midOrder', cellCount(state)));
}

export function spreadOrderTable(state: AnalyticsSharedState): Uint8Array {
  return new Uint8Array(checkBuffer(state, 'spreadOrder', cellCount(state)));
}

export function quoteTable(state: AnalyticsSharedState): Float64Array {
  return new Float64Array(checkBuffer(state, 'quotes', cellCount(state) * QUOTE_STRIDE * 8));
}

export function crossPairTable(state: AnalyticsSharedState): Uint16Array {
  checkDims(state.dims);
  return new Uint16Array(checkBuffer(state, 'crossPairs', state.dims.instruments * CROSS_PAIR_STRIDE * 2));
}

/**
 * The tick under analysis, handed to the detectors through memory instead of call arguments: a
 * double passed to a call V8 does not inline is boxed into a fresh heap number, several per tick
 * across the detectors' entry calls. FrameAnalyzer writes the slots once per tick and each
 * detector's `onQuote` reads the ones it needs; only small integers (instrument, venue, flags)
 * cross the calls. One per analyzer (per thread), never shared between threads.
 *
 * Layout: Float64Array of CURRENT_TICK_SLOTS, indexed by TickSlot:
 *   0 bid          as sent
 *   1 ask          as sent
 *   2 timeUs       the tick's send time, µs since epoch
 *   3 mid          0.5 · (bid + ask)
 *   4 halfSpread   relative half spread, (ask − bid) / (ask + bid)
 *   5 id           source · 2³² + seq (exact in a double), returned with a held tick's verdict
 *   6, 7           unused (one 64-byte line)
 */
export const TickSlot = { bid: 0, ask: 1, timeUs: 2, mid: 3, halfSpread: 4, id: 5 } as const;
export const CURRENT_TICK_SLOTS = 8;

export function createCurrentTick(): Float64Array {
  return new Float64Array(CURRENT_TICK_SLOTS).fill(NaN);
}

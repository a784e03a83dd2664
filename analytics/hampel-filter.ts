import { logReturn } from './outlier-detector.js';

/**
 * Hampel filter, the robust baseline the outlier detector is scored against: a cell's return is
 * an outlier when it lies more than t · max(1.4826 · MAD, floor) from the median of the cell's
 * last `window` accepted returns; the floor is `floorHalfSpreads` half spreads of the tick's own
 * quote, like the detector's. A flagged tick is not accepted; after `maxRejects` in a row its
 * price becomes the new reference. O(window · log window) per tick: a scoring tool, not a hot path.
 */
export class HampelFilter {
  private readonly returns: Float64Array;
  private readonly count: Uint16Array;
  private readonly head: Uint16Array;
  private readonly last: Float64Array;
  private readonly rejects: Uint8Array;
  private readonly scratch: Float64Array;
  private readonly dev: Float64Array;

  constructor(
    cells: number,
    private readonly window = 32,
    private readonly t = 6,
    private readonly floorHalfSpreads = 1,
    private readonly maxRejects = 3,
  ) {
    this.returns = new Float64Array(cells * window);
    this.count = new Uint16Array(cells);
    this.head = new Uint16Array(cells);
    this.last = new Float64Array(cells).fill(NaN);
    this.rejects = new Uint8Array(cells);
    this.scratch = new Float64Array(window);
    this.dev = new Float64Array(window);
  }

  /** True when the tick's mid is flagged. `halfSpread` is (ask − bid) / (ask + bid). */
  flag(cell: number, mid: number, halfSpread = 0): boolean {
    if (!(mid > 0 && mid < Infinity)) return true;
    const last = this.last[cell]!;
    if (last !== last) {
      this.last[cell] = mid;
      return false;
    }
    const r = logReturn(mid, last);
    if (!Number.isFinite(r)) return this.reject(cell, mid);
    const W = this.window;
    const n = this.count[cell]!;
    if (n >= W) {
      const hist = this.scratch;
      hist.set(this.returns.subarray(cell * W, cell * W + W));
      hist.sort();
      const med = 0.5 * (hist[(W - 1) >> 1]! + hist[W >> 1]!);
      for (let k = 0; k < W; k++) this.dev[k] = Math.abs(hist[k]! - med);
      this.dev.sort();
      const mad = 0.5 * (this.dev[(W - 1) >> 1]! + this.dev[W >> 1]!);
      const floor = this.floorHalfSpreads * halfSpread;
      const sigma = Math.max(1.4826 * mad, floor, 1e-12);
      if (Math.abs(r - med) > this.t * sigma) return this.reject(cell, mid);
    }
    const h = this.head[cell]!;
    this.returns[cell * W + h] = r;
    this.head[cell] = (h + 1) % W;
    if (n < W) this.count[cell] = n + 1;
    this.last[cell] = mid;
    this.rejects[cell] = 0;
    return false;
  }

  private reject(cell: number, mid: number): true {
    const run = this.rejects[cell]! + 1;
    if (run >= this.maxRejects) {
      this.last[cell] = mid;
      this.rejects[cell] = 0;
    } else {
      this.rejects[cell] = run;
    }
    return true;
  }
}

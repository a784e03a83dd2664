import { Prng } from '../../loadgen/prng.js';
import type { Estimate } from '../../run/sweep-result.js';

/** The median of the values (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The q-quantile (0..1) of sorted values, interpolating between neighbours. */
function quantileSorted(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface BootstrapOptions {
  /** Two-sided coverage of the interval, e.g. 0.95. */
  confidence: number;
  resamples: number;
  /** Fixed, so the same samples always give the same interval. */
  seed: number;
}

export const DEFAULT_BOOTSTRAP: Readonly<BootstrapOptions> = Object.freeze({ confidence: 0.95, resamples: 2000, seed: 1 });

/**
 * The median of every sample pooled, with a percentile-bootstrap interval that resamples at two
 * levels: first the groups (repeats), then the samples within each chosen group (its per-second
 * values). Resampling only the pooled seconds would treat a slow repeat's seconds as independent
 * evidence and give an interval far too narrow; resampling the groups keeps run-to-run drift in it.
 * Groups without samples are ignored; with none at all every figure is NaN.
 */
export function medianInterval(groups: ReadonlyArray<readonly number[]>, options: BootstrapOptions = DEFAULT_BOOTSTRAP): Estimate {
  const filled = groups.filter((g) => g.length > 0);
  if (filled.length === 0) return { median: Number.NaN, low: Number.NaN, high: Number.NaN };
  const pooled = filled.flat();
  const point = median(pooled);
  const random = new Prng(options.seed);
  const medians = new Float64Array(options.resamples);
  const scratch: number[] = [];
  for (let r = 0; r < options.resamples; r++) {
    scratch.length = 0;
    for (let g = 0; g < filled.length; g++) {
      const group = filled[random.nextBelow(filled.length)]!;
      for (let i = 0; i < group.length; i++) scratch.push(group[random.nextBelow(group.length)]!);
    }
    medians[r] = median(scratch);
  }
  medians.sort();
  const tail = (1 - options.confidence) / 2;
  const sorted = Array.from(medians);
  // The point estimate always lies inside its own interval, even where resampling is degenerate.
  return { median: point, low: Math.min(point, quantileSorted(sorted, tail)), high: Math.max(point, quantileSorted(sorted, 1 - tail)) };
}

/** One value per repeat: each repeat is its own group of one. */
export function medianOfRepeats(values: readonly number[], options: BootstrapOptions = DEFAULT_BOOTSTRAP): Estimate {
  return medianInterval(
    values.map((v) => [v]),
    options,
  );
}

/** Do two intervals share any value? */
export function overlaps(a: { low: number; high: number }, b: { low: number; high: number }): boolean {
  return a.low <= b.high && b.low <= a.high;
}

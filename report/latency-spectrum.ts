import { createMergeHistogram, decodeHistogram, mergeEncoded, type Histogram } from '../metrics/latency-histogram.js';

export interface SpectrumPoint {
  /** 1/(1-p): the HdrHistogram plot's x, so that 90%, 99%, 99.9%... are evenly spaced on a log axis. */
  x: number;
  /** p in percent (0-100). */
  percentile: number;
  valueUs: number;
}

/** An encoded histogram, several to merge (e.g. one per partition), or a histogram. */
export type SpectrumSource = Histogram | string | readonly string[];

export interface SpectrumOptions {
  /** How far into the tail to go, in nines: 5 reaches 99.999%. */
  maxNines?: number;
  /** Step in log10(x); 0.05 gives 20 points per decade, smooth enough for a step-shaped tail. */
  step?: number;
}

/**
 * The percentile spectrum: p = 1 − 10^(−n) for n from 0 up in `step`, stopping where the
 * percentile would need more samples than the histogram holds (beyond 1/count the value is
 * just the max, which is appended as the final point when it falls within range).
 */
export function latencySpectrum(source: SpectrumSource, options: SpectrumOptions = {}): SpectrumPoint[] {
  const maxNines = options.maxNines ?? 5;
  const step = options.step ?? 0.05;
  const { histogram, owned } = resolve(source);
  try {
    const count = histogram.totalCount;
    if (count === 0) return [];
    const reach = Math.min(maxNines, Math.log10(count));
    const points: SpectrumPoint[] = [];
    const steps = Math.floor(reach / step + 1e-9);
    for (let i = 0; i <= steps; i++) {
      const nines = i * step;
      const percentile = 100 * (1 - 10 ** -nines);
      points.push({ x: 10 ** nines, percentile, valueUs: histogram.getValueAtPercentile(percentile) });
    }
    // The max is the 1/count-th tail: draw it only if that tail lies inside the plotted range.
    if (Math.log10(count) <= maxNines + 1e-9) {
      points.push({ x: count, percentile: 100, valueUs: histogram.maxValue });
    }
    return points;
  } finally {
    if (owned) histogram.destroy();
  }
}

function resolve(source: SpectrumSource): { histogram: Histogram; owned: boolean } {
  if (typeof source === 'string') return { histogram: source ? decodeHistogram(source) : createMergeHistogram(), owned: true };
  if (isEncodedList(source)) {
    const merged = createMergeHistogram();
    for (const encoded of source) mergeEncoded(merged, encoded);
    return { histogram: merged, owned: true };
  }
  return { histogram: source, owned: false };
}

function isEncodedList(source: Histogram | readonly string[]): source is readonly string[] {
  return Array.isArray(source);
}

/**
 * The spectrum for a page, from histograms read from a file: one that will not decode gives no
 * points (the chart says there is no data) rather than no page.
 */
export function pageSpectrum(source: SpectrumSource, options: SpectrumOptions = {}): SpectrumPoint[] {
  try {
    return latencySpectrum(source, options);
  } catch {
    return [];
  }
}

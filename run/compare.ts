import type { RunResult } from './run-result.js';
import type { TimelinePoint } from '../ingest/stats-collector.js';

export interface ComparisonRow {
  metric: string;
  unit: 'us' | 'ticks/s' | 'ticks';
  a: number;
  b: number;
  delta: number;
  /** (b − a) / a, or null when a is 0. */
  relative: number | null;
  /** True when the difference is within what repeated runs of one setting vary by. */
  withinNoise: boolean;
  /** Whether a larger value is better (throughput) or worse (latency, loss). */
  higherIsBetter: boolean;
}

interface Series {
  mean: number;
  variance: number;
  n: number;
}

/** Per-second samples from a run's timeline: analysed ticks/s and interval p99, warm-up second dropped. */
function seconds(timeline: TimelinePoint[]): { rate: number[]; p99: number[] } {
  const rate: number[] = [];
  const p99: number[] = [];
  for (let i = 1; i < timeline.length; i++) {
    const dt = timeline[i]!.t - timeline[i - 1]!.t;
    if (dt <= 0.5) continue;
    if (i > 1) rate.push((timeline[i]!.consumedTicks - timeline[i - 1]!.consumedTicks) / dt);
    if (timeline[i]!.p99Us > 0 && i > 1) p99.push(timeline[i]!.p99Us);
  }
  return { rate, p99 };
}

function stats(values: number[]): Series {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / Math.max(1, n);
  const variance = n > 1 ? values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, variance, n };
}

/**
 * Whether a difference is noise: beyond two standard errors of the per-second samples of both
 * runs (a Welch-style test) it is not. Without enough samples, a fixed relative band is used:
 * 5% for throughput, 15% for latency tails, which is what back-to-back runs on a shared
 * two-core machine moved by here.
 */
function isNoise(a: number, b: number, sa: number[], sb: number[], fallbackBand: number): boolean {
  const A = stats(sa);
  const B = stats(sb);
  if (A.n >= 3 && B.n >= 3) {
    const se = Math.sqrt(A.variance / A.n + B.variance / B.n);
    return Math.abs(b - a) <= 2 * se + Number.EPSILON;
  }
  const base = Math.max(Math.abs(a), Math.abs(b));
  return base === 0 || Math.abs(b - a) / base <= fallbackBand;
}

export function compareResults(a: RunResult, b: RunResult): ComparisonRow[] {
  const sa = seconds(a.timeline);
  const sb = seconds(b.timeline);
  const rows: ComparisonRow[] = [];
  const add = (metric: string, unit: ComparisonRow['unit'], va: number, vb: number, higherIsBetter: boolean, noise: boolean): void => {
    rows.push({
      metric,
      unit,
      a: va,
      b: vb,
      delta: vb - va,
      relative: va === 0 ? null : (vb - va) / va,
      withinNoise: noise,
      higherIsBetter,
    });
  };
  add(
    'analysed ticks/s',
    'ticks/s',
    a.throughput.ticksPerSec,
    b.throughput.ticksPerSec,
    true,
    isNoise(a.throughput.ticksPerSec, b.throughput.ticksPerSec, sa.rate, sb.rate, 0.05),
  );
  const p99Noise = isNoise(a.latency.e2e.p99, b.latency.e2e.p99, sa.p99, sb.p99, 0.15);
  for (const [name, key] of [
    ['e2e p50', 'p50'],
    ['e2e p90', 'p90'],
    ['e2e p99', 'p99'],
    ['e2e p99.9', 'p999'],
    ['e2e max', 'max'],
  ] as const) {
    const va = a.latency.e2e[key];
    const vb = b.latency.e2e[key];
    const noise = key === 'p99' ? p99Noise : isNoise(va, vb, [], [], key === 'p50' || key === 'p90' ? 0.1 : 0.25);
    add(name, 'us', va, vb, false, noise);
  }
  for (const stage of ['schedule', 'produce', 'transport', 'queue', 'analytics'] as const) {
    add(
      `${stage} p99`,
      'us',
      a.latency[stage].p99,
      b.latency[stage].p99,
      false,
      isNoise(a.latency[stage].p99, b.latency[stage].p99, [], [], 0.25),
    );
  }
  for (const key of ['lost', 'duplicated', 'evicted'] as const) {
    // Any loss is a real difference: a count, not a measurement with spread.
    add(`${key} ticks`, 'ticks', a.ticks[key], b.ticks[key], false, a.ticks[key] === b.ticks[key]);
  }
  return rows;
}

import type { Thresholds } from './run-config.js';
import type { RunResult } from './run-result.js';

export interface ThresholdResult {
  name: string;
  /** Human text of the limit, e.g. "≤ 20000 µs". */
  limit: string;
  actual: number;
  pass: boolean;
}

/** k6-style thresholds: each limit is checked against the finished run; any failure means exit 1. */
export function evaluateThresholds(result: Pick<RunResult, 'latency' | 'ticks' | 'throughput'>, thresholds: Thresholds): ThresholdResult[] {
  const checks: ThresholdResult[] = [];
  const atMost = (name: string, actual: number, limit: number | undefined, unit: string): void => {
    if (limit === undefined) return;
    checks.push({ name, limit: `≤ ${limit}${unit}`, actual, pass: actual <= limit });
  };
  atMost('e2e p50', result.latency.e2e.p50, thresholds.maxP50Us, ' µs');
  atMost('e2e p99', result.latency.e2e.p99, thresholds.maxP99Us, ' µs');
  atMost('e2e p99.9', result.latency.e2e.p999, thresholds.maxP999Us, ' µs');
  atMost('lost ticks', result.ticks.lost, thresholds.maxLost, '');
  const minRate = thresholds.minRate;
  if (minRate) {
    const limit = minRate.kind === 'percent' ? (result.throughput.offeredTicksPerSec * minRate.value) / 100 : minRate.value;
    const text = minRate.kind === 'percent' ? `≥ ${minRate.value}% of offered (${Math.round(limit)} ticks/s)` : `≥ ${limit} ticks/s`;
    checks.push({
      name: 'analysed rate',
      limit: text,
      actual: result.throughput.ticksPerSec,
      pass: result.throughput.ticksPerSec >= limit,
    });
  }
  return checks;
}

import { formatInt, formatUs, section, table, type SafeHtml } from './html-parts.js';
import type { LatencySummary } from '../metrics/latency-histogram.js';
import type { RunResult } from '../run/run-result.js';

/**
 * The warm-up (--warmup, as OpenMessaging Benchmark has one): the headline end-to-end latency
 * leaves out the ticks intended during the warm-up, so this section shows those beside it and the
 * whole run merged, so nothing is hidden. Empty for a run without a warm-up.
 */
export function warmupSection(result: RunResult): SafeHtml | '' {
  const { warmup, wholeRun, e2e } = result.latency;
  if (!warmup || !wholeRun) return '';
  const row = (label: string, s: LatencySummary): Array<string> => [
    label,
    formatInt(s.count),
    formatUs(s.p50),
    formatUs(s.p90),
    formatUs(s.p99),
    formatUs(s.p999),
    formatUs(s.p9999),
    formatUs(s.max),
  ];
  const seconds = result.warmup?.durationSec ?? 0;
  const rows = [row('after the warm-up (headline)', e2e), row(`warm-up (first ${seconds} s)`, warmup), row('whole run', wholeRun)];
  return section(
    'warmup',
    'Warm-up',
    table(['end-to-end', 'ticks', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max'], rows, { numeric: [1, 2, 3, 4, 5, 6, 7] }),
    `Ticks intended during the first ${seconds} s are measured apart and left out of the headline latency and the per-partition figures; the other stages and the timeline cover the whole run.`,
  );
}

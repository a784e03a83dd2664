import type { SweepEntry, SweepSummary } from '../../report/sweep-report.js';
import { formatRate, formatUs } from '../../report/format.js';

/**
 * The fixed-rate sweep's pick (one run per setting at one offered rate): under a p99 limit, the
 * highest analysed rate whose p99 meets it; otherwise, among settings that kept up with the offered
 * rate without loss, the lowest p99. No noise model: `--find-capacity` is the sweep to trust.
 */
export function chooseBest(entries: SweepEntry[], maxP99Us: number | null): SweepSummary['best'] {
  const clean = entries.filter((e) => e.result.ticks.lost === 0 && e.result.status === 'ok');
  const keptUp = (e: SweepEntry): boolean => e.result.throughput.ticksPerSec >= 0.97 * e.result.throughput.offeredTicksPerSec;
  if (maxP99Us !== null) {
    const within = clean.filter((e) => e.result.latency.e2e.p99 <= maxP99Us);
    if (within.length === 0) return null;
    within.sort(
      (x, y) => y.result.throughput.ticksPerSec - x.result.throughput.ticksPerSec || x.result.latency.e2e.p99 - y.result.latency.e2e.p99,
    );
    const best = within[0]!;
    return {
      label: best.label,
      reason: `highest analysed rate (${formatRate(best.result.throughput.ticksPerSec)}) with p99 ${formatUs(best.result.latency.e2e.p99)} within the ${formatUs(maxP99Us)} limit and no loss`,
    };
  }
  const sustaining = clean.filter(keptUp);
  if (sustaining.length > 0) {
    sustaining.sort((x, y) => x.result.latency.e2e.p99 - y.result.latency.e2e.p99);
    const best = sustaining[0]!;
    return {
      label: best.label,
      reason: `lowest end-to-end p99 (${formatUs(best.result.latency.e2e.p99)}) among the ${sustaining.length} settings that sustained the offered rate without loss`,
    };
  }
  if (clean.length === 0) return null;
  clean.sort((x, y) => y.result.throughput.ticksPerSec - x.result.throughput.ticksPerSec);
  const best = clean[0]!;
  return {
    label: best.label,
    reason: `no setting sustained the offered rate; this one analysed the most (${formatRate(best.result.throughput.ticksPerSec)}) without loss`,
  };
}

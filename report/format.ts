/**
 * Human formatting, the one set for the terminal and the HTML report, so both print the same
 * figure the same way ("100k/s", "1.23 ms"): three significant digits, matching the histograms'
 * precision; a missing value is "–".
 */

const MISSING = '–';

/** Three significant digits for a value already scaled to its unit. */
const trim = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));

/** Microseconds as a human latency. */
export function formatUs(us: number): string {
  if (!Number.isFinite(us)) return MISSING;
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${trim(us / 1000)} ms`;
  return `${trim(us / 1_000_000)} s`;
}

/** A whole count with thousands separators: 1,234,567. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : MISSING;
}

/** Short count for tight spots: 1.23M, 45.6k. */
export function formatCompact(n: number): string {
  if (!Number.isFinite(n)) return MISSING;
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${trim(n / 1e9)}G`;
  if (abs >= 1e6) return `${trim(n / 1e6)}M`;
  if (abs >= 1e4) return `${trim(n / 1e3)}k`;
  return formatCount(n);
}

/** Per second, compact: 100k/s, 1.23M/s. */
export function formatRate(perSec: number): string {
  return `${formatCompact(perSec)}/s`;
}

export function formatPercent(fraction: number, digits = 1): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)}%` : MISSING;
}

/** A share where small non-zero values matter (lost ticks): more digits only below 1%. */
export function formatShare(fraction: number): string {
  if (!Number.isFinite(fraction)) return MISSING;
  if (fraction === 0) return '0%';
  return formatPercent(fraction, fraction >= 0.01 ? 1 : 3);
}

/**
 * Which cluster a run measured, in words: figures from the mock do not carry over to Kafka, so
 * every summary says which one it was. `cluster` is result.json's (older files lack `kind`).
 */
export function clusterLabel(cluster: {
  embedded: boolean;
  bootstrapServers: string;
  brokers: number;
  kind?: string;
  kafkaVersion?: string | null;
  local?: boolean;
}): string {
  const nodes = `${cluster.brokers} ${cluster.brokers === 1 ? 'node' : 'nodes'}`;
  if (cluster.kind === 'kafka' && cluster.local)
    return `real Apache Kafka ${cluster.kafkaVersion ?? ''}, ${nodes} (local cluster)`.replace('  ', ' ');
  if (cluster.embedded || cluster.kind === 'mock') return `librdkafka mock (embedded), ${cluster.brokers} brokers — not real Kafka`;
  return `Kafka at ${cluster.bootstrapServers}`;
}

/** Human formatting for terminal and HTML output. */

export function formatUs(us: number): string {
  if (!Number.isFinite(us)) return '-';
  if (us < 1_000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1_000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatRate(perSec: number): string {
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)}M/s`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(1)}k/s`;
  return `${Math.round(perSec)}/s`;
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

import { readFileSync } from 'node:fs';
import { repoFile } from './repo-files.js';

/** replication.env: the settings docker-compose.yml also loads (env_file), in one place. */
export const REPLICATION_ENV_FILE = 'kafka/local-cluster/replication.env';

/** The KAFKA_* variables of replication.env, by name. */
export function replicationEnv(): Record<string, number> {
  const settings: Record<string, number> = {};
  for (const line of readFileSync(repoFile(REPLICATION_ENV_FILE), 'utf8').split('\n')) {
    const match = /^(KAFKA_[A-Z_]+)=(\d+)\s*$/.exec(line.trim());
    if (match) settings[match[1]!] = Number(match[2]);
  }
  return settings;
}

/**
 * The same settings as server.properties keys (KAFKA_MIN_INSYNC_REPLICAS → min.insync.replicas),
 * every count capped at the node count, so a 1-node cluster gets RF 1 and min ISR 1.
 */
export function replicationProperties(nodes: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(replicationEnv()).map(([name, value]) => [
      name.slice('KAFKA_'.length).toLowerCase().replaceAll('_', '.'),
      Math.min(nodes, value),
    ]),
  );
}

/**
 * The replication factor a new topic gets when none is asked for: 3 where there are 3 brokers or
 * more (the usual production setting, which tolerates one broker down with min.insync.replicas 2),
 * else one copy per broker.
 */
export function defaultReplicationFactor(brokers: number): number {
  return Math.min(3, brokers);
}

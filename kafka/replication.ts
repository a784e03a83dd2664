/**
 * The most copies a new topic gets by default: 3, the usual production setting, which tolerates
 * one broker down with min.insync.replicas 2.
 */
export const DEFAULT_MAX_REPLICATION = 3;

/** The replication factor a new topic gets when none is asked for: 3 where there are 3 brokers or more, else one copy per broker. */
export function defaultReplicationFactor(brokers: number): number {
  return Math.min(DEFAULT_MAX_REPLICATION, brokers);
}

/** How help texts state that default. */
export const DEFAULT_REPLICATION_TEXT = `min(${DEFAULT_MAX_REPLICATION}, brokers)`;

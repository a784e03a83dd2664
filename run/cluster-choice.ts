import { findJava } from '../kafka/local-cluster/java-runtime.js';
import { MIN_JAVA_MAJOR } from '../kafka/local-cluster/kafka-version.js';

/**
 * The cluster `run`, `sweep` and `bench` use when --brokers is not given: real Kafka (the local
 * cluster) where Java 17+ can run it, else the librdkafka mock with a one-line note saying so.
 */
export function defaultBrokers(env: NodeJS.ProcessEnv = process.env): { brokers: 'local' | 'embedded'; note: string | null } {
  const java = findJava(env);
  if (java && java.major >= MIN_JAVA_MAJOR) return { brokers: 'local', note: null };
  const why = java ? `Java ${java.version} is older than ${MIN_JAVA_MAJOR}` : `no Java ${MIN_JAVA_MAJOR}+ found`;
  return {
    brokers: 'embedded',
    note: `${why}: running on the librdkafka mock (embedded), not real Kafka; bash scripts/setup.sh installs Java and Maven`,
  };
}

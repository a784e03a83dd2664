import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KAFKA_VERSION } from '../../kafka/local-cluster/kafka-version.js';
import { REPLICATION_ENV_FILE, replicationEnv, replicationProperties } from '../../kafka/local-cluster/replication-settings.js';

// No Docker engine runs on the machines this project is tested on, so the real cluster file is
// checked statically: it parses, has three KRaft brokers whose settings agree, and exposes
// distinct ports that match what the README tells people to pass to --brokers.
const file = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));
const compose = parse(readFileSync(file, 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      ports?: string[];
      env_file?: string[];
      environment?: Record<string, string | number>;
      healthcheck?: { test: string[] };
    }
  >;
};
const brokers = Object.entries(compose.services).filter(([name]) => name.startsWith('kafka-'));

describe('docker-compose.yml', () => {
  it('defines three Apache Kafka brokers in KRaft mode with health checks', () => {
    expect(brokers).toHaveLength(3);
    for (const [, service] of brokers) {
      expect(service.image).toMatch(/^apache\/kafka:\d+\.\d+\.\d+$/);
      expect(service.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
      expect(service.healthcheck?.test.join(' ')).toContain('kafka-broker-api-versions');
    }
  });

  it('has consistent node ids, quorum voters and listeners', () => {
    const ids = brokers.map(([, s]) => Number(s.environment?.KAFKA_NODE_ID)).sort();
    expect(ids).toEqual([1, 2, 3]);
    for (const [name, service] of brokers) {
      const env = service.environment!;
      const voters = String(env.KAFKA_CONTROLLER_QUORUM_VOTERS)
        .split(',')
        .map((v) => v.split('@'));
      expect(voters.map(([id]) => Number(id)).sort()).toEqual([1, 2, 3]);
      expect(voters.find(([id]) => Number(id) === Number(env.KAFKA_NODE_ID))![1]).toBe(`${name}:9093`);
      expect(String(env.KAFKA_LISTENERS)).toContain('CONTROLLER://:9093');
      expect(String(env.KAFKA_ADVERTISED_LISTENERS)).toContain(`INTERNAL://${name}:9092`);
      expect(String(env.KAFKA_CONTROLLER_LISTENER_NAMES)).toBe('CONTROLLER');
      expect(env.CLUSTER_ID).toBe(brokers[0]![1].environment!.CLUSTER_ID);
    }
  });

  it('replicates three ways with min.insync.replicas 2, from the file the local cluster reads too', () => {
    for (const [, service] of brokers) {
      expect(service.env_file).toEqual([REPLICATION_ENV_FILE]);
      // Set in one place only: an environment entry would override the shared file.
      for (const name of Object.keys(replicationEnv())) expect(service.environment).not.toHaveProperty(name);
    }
    expect(replicationEnv()).toMatchObject({
      KAFKA_DEFAULT_REPLICATION_FACTOR: 3,
      KAFKA_MIN_INSYNC_REPLICAS: 2,
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: 3,
    });
    // The local 3-node cluster's server.properties get the same values.
    expect(replicationProperties(3)).toMatchObject({
      'default.replication.factor': 3,
      'min.insync.replicas': 2,
      'offsets.topic.replication.factor': 3,
    });
  });

  it('runs the Kafka version the local cluster pins', () => {
    for (const [, service] of brokers) expect(service.image).toBe(`apache/kafka:${KAFKA_VERSION}`);
  });

  it('publishes a distinct host port per broker, advertised as localhost on that port', () => {
    const hostPorts = brokers.map(([, s]) => s.ports![0]!.split(':')[0]);
    expect(new Set(hostPorts).size).toBe(3);
    for (const [, service] of brokers) {
      const [host, container] = service.ports![0]!.split(':');
      expect(host).toBe(container);
      expect(String(service.environment!.KAFKA_ADVERTISED_LISTENERS)).toContain(`EXTERNAL://localhost:${host}`);
    }
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    for (const port of hostPorts) expect(readme).toContain(`localhost:${port}`);
  });
});

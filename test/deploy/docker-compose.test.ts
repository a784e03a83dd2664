import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine runs on the machines this project is tested on, so the real cluster file is
// checked statically: it parses, has three KRaft brokers whose settings agree, and exposes
// distinct ports that match what the README tells people to pass to --brokers.
const file = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));
const compose = parse(readFileSync(file, 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; ports?: string[]; environment?: Record<string, string | number>; healthcheck?: { test: string[] } }>;
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
      const voters = String(env.KAFKA_CONTROLLER_QUORUM_VOTERS).split(',').map((v) => v.split('@'));
      expect(voters.map(([id]) => Number(id)).sort()).toEqual([1, 2, 3]);
      expect(voters.find(([id]) => Number(id) === Number(env.KAFKA_NODE_ID))![1]).toBe(`${name}:9093`);
      expect(String(env.KAFKA_LISTENERS)).toContain('CONTROLLER://:9093');
      expect(String(env.KAFKA_ADVERTISED_LISTENERS)).toContain(`INTERNAL://${name}:9092`);
      expect(String(env.KAFKA_CONTROLLER_LISTENER_NAMES)).toBe('CONTROLLER');
      expect(env.CLUSTER_ID).toBe(brokers[0]![1].environment!.CLUSTER_ID);
    }
  });

  it('replicates three ways with min.insync.replicas 2', () => {
    for (const [, service] of brokers) {
      expect(Number(service.environment!.KAFKA_DEFAULT_REPLICATION_FACTOR)).toBe(3);
      expect(Number(service.environment!.KAFKA_MIN_INSYNC_REPLICAS)).toBe(2);
      expect(Number(service.environment!.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR)).toBe(3);
    }
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

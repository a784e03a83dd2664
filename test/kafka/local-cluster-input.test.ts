import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { serverProperties } from '../../kafka/local-cluster/kafka-node.js';
import { KAFKA_VERSION } from '../../kafka/local-cluster/kafka-version.js';
import { findJava } from '../../kafka/local-cluster/java-runtime.js';
import { newClusterId } from '../../kafka/local-cluster/local-cluster.js';
import { parseFault } from '../../run/fault-plan.js';

// The local cluster's checks that need no running Kafka: bad input, missing tools, settings.
const bin = fileURLToPath(new URL('../../bin/firehose.js', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'firehose-local-input-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function firehose(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    // Its own state dir: never another developer's cluster, and none is up in it.
    env: { ...process.env, NO_COLOR: '1', FIREHOSE_CLUSTER_DIR: path.join(tmp, 'cluster'), ...env },
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** A fake JAVA_HOME whose java says it is `version`. */
function fakeJava(version: string): string {
  const home = path.join(tmp, `java-${version}`);
  mkdirSync(path.join(home, 'bin'), { recursive: true });
  writeFileSync(path.join(home, 'bin', 'java'), `#!/bin/sh\necho 'openjdk version "${version}" 2021-01-19' >&2\n`);
  chmodSync(path.join(home, 'bin', 'java'), 0o755);
  return home;
}

describe('firehose cluster up: bad input', () => {
  it('no Java: exit 2, one line saying what to install', () => {
    const r = firehose(['cluster', 'up', '--nodes', '1'], { JAVA_HOME: path.join(tmp, 'no-such-jdk') });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no Java found.*openjdk-17/);
  });

  it('Java older than 17: exit 2, one line naming the version', () => {
    const r = firehose(['cluster', 'up', '--nodes', '1'], { JAVA_HOME: fakeJava('11.0.2') });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/Java 11\.0\.2 is too old/);
  });

  it('--nodes other than 1 or 3: exit 2', () => {
    const r = firehose(['cluster', 'up', '--nodes', '2']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--nodes 2 is invalid/);
  });

  it('Maven cannot resolve the artefacts: exit 1, one line naming the artefact and the repository error', () => {
    if (findJava() === null) return; // the Java check comes first; covered above
    const r = firehose(['cluster', 'up', '--nodes', '1'], { FIREHOSE_KAFKA_VERSION: '0.0.9', FIREHOSE_CACHE_DIR: path.join(tmp, 'cache') });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/org\.apache\.kafka:kafka_2\.13:0\.0\.9/);
    expect(r.stderr).toMatch(/Could not (resolve|find)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('status and down with no cluster: status exit 1, down exit 0', () => {
    expect(firehose(['cluster', 'status']).status).toBe(1);
    expect(firehose(['cluster', 'down']).status).toBe(0);
  });
});

describe('faults and the cluster they need', () => {
  it.each([
    [['--brokers', 'local', '--nodes', '3', '--fault', 'kill:4'], /node "4" must be 1\.\.3/],
    [['--brokers', 'local', '--nodes', '1', '--fault', 'restart:2'], /node "2" must be 1\.\.1/],
    [['--brokers', 'embedded', '--fault', 'kill:1'], /use --brokers local/],
    [['--brokers', 'embedded', '--fault', 'pause'], /use --brokers local/],
    [['--brokers', 'local', '--fault', 'broker-down'], /use --brokers embedded/],
    [['--brokers', '127.0.0.1:1', '--fault', 'kill:1'], /--fault needs the embedded or the local cluster/],
  ])('firehose run %j: exit 2 before anything starts', (args, message) => {
    const r = firehose(['run', '--no-progress', '--out', path.join(tmp, 'never'), ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(() => readFileSync(path.join(tmp, 'never', 'result.json'))).toThrow();
  });

  it('parses kill, pause and restart with their defaults', () => {
    expect(parseFault('kill', 30, 3, 'kafka')).toMatchObject({ kind: 'kill', broker: 'leader', atSec: 10, forSec: 5 });
    expect(parseFault('pause:2@5s+3s', 30, 3, 'kafka')).toMatchObject({ kind: 'pause', broker: 2, atSec: 5, forSec: 3 });
    expect(parseFault('restart@50%', 30, 3, 'kafka')).toMatchObject({ kind: 'restart', broker: 1, atSec: 15 });
    expect(() => parseFault('restart:leader', 30, 3, 'kafka')).toThrow(/must be 1\.\.3/);
  });
});

describe('the local cluster without Java falls back to the mock', () => {
  it('firehose run with no Java says so in one line and runs on the mock (result cluster.kind mock)', () => {
    const out = path.join(tmp, 'fallback');
    const r = firehose(['run', '--ticks', '2000', '--rate', '2000', '--partitions', '1', '--no-progress', '--out', out], {
      JAVA_HOME: path.join(tmp, 'no-such-jdk'),
    });
    expect(r.status).toBe(0);
    expect(r.stderr.split('\n').filter((l) => /librdkafka mock/.test(l))).toHaveLength(1);
    const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as {
      cluster: { kind: string; kafkaVersion: string | null };
    };
    expect(result.cluster).toMatchObject({ kind: 'mock', kafkaVersion: null });
    expect(r.stdout).toMatch(/librdkafka mock \(embedded\)/);
  });
});

describe('settings of the local cluster', () => {
  it('pom.xml pins the version the code reports', () => {
    const pom = readFileSync(fileURLToPath(new URL('../../kafka/local-cluster/pom.xml', import.meta.url)), 'utf8');
    expect(pom).toContain(`<kafka.version>${KAFKA_VERSION}</kafka.version>`);
  });

  it('3 nodes: RF 3 and min.insync.replicas 2; 1 node: both 1; every listener on loopback', () => {
    const state = (n: number) => ({
      tool: 'tick-firehose-local-cluster' as const,
      kafkaVersion: KAFKA_VERSION,
      clusterId: 'x',
      createdAt: '',
      nodes: Array.from({ length: n }, (_, i) => ({ id: i + 1, port: 20_000 + i, controllerPort: 21_000 + i })),
    });
    const three = serverProperties('/s', state(3), state(3).nodes[1]!);
    expect(three).toMatch(/^default\.replication\.factor=3$/m);
    expect(three).toMatch(/^min\.insync\.replicas=2$/m);
    expect(three).toMatch(/^controller\.quorum\.voters=1@127\.0\.0\.1:21000,2@127\.0\.0\.1:21001,3@127\.0\.0\.1:21002$/m);
    expect(three).toMatch(/^node\.id=2$/m);
    const one = serverProperties('/s', state(1), state(1).nodes[0]!);
    expect(one).toMatch(/^default\.replication\.factor=1$/m);
    expect(one).toMatch(/^min\.insync\.replicas=1$/m);
    for (const line of [three, one]
      .join('\n')
      .split('\n')
      .filter((l) => l.includes('://')))
      expect(line).not.toMatch(/\/\/(?!127\.0\.0\.1)/);
  });
});

describe('cluster ids', () => {
  it('never start with "-", which kafka-storage would read as an option (1 in 64 of raw base64url ids do)', () => {
    const ids = Array.from({ length: 2_000 }, () => newClusterId());
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});

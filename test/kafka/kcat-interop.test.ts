import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoadGenerator, createProducerFor } from '../../run/load-test.js';
import { resolveRunConfig } from '../../run/run-config.js';
import { EmbeddedCluster } from '../../kafka/embedded-cluster.js';
import { nowUs } from '../../wire/clock.js';
import { FrameReader, validateFrame } from '../../wire/tick-frame.js';

// A client this project did not write reads the embedded cluster: kcat (librdkafka's CLI) lists
// the topic and consumes records whose bytes decode with the documented frame layout.
const KCAT = '/usr/bin/kcat';
const topic = `ticks-kcat-${process.pid}`;
let cluster: EmbeddedCluster;

beforeAll(async () => {
  if (!existsSync(KCAT)) throw new Error('kcat is not installed: apt-get install kcat');
  cluster = await EmbeddedCluster.start({ topics: [{ name: topic, partitions: 4 }] });
  const config = resolveRunConfig({
    brokers: cluster.bootstrapServers,
    topic,
    partitions: 4,
    ticks: 4000,
    rate: 40_000,
    seed: 7,
    progress: false,
  });
  const loadgen = createLoadGenerator(config, nowUs);
  const producer = createProducerFor(config, cluster.bootstrapServers, () => loadgen);
  await producer.connect();
  await loadgen.run(producer);
  await producer.disconnect();
  expect(loadgen.produceStats.acked).toBe(4000);
});

afterAll(async () => {
  await cluster?.stop();
});

function kcat(args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(KCAT, ['-b', cluster.bootstrapServers, ...args], { timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

describe('kcat against the embedded cluster', () => {
  it('lists the ticks topic with its partitions', () => {
    const r = kcat(['-L', '-t', topic]);
    expect(r.status).toBe(0);
    const text = r.stdout.toString();
    expect(text).toMatch(/3 brokers:/);
    expect(text).toContain(`topic "${topic}" with 4 partitions`);
  });

  it('consumes records whose bytes are well-formed tick frames', () => {
    for (let partition = 0; partition < 4; partition++) {
      const r = kcat(['-C', '-t', topic, '-p', String(partition), '-o', 'beginning', '-c', '1', '-e', '-f', '%s']);
      expect(r.status).toBe(0);
      const frame = r.stdout;
      expect(validateFrame(frame)).toBeNull();
      const reader = new FrameReader().reset(frame);
      expect(reader.tickCount).toBeGreaterThan(0);
      expect(reader.keyGroup % 4).toBe(partition);
      for (let i = 0; i < reader.tickCount; i++) {
        expect(reader.bid(i)).toBeGreaterThan(0);
        expect(reader.ask(i)).toBeGreaterThan(reader.bid(i));
        expect(reader.seq(i)).toBeLessThan(4000);
      }
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { EmbeddedCluster } from '../../kafka/embedded-cluster.js';
import { FaultRunner, parseFault } from '../../run/fault-plan.js';

describe('fault runner', () => {
  it('records a fault event only once its step took effect (issue 12)', async () => {
    const errors: string[] = [];
    const cluster = {
      brokerSetRtt: (_broker: number | 'all', ms: number) => (ms > 0 ? Promise.reject(new Error('mock refused')) : Promise.resolve()),
    } as unknown as EmbeddedCluster;
    const runner = new FaultRunner(
      { mock: cluster },
      [parseFault('rtt:300ms@0s+0s', 10, 3)],
      { topic: 't', partitions: 1, groupId: 'g', brokers: 3 },
      (m) => errors.push(m),
    );
    runner.start();
    await new Promise((r) => setTimeout(r, 50));
    await runner.stop();
    expect(errors).toEqual(['fault rtt start: mock refused']);
    expect(runner.events.map((e) => e.phase)).toEqual(['end']);
  });

  it('refuses fault timings and round-trip times that could only hang a run', () => {
    expect(() => parseFault('rtt:99999999999ms', 10, 3)).toThrow(/at most 60000 ms/);
    expect(() => parseFault('rtt:100ms@20s', 10, 3)).toThrow(/after the run/);
    expect(() => parseFault('broker-down@1s+7200s', 10, 3)).toThrow(/more than 3600 s/);
  });
});

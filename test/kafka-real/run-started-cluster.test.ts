import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../run/run-result.js';
import { startFirehose } from '../cli/cli-process.js';

// Clusters that commands start on their own (1 node each, one at a time), in this file's state dir.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'firehose-run-started-'));
const stateDir = path.join(tmp, 'cluster');
const env = { FIREHOSE_CLUSTER_DIR: stateDir };

function clusterJvms(): string[] {
  try {
    return execFileSync('pgrep', ['-f', stateDir], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

afterAll(async () => {
  await startFirehose(['cluster', 'down'], env).exited;
  const left = clusterJvms();
  rmSync(tmp, { recursive: true, force: true });
  expect(left).toEqual([]);
}, 120_000);

describe('a local cluster started by a command', () => {
  it('a run that finds no cluster starts one, runs on it, and stops it at its end', async () => {
    const out = path.join(tmp, 'run');
    const run = startFirehose(
      [
        'run',
        '--brokers',
        'local',
        '--nodes',
        '1',
        '--ticks',
        '4000',
        '--rate',
        '4000',
        '--partitions',
        '2',
        '--no-progress',
        '--out',
        out,
      ],
      env,
    );
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toMatch(/started for this run and stops at its end/);
    const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as RunResult;
    expect(result.cluster).toMatchObject({ kind: 'kafka', brokers: 1 });
    expect(result.ticks.lost).toBe(0);
    expect(clusterJvms()).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
  });

  it('two processes bringing the cluster up at once start it once and share it', async () => {
    const ups = [startFirehose(['cluster', 'up', '--nodes', '1'], env), startFirehose(['cluster', 'up', '--nodes', '1'], env)];
    expect(await Promise.all(ups.map((u) => u.exited))).toEqual([0, 0]);
    const [a, b] = ups.map((u) => /bootstrap\.servers=(\S+)/.exec(u.stdout())?.[1]);
    expect(a).toBeDefined();
    expect(a).toBe(b);
    expect(clusterJvms()).toHaveLength(1);
    expect(await startFirehose(['cluster', 'down'], env).exited).toBe(0);
    expect(clusterJvms()).toEqual([]);
  });
});

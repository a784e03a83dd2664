import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareResults } from '../../run/compare.js';
import type { RunResult } from '../../run/run-result.js';
import { chooseBest } from '../../cli/sweep-command.js';
import { startFirehose } from './cli-process.js';

const tmp = (): string => mkdtempSync(path.join(os.tmpdir(), 'firehose-report-'));

describe('thresholds, workloads, sweep, report and compare from the command line', () => {
  it('a failed threshold exits 1 and is shown as FAIL; the result records it', async () => {
    const out = tmp();
    const run = startFirehose([
      'run',
      '--brokers',
      'embedded',
      '--ticks',
      '6000',
      '--rate',
      '6000',
      '--partitions',
      '2',
      '--max-p99',
      '1us',
      '--max-lost',
      '0',
      '--no-progress',
      '--out',
      out,
    ]);
    expect(await run.exited).toBe(1);
    expect(run.stdout()).toMatch(/e2e p99\s.*FAIL/);
    const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as RunResult;
    expect(result.thresholds).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'e2e p99', pass: false }),
        expect.objectContaining({ name: 'lost ticks', pass: true }),
      ]),
    );
  });

  it('a workload file sets options, the command line overrides them, a bad field exits 2 naming it', async () => {
    const dir = tmp();
    const file = path.join(dir, 'tiny.yaml');
    writeFileSync(file, 'partitions: 3\nrate: 5k\nticks: 5000\nvenues: 4\n');
    const run = startFirehose(['run', '--brokers', 'embedded', '--workload', file, '--venues', '3', '--no-progress', '--out', dir]);
    expect(await run.exited).toBe(0);
    const result = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as RunResult;
    expect([result.config.partitions, result.config.rate, result.config.ticks, result.config.venues]).toEqual([3, 5000, 5000, 3]);

    writeFileSync(file, 'partitions: 3\nlinger: 5\n');
    const bad = startFirehose(['run', '--workload', file]);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr().trim().split('\n')).toHaveLength(1);
    expect(bad.stderr()).toContain('unknown field "linger"');
  });

  it('sweep runs every setting, writes sweep.json and sweep.html, and names the best; report and compare read its results', async () => {
    const out = tmp();
    const sweep = startFirehose([
      'sweep',
      '--brokers',
      'embedded',
      '--partitions',
      '1,3',
      '--ticks',
      '6000',
      '--rate',
      '6000',
      '--no-progress',
      '--out',
      out,
    ]);
    expect(await sweep.exited).toBe(0);
    expect(sweep.stdout()).toMatch(/best: \S+ — /);
    const summary = JSON.parse(readFileSync(path.join(out, 'sweep.json'), 'utf8')) as {
      best: { label: string };
      entries: Array<{ label: string; resultFile: string }>;
    };
    expect(summary.entries.map((e) => e.label)).toEqual(['1p-2w-confluent-64tpr', '3p-2w-confluent-64tpr']);
    expect(summary.entries.map((e) => e.label)).toContain(summary.best.label);
    expect(existsSync(path.join(out, 'sweep.html'))).toBe(true);

    const [a, b] = summary.entries.map((e) => path.join(out, e.resultFile)) as [string, string];
    const report = startFirehose(['report', a, '--out', out]);
    expect(await report.exited).toBe(0);
    expect(report.stdout()).toContain('end-to-end');
    expect(existsSync(path.join(out, 'report.html'))).toBe(true);

    const compare = startFirehose(['compare', a, b]);
    expect(await compare.exited).toBe(0);
    expect(compare.stdout()).toMatch(/e2e p99/);
    expect(compare.stdout()).toMatch(/within noise|better|worse/);
  }, 90_000);

  it('compare of a result with itself finds nothing beyond noise', () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/result-small.json', import.meta.url), 'utf8')) as RunResult;
    const rows = compareResults(fixture, fixture);
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.every((r) => r.withinNoise && r.delta === 0)).toBe(true);
    const worse: RunResult = {
      ...fixture,
      latency: { ...fixture.latency, e2e: { ...fixture.latency.e2e, p99: fixture.latency.e2e.p99 * 10 } },
    };
    const p99 = compareResults(fixture, worse).find((r) => r.metric === 'e2e p99')!;
    expect(p99.withinNoise).toBe(false);
    expect(p99.relative).toBeCloseTo(9);
  });

  it('the best sweep setting obeys the p99 limit, and prefers the lowest p99 among those that kept up', () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/result-small.json', import.meta.url), 'utf8')) as RunResult;
    const entry = (label: string, ticksPerSec: number, p99: number, lost = 0) => ({
      label,
      settings: { partitions: 1, workers: 1, client: 'confluent', ticksPerRecord: 64 },
      result: {
        ...fixture,
        status: 'ok' as const,
        ticks: { ...fixture.ticks, lost },
        throughput: { ...fixture.throughput, offeredTicksPerSec: 1000, ticksPerSec },
        latency: { ...fixture.latency, e2e: { ...fixture.latency.e2e, p99 } },
      },
    });
    const entries = [entry('a', 1000, 9000), entry('b', 1000, 5000), entry('c', 990, 4000, 3), entry('d', 600, 3000)];
    expect(chooseBest(entries, null)!.label).toBe('b');
    expect(chooseBest(entries, 4_500)!.label).toBe('d');
    expect(chooseBest(entries, 1_000)).toBeNull();
  });
});

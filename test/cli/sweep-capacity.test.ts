import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { capacitySweepSchema } from '../../run/sweep-result.js';
import { FIREHOSE_BIN, startFirehose } from './cli-process.js';

function firehose(...args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [FIREHOSE_BIN, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

const sixteen = Array.from({ length: 16 }, (_, i) => i + 1).join(',');

describe('sweep: bad input ends with exit code 2 and one line, before anything starts', () => {
  it.each([
    [['--partitions', '1,,4'], /--partitions "1,,4" has an empty entry/],
    [['--partitions', '1,4,'], /--partitions "1,4," has an empty entry/],
    [['--partitions', '4,1,4'], /--partitions "4,1,4" lists 4 twice/],
    [['--client', 'confluent,confluent'], /--client "confluent,confluent" lists confluent twice/],
    [['--find-capacity', '--repeat', '0'], /--repeat expects an integer from 1 to 100, got "0"/],
    [['--find-capacity', '--target-rate', '-5'], /--target-rate must not be below zero/],
    [['--find-capacity', '--target-rate', '0'], /--target-rate expects ticks\/s above 0/],
    [['--repeat', '3'], /--repeat needs --find-capacity/],
    [['--find-capacity', '--repeat', '100', '--partitions', sixteen], /would take about \d+(\.\d)? h .*over a day.*--yes/],
  ])('firehose sweep %j', (args, message) => {
    const r = firehose('sweep', '--no-progress', ...args);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stdout).toBe('');
  });
});

describe('sweep --find-capacity keeps earlier results', () => {
  it('refuses an --out that holds a sweep.json, without --force', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'firehose-sweep-capacity-'));
    writeFileSync(path.join(out, 'sweep.json'), '{}');
    const r = firehose('sweep', '--find-capacity', '--no-progress', '--partitions', '1', '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/sweep\.json exists: pass --force/);
    expect(readFileSync(path.join(out, 'sweep.json'), 'utf8')).toBe('{}');
  });
});

describe('sweep --find-capacity on the embedded mock', () => {
  it('searches each setting, measures its curve, writes sweep.json (schema-valid) and sweep.html, and prints the verdict', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'firehose-sweep-capacity-'));
    const sweep = startFirehose([
      'sweep',
      '--find-capacity',
      '--tiny',
      '--brokers',
      'embedded',
      '--partitions',
      '1,3',
      '--target-rate',
      '3k',
      '--instruments',
      '200',
      '--out',
      out,
    ]);
    expect(await sweep.exited).toBe(0);
    // A progress line per probe with its place and an ETA.
    expect(sweep.stderr()).toMatch(/\[1\/\d+ \d+:\d\d ETA \d+:\d\d\] 1p-2w-confluent-64tpr search 1\/1 at 2\.0k\/s/);
    expect(sweep.stdout()).toMatch(/(winner|preferred \(tie\)): \dp-2w-confluent-64tpr — /);
    expect(sweep.stdout()).toContain('embedded librdkafka mock, not real Kafka');
    const result = capacitySweepSchema.parse(JSON.parse(readFileSync(path.join(out, 'sweep.json'), 'utf8')));
    expect(result.cluster.kind).toBe('mock');
    expect(result.cluster.topics).toMatch(/cannot delete topics/);
    expect(result.entries.map((e) => e.label)).toEqual(['1p-2w-confluent-64tpr', '3p-2w-confluent-64tpr']);
    expect(result.entries.map((e) => e.beyondCores)).toEqual([1 > os.availableParallelism(), 3 > os.availableParallelism()]);
    for (const e of result.entries) {
      expect(e.probes.length).toBeGreaterThan(0);
      expect(e.capacity.low).toBeLessThanOrEqual(e.capacity.ticksPerSec);
      expect(e.capacity.high).toBeGreaterThanOrEqual(e.capacity.ticksPerSec);
      if (e.capacity.ticksPerSec > 0)
        expect(e.curve[0]).toMatchObject({ fraction: 0.5, offered: Math.round(e.capacity.ticksPerSec / 2 / 100) * 100 });
      for (const p of e.probes)
        expect(existsSync(path.join(out, 'runs', `${e.label}-${p.phase}-r${p.repeat}-${p.rate}`, 'result.json'))).toBe(true);
    }
    expect(result.verdict.forTargetRate?.targetRate).toBe(3000);
    expect(result.verdict.summary.length).toBeGreaterThan(0);
    expect(readFileSync(path.join(out, 'sweep.html'), 'utf8')).toContain('Latency–throughput');
  }, 180_000);
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIREHOSE_BIN } from './cli-process.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function firehose(...args: string[]) {
  return spawnSync(process.execPath, [FIREHOSE_BIN, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
}

describe('firehose score', () => {
  it.each([
    [['--seeds', 'x'], '--seeds'],
    [['--market', 'simple'], '--market'],
    [['--venues', '1'], '--venues'],
    [['--spike-prob', '2'], '--spike-prob'],
    [['--spike-min-sigma', '9', '--spike-max-sigma', '3'], '--spike-max-sigma'],
  ])('refuses %j with exit code 2 and one line naming it', (args, named) => {
    const r = firehose('score', ...args);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(named);
  });

  it('writes result.json with the fields the checks read, and report.html with the quality section', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'firehose-score-'));
    dirs.push(out);
    const r = firehose('score', '--seeds', '1-2', '--ticks', '40k', '--instruments', '20', '--thresholds', '6,10', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/outlier recall 4-6σ/);
    const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8'));
    const a = result.analytics;
    expect(Object.keys(a.outliers.recallBySize)).toEqual(['2-3', '3-4', '4-6', '6-8', '>8']);
    for (const x of [
      a.outliers.falsePer10k,
      a.outliers.f1,
      a.baseline.outliers.f1,
      a.arbitrage.tradeable.precision,
      a.arbitrage.tradeable.recall,
      a.arbitrage.phantom.classified,
      a.sources.spearman,
      a.sources.kendall,
    ]) {
      expect(typeof x).toBe('number');
    }
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('id="analytics-quality"');
    expect(html).toContain('Precision–recall over the threshold sweep');
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderComparison, readResult } from '../../cli/report-commands.js';
import { renderSummary } from '../../cli/summary.js';
import { formatCount, formatRate, formatUs } from '../../report/format.js';
import { formatRate as htmlFormatRate } from '../../report/html-parts.js';
import { renderRunReport } from '../../report/html-report.js';
import { resolveRunConfig, storedConfig } from '../../run/run-config.js';
import type { RunResult } from '../../run/run-result.js';

/** A result.json written before the config was grouped and --frame-linger existed: `lingerMs`, no clusterKind, no problems. */
const oldResultPath = fileURLToPath(new URL('../fixtures/result-small.json', import.meta.url));

/** The same run as this version writes it: the stored (flat) config of a grouped RunConfig, warnings with codes. */
function newShaped(old: RunResult, dir: string): string {
  const config = storedConfig(resolveRunConfig({ partitions: 4, workers: 2, rate: 20_000, durationSec: 8, frameLingerMs: 3 }));
  const file = path.join(dir, 'new.json');
  const problems = old.warnings.map((message) => ({ code: 'INGEST_ERROR', message }));
  writeFileSync(file, JSON.stringify({ ...old, schemaVersion: 1, config, problems }));
  return file;
}

describe('results written by older versions', () => {
  it('report and compare read a result whose config still says lingerMs', async () => {
    const old = await readResult(oldResultPath);
    expect(old.config.frameLingerMs).toBe(2);
    expect(old.config.lingerMs).toBe(2);
    const html = renderRunReport(old);
    expect(html).toContain('frameLingerMs');
    expect(html).not.toContain('<dt>lingerMs</dt>');
    expect(renderSummary(old)).toContain(formatRate(old.throughput.ticksPerSec));

    const dir = mkdtempSync(path.join(os.tmpdir(), 'firehose-compat-'));
    const current = await readResult(newShaped(old, dir));
    expect([current.config.frameLingerMs, current.config.lingerMs]).toEqual([3, 3]);
    const comparison = renderComparison(old, current, 'old.json', 'new.json');
    expect(comparison).toContain('old.json');
    expect(comparison).toMatch(/ticks\/s|throughput/i);
  });
});

describe('format', () => {
  it('the terminal and the HTML print a figure the same way', () => {
    expect(formatRate(100_000)).toBe('100k/s');
    expect(htmlFormatRate(100_000)).toBe(formatRate(100_000));
    expect(formatRate(1_234_567)).toBe('1.23M/s');
    expect(formatRate(950)).toBe('950/s');
    expect(formatUs(1234)).toBe('1.23 ms');
    expect(formatUs(987)).toBe('987 µs');
    expect(formatUs(2_500_000)).toBe('2.50 s');
    expect(formatCount(1_234_567)).toBe('1,234,567');
    expect(formatCount(Number.NaN)).toBe('–');
  });
});

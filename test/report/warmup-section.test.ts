import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../cli/summary.js';
import { formatUs } from '../../report/html-parts.js';
import { renderRunReport } from '../../report/html-report.js';
import { warmupSection } from '../../report/warmup-section.js';
import type { RunResult } from '../../run/run-result.js';

function fixture(): RunResult {
  return JSON.parse(readFileSync(new URL('../fixtures/result-small.json', import.meta.url), 'utf8')) as RunResult;
}

function withWarmup(): RunResult {
  const result = fixture();
  const e2e = result.latency.e2e;
  result.latency.warmup = { ...e2e, count: 123_457, p50: 987_654, p99: 1_987_654 };
  result.latency.wholeRun = { ...e2e, count: e2e.count + 123_457, p99: 1_500_001 };
  result.warmup = { durationSec: 7, ticks: 123_457 };
  return result;
}

describe('the warm-up beside the headline', () => {
  it('report.html and the terminal summary show the warm-up and the whole run next to the headline', () => {
    const result = withWarmup();
    const html = renderRunReport(result);
    expect(html).toContain('id="warmup"');
    expect(html).toContain('first 7 s');
    for (const us of [987_654, 1_987_654, 1_500_001]) expect(html).toContain(formatUs(us));
    const summary = renderSummary(result);
    expect(summary).toContain('warm-up (first 7 s)');
    expect(summary).toContain('whole run');
  });

  it('a result without a warm-up (older files too) has no warm-up section or rows', () => {
    const result = fixture();
    expect(warmupSection(result)).toBe('');
    expect(renderRunReport(result)).not.toContain('id="warmup"');
    expect(renderSummary(result)).not.toContain('whole run');
  });
});

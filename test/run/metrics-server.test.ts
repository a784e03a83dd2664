import { describe, expect, it } from 'vitest';
import { runLoadTest } from '../../run/load-test.js';
import { resolveRunConfig } from '../../run/run-config.js';

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

describe('--metrics-port', () => {
  it('serves Prometheus metrics that move while the run goes', async () => {
    const config = resolveRunConfig({
      partitions: 4,
      workers: 1,
      rate: 10_000,
      ticks: 40_000,
      metricsPort: 0,
      topic: `ticks-metrics-${process.pid}`,
      progress: false,
    });
    let url: string | null = null;
    const scrapes: string[] = [];
    let scraping: Promise<void> | null = null;
    const result = await runLoadTest(config, {
      log: (line) => {
        const match = /metrics on (\S+)/.exec(line);
        if (match) url = match[1]!;
      },
      progress: (s) => {
        // Scrape at about 1.5 s and 3 s into the 4 s run.
        if (url && (scrapes.length === 0 ? s.elapsedSec >= 1 : scrapes.length === 1 && s.elapsedSec >= 3) && !scraping) {
          scraping = fetch(url).then(async (r) => {
            scrapes.push(await r.text());
            scraping = null;
          });
        }
      },
    });
    expect(result.ticks.lost).toBe(0);
    expect(url).not.toBeNull();
    expect(scrapes.length).toBe(2);
    const [first, second] = scrapes as [string, string];
    expect(first).toContain('# TYPE firehose_ticks_consumed gauge');
    expect(metric(second, 'firehose_ticks_produced')).toBeGreaterThan(metric(first, 'firehose_ticks_produced'));
    expect(metric(second, 'firehose_ticks_consumed')).toBeGreaterThan(metric(first, 'firehose_ticks_consumed'));
    expect(second).toMatch(/firehose_partition_lag_ticks\{partition="3"\} \d+/);
    expect(second).toMatch(/firehose_e2e_latency_microseconds\{quantile="0.99"\} [1-9]\d*/);
  });
});

import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideVerdict } from '../../bench/sweep/verdict.js';
import { errorBarSeries, renderCapacitySweepPage } from '../../report/sweep-curves.js';
import { capacitySweepSchema, type CapacitySweep, type SweepEntryResult } from '../../run/sweep-result.js';

const CHROMIUM = '/usr/bin/chromium';
const outDir = mkdtempSync(path.join(os.tmpdir(), 'tick-firehose-sweep-page-'));
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: the page is checked in a real browser. Install it with \`apt-get install chromium\`.`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  console.info(`sweep pages and screenshots: ${outDir}`);
});

function entry(partitions: number, capacity: number, spread: number, p99At: (load: number) => number): SweepEntryResult {
  return {
    label: `${partitions}p-2w-confluent-64tpr`,
    settings: { partitions, workers: 2, client: 'confluent', ticksPerRecord: 64 },
    beyondCores: partitions > 2,
    topic: null,
    capacity: {
      ticksPerSec: capacity,
      low: capacity * (1 - spread),
      high: capacity * (1 + spread),
      perRepeat: [{ best: capacity, lowestFailed: capacity * 1.2, probes: 6 }],
    },
    curve: [0.25, 0.5, 0.75].map((fraction) => ({
      fraction,
      offered: capacity * fraction,
      p50: p99At(fraction) / 4,
      p50Low: p99At(fraction) / 5,
      p50High: p99At(fraction) / 3,
      p99: p99At(fraction),
      p99Low: p99At(fraction) * 0.8,
      p99High: p99At(fraction) * 1.3,
      sustained: 3,
      repeats: 3,
    })),
    limitedBy: { side: partitions === 1 ? 'consumer' : 'workers', evidence: 'first failing rate …', atRate: capacity * 1.2 },
    probes: [],
  };
}

function sweepOf(entries: SweepEntryResult[], kind: 'mock' | 'kafka'): CapacitySweep {
  return {
    tool: 'tick-firehose',
    kind: 'sweep',
    mode: 'find-capacity',
    version: 2,
    status: 'ok',
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:10:00Z',
    wallSec: 600,
    cluster: {
      brokers: kind === 'kafka' ? '127.0.0.1:9092' : 'embedded',
      kind,
      topics: kind === 'kafka' ? 'deleted after the sweep: a, b' : 'embedded mock: topics cannot be deleted',
    },
    machine: { cpus: 2, loadAverageAtStart: 1, loadAverageAtEnd: 1 },
    criteria: { minAnalysedFraction: 0.97, maxP99Us: 1e6, maxFinalLagSec: 1, maxLagGrowthSec: 0.25, warmupSec: 1, windowSec: 3 },
    repeat: 3,
    fractions: [0.25, 0.5, 0.75],
    confidence: 0.95,
    targetRate: 700_000,
    entries,
    verdict: decideVerdict(entries, { targetRate: 700_000, maxP99Us: 1e6 }),
    notes: ['a note that is long enough to need wrapping '.repeat(6)],
  };
}

async function open(html: string, name: string): Promise<{ errors: string[]; painted: number[]; text: string }> {
  const file = path.join(outDir, `${name}.html`);
  writeFileSync(file, html);
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => {
    errors.push(e.message);
  });
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
  const painted = await page.evaluate<number[]>(`[...document.querySelectorAll('canvas')].map((c) => {
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) n++; return n / (c.width * c.height); })`);
  const text = await page.innerText('body');
  await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
  await context.close();
  return { errors, painted, text };
}

describe('sweep --find-capacity page', () => {
  it('draws the curves and capacity with error bars, and the verdict with its ties', async () => {
    const entries = [
      entry(1, 250_000, 0.05, (l) => 8_000 / (1 - l)),
      entry(4, 800_000, 0.06, (l) => 6_000 / (1 - l)),
      entry(16, 820_000, 0.1, (l) => 9_000 / (1 - l)),
    ];
    const sweep = sweepOf(entries, 'mock');
    capacitySweepSchema.parse(sweep);
    const html = renderCapacitySweepPage(sweep);
    const charts = (
      JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]!) as {
        charts: Array<{ series: Array<{ label: string }> }>;
      }
    ).charts;
    expect(charts).toHaveLength(3);
    // Every setting's line comes with its interval series (the error bars).
    expect(charts[0]!.series.map((s) => s.label)).toEqual(entries.flatMap((e) => [e.label, `${e.label} 95% interval`]));
    expect(charts[2]!.series.map((s) => s.label)).toContain('target rate');

    const page = await open(html, 'sweep-capacity');
    expect(page.errors).toEqual([]);
    expect(page.painted).toHaveLength(3);
    for (const share of page.painted) expect(share).toBeGreaterThan(0.01);
    expect(sweep.verdict.ties).toEqual(['4p-2w-confluent-64tpr', '16p-2w-confluent-64tpr']);
    expect(page.text).toContain(sweep.verdict.reason);
    expect(page.text).toMatch(/PREFERRED \(TIE\)\s+4p-2w-confluent-64tpr/i);
    expect(page.text).toMatch(/tied\s+16p-2w-confluent-64tpr/);
    expect(page.text).toContain('16 partitions add no capacity beyond the noise');
    expect(page.text).toContain('more partitions than the 2 cores');
    expect(page.text).toMatch(/CLUSTER\s+mock/i);
    expect(page.text).toMatch(/FOR 700K\/S\s+4 partitions/i);
  });

  it('a clear winner on real Kafka shows no tie', async () => {
    const sweep = sweepOf([entry(1, 250_000, 0.05, (l) => 8_000 / (1 - l)), entry(8, 900_000, 0.04, (l) => 6_000 / (1 - l))], 'kafka');
    const page = await open(renderCapacitySweepPage(sweep), 'sweep-capacity-winner');
    expect(page.errors).toEqual([]);
    expect(page.text).toMatch(/WINNER\s+8p-2w-confluent-64tpr/i);
    expect(page.text).toMatch(/TIED\s+no tie/i);
    expect(page.text).toMatch(/CLUSTER\s+real Kafka/i);
  });

  it('error bars: a stroke and two caps per point, separated by gaps; points without an interval are left out', () => {
    const s = errorBarSeries(
      'x',
      [
        { x: 10, y: 5, low: 4, high: 7 },
        { x: 20, y: 5, low: Number.NaN, high: 6 },
      ],
      '#000000',
      true,
      10,
    );
    const data = s.data as Array<{ x: number; y: number | null }>;
    expect(data).toHaveLength(9);
    expect(data.filter((d) => d.y === null)).toHaveLength(3);
    expect(data.slice(0, 2)).toEqual([
      { x: 10, y: 4 },
      { x: 10, y: 7 },
    ]);
  });
});

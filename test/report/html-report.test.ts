import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatInt, formatRate, formatUs } from '../../report/html-parts.js';
import { latencySpectrum, renderRunReport } from '../../report/html-report.js';
import { createMergeHistogram, mergeEncoded, summarize } from '../../metrics/latency-histogram.js';
import type { RunResult } from '../../run/run-result.js';
import { renderSweepReport, type SweepEntry, type SweepSummary } from '../../report/sweep-report.js';

const CHROMIUM = '/usr/bin/chromium';
const fixturePath = fileURLToPath(new URL('../fixtures/result-small.json', import.meta.url));

function loadFixture(): RunResult {
  return JSON.parse(readFileSync(fixturePath, 'utf8')) as RunResult;
}

/** Where the rendered pages and screenshots go: a temp dir, never the repository. */
const outDir = mkdtempSync(path.join(os.tmpdir(), 'tick-firehose-report-'));

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the report tests draw the pages in a real browser. Install it with \`apt-get install chromium\`.`,
    );
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  // Kept on purpose: the pages and screenshots are what a reviewer looks at.
  console.info(`report pages and screenshots: ${outDir}`);
});

interface CanvasCheck {
  id: string;
  width: number;
  height: number;
  painted: number;
}

interface PageCheck {
  errors: string[];
  canvases: CanvasCheck[];
  text: string;
  screenshot: string;
  requests: string[];
}

/**
 * Runs in the page (as source text, so this file needs no DOM typings): how many pixels of each
 * canvas are not fully transparent. A canvas Chart.js never drew on has none.
 */
const COUNT_PAINTED_PIXELS = `[...document.querySelectorAll('canvas')].map((canvas) => {
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
  return { id: canvas.id, width: canvas.width, height: canvas.height, painted };
})`;

/** Opens a page from disk, lets Chart.js draw, and reads back what every canvas holds. */
async function openInBrowser(html: string, name: string): Promise<PageCheck> {
  const file = path.join(outDir, `${name}.html`);
  writeFileSync(file, html);
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => {
    errors.push(`page: ${error.message}`);
  });
  page.on('request', (request) => {
    if (!request.url().startsWith('file:') && !request.url().startsWith('data:')) requests.push(request.url());
  });
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  // Two frames: Chart.js draws synchronously with animation off, but resizes on the next frame.
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
  const canvases = await page.evaluate<CanvasCheck[]>(COUNT_PAINTED_PIXELS);
  const text = await page.innerText('body');
  const screenshot = path.join(outDir, `${name}.png`);
  await page.screenshot({ path: screenshot, fullPage: true });
  await context.close();
  return { errors, canvases, text, screenshot, requests };
}

function expectAllChartsDrawn(check: PageCheck, expectedCharts: number): void {
  expect(check.errors).toEqual([]);
  expect(check.requests).toEqual([]);
  expect(check.canvases).toHaveLength(expectedCharts);
  for (const canvas of check.canvases) {
    expect(canvas.width * canvas.height, `${canvas.id} has a size`).toBeGreaterThan(0);
    // Axes, grid and at least one line or bar: well above a handful of stray pixels.
    expect(canvas.painted / (canvas.width * canvas.height), `${canvas.id} drew something`).toBeGreaterThan(0.01);
  }
}

function embeddedCharts(html: string): Array<{ id: string; series: Array<{ label: string }> }> {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  expect(match).not.toBeNull();
  return (JSON.parse(match![1]!) as { charts: Array<{ id: string; series: Array<{ label: string }> }> }).charts;
}

/** The fixture pushed into an overloaded run, with the optional fields later versions add. */
function overloadedVariant(): RunResult {
  const result = loadFixture();
  const lost = 12_345;
  result.ticks = { ...result.ticks, distinctConsumed: result.ticks.acked - lost, lost, evicted: 12_000, duplicated: 7 };
  result.timeline = result.timeline.map((p, i) => ({ ...p, lagTicks: 500 + i * 20_000 }));
  result.warnings = [...result.warnings, `${lost} acknowledged ticks were never consumed (12000 evicted by retention)`];
  const extended = result as RunResult & Record<string, unknown>;
  extended['faults'] = [
    { atSec: 2, kind: 'kill', phase: 'start', detail: 'broker 1 stopped' },
    { atSec: 5.5, kind: 'restart', phase: 'start', detail: 'broker 1 back' },
  ];
  extended['thresholds'] = [
    { name: 'e2e p99', limit: '≤ 20000 µs', actual: result.latency.e2e.p99, pass: false },
    { name: 'lost ticks', limit: '≤ 0', actual: lost, pass: false },
  ];
  (result.analytics as typeof result.analytics & Record<string, unknown>)['quality'] = {
    outliers: { precision: 0.97, recall: 0.88 },
    sources: { spearman: 0.9 },
  };
  return result;
}

describe('latencySpectrum', () => {
  it('sweeps 1/(1-p) from 0% into the tail and agrees with the summary percentiles', () => {
    const result = loadFixture();
    const encoded = Object.values(result.histograms.e2eByPartition);
    const points = latencySpectrum(encoded);
    const merged = createMergeHistogram();
    for (const e of encoded) mergeEncoded(merged, e);
    const summary = summarize(merged);

    expect(points[0]).toMatchObject({ x: 1, percentile: 0 });
    for (let i = 1; i < points.length; i++) {
      expect(points[i]!.x).toBeGreaterThanOrEqual(points[i - 1]!.x);
      expect(points[i]!.valueUs).toBeGreaterThanOrEqual(points[i - 1]!.valueUs);
      expect(points[i]!.x).toBeCloseTo(1 / (1 - points[i]!.percentile / 100), 3);
    }
    expect(points.find((p) => Math.abs(p.x - 100) < 1e-6)?.valueUs).toBe(summary.p99);
    expect(points.find((p) => Math.abs(p.x - 1000) < 1e-6)?.valueUs).toBe(summary.p999);
    // Five nines by default: the fixture's count (over 10^5) supports all of them, but the max lies beyond.
    expect(summary.count).toBeGreaterThan(1e5);
    expect(points[points.length - 1]!.x).toBeCloseTo(1e5, 6);
    // With room for it, the sweep stops where the sample count does and ends at the max.
    const deeper = latencySpectrum(encoded, { maxNines: 6 });
    expect(deeper[deeper.length - 1]).toEqual({ x: summary.count, percentile: 100, valueUs: summary.max });
    expect(deeper.slice(0, -1).every((p) => p.x <= summary.count)).toBe(true);
  });

  it('is empty for an empty histogram and accepts one encoded string', () => {
    expect(latencySpectrum('')).toEqual([]);
    const one = loadFixture().histograms.stages.analytics;
    expect(latencySpectrum(one).length).toBeGreaterThan(50);
  });
});

describe('run report page', () => {
  it('draws every chart offline without errors and shows the headline numbers', async () => {
    const result = loadFixture();
    const html = renderRunReport(result);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href="https?:/);
    const charts = embeddedCharts(html);
    expect(charts.map((c) => c.series[0]?.label)).toContain('end-to-end');

    const check = await openInBrowser(html, 'report');
    expectAllChartsDrawn(check, charts.length);
    expect(charts.length).toBe(5);
    const e2e = result.latency.e2e;
    for (const headline of [
      formatRate(result.throughput.ticksPerSec),
      formatRate(result.throughput.offeredTicksPerSec),
      formatUs(e2e.p50),
      formatUs(e2e.p99),
      formatUs(e2e.p999),
      formatUs(e2e.max),
    ]) {
      expect(check.text).toContain(headline);
    }
    expect(check.text).toMatch(/LOST\s+0/i);
    expect(check.text).toMatch(/STATUS\s+ok/i);
    expect(check.text).toContain(result.config.client);
    expect(check.text).toContain(result.config.topic);
    expect(check.text).toContain('No warnings.');
    for (const p of result.partitions) expect(check.text).toContain(formatInt(p.ackedTicks));
  });

  it('flags an overloaded run and renders faults, thresholds and quality metrics when present', async () => {
    const result = overloadedVariant();
    const html = renderRunReport(result);
    const check = await openInBrowser(html, 'report-overloaded');
    expectAllChartsDrawn(check, embeddedCharts(html).length);
    expect(html).toMatch(/class="card tone-bad"><div class="card-label">Lost<\/div><div class="card-value">12,345</);
    expect(check.text).toMatch(/STATUS\s+overloaded/i);
    expect(check.text).toContain('consumer lag grew');
    expect(check.text).toMatch(/kill\s+broker 1 stopped/);
    expect(check.text).toContain('broker 1 back');
    expect(check.text).toMatch(/THRESHOLDS\s+0\/2/i);
    expect(check.text).toContain('≤ 20000 µs');
    expect(check.text).toMatch(/precision\s+0\.970/i);
    expect(check.text).toMatch(/spearman\s+0\.900/i);
  });

  it('shows a note instead of an empty canvas when there is no data', async () => {
    const result = loadFixture();
    result.timeline = [];
    result.partitions = [];
    result.histograms = {
      ...result.histograms,
      e2eByPartition: {},
      stages: { schedule: '', produce: '', transport: '', queue: '', analytics: '' },
    };
    const html = renderRunReport(result);
    expect(embeddedCharts(html)).toHaveLength(0);
    const check = await openInBrowser(html, 'report-empty');
    expectAllChartsDrawn(check, 0);
    expect(check.text).toContain('No latency was recorded.');
    expect(check.text).toContain('No timeline samples.');
    expect(check.text).toContain('No partitions.');
  });
});

function fakeEntry(base: RunResult, partitions: number, workers: number, client: string, speed: number): SweepEntry {
  const result = structuredClone(base);
  result.config = { ...result.config, partitions, workers };
  result.throughput = { ...result.throughput, ticksPerSec: Math.round(result.throughput.ticksPerSec * speed) };
  const scale = (n: number): number => Math.round(n / speed);
  result.latency = {
    ...result.latency,
    e2e: {
      ...result.latency.e2e,
      p50: scale(result.latency.e2e.p50),
      p99: scale(result.latency.e2e.p99),
      p999: scale(result.latency.e2e.p999),
    },
  };
  return {
    label: `${partitions}p-${workers}w-${client}`,
    settings: { partitions, workers, client, ticksPerRecord: base.config.ticksPerRecord },
    result,
  };
}

describe('sweep report page', () => {
  it('draws the scaling charts and the spectra overlay, highlighting the best setting', async () => {
    const base = loadFixture();
    const entries = [
      fakeEntry(base, 2, 2, 'confluent', 0.8),
      fakeEntry(base, 4, 2, 'confluent', 0.97),
      fakeEntry(base, 8, 2, 'confluent', 0.99),
    ];
    const summary: SweepSummary = {
      entries,
      best: { label: '8p-2w-confluent', reason: 'lowest p99 among settings that kept up' },
      maxP99Us: 200_000,
    };
    const html = renderSweepReport(summary);
    const charts = embeddedCharts(html);
    expect(charts).toHaveLength(3);
    const check = await openInBrowser(html, 'sweep');
    expectAllChartsDrawn(check, 3);
    expect(check.text).toContain('Best: 8p-2w-confluent');
    expect(check.text).toContain('lowest p99 among settings that kept up');
    for (const e of entries) {
      expect(check.text).toContain(e.label);
      expect(check.text).toContain(formatUs(e.result.latency.e2e.p99));
      expect(check.text).toContain(formatInt(e.result.throughput.ticksPerSec));
    }
    expect(html).toMatch(/<tr class="best"><td>8p-2w-confluent/);
  });

  it('draws one line per combination of the other settings', () => {
    const base = loadFixture();
    const entries = [2, 4, 8].flatMap((p) => [fakeEntry(base, p, 1, 'confluent', 1), fakeEntry(base, p, 1, 'kafkajs', 0.7)]);
    const html = renderSweepReport({ entries, best: null, maxP99Us: null });
    const [throughput] = embeddedCharts(html);
    expect(throughput!.series.map((s) => s.label)).toEqual(['confluent', 'kafkajs', 'offered']);
    expect(html).toContain('No best setting.');
  });
});

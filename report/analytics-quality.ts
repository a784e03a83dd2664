import { ChartSet, renderPage } from './html-page.js';
import {
  card,
  cards,
  formatCompact,
  formatRate,
  grid,
  html,
  join,
  keyValues,
  section,
  table,
  type SafeHtml,
  type Tone,
} from './html-parts.js';
import type { AnalyticsQualityBlock } from '../run/quality-score.js';

/**
 * The quality-curve section of a report (a `firehose score` result): recall by anomaly size,
 * the precision–recall curve of the threshold sweep, the arbitrage split into tradeable and
 * phantom crosses, and the source ranking against the hidden truth, each beside its baseline.
 */

const DETECTOR = '#2563eb';
const BASELINE = '#94a3b8';

const fixed = (x: number | undefined, digits = 3): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–');

function tone(x: number | undefined, good: number, warn: number): Tone {
  return typeof x !== 'number' || !Number.isFinite(x) ? 'neutral' : x >= good ? 'good' : x >= warn ? 'warn' : 'bad';
}

export function analyticsQualitySection(q: AnalyticsQualityBlock, charts: ChartSet): SafeHtml {
  const o = q.outliers;
  const b = q.baseline.outliers;
  const bands = Object.keys(o.recallBySize);
  const headline = cards([
    card('Outlier F1', fixed(o.f1), { tone: tone(o.f1, 0.9, 0.5), sub: `Hampel ${fixed(b.f1)} · worst seed ${fixed(o.f1Min)}` }),
    card('False flags / 10k clean', fixed(o.falsePer10k, 2), {
      tone: o.falsePer10k <= 1 ? 'good' : o.falsePer10k <= 10 ? 'warn' : 'bad',
      sub: `Hampel ${fixed(b.falsePer10k, 2)} · ${formatCompact(o.flagsOnNews)} on news moves`,
    }),
    card('Tradeable crosses P / R', `${fixed(q.arbitrage.tradeable.precision, 2)} / ${fixed(q.arbitrage.tradeable.recall, 2)}`, {
      tone: tone(Math.min(q.arbitrage.tradeable.precision, q.arbitrage.tradeable.recall), 0.99, 0.5),
      sub: `fee-less baseline ${fixed(q.baseline.arbitrage.tradeable.precision, 2)} / ${fixed(q.baseline.arbitrage.tradeable.recall, 2)}`,
    }),
    card('Phantoms classified', fixed(q.arbitrage.phantom.classified, 2), {
      tone: tone(q.arbitrage.phantom.classified, 0.95, 0.5),
      sub: `baseline ${fixed(q.baseline.arbitrage.phantom.classified, 2)}`,
    }),
    card('Ranking ρ / τ', `${fixed(q.sources.spearman, 2)} / ${fixed(q.sources.kendall, 2)}`, {
      tone: tone(q.sources.spearman, 0.9, 0.5),
      sub: `worst seed ρ ${fixed(q.sources.spearmanMin, 2)} · p ≤ ${fixed(q.sources.kendallPValueMax, 3)}`,
    }),
    card('Replay', formatRate(q.replay.ticksPerSecPerWorker), { sub: 'ticks/s through one analyzer (slowest seed)' }),
  ]);

  const recallChart = charts.figure(
    "Outlier recall by size (σ of the venue's true returns)",
    {
      type: 'bar',
      labels: bands,
      series: [
        { label: 'detector', data: bands.map((k) => o.recallBySize[k] ?? null), color: DETECTOR },
        { label: 'Hampel baseline', data: bands.map((k) => b.recallBySize[k] ?? null), color: BASELINE },
      ],
      x: { title: 'size band (σ)' },
      y: { title: 'recall', format: 'ratio', min: 0, max: 1 },
    },
    { note: `mean over ${q.quality.seeds.length} seeds at the headline threshold` },
  );
  const prChart = charts.figure(
    'Precision–recall over the threshold sweep',
    {
      type: 'line',
      series: [
        { label: 'detector (z)', data: o.prCurve.map((p) => ({ x: p.recall, y: p.precision })), color: DETECTOR, pointRadius: 4 },
        { label: 'Hampel (t)', data: b.prCurve.map((p) => ({ x: p.recall, y: p.precision })), color: BASELINE, pointRadius: 4 },
      ],
      x: { title: 'recall', format: 'ratio', min: 0, max: 1 },
      y: { title: 'precision', format: 'ratio', min: 0, max: 1 },
    },
    { note: 'one point per threshold; the table below lists them' },
  );

  const bandRows = bands.map((k) => [
    k,
    fixed(o.recallBySize[k]),
    fixed(o.recallBySizeMin[k]),
    fixed(b.recallBySize[k]),
    fixed(b.recallBySizeMin[k]),
    formatCompact(o.badTicksBySize[k] ?? 0),
  ]);
  const bandTable = table(['band (σ)', 'detector mean', 'detector min', 'Hampel mean', 'Hampel min', 'bad ticks'], bandRows, {
    numeric: [1, 2, 3, 4, 5],
  });
  const sweepRows = o.prCurve.map((p, k) => {
    const h = b.prCurve[k];
    return [
      p.threshold,
      fixed(p.precision),
      fixed(p.recall),
      fixed(p.f1),
      fixed(p.falsePer10k, 2),
      fixed(h?.precision),
      fixed(h?.recall),
      fixed(h?.f1),
      fixed(h?.falsePer10k, 2),
    ];
  });
  const sweepTable = table(['threshold', 'P', 'R', 'F1', 'false/10k', 'Hampel P', 'Hampel R', 'Hampel F1', 'Hampel false/10k'], sweepRows, {
    numeric: [0, 1, 2, 3, 4, 5, 6, 7, 8],
  });

  type CrossRow = (typeof q)['arbitrage'];
  const crossRow = (name: string, x: CrossRow) => [
    name,
    fixed(x.tradeable.precision),
    fixed(x.tradeable.recall),
    fixed(x.phantom.classified),
    formatCompact(x.tradeable.alerts),
    formatCompact(x.tradeable.events),
    formatCompact(x.phantom.events),
  ];
  const crossHead = ['', 'tradeable P', 'tradeable R', 'phantoms classified', 'alerts', 'tradeable events', 'phantom events'];
  const triangleTable = table(
    crossHead,
    [crossRow('triangular detector (net of fees)', q.triangular), crossRow(q.baseline.triangular.name, q.baseline.triangular)],
    { numeric: [1, 2, 3, 4, 5, 6] },
  );
  const a = q.arbitrage;
  const ab = q.baseline.arbitrage;
  const crossTable = table(
    crossHead,
    [
      [
        'detector (net of fees)',
        fixed(a.tradeable.precision),
        fixed(a.tradeable.recall),
        fixed(a.phantom.classified),
        formatCompact(a.tradeable.alerts),
        formatCompact(a.tradeable.events),
        formatCompact(a.phantom.events),
      ],
      [
        ab.name,
        fixed(ab.tradeable.precision),
        fixed(ab.tradeable.recall),
        fixed(ab.phantom.classified),
        formatCompact(ab.tradeable.alerts),
        formatCompact(ab.tradeable.events),
        formatCompact(ab.phantom.events),
      ],
    ],
    { numeric: [1, 2, 3, 4, 5, 6] },
  );

  const first = q.sources.perSeed[0];
  let rankingHtml: SafeHtml = html`<p class="dim">No source scores.</p>`;
  if (first) {
    const byTruth = first.errorBps.map((e, v) => ({ v, e, s: first.scores[v] ?? Number.NaN })).sort((x, y) => x.e - y.e);
    const byScore = [...byTruth].sort((x, y) => y.s - x.s).map((r) => r.v);
    rankingHtml = table(
      ['true rank', 'venue', 'true error (bp)', 'quote noise (bp)', 'detector score', 'detector rank'],
      byTruth.map((r, k) => [k + 1, `v${r.v}`, fixed(r.e), fixed(first.noiseBps[r.v]), fixed(r.s), byScore.indexOf(r.v) + 1]),
      { numeric: [0, 2, 3, 4, 5] },
    );
  }

  const settings = keyValues([
    ['market', q.quality.market],
    ['seeds', q.quality.seeds.join(', ')],
    ['ticks per seed', formatCompact(q.quality.ticksPerSeed)],
    ['headline threshold', String(q.quality.headlineThreshold)],
    ['event match window', `${q.quality.matchTicks} ticks`],
  ]);

  return section(
    'analytics-quality',
    'Analytics quality',
    join(
      [
        headline,
        grid([recallChart, prChart], 2),
        html`<h3>Recall by size</h3>${bandTable}`,
        html`<h3>Threshold sweep</h3>${sweepTable}`,
        html`<h3>Crosses: tradeable (fair values apart by more than the fees) and phantom (lag, stale or bad quotes)</h3>${crossTable}`,
        html`<h3>Triangles: tradeable (fair cross rates open one by more than the fees) and phantom</h3>${triangleTable}`,
        html`<h3>Faulty sources (found within the analyzer's limit; undecided cells are misses)</h3>${table(
          ['source', 'cells', 'found in time', 'recall mean', 'recall worst seed'],
          [
            [
              'biased venue',
              q.sources.biased.cells,
              q.sources.biased.foundOnTime,
              fixed(q.sources.biased.recall),
              fixed(q.sources.biased.recallMin),
            ],
            [
              'frozen venue',
              q.sources.frozen.cells,
              q.sources.frozen.foundOnTime,
              fixed(q.sources.frozen.recall),
              fixed(q.sources.frozen.recallMin),
            ],
          ],
          { numeric: [1, 2, 3, 4] },
        )}`,
        html`<h3>Source ranking against the hidden truth (seed ${first?.seed ?? '–'})</h3>${rankingHtml}`,
        html`<h3>Settings</h3>${settings}`,
      ],
      '\n',
    ),
    "Labels come from the hidden fair value and the fault schedule, never from a detector's rule; every figure is the mean over the seeds, with the worst seed beside it.",
  );
}

/** A page of its own for a `firehose score` result. */
export function renderScoreReport(q: AnalyticsQualityBlock, createdAt: string): string {
  const charts = new ChartSet();
  const body = analyticsQualitySection(q, charts);
  return renderPage({
    title: `tick-firehose score · ${createdAt}`,
    heading: 'Analytics quality',
    subtitle: `${q.quality.market} market · ${q.quality.seeds.length} seeds · ${createdAt}`,
    nav: [{ id: 'analytics-quality', label: 'Quality' }],
    body,
    charts,
  });
}

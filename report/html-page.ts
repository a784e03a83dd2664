import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { html, raw, type HtmlValue, type SafeHtml } from './html-parts.js';

/**
 * The shell shared by the HTML report pages: CSS, Chart.js inlined, chart specs embedded as JSON
 * and one small browser runtime that turns them into Chart.js charts. Pages describe charts as
 * plain data (ChartSpec) so that every formatter and chart convention lives in one place and
 * the page works from a file:// URL with no network.
 */

/** How an axis labels its values. `percentile` expects x = 1/(1-p) on a log axis. */
export type AxisFormat = 'ms' | 'count' | 'rate' | 'sec' | 'percentile' | 'ratio' | 'plain';

export interface AxisSpec {
  title: string;
  format?: AxisFormat;
  log?: boolean;
  min?: number;
  max?: number;
  /** Exact tick positions, e.g. the partition counts a sweep tried. */
  ticks?: number[];
}

export interface SeriesSpec {
  label: string;
  /** Points for numeric x axes, or one value per label for category (bar) charts; null leaves a gap. */
  data: Array<{ x: number; y: number | null }> | Array<number | null>;
  /** Overrides the chart type for this series (a line over bars). */
  type?: 'line' | 'bar';
  /** `#rrggbb`; defaults to the palette by position. */
  color?: string;
  yAxis?: 'y' | 'y2';
  dashed?: boolean;
  width?: number;
  /** Dot size on line series: useful when a series has only a few points. */
  pointRadius?: number;
  stepped?: boolean;
}

export interface ChartSpec {
  type: 'line' | 'bar';
  /** Category labels for bar charts; when present the x axis is a category axis. */
  labels?: string[];
  series: SeriesSpec[];
  x: AxisSpec;
  y: AxisSpec;
  y2?: AxisSpec;
  /** Vertical marker lines at x values (e.g. injected faults on a time axis). */
  markers?: Array<{ x: number; label: string }>;
}

interface PlacedChart extends ChartSpec {
  id: string;
}

export interface FigureOptions {
  height?: number;
  /** One line under the title saying how to read the chart. */
  note?: string;
  /** Shown instead of the chart when there is nothing to draw. */
  empty?: string;
}

function hasData(spec: ChartSpec): boolean {
  return spec.series.some((s) =>
    (s.data as Array<number | null | { y: number | null }>).some((d) => {
      const y = d !== null && typeof d === 'object' ? d.y : d;
      return typeof y === 'number' && Number.isFinite(y);
    }),
  );
}

/**
 * Collects the charts of one page. `figure` returns the placeholder markup and keeps the spec,
 * or returns a "no data" note and keeps nothing, so the page never shows an empty canvas.
 */
export class ChartSet {
  private readonly placed: PlacedChart[] = [];

  figure(title: string, spec: ChartSpec, options: FigureOptions = {}): SafeHtml {
    const note = options.note ? html`<span class="fig-note">${options.note}</span>` : '';
    const caption = html`<figcaption><span class="fig-title">${title}</span>${note}</figcaption>`;
    if (!hasData(spec)) {
      return html`<figure class="chart">${caption}<div class="no-data">${options.empty ?? 'No data for this chart.'}</div></figure>`;
    }
    const id = `chart-${this.placed.length + 1}`;
    this.placed.push({ ...spec, id });
    const height = Number.isFinite(options.height) ? options.height! : 300;
    return html`<figure class="chart">${caption}<div class="chart-box" style="height:${height}px"><canvas id="${id}" role="img" aria-label="${title}"></canvas></div></figure>`;
  }

  get specs(): readonly PlacedChart[] {
    return this.placed;
  }
}

export interface PageOptions {
  title: string;
  heading: string;
  /** Under the heading: plain text is escaped; markup must be SafeHtml (html-parts.ts). */
  subtitle: HtmlValue;
  nav: Array<{ id: string; label: string }>;
  /** The sections: plain text is escaped; markup must be SafeHtml. */
  body: HtmlValue;
  charts: ChartSet;
}

let chartJsSource: string | undefined;

/** Chart.js's UMD build, read once. Its package "exports" hide dist/, so find the package root from the main entry. */
export function chartJsBundle(): string {
  if (chartJsSource !== undefined) return chartJsSource;
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    file = require.resolve('chart.js/dist/chart.umd.min.js');
  } catch {
    let dir = path.dirname(require.resolve('chart.js'));
    while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    file = path.join(dir, 'dist', 'chart.umd.min.js');
  }
  chartJsSource = readFileSync(file, 'utf8');
  return chartJsSource;
}

/**
 * JSON safe inside a <script> element: escaping every `<` (as \u003c, still valid JSON) rules out
 * both `</script>` and `<!--`, which would otherwise end or derail the element.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A script's source must not contain `</script` either. */
function inlineScript(source: string): string {
  return source.replace(/<\/script/gi, '<\\/script');
}

export function renderPage(options: PageOptions): string {
  const nav = options.nav.map((n) => html`<a href="#${n.id}">${n.label}</a>`);
  // Only the style and scripts go in raw: constants of this file, and JSON escaped for a script element.
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title}</title>
<link rel="icon" href="data:,">
<style>${raw(PAGE_CSS)}</style>
</head>
<body>
<header class="top"><div class="wrap">
<div class="brand">tick-firehose</div>
<h1>${options.heading}</h1>
<div class="subtitle">${options.subtitle}</div>
<nav>${nav}</nav>
</div></header>
<main class="wrap">
${options.body}
</main>
<footer class="wrap">Generated by tick-firehose. Self-contained page: charts drawn with Chart.js, inlined; no network needed.</footer>
<script type="application/json" id="report-data">${raw(scriptJson({ charts: options.charts.specs }))}</script>
<script>${raw(inlineScript(chartJsBundle()))}</script>
<script>${raw(inlineScript(RUNTIME_JS))}</script>
</body>
</html>
`.html;
}

const PAGE_CSS = `
:root {
  --bg: #f4f6f9; --panel: #ffffff; --ink: #0f172a; --ink-2: #334155; --muted: #64748b; --line: #e2e8f0;
  --accent: #2563eb; --good: #15803d; --good-bg: #ecfdf3; --bad: #b91c1c; --bad-bg: #fef2f2;
  --warn: #b45309; --warn-bg: #fffbeb;
}
* { box-sizing: border-box; }
html { scroll-behavior: smooth; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.wrap { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
header.top { background: var(--panel); border-bottom: 1px solid var(--line); padding: 20px 0 0; margin-bottom: 24px; }
.brand { font-size: 12px; font-weight: 600; letter-spacing: .08em; text-transform: uppercase; color: var(--accent); }
h1 { margin: 2px 0 4px; font-size: 24px; font-weight: 650; letter-spacing: -.01em; }
.subtitle { color: var(--muted); font-size: 13px; }
.subtitle code { font-size: 12px; }
nav { display: flex; flex-wrap: wrap; gap: 4px 18px; margin-top: 14px; }
nav a { color: var(--ink-2); text-decoration: none; font-size: 13px; padding: 8px 0; border-bottom: 2px solid transparent; }
nav a:hover { color: var(--accent); border-bottom-color: var(--accent); }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px 20px; margin-bottom: 20px; }
h2 { margin: 0 0 12px; font-size: 17px; font-weight: 650; }
h3 { margin: 18px 0 8px; font-size: 14px; font-weight: 600; color: var(--ink-2); }
.intro { margin: -6px 0 14px; color: var(--muted); font-size: 13px; max-width: 900px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; margin-bottom: 20px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; border-top: 3px solid #cbd5e1; min-width: 0; }
.card-label { font-size: 11px; font-weight: 600; letter-spacing: .05em; text-transform: uppercase; color: var(--muted); }
.card-value { font-size: 24px; font-weight: 650; margin-top: 2px; font-variant-numeric: tabular-nums; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.card-value.long { font-size: 17px; line-height: 1.3; padding-top: 5px; white-space: normal; overflow-wrap: anywhere; }
.card-sub { font-size: 12px; color: var(--muted); margin-top: 2px; }
.card.tone-good { border-top-color: var(--good); } .card.tone-good .card-value { color: var(--good); }
.card.tone-bad { border-top-color: var(--bad); background: var(--bad-bg); } .card.tone-bad .card-value { color: var(--bad); }
.card.tone-warn { border-top-color: var(--warn); background: var(--warn-bg); } .card.tone-warn .card-value { color: var(--warn); }
.card.tone-neutral { border-top-color: var(--accent); }
.grid { display: grid; gap: 18px 24px; }
.grid.cols-2 { grid-template-columns: repeat(2, minmax(0, 1fr)); }
.grid.cols-3 { grid-template-columns: repeat(3, minmax(0, 1fr)); }
@media (max-width: 900px) { .grid.cols-2, .grid.cols-3 { grid-template-columns: 1fr; } }
figure.chart { margin: 0; min-width: 0; }
figcaption { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 10px; margin-bottom: 6px; }
.fig-title { font-weight: 600; font-size: 13px; color: var(--ink-2); }
.fig-note { font-size: 12px; color: var(--muted); }
.chart-box { position: relative; width: 100%; }
.no-data { display: flex; align-items: center; justify-content: center; height: 120px; border: 1px dashed var(--line); border-radius: 8px; color: var(--muted); font-size: 13px; background: #fafbfc; }
.table-wrap { overflow-x: auto; }
table.data { border-collapse: collapse; width: 100%; font-size: 13px; }
table.data th { text-align: left; font-weight: 600; color: var(--muted); font-size: 11px; letter-spacing: .04em; text-transform: uppercase; border-bottom: 1px solid var(--line); padding: 6px 10px; white-space: nowrap; }
table.data td { border-bottom: 1px solid #f1f5f9; padding: 6px 10px; vertical-align: top; }
table.data tbody tr:hover { background: #f8fafc; }
table.data td:first-child { white-space: nowrap; }
table.data .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.data tr.best { background: var(--good-bg); }
table.data tr.best td:first-child { box-shadow: inset 3px 0 0 var(--good); font-weight: 600; }
table.data tr.muted td { color: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; background: #eef2f7; color: var(--ink-2); }
.badge.tone-good { background: var(--good-bg); color: var(--good); }
.badge.tone-bad { background: var(--bad-bg); color: var(--bad); }
.badge.tone-warn { background: var(--warn-bg); color: var(--warn); }
.bad { color: var(--bad); font-weight: 600; }
.dim { color: var(--muted); }
.callout { border-radius: 8px; padding: 10px 14px; margin: 0 0 14px; font-size: 13px; border: 1px solid var(--line); }
.callout.tone-good { background: var(--good-bg); border-color: #bbf7d0; }
.callout.tone-warn { background: var(--warn-bg); border-color: #fde68a; }
.callout.tone-bad { background: var(--bad-bg); border-color: #fecaca; }
.callout strong { font-weight: 650; }
ul.warnings { margin: 0; padding: 0; list-style: none; }
ul.warnings li { padding: 8px 12px; border-left: 3px solid var(--warn); background: var(--warn-bg); border-radius: 4px; margin-bottom: 6px; font-size: 13px; }
dl.kvs { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 0 24px; margin: 0; }
.kv { display: flex; justify-content: space-between; gap: 12px; border-bottom: 1px solid #f1f5f9; padding: 5px 0; font-size: 13px; min-width: 0; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; font-variant-numeric: tabular-nums; text-align: right; overflow-wrap: anywhere; }
footer { color: var(--muted); font-size: 12px; padding-bottom: 32px; }
`;

/**
 * Runs in the page. Plain ES2020, no template literals, so it can live in this TS string as is;
 * `inlineScript` guards against `</script` all the same.
 */
const RUNTIME_JS = String.raw`
(function () {
  'use strict';
  var el = document.getElementById('report-data');
  if (!el || typeof Chart === 'undefined') return;
  var data = JSON.parse(el.textContent || '{}');
  var PALETTE = ['#0f172a', '#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626', '#475569'];

  // Three significant digits at most, without trailing zeros: axis labels read "50 ms", not "50.0 ms".
  function sig(n) {
    var a = Math.abs(n);
    if (a === 0) return '0';
    var digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
    return String(parseFloat(n.toFixed(digits)));
  }
  function compact(n) {
    var a = Math.abs(n);
    if (a >= 1e9) return sig(n / 1e9) + 'G';
    if (a >= 1e6) return sig(n / 1e6) + 'M';
    if (a >= 1e3) return sig(n / 1e3) + 'k';
    return sig(n);
  }
  function percentileLabel(x, forTick) {
    if (x <= 1) return '0%';
    var nines = Math.log10(x);
    var digits = forTick ? Math.max(0, Math.round(nines) - 2) : Math.max(1, Math.ceil(nines) - 1);
    return (100 - 100 / x).toFixed(digits) + '%';
  }
  var FORMATS = {
    ms: function (v) { return v >= 1000 ? sig(v / 1000) + ' s' : sig(v) + ' ms'; },
    count: compact,
    rate: function (v) { return compact(v) + '/s'; },
    sec: function (v) { return sig(v) + ' s'; },
    ratio: function (v) { return v.toFixed(3); },
    percentile: function (v) { return percentileLabel(v, false); },
    plain: function (v) { return String(v); }
  };
  function formatter(axis) { return FORMATS[(axis && axis.format) || 'plain'] || FORMATS.plain; }

  // Vertical lines with a label, e.g. fault injections on a time axis.
  Chart.register({
    id: 'markers',
    afterDatasetsDraw: function (chart, _args, opts) {
      var items = (opts && opts.items) || [];
      var x = chart.scales.x;
      if (!items.length || !x) return;
      var ctx = chart.ctx, area = chart.chartArea;
      ctx.save();
      ctx.strokeStyle = '#dc2626'; ctx.fillStyle = '#b91c1c'; ctx.lineWidth = 1; ctx.setLineDash([4, 3]);
      ctx.font = '11px system-ui, sans-serif'; ctx.textBaseline = 'top';
      items.forEach(function (m) {
        var px = x.getPixelForValue(m.x);
        if (!(px >= area.left && px <= area.right)) return;
        ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
        ctx.fillText(m.label, Math.min(px + 3, area.right - ctx.measureText(m.label).width), area.top + 2);
      });
      ctx.restore();
    }
  });

  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
  Chart.defaults.font.size = 12;
  Chart.defaults.color = '#475569';
  Chart.defaults.borderColor = '#e2e8f0';
  Chart.defaults.animation = false;

  // Legend swatches drawn like the series (line, dashes, dot or bar): Chart.js's own point-style
  // legend stretches dots into ellipses and its boxes cannot show a dashed line.
  function swatch(ds) {
    var c = document.createElement('canvas');
    c.width = 26; c.height = 12;
    var g = c.getContext('2d');
    if (ds.type === 'bar') {
      g.fillStyle = ds.backgroundColor; g.fillRect(5, 1, 16, 10);
      return c;
    }
    if (ds.borderWidth > 0) {
      g.strokeStyle = ds.borderColor; g.lineWidth = Math.max(2, Math.min(ds.borderWidth, 4));
      g.setLineDash(ds.borderDash || []);
      g.beginPath(); g.moveTo(1, 6); g.lineTo(25, 6); g.stroke();
    }
    if (ds.pointRadius > 0) {
      g.fillStyle = ds.pointBackgroundColor;
      g.beginPath(); g.arc(13, 6, Math.min(ds.pointRadius, 5), 0, 2 * Math.PI); g.fill();
    }
    return c;
  }
  var swatches = new WeakMap();
  function legendLabels(chart) {
    var items = Chart.defaults.plugins.legend.labels.generateLabels(chart);
    items.forEach(function (item) {
      var ds = chart.data.datasets[item.datasetIndex];
      if (!swatches.has(ds)) swatches.set(ds, swatch(ds));
      item.pointStyle = swatches.get(ds);
    });
    return items;
  }

  function scale(axis, isX, category, right) {
    var fmt = formatter(axis);
    var cfg = {
      type: category ? 'category' : axis.log ? 'logarithmic' : 'linear',
      position: isX ? 'bottom' : right ? 'right' : 'left',
      title: { display: !!axis.title, text: axis.title, color: '#334155', font: { weight: '600' } },
      grid: { color: right ? 'transparent' : '#eef2f7' },
      border: { color: '#cbd5e1' },
      ticks: { maxRotation: 0, autoSkipPadding: 12 }
    };
    if (axis.min !== undefined && axis.min !== null) cfg.min = axis.min;
    if (axis.max !== undefined && axis.max !== null) cfg.max = axis.max;
    if (!isX && !axis.log) cfg.beginAtZero = true;
    if (category) return cfg;
    if (Array.isArray(axis.ticks) && axis.ticks.length) {
      cfg.afterBuildTicks = function (s) { s.ticks = axis.ticks.map(function (v) { return { value: v }; }); };
      cfg.ticks.callback = function (v) { return fmt(Number(v)); };
    } else if (axis.format === 'percentile') {
      // Only the "nines" are meaningful on a 1/(1-p) axis: 0%, 90%, 99%, 99.9%...
      cfg.afterBuildTicks = function (s) {
        var ticks = [];
        for (var v = 1; v <= s.max * 1.0001; v *= 10) ticks.push({ value: v });
        s.ticks = ticks;
      };
      cfg.ticks.callback = function (v) { return percentileLabel(Number(v), true); };
    } else if (axis.log) {
      cfg.ticks.callback = function (v) {
        var n = Number(v);
        var m = n / Math.pow(10, Math.floor(Math.log10(n) + 1e-9));
        var r = Math.round(m * 1000) / 1000;
        return r === 1 || r === 2 || r === 5 ? fmt(n) : '';
      };
    } else {
      cfg.ticks.callback = function (v) { return fmt(Number(v)); };
    }
    return cfg;
  }

  function build(spec) {
    var category = Array.isArray(spec.labels);
    var axes = { y: spec.y, y2: spec.y2 };
    var datasets = spec.series.map(function (s, i) {
      var color = s.color || PALETTE[i % PALETTE.length];
      var type = s.type || spec.type;
      var bar = type === 'bar';
      return {
        type: type, label: s.label, data: s.data, yAxisID: s.yAxis || 'y',
        borderColor: color, backgroundColor: bar ? color + 'bf' : color,
        borderWidth: s.width !== undefined ? s.width : bar ? 0 : 2,
        borderDash: s.dashed ? [6, 4] : [],
        pointRadius: s.pointRadius || 0, pointHoverRadius: 4, pointBackgroundColor: color,
        stepped: s.stepped ? 'before' : false, tension: 0, spanGaps: false,
        borderRadius: bar ? 3 : 0, order: bar ? 2 : 1
      };
    });
    var scales = { x: scale(spec.x, true, category, false), y: scale(spec.y, false, false, false) };
    if (spec.y2) scales.y2 = scale(spec.y2, false, false, true);
    var xfmt = formatter(spec.x);
    return {
      type: spec.type,
      data: category ? { labels: spec.labels, datasets: datasets } : { datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, normalized: true,
        interaction: category ? { mode: 'index', intersect: false } : { mode: 'nearest', axis: 'x', intersect: false },
        scales: scales,
        plugins: {
          legend: { display: datasets.length > 1, position: 'bottom', labels: { usePointStyle: true, pointStyleWidth: 26, boxHeight: 12, padding: 16, generateLabels: legendLabels } },
          tooltip: {
            callbacks: {
              title: function (items) {
                if (!items.length) return '';
                return category ? items[0].label : xfmt(items[0].parsed.x);
              },
              label: function (item) {
                var fmt = formatter(axes[item.dataset.yAxisID] || spec.y);
                var y = item.parsed.y;
                return ' ' + item.dataset.label + ': ' + (y === null || y === undefined ? 'n/a' : fmt(y));
              }
            }
          },
          markers: { items: spec.markers || [] }
        }
      }
    };
  }

  (data.charts || []).forEach(function (spec) {
    var canvas = document.getElementById(spec.id);
    if (canvas) new Chart(canvas, build(spec));
  });
})();
`;

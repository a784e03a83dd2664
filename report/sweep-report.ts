import { ChartSet, renderPage, type SeriesSpec } from './html-page.js';
import {
  badge,
  card,
  cards,
  formatInt,
  formatPercent,
  formatRate,
  formatUs,
  grid,
  html,
  join,
  section,
  table,
  type HtmlValue,
  type SafeHtml,
  type Tone,
} from './html-parts.js';
import { spectrumChart, type SpectrumSeries } from './html-report.js';
import { pageSpectrum } from './latency-spectrum.js';
import type { RunResult } from '../run/run-result.js';
import { assessRun, type RunAssessment, type RunVerdict } from '../run/run-status.js';

export interface SweepEntry {
  label: string;
  settings: { partitions: number; workers: number; client: string; ticksPerRecord: number };
  result: RunResult;
}

export interface SweepSummary {
  entries: SweepEntry[];
  best: { label: string; reason: string } | null;
  /** The p99 bound the best setting had to meet, µs; null when none was set. */
  maxP99Us: number | null;
}

type OtherSetting = 'workers' | 'client' | 'ticksPerRecord';

const OTHER_SETTINGS: Array<{ key: OtherSetting; describe: (s: SweepEntry['settings']) => string }> = [
  { key: 'workers', describe: (s) => `${s.workers} worker${s.workers === 1 ? '' : 's'}` },
  { key: 'client', describe: (s) => s.client },
  { key: 'ticksPerRecord', describe: (s) => `${s.ticksPerRecord} ticks/record` },
];

const VERDICT_TONE: Record<RunVerdict, Tone> = { ok: 'good', interrupted: 'warn', overloaded: 'bad' };

/**
 * Groups runs into one line per combination of the settings other than partitions, naming a
 * line by the settings that vary (a constant one would be noise), or by all when none does.
 */
function groupByOtherSettings(entries: readonly SweepEntry[]): Array<{ name: string; entries: SweepEntry[] }> {
  const varying = OTHER_SETTINGS.filter(({ key }) => new Set(entries.map((e) => e.settings[key])).size > 1);
  const naming = varying.length > 0 ? varying : OTHER_SETTINGS;
  const groups = new Map<string, SweepEntry[]>();
  for (const entry of entries) {
    const name = naming.map((v) => v.describe(entry.settings)).join(' · ');
    let group = groups.get(name);
    if (!group) {
      group = [];
      groups.set(name, group);
    }
    group.push(entry);
  }
  return [...groups].map(([name, group]) => ({ name, entries: [...group].sort((a, b) => a.settings.partitions - b.settings.partitions) }));
}

function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

export function renderSweepReport(summary: SweepSummary): string {
  const charts = new ChartSet();
  const entries = summary.entries;
  const best = summary.best ? entries.find((e) => e.label === summary.best?.label) : undefined;
  const verdicts = new Map(entries.map((e) => [e.label, assessRun(e.result)]));

  const body = join(
    [
      headline(summary, best, verdicts),
      bestCallout(summary),
      resultsSection(summary, verdicts),
      scalingSection(summary, best, charts),
      spectraSection(entries, best, charts),
      warningsSection(entries, verdicts),
    ],
    '\n',
  );

  const first = entries[0]?.result.config;
  const partitions = distinct(entries.map((e) => e.settings.partitions)).sort((a, b) => a - b);
  const subtitleParts = [
    `${entries.length} run${entries.length === 1 ? '' : 's'}`,
    `partitions ${partitions.join(', ') || '–'}`,
    ...OTHER_SETTINGS.map(
      ({ key }) => `${key === 'ticksPerRecord' ? 'ticks/record' : key} ${distinct(entries.map((e) => String(e.settings[key]))).join(', ')}`,
    ),
  ];
  if (first) {
    const rates = distinct(entries.map((e) => e.result.throughput.offeredTicksPerSec))
      .sort((a, b) => a - b)
      .map(formatRate);
    const durations = distinct(entries.map((e) => e.result.config.durationSec));
    subtitleParts.push(`${rates.join(', ')} offered for ${durations.join(', ')} s ${durations.length === 1 ? 'each' : ''}`.trim());
  }
  return renderPage({
    title: 'tick-firehose sweep',
    heading: 'Sweep',
    subtitle: subtitleParts.join(' · '),
    nav: [
      { id: 'results', label: 'Results' },
      { id: 'scaling', label: 'Scaling' },
      { id: 'spectra', label: 'Latency spectra' },
      { id: 'warnings', label: 'Warnings' },
    ],
    body,
    charts,
  });
}

function headline(summary: SweepSummary, best: SweepEntry | undefined, verdicts: Map<string, RunAssessment>): SafeHtml {
  const entries = summary.entries;
  const fastest = entries.reduce<SweepEntry | undefined>(
    (top, e) => (!top || e.result.throughput.ticksPerSec > top.result.throughput.ticksPerSec ? e : top),
    undefined,
  );
  const troubled = entries.filter((e) => verdicts.get(e.label)?.verdict !== 'ok' || e.result.ticks.lost > 0).length;
  const items = [
    card('Runs', formatInt(entries.length), {
      sub: `${troubled} overloaded, interrupted or lossy`,
      tone: troubled > 0 ? 'warn' : 'neutral',
    }),
    card('Best setting', best ? best.label : 'none', {
      tone: best ? 'good' : 'warn',
      sub: summary.best?.reason ?? 'no run met the criteria',
    }),
  ];
  if (best) {
    items.push(
      card('Best achieved', formatRate(best.result.throughput.ticksPerSec), {
        sub: `of ${formatRate(best.result.throughput.offeredTicksPerSec)} offered`,
      }),
      card('Best p99', formatUs(best.result.latency.e2e.p99), { sub: `p50 ${formatUs(best.result.latency.e2e.p50)}` }),
    );
  }
  if (fastest) {
    items.push(card('Highest throughput', formatRate(fastest.result.throughput.ticksPerSec), { sub: fastest.label }));
  }
  items.push(card('p99 limit', summary.maxP99Us === null ? 'none' : formatUs(summary.maxP99Us), { sub: 'bound for the best setting' }));
  return cards(items);
}

function bestCallout(summary: SweepSummary): SafeHtml {
  if (!summary.best) {
    return html`<div class="callout tone-warn"><strong>No best setting.</strong> No run met the criteria; see the table for why.</div>`;
  }
  return html`<div class="callout tone-good"><strong>Best: ${summary.best.label}</strong> — ${summary.best.reason}</div>`;
}

interface Column {
  header: string;
  numeric: boolean;
  cell: (e: SweepEntry) => HtmlValue;
}

function resultsSection(summary: SweepSummary, verdicts: Map<string, RunAssessment>): SafeHtml {
  const limit = summary.maxP99Us;
  const entries = summary.entries;
  const varies = (value: (e: SweepEntry) => unknown): boolean => new Set(entries.map(value)).size > 1;
  const red = (text: string, title?: string): SafeHtml => html`<span class="bad"${title ? html` title="${title}"` : ''}>${text}</span>`;
  // Settings that are the same in every run are in the subtitle already; columns only for what varies.
  const columns: Column[] = [
    {
      header: 'setting',
      numeric: false,
      cell: (e) => (e.label === summary.best?.label ? html`${e.label} ${badge('best', 'good')}` : e.label),
    },
    { header: 'partitions', numeric: true, cell: (e) => e.settings.partitions },
    ...(varies((e) => e.settings.workers) ? [{ header: 'workers', numeric: true, cell: (e: SweepEntry) => e.settings.workers }] : []),
    ...(varies((e) => e.settings.client) ? [{ header: 'client', numeric: false, cell: (e: SweepEntry) => e.settings.client }] : []),
    ...(varies((e) => e.settings.ticksPerRecord)
      ? [{ header: 'ticks/rec', numeric: true, cell: (e: SweepEntry) => e.settings.ticksPerRecord }]
      : []),
    ...(varies((e) => e.result.throughput.offeredTicksPerSec)
      ? [{ header: 'offered/s', numeric: true, cell: (e: SweepEntry) => formatInt(e.result.throughput.offeredTicksPerSec) }]
      : []),
    { header: 'achieved/s', numeric: true, cell: (e) => formatInt(e.result.throughput.ticksPerSec) },
    {
      header: '% offered',
      numeric: true,
      cell: (e) =>
        formatPercent(
          e.result.throughput.offeredTicksPerSec > 0
            ? e.result.throughput.ticksPerSec / e.result.throughput.offeredTicksPerSec
            : Number.NaN,
        ),
    },
    { header: 'p50', numeric: true, cell: (e) => formatUs(e.result.latency.e2e.p50) },
    {
      header: 'p99',
      numeric: true,
      cell: (e) =>
        limit !== null && e.result.latency.e2e.p99 > limit
          ? red(formatUs(e.result.latency.e2e.p99), 'above the p99 limit')
          : formatUs(e.result.latency.e2e.p99),
    },
    { header: 'p99.9', numeric: true, cell: (e) => formatUs(e.result.latency.e2e.p999) },
    { header: 'lost', numeric: true, cell: (e) => (e.result.ticks.lost > 0 ? red(formatInt(e.result.ticks.lost)) : '0') },
    { header: 'evicted', numeric: true, cell: (e) => (e.result.ticks.evicted > 0 ? red(formatInt(e.result.ticks.evicted)) : '0') },
    {
      header: 'status',
      numeric: false,
      cell: (e) => {
        const assessment = verdicts.get(e.label);
        const verdict = assessment?.verdict ?? 'ok';
        return html`<span title="${assessment?.reasons.join('; ') ?? ''}">${badge(verdict, VERDICT_TONE[verdict])}</span>`;
      },
    },
  ];
  const content =
    entries.length === 0
      ? html`<p class="dim">No runs.</p>`
      : table(
          columns.map((c) => c.header),
          entries.map((e) => columns.map((c) => c.cell(e))),
          {
            numeric: columns.flatMap((c, i) => (c.numeric ? [i] : [])),
            rowClass: (i) => (entries[i]?.label === summary.best?.label ? 'best' : undefined),
          },
        );
  return section(
    'results',
    'Results',
    content,
    'Achieved is distinct ticks analysed per second; latencies are end-to-end, from intended send time.',
  );
}

function scalingSection(summary: SweepSummary, best: SweepEntry | undefined, charts: ChartSet): SafeHtml {
  const groups = groupByOtherSettings(summary.entries);
  const partitions = distinct(summary.entries.map((e) => e.settings.partitions)).sort((a, b) => a - b);
  const spread = partitions.length > 0 ? partitions[partitions.length - 1]! / Math.max(1, partitions[0]!) : 1;
  // Partition counts are usually powers of two: a log axis spaces them evenly.
  const x = { title: 'partitions', format: 'plain' as const, log: spread >= 8, ticks: partitions };
  const few = (n: number): number => (n <= 12 ? 4 : 2);
  const line = (name: string, points: Array<{ x: number; y: number }>): SeriesSpec => ({
    label: name,
    data: points,
    pointRadius: few(points.length),
  });
  const bestPoint = (y: number): SeriesSpec[] =>
    best
      ? [
          {
            label: `best: ${best.label}`,
            data: [{ x: best.settings.partitions, y }],
            color: '#16a34a',
            pointRadius: 8,
            width: 0,
          },
        ]
      : [];

  const throughputSeries = groups.map((g) =>
    line(
      g.name,
      g.entries.map((e) => ({ x: e.settings.partitions, y: e.result.throughput.ticksPerSec })),
    ),
  );
  const offered = distinct(summary.entries.map((e) => e.result.throughput.offeredTicksPerSec));
  if (offered.length === 1 && partitions.length > 0) {
    throughputSeries.push({
      label: 'offered',
      data: [
        { x: partitions[0]!, y: offered[0]! },
        { x: partitions[partitions.length - 1]!, y: offered[0]! },
      ],
      color: '#94a3b8',
      dashed: true,
      width: 1.5,
    });
  }
  throughputSeries.push(...bestPoint(best?.result.throughput.ticksPerSec ?? 0));
  const throughput = charts.figure(
    'Achieved throughput by partition count',
    {
      type: 'line',
      series: throughputSeries,
      x,
      y: { title: 'ticks/s', format: 'rate' },
    },
    { empty: 'No runs.', note: 'one line per combination of the other settings' },
  );

  const p99Values = summary.entries.map((e) => e.result.latency.e2e.p99).filter((v) => v > 0);
  const p99Spread = p99Values.length > 0 ? Math.max(...p99Values) / Math.max(1, Math.min(...p99Values)) : 1;
  const p99Series = groups.map((g) =>
    line(
      g.name,
      g.entries.map((e) => ({ x: e.settings.partitions, y: e.result.latency.e2e.p99 / 1000 })),
    ),
  );
  if (summary.maxP99Us !== null && partitions.length > 0) {
    p99Series.push({
      label: 'p99 limit',
      data: [
        { x: partitions[0]!, y: summary.maxP99Us / 1000 },
        { x: partitions[partitions.length - 1]!, y: summary.maxP99Us / 1000 },
      ],
      color: '#dc2626',
      dashed: true,
      width: 1.5,
    });
  }
  p99Series.push(...bestPoint((best?.result.latency.e2e.p99 ?? 0) / 1000));
  const p99 = charts.figure(
    'p99 end-to-end latency by partition count',
    {
      type: 'line',
      series: p99Series,
      x,
      y: { title: 'p99 (ms)', format: 'ms', log: p99Spread >= 50 },
    },
    { empty: 'No runs.', note: p99Spread >= 50 ? 'log scale: runs differ by orders of magnitude' : undefined },
  );
  return section('scaling', 'Scaling', grid([throughput, p99], 2));
}

function spectraSection(entries: readonly SweepEntry[], best: SweepEntry | undefined, charts: ChartSet): SafeHtml {
  const series: SpectrumSeries[] = entries.map((e) => ({
    label: e.label,
    points: pageSpectrum(Object.values(e.result.histograms?.e2eByPartition ?? {})),
    width: e === best ? 3 : 1.5,
  }));
  const chart = charts.figure('End-to-end latency by percentile, all runs', spectrumChart(series), {
    height: 360,
    empty: 'No latency was recorded.',
    note: 'x: percentile on a 1/(1−p) scale; the best setting is drawn thicker',
  });
  return section('spectra', 'Latency spectra', chart);
}

function warningsSection(entries: readonly SweepEntry[], verdicts: Map<string, RunAssessment>): SafeHtml {
  const items: SafeHtml[] = [];
  for (const e of entries) {
    const growth = verdicts.get(e.label)?.lagGrowth;
    const lines = [
      ...(growth ? [`consumer lag grew from ${formatInt(growth.from)} to ${formatInt(growth.to)} ticks while sending`] : []),
      ...(e.result.warnings ?? []),
    ];
    for (const line of lines) items.push(html`<li><strong>${e.label}</strong>: ${line}</li>`);
  }
  const content = items.length === 0 ? html`<p class="dim">No warnings in any run.</p>` : html`<ul class="warnings">${items}</ul>`;
  return section('warnings', `Warnings${items.length > 0 ? ` (${items.length})` : ''}`, content);
}

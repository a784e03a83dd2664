import { analyticsQualitySection } from './analytics-quality.js';
import { ChartSet, renderPage, type ChartSpec } from './html-page.js';
import {
  badge,
  card,
  cards,
  formatCompact,
  formatInt,
  formatPercent,
  formatRate,
  formatShare,
  formatUs,
  grid,
  html,
  join,
  keyValues,
  section,
  table,
  type HtmlValue,
  type SafeHtml,
  type Tone,
} from './html-parts.js';
import { pageSpectrum, type SpectrumPoint } from './latency-spectrum.js';
import { LATENCY_STAGES, type LatencyStage, type RunResult } from '../run/run-result.js';
import { warmupSection } from './warmup-section.js';
import { assessRun, type RunAssessment, type RunVerdict } from '../run/run-status.js';
import type { TimelinePoint } from '../ingest/stats-collector.js';
import { clusterLabel } from './format.js';
import { LEGACY_CONFIG_KEYS } from '../run/run-config.js';

export { latencySpectrum, type SpectrumPoint, type SpectrumSource, type SpectrumOptions } from './latency-spectrum.js';

/** Fields later versions of the result may carry; read defensively so older results still render. */
interface FaultEvent {
  atSec: number;
  kind: string;
  detail: string;
}
interface ThresholdResult {
  name: string;
  limit: number | string;
  actual: number | string;
  pass: boolean;
}

export const STAGE_INFO: Record<LatencyStage, { label: string; color: string; meaning: string }> = {
  e2e: { label: 'end-to-end', color: '#0f172a', meaning: 'intended send time → analysis finished' },
  schedule: { label: 'schedule', color: '#2563eb', meaning: 'intended send time → handed to the Kafka client (generator lag, batching)' },
  produce: { label: 'produce', color: '#d97706', meaning: 'handed to the client → acknowledged by the brokers (overlaps transport)' },
  transport: { label: 'transport', color: '#059669', meaning: 'handed to the client → received by the consumer' },
  queue: { label: 'queue', color: '#db2777', meaning: 'received → picked up by an analytics worker' },
  analytics: { label: 'analytics', color: '#7c3aed', meaning: 'time a worker spent analysing the record' },
};

export interface SpectrumSeries {
  label: string;
  points: readonly SpectrumPoint[];
  color?: string;
  width?: number;
}

/** HdrHistogram-style percentile plot: x = 1/(1-p) on a log axis, latency in ms (log, as stages span decades). */
export function spectrumChart(series: SpectrumSeries[]): ChartSpec {
  const reach = series.reduce((max, s) => s.points.reduce((m, p) => Math.max(m, p.x), max), 10);
  const nines = Math.min(7, Math.ceil(Math.log10(reach) - 1e-9));
  return {
    type: 'line',
    series: series.map((s) => ({
      label: s.label,
      color: s.color,
      width: s.width,
      // A log axis cannot show 0 µs; 1 µs is the histograms' resolution anyway.
      data: s.points.map((p) => ({ x: p.x, y: Math.max(1, p.valueUs) / 1000 })),
    })),
    x: { title: 'percentile', format: 'percentile', log: true, min: 1, max: 10 ** nines },
    y: { title: 'latency (ms)', format: 'ms', log: true },
  };
}

export function renderRunReport(result: RunResult): string {
  const charts = new ChartSet();
  const assessment = assessRun(result);
  const thresholds = readThresholds(result);
  const faults = readFaults(result);
  const c = result.config;

  const body = join(
    [
      headlineCards(result, assessment.verdict, assessment.reasons, thresholds),
      warningsSection(result.warnings, assessment),
      thresholds.length > 0 ? thresholdsSection(thresholds) : '',
      latencySection(result, charts),
      warmupSection(result),
      timelineSection(result, faults, charts),
      partitionsSection(result, charts),
      deliverySection(result),
      analyticsSection(result),
      result.analyticsQuality ? analyticsQualitySection(result.analyticsQuality, charts) : '',
      configSection(result),
    ],
    '\n',
  );

  const nav = [
    { id: 'warnings', label: 'Warnings' },
    ...(thresholds.length > 0 ? [{ id: 'thresholds', label: 'Thresholds' }] : []),
    { id: 'latency', label: 'Latency' },
    ...(result.latency.warmup ? [{ id: 'warmup', label: 'Warm-up' }] : []),
    { id: 'timeline', label: 'Over time' },
    { id: 'partitions', label: 'Partitions' },
    { id: 'delivery', label: 'Delivery' },
    { id: 'analytics', label: 'Analytics' },
    { id: 'config', label: 'Configuration' },
  ];
  const durationSec = (Date.parse(result.finishedAt) - Date.parse(result.startedAt)) / 1000;
  const subtitle = join(
    [
      html`${clusterLabel(result.cluster)}`,
      html`${c.client} client`,
      html`${c.partitions} partitions`,
      html`${c.workers} workers`,
      html`${formatRate(c.rate)} offered for ${c.durationSec} s`,
      html`started ${formatTime(result.startedAt)}${Number.isFinite(durationSec) ? `, ${durationSec.toFixed(1)} s wall time` : ''}`,
      html`topic <code>${c.topic}</code>`,
    ],
    ' · ',
  );
  return renderPage({
    title: `tick-firehose run · ${formatTime(result.startedAt)}`,
    heading: 'Load test run',
    subtitle,
    nav,
    body,
    charts,
  });
}

function formatTime(iso: string): string {
  const t = Date.parse(iso);
  return Number.isFinite(t)
    ? new Date(t)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
    : iso;
}

const VERDICT_TONE: Record<RunVerdict, Tone> = { ok: 'good', interrupted: 'warn', overloaded: 'bad' };

function headlineCards(result: RunResult, verdict: RunVerdict, reasons: string[], thresholds: ThresholdResult[]): SafeHtml {
  const { throughput: tp, ticks, config: c } = result;
  const e2e = result.latency.e2e;
  const share = tp.offeredTicksPerSec > 0 ? tp.ticksPerSec / tp.offeredTicksPerSec : Number.NaN;
  const throughputTone: Tone = !Number.isFinite(share) ? 'neutral' : share >= 0.95 ? 'good' : share >= 0.8 ? 'warn' : 'bad';
  const lossTone: Tone = ticks.lost > 0 ? 'bad' : ticks.duplicated > 0 ? 'warn' : 'good';
  const items = [
    card('Achieved', formatRate(tp.ticksPerSec), {
      tone: throughputTone,
      sub: `of ${formatRate(tp.offeredTicksPerSec)} offered (${formatPercent(share)})`,
      title: `${formatInt(tp.ticksPerSec)} distinct ticks analysed per second; ${formatInt(tp.offeredTicksPerSec)} offered`,
    }),
    card('e2e p50', formatUs(e2e.p50), { sub: `mean ${formatUs(e2e.mean)}` }),
    card('e2e p99', formatUs(e2e.p99), { sub: `p90 ${formatUs(e2e.p90)}` }),
    card('e2e p99.9', formatUs(e2e.p999), { sub: `p99.99 ${formatUs(e2e.p9999)}` }),
    card('e2e max', formatUs(e2e.max), { sub: `${formatCompact(e2e.count)} ticks measured` }),
    card('Lost', formatInt(ticks.lost), {
      tone: lossTone,
      sub: `evicted ${formatInt(ticks.evicted)} · duplicated ${formatInt(ticks.duplicated)}`,
    }),
    card('Status', verdict, { tone: VERDICT_TONE[verdict], sub: reasons[0] ?? 'consumer kept up', title: reasons.join('; ') }),
    card('Client', c.client, { sub: `acks ${String(c.acks)} · ${c.compression}` }),
    card('Partitions', formatInt(c.partitions), { sub: `${c.ticksPerRecord} ticks per record` }),
    card('Workers', formatInt(c.workers), { sub: 'analytics threads' }),
  ];
  if (thresholds.length > 0) {
    const passed = thresholds.filter((t) => t.pass).length;
    items.push(
      card('Thresholds', `${passed}/${thresholds.length}`, { tone: passed === thresholds.length ? 'good' : 'bad', sub: 'passed' }),
    );
  }
  return cards(items);
}

function warningsSection(warnings: readonly string[], assessment: RunAssessment): SafeHtml {
  const growth = assessment.lagGrowth;
  const all = [...(warnings ?? [])];
  if (growth) {
    all.unshift(
      `consumer lag grew from ${formatInt(growth.from)} to ${formatInt(growth.to)} ticks while sending: the pipeline could not keep up with the offered rate`,
    );
  }
  const content =
    all.length === 0 ? html`<p class="dim">No warnings.</p>` : html`<ul class="warnings">${all.map((w) => html`<li>${w}</li>`)}</ul>`;
  return section('warnings', `Warnings${all.length > 0 ? ` (${all.length})` : ''}`, content);
}

function thresholdsSection(thresholds: ThresholdResult[]): SafeHtml {
  const rows = thresholds.map((t) => [
    t.name,
    formatValue(t.limit),
    thresholdActual(t),
    badge(t.pass ? 'pass' : 'fail', t.pass ? 'good' : 'bad'),
  ]);
  return section('thresholds', 'Thresholds', table(['threshold', 'limit', 'actual', 'result'], rows, { numeric: [1, 2] }));
}

/** The limit is human text ("≤ 20000 µs"); show the actual in the same unit so the two compare at a glance. */
function thresholdActual(t: ThresholdResult): string {
  if (typeof t.actual !== 'number') return t.actual;
  const limit = String(t.limit);
  if (limit.includes('µs')) return `${formatInt(t.actual)} µs`;
  if (limit.includes('ticks/s')) return `${formatInt(t.actual)} ticks/s`;
  return formatValue(t.actual);
}

function latencySection(result: RunResult, charts: ChartSet): SafeHtml {
  const series: SpectrumSeries[] = [];
  const e2eEncoded = Object.values(result.histograms?.e2eByPartition ?? {});
  series.push({ label: STAGE_INFO.e2e.label, color: STAGE_INFO.e2e.color, width: 3, points: pageSpectrum(e2eEncoded) });
  for (const stage of LATENCY_STAGES) {
    if (stage === 'e2e') continue;
    const encoded = result.histograms?.stages?.[stage] ?? '';
    series.push({ label: STAGE_INFO[stage].label, color: STAGE_INFO[stage].color, width: 1.5, points: pageSpectrum(encoded) });
  }
  const chart = charts.figure('Latency by percentile', spectrumChart(series), {
    height: 380,
    note: 'x: percentile on a 1/(1−p) scale, so each step right is one more nine; click a legend entry to hide a line',
    empty: 'No latency was recorded.',
  });
  const rows = LATENCY_STAGES.map((stage) => {
    const s = result.latency[stage];
    return [
      html`<strong>${STAGE_INFO[stage].label}</strong>`,
      html`<span class="dim">${STAGE_INFO[stage].meaning}</span>`,
      formatInt(s.count),
      formatUs(s.min),
      formatUs(s.p50),
      formatUs(s.p90),
      formatUs(s.p99),
      formatUs(s.p999),
      formatUs(s.p9999),
      formatUs(s.max),
      formatUs(s.mean),
    ];
  });
  const summary = table(['stage', 'measures', 'count', 'min', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', 'mean'], rows, {
    numeric: [2, 3, 4, 5, 6, 7, 8, 9, 10],
  });
  return section(
    'latency',
    'Latency',
    html`${chart}<h3>Percentiles per stage</h3>${summary}`,
    "End-to-end latency runs from each tick's intended send time (open loop, so queueing delay counts) to the end of its analysis.",
  );
}

function ratePoints(timeline: readonly TimelinePoint[], key: 'producedTicks' | 'consumedTicks'): Array<{ x: number; y: number }> {
  const points: Array<{ x: number; y: number }> = [];
  let prevT = 0;
  let prevValue = 0;
  for (const p of timeline) {
    const dt = p.t - prevT;
    // Very short intervals (the final flush sample) turn counting jitter into spikes: fold them into the next one.
    if (dt < 0.2) continue;
    points.push({ x: p.t, y: Math.max(0, (p[key] - prevValue) / dt) });
    prevT = p.t;
    prevValue = p[key];
  }
  return points;
}

function timelineSection(result: RunResult, faults: FaultEvent[], charts: ChartSet): SafeHtml {
  const timeline = result.timeline ?? [];
  const markers = faults.map((f) => ({ x: f.atSec, label: f.kind }));
  const lastT = timeline.length > 0 ? timeline[timeline.length - 1]!.t : 0;
  // One time range for all three charts so that they line up when read together.
  const time = { title: 'time (s)', format: 'sec' as const, min: 0, max: lastT > 0 ? lastT : undefined };
  const produced = ratePoints(timeline, 'producedTicks');
  const consumed = ratePoints(timeline, 'consumedTicks');
  const offeredEnd = Math.min(result.config.durationSec, Math.max(lastT, 1));
  const throughput = charts.figure(
    'Throughput',
    {
      type: 'line',
      series: [
        // Produced is drawn thin over a wide consumed line: when the consumer keeps up they coincide and both stay visible.
        { label: 'produced/s', data: produced, color: '#2563eb', width: 1.5, pointRadius: produced.length < 20 ? 2 : 0 },
        { label: 'consumed/s', data: consumed, color: '#34d399', width: 5, pointRadius: 0 },
        // A reference line only: without samples it must not make the chart look populated.
        ...(produced.length + consumed.length === 0
          ? []
          : [
              {
                label: 'offered',
                data: [
                  { x: 0, y: result.throughput.offeredTicksPerSec },
                  { x: offeredEnd, y: result.throughput.offeredTicksPerSec },
                ],
                color: '#94a3b8',
                dashed: true,
                width: 1.5,
              },
            ]),
      ],
      x: time,
      y: { title: 'ticks/s', format: 'rate' },
      markers,
    },
    { empty: 'No timeline samples.', note: 'per sample interval' },
  );
  const p99 = timeline.filter((p) => p.p99Us > 0).map((p) => ({ x: p.t, y: p.p99Us / 1000 }));
  const p99Chart = charts.figure(
    'p99 end-to-end latency over time',
    {
      type: 'line',
      series: [{ label: 'p99', data: p99, color: '#0f172a', pointRadius: p99.length < 20 ? 2 : 0 }],
      x: time,
      y: { title: 'latency (ms)', format: 'ms' },
      markers,
    },
    { empty: 'No per-interval latency samples.', note: 'of the ticks analysed in each interval' },
  );
  const lag = timeline.map((p) => ({ x: p.t, y: p.lagTicks }));
  const lagChart = charts.figure(
    'Consumer lag',
    {
      type: 'line',
      series: [{ label: 'lag (ticks)', data: lag, color: '#d97706', pointRadius: lag.length < 20 ? 2 : 0 }],
      x: time,
      y: { title: 'ticks behind', format: 'count' },
      markers,
    },
    { empty: 'No timeline samples.', note: 'acknowledged but not yet analysed' },
  );
  const faultTable =
    faults.length === 0
      ? ''
      : html`<h3>Injected faults</h3>${table(
          ['at', 'kind', 'detail'],
          faults.map((f) => [`${f.atSec.toFixed(1)} s`, f.kind, f.detail]),
          { numeric: [0] },
        )}`;
  return section(
    'timeline',
    'Over time',
    html`${grid([throughput, p99Chart], 2)}<div style="height:18px"></div>${grid([lagChart, rateSummary(result)], 2)}${faultTable}`,
  );
}

function rateSummary(result: RunResult): SafeHtml {
  const tp = result.throughput;
  return html`<div><h3 style="margin-top:0">Rates over the run</h3>${keyValues([
    ['offered ticks/s', formatInt(tp.offeredTicksPerSec)],
    ['produced ticks/s', formatInt(tp.producedTicksPerSec)],
    ['analysed ticks/s (distinct)', formatInt(tp.ticksPerSec)],
    ['records/s', formatInt(tp.recordsPerSec)],
    ['MB/s consumed', typeof tp.megabytesPerSec === 'number' ? tp.megabytesPerSec.toFixed(2) : String(tp.megabytesPerSec)],
  ])}</div>`;
}

function partitionsSection(result: RunResult, charts: ChartSet): SafeHtml {
  const parts = result.partitions ?? [];
  const chart = charts.figure(
    'Ticks and p99 per partition',
    {
      type: 'bar',
      labels: parts.map((p) => `P${p.partition}`),
      series: [
        { label: 'acked', data: parts.map((p) => p.ackedTicks), color: '#94a3b8' },
        { label: 'analysed', data: parts.map((p) => p.consumedTicks), color: '#2563eb' },
        {
          label: 'p99 e2e',
          type: 'line',
          yAxis: 'y2',
          data: parts.map((p) => (p.consumedTicks > 0 ? p.p99 / 1000 : null)),
          color: '#dc2626',
          pointRadius: 3,
        },
      ],
      x: { title: 'partition' },
      y: { title: 'ticks', format: 'count' },
      y2: { title: 'p99 (ms)', format: 'ms' },
    },
    { height: 300, empty: 'No partitions.', note: 'skew comes from the Zipf-distributed instruments' },
  );
  const rows = parts.map((p) => [
    p.partition,
    formatInt(p.ackedTicks),
    formatInt(p.consumedTicks),
    p.lagTicks > 0 ? html`<span class="bad">${formatInt(p.lagTicks)}</span>` : '0',
    formatUs(p.p50),
    formatUs(p.p99),
    formatUs(p.max),
  ]);
  const tableHtml =
    rows.length === 0
      ? ''
      : html`<h3>Per partition</h3>${table(['partition', 'acked', 'analysed', 'lag', 'p50', 'p99', 'max'], rows, { numeric: [0, 1, 2, 3, 4, 5, 6] })}`;
  return section('partitions', 'Partitions', html`${chart}${tableHtml}`);
}

function deliverySection(result: RunResult): SafeHtml {
  const t = result.ticks;
  const acked = t.acked;
  const share = (n: number): string => (acked > 0 ? formatShare(n / acked) : '–');
  const flag = (n: number, text: string): HtmlValue => (n > 0 ? html`<span class="bad">${text}</span>` : text);
  const rows: Array<[string, number, string]> = [
    ['generated', t.generated, 'ticks the open-loop schedule created'],
    ['produced', t.produced, 'handed to the Kafka client'],
    ['acked', t.acked, 'acknowledged by the brokers'],
    ['failed', t.failed, 'the client reported a produce error'],
    ['consumed', t.consumed, 'analysed, duplicates included'],
    ['distinct consumed', t.distinctConsumed, 'distinct acknowledged ticks analysed'],
    ['lost', t.lost, 'acknowledged but never analysed'],
    ['of which evicted', t.evicted, 'removed by retention before the consumer read them'],
    ['unconfirmed', t.unconfirmed ?? 0, 'interrupted run: acknowledged, not yet analysed when it stopped waiting (not counted as lost)'],
    ['duplicated', t.duplicated, 'analysed more than once'],
    ['dead-lettered', t.deadLettered, 'sent to the dead-letter topic'],
    ['unchecked', t.unchecked, 'outside the ledger: not checked for loss or duplication'],
  ];
  const bad = new Set(['failed', 'lost', 'of which evicted', 'duplicated', 'dead-lettered']);
  const body = rows.map(([name, n, meaning]) => [
    bad.has(name) ? flag(n, name) : name,
    bad.has(name) ? flag(n, formatInt(n)) : formatInt(n),
    share(n),
    html`<span class="dim">${meaning}</span>`,
  ]);
  return section(
    'delivery',
    'Delivery accounting',
    table(['ticks', 'count', '% of acked', 'meaning'], body, { numeric: [1, 2] }),
    'Every tick carries (source, sequence); the consumer side marks each in a ledger, so loss and duplication are exact counts.',
  );
}

const DETECTORS: Array<{ name: string; flagged: string; flaggedTrue: string; missed: string }> = [
  { name: 'price outliers', flagged: 'outliersFlagged', flaggedTrue: 'outliersFlaggedTrue', missed: 'outliersMissed' },
  { name: 'stalled (frozen) quotes', flagged: 'stalledTicks', flaggedTrue: 'stalledTicksTrue', missed: 'frozenMissed' },
  { name: 'crossed markets', flagged: 'crossedTicks', flaggedTrue: 'crossedTicksTrue', missed: 'arbitrageMissed' },
];

function analyticsSection(result: RunResult): SafeHtml {
  const analytics = result.analytics;
  const counters = numericEntries(analytics?.counters);
  const used = new Set(DETECTORS.flatMap((d) => [d.flagged, d.flaggedTrue, d.missed]));
  const detectorRows = DETECTORS.map((d) => [
    d.name,
    formatInt(counters.get(d.flagged) ?? 0),
    formatInt(counters.get(d.flaggedTrue) ?? 0),
    formatInt(counters.get(d.missed) ?? 0),
  ]);
  const detectors = table(['detector', 'flagged ticks', 'flagged & injected', 'injected but missed'], detectorRows, { numeric: [1, 2, 3] });
  const others = keyValues([...counters].filter(([k]) => !used.has(k)).map(([k, v]) => [humanize(k), formatInt(v)]));

  const quality = qualityMetrics(analytics);
  const qualityHtml =
    quality.length === 0
      ? ''
      : html`<h3>Detection quality</h3>${cards(
          quality.map((q) =>
            card(q.label, q.value === null ? 'n/a' : q.value.toFixed(3), {
              tone: q.value === null ? 'neutral' : q.value >= 0.9 ? 'good' : q.value >= 0.5 ? 'warn' : 'bad',
            }),
          ),
        )}`;

  const scores = analytics?.sources?.scores ?? [];
  const ranking = analytics?.sources?.ranking ?? [];
  const top = scores.reduce((m, s) => Math.max(m, s), 0);
  const sourceRows = ranking.map((venue, rank) => {
    const score = scores[venue];
    const width = score !== undefined && top > 0 ? Math.max(2, (score / top) * 100) : 0;
    return [
      rank + 1,
      `v${venue}`,
      typeof score === 'number' ? score.toFixed(3) : '–',
      html`<div style="background:#e2e8f0;border-radius:3px;height:8px;min-width:120px"><div style="width:${Number.isFinite(width) ? width.toFixed(1) : 0}%;background:#2563eb;height:8px;border-radius:3px"></div></div>`,
    ];
  });
  const sources =
    sourceRows.length === 0
      ? html`<p class="dim">No source scores.</p>`
      : table(['rank', 'venue', 'score', ''], sourceRows, { numeric: [0, 2] });

  return section(
    'analytics',
    'Analytics',
    html`${qualityHtml}${grid(
      [
        html`<div><h3 style="margin-top:0">Detectors</h3>${detectors}<h3>Counters</h3>${others}</div>`,
        html`<div><h3 style="margin-top:0">Source ranking</h3>${sources}</div>`,
      ],
      2,
    )}`,
    'What the analytics workers found in the stream; "injected" counts come from the generator\'s labels.',
  );
}

function configSection(result: RunResult): SafeHtml {
  const entries: Array<[string, string]> = Object.entries(result.config as unknown as Record<string, unknown>)
    .filter(([k]) => !LEGACY_CONFIG_KEYS.includes(k))
    .map(([k, v]) => [k, formatValue(v)]);
  entries.push(
    ['cluster', clusterLabel(result.cluster)],
    ['bootstrap servers', result.cluster.bootstrapServers],
    ['started', formatTime(result.startedAt)],
    ['finished', formatTime(result.finishedAt)],
  );
  return section('config', 'Configuration', keyValues(entries));
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function humanize(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numericEntries(value: unknown): Map<string, number> {
  const out = new Map<string, number>();
  if (!isRecord(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'number') out.set(k, v);
  return out;
}

const QUALITY_KEY = /precision|recall|spearman|f1|accuracy/i;
/** Container names that say nothing a reader needs in the label. */
const GENERIC_SEGMENT = /^(quality|metrics|scores?|detection)$/i;

/** Precision/recall/rank-correlation numbers wherever a later result version puts them under `analytics`. */
function qualityMetrics(value: unknown, path: string[] = [], depth = 0): Array<{ label: string; value: number | null }> {
  if (depth > 3 || !isRecord(value)) return [];
  const out: Array<{ label: string; value: number | null }> = [];
  for (const [k, v] of Object.entries(value)) {
    if (QUALITY_KEY.test(k) && (v === null || (typeof v === 'number' && Number.isFinite(v)))) {
      const segments = [...path.filter((p) => !GENERIC_SEGMENT.test(p)), k];
      out.push({ label: segments.map(humanize).join(' · '), value: v });
    } else if (isRecord(v) && k !== 'counters') {
      out.push(...qualityMetrics(v, [...path, k], depth + 1));
    }
  }
  return out;
}

function readFaults(result: RunResult): FaultEvent[] {
  const raw: unknown = (result as unknown as Record<string, unknown>)['faults'];
  if (!Array.isArray(raw)) return [];
  const faults: FaultEvent[] = [];
  for (const item of raw as unknown[]) {
    if (!isRecord(item) || typeof item['atSec'] !== 'number') continue;
    faults.push({
      atSec: item['atSec'],
      kind: String(item['kind'] ?? 'fault'),
      detail: item['detail'] === undefined ? '' : formatValue(item['detail']),
    });
  }
  return faults.sort((a, b) => a.atSec - b.atSec);
}

function readThresholds(result: RunResult): ThresholdResult[] {
  const raw: unknown = (result as unknown as Record<string, unknown>)['thresholds'];
  if (!Array.isArray(raw)) return [];
  const out: ThresholdResult[] = [];
  for (const item of raw as unknown[]) {
    if (!isRecord(item) || typeof item['pass'] !== 'boolean') continue;
    const value = (v: unknown): number | string => (typeof v === 'number' ? v : formatValue(v));
    out.push({ name: String(item['name'] ?? '?'), limit: value(item['limit']), actual: value(item['actual']), pass: item['pass'] });
  }
  return out;
}

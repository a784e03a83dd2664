import { ChartSet, renderPage, type SeriesSpec } from './html-page.js';
import { badge, card, cards, formatRate, formatUs, grid, join, keyValues, section, table, type SafeHtml } from './html-parts.js';
import type { CapacitySweep, SweepEntryResult } from '../run/sweep-result.js';

/**
 * The page of `firehose sweep --find-capacity`: the verdict with its ties, latency–throughput
 * curves per setting and capacity against partitions, every median with its interval drawn as an
 * error bar.
 */

const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626', '#475569', '#0f172a'];

interface Bar {
  x: number;
  y: number;
  low: number;
  high: number;
}

/**
 * Error bars as one line series: a vertical stroke and two caps per point, separated by gaps
 * (null), so the page's chart runtime draws them with no plugin. `logX` sizes the caps as a
 * share of x, so they look alike across a log axis.
 */
export function errorBarSeries(label: string, bars: readonly Bar[], color: string, logX: boolean, xSpan: number): SeriesSpec {
  const data: Array<{ x: number; y: number | null }> = [];
  for (const b of bars) {
    if (![b.low, b.high, b.x].every(Number.isFinite)) continue;
    const half = logX ? b.x * 0.04 : xSpan * 0.008;
    data.push({ x: b.x, y: b.low }, { x: b.x, y: b.high }, { x: b.x, y: null });
    data.push({ x: b.x - half, y: b.low }, { x: b.x + half, y: b.low }, { x: b.x, y: null });
    data.push({ x: b.x - half, y: b.high }, { x: b.x + half, y: b.high }, { x: b.x, y: null });
  }
  return { label, data, color, width: 1.5 };
}

function colorOf(entries: readonly SweepEntryResult[], label: string): string {
  return PALETTE[
    Math.max(
      0,
      entries.findIndex((e) => e.label === label),
    ) % PALETTE.length
  ]!;
}

function curveChart(sweep: CapacitySweep, charts: ChartSet, which: 'p99' | 'p50'): SafeHtml {
  const series: SeriesSpec[] = [];
  const offered = sweep.entries.flatMap((e) => e.curve.map((c) => c.offered));
  const lowest = Math.min(...offered);
  const highest = Math.max(...offered);
  const logX = offered.length > 0 && highest / Math.max(1, lowest) >= 8;
  const values = sweep.entries.flatMap((e) => e.curve.map((c) => c[which])).filter((v) => v > 0);
  const logY = values.length > 0 && Math.max(...values) / Math.max(1, Math.min(...values)) >= 30;
  for (const e of sweep.entries) {
    const color = colorOf(sweep.entries, e.label);
    series.push({
      label: e.label,
      data: e.curve.map((c) => ({ x: c.offered, y: c[which] / 1000 })),
      color,
      pointRadius: 4,
      width: e.label === sweep.verdict.best ? 3 : 2,
    });
    series.push(
      errorBarSeries(
        `${e.label} 95% interval`,
        e.curve.map((c) => ({
          x: c.offered,
          y: c[which] / 1000,
          low: (which === 'p99' ? c.p99Low : c.p50Low) / 1000,
          high: (which === 'p99' ? c.p99High : c.p50High) / 1000,
        })),
        color,
        logX,
        highest - lowest,
      ),
    );
  }
  const title =
    which === 'p99'
      ? 'Latency–throughput: p99 (median of per-second p99s) against offered rate'
      : 'Latency–throughput: p50 against offered rate';
  return charts.figure(
    title,
    {
      type: 'line',
      series,
      x: { title: 'offered ticks/s', format: 'rate', log: logX },
      y: { title: `${which} end-to-end (ms)`, format: 'ms', log: logY },
    },
    {
      height: 340,
      empty: 'No curve points: no setting sustained a rate.',
      note: `one line per setting at ${sweep.fractions.map((f) => `${Math.round(f * 100)}%`).join(', ')} of its capacity; bars: 95% interval over ${sweep.repeat} repeat(s)`,
    },
  );
}

function capacityChart(sweep: CapacitySweep, charts: ChartSet): SafeHtml {
  const groups = new Map<string, SweepEntryResult[]>();
  for (const e of sweep.entries) {
    const s = e.settings;
    const key = `${s.workers} worker${s.workers === 1 ? '' : 's'} · ${s.client} · ${s.ticksPerRecord} ticks/record`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const partitions = [...new Set(sweep.entries.map((e) => e.settings.partitions))].sort((a, b) => a - b);
  const logX = partitions.length > 0 && partitions[partitions.length - 1]! / Math.max(1, partitions[0]!) >= 8;
  const span = (partitions[partitions.length - 1] ?? 1) - (partitions[0] ?? 0);
  const series: SeriesSpec[] = [];
  [...groups].forEach(([name, members], i) => {
    const sorted = [...members].sort((a, b) => a.settings.partitions - b.settings.partitions);
    const color = PALETTE[i % PALETTE.length]!;
    series.push({ label: name, data: sorted.map((e) => ({ x: e.settings.partitions, y: e.capacity.ticksPerSec })), color, pointRadius: 5 });
    series.push(
      errorBarSeries(
        `${name} 95% interval`,
        sorted.map((e) => ({ x: e.settings.partitions, y: e.capacity.ticksPerSec, low: e.capacity.low, high: e.capacity.high })),
        color,
        logX,
        span,
      ),
    );
  });
  if (sweep.targetRate !== null && partitions.length > 0) {
    series.push({
      label: 'target rate',
      data: [
        { x: partitions[0]!, y: sweep.targetRate },
        { x: partitions[partitions.length - 1]!, y: sweep.targetRate },
      ],
      color: '#dc2626',
      dashed: true,
      width: 1.5,
    });
  }
  return charts.figure(
    'Capacity against partitions',
    {
      type: 'line',
      series,
      x: { title: 'partitions', format: 'plain', log: logX, ticks: partitions },
      y: { title: 'highest sustained ticks/s', format: 'rate' },
    },
    {
      height: 340,
      empty: 'No setting sustained a rate.',
      note: 'median over repeats; bars: sustained low end to failed high end (95% bootstrap)',
    },
  );
}

function verdictSection(sweep: CapacitySweep): SafeHtml {
  const v = sweep.verdict;
  const tone = v.best === null ? 'warn' : v.ties.length > 0 ? 'warn' : 'good';
  const items = [
    card(v.ties.length > 0 ? 'Preferred (tie)' : 'Winner', v.best ?? 'none', {
      tone,
      sub: v.ties.length > 0 ? 'cheapest of the tied settings' : v.best ? 'its interval is clear of the others' : 'nothing sustained',
    }),
    card('Tied', v.ties.length > 0 ? String(v.ties.length) : 'no tie', { sub: v.ties.length > 0 ? v.ties.join(', ') : 'a clear winner' }),
    card('Limited by', v.limitedBy?.side ?? '–', { sub: v.limitedBy ? `at ${formatRate(v.limitedBy.atRate)}` : 'no probe to judge' }),
  ];
  if (v.forTargetRate) {
    const t = v.forTargetRate;
    items.push(
      card(
        `For ${formatRate(t.targetRate)}`,
        t.partitions === null ? 'none' : `${t.partitions} partition${t.partitions === 1 ? '' : 's'}`,
        {
          tone: t.partitions === null ? 'bad' : t.confident ? 'good' : 'warn',
          sub: t.confident ? 'with the whole interval' : t.partitions === null ? 'no setting carries it' : 'within the noise only',
        },
      ),
    );
  }
  items.push(
    card('Cluster', sweep.cluster.kind === 'kafka' ? 'real Kafka' : 'mock', {
      tone: sweep.cluster.kind === 'kafka' ? 'good' : 'warn',
      sub: sweep.cluster.brokers,
    }),
  );
  const tieRows = sweep.entries.map((e) => [
    e.label === v.best
      ? badge(v.ties.length > 0 ? 'preferred' : 'winner', 'good')
      : v.ties.includes(e.label)
        ? badge('tied', 'warn')
        : badge('–', 'neutral'),
    e.label,
    `${formatRate(e.capacity.ticksPerSec)} (${formatRate(e.capacity.low)}–${formatRate(e.capacity.high)})`,
    e.limitedBy?.side ?? '–',
    e.beyondCores ? `more partitions than the ${sweep.machine.cpus} cores` : '',
  ]);
  return section(
    'verdict',
    'Verdict',
    join([
      cards(items),
      // A numbered first column: the table's first column never wraps, sentences must.
      table(
        ['', 'verdict'],
        v.summary.map((line, i) => [String(i + 1), line]),
      ),
      table(['', 'setting', 'capacity (95% interval)', 'limited by', 'note'], tieRows),
    ]),
    v.reason,
  );
}

function settingsTable(sweep: CapacitySweep): SafeHtml {
  const rows = sweep.entries.flatMap((e) =>
    e.curve.map((c) => [
      e.label,
      `${Math.round(c.fraction * 100)}%`,
      formatRate(c.offered),
      `${formatUs(c.p50)} (${formatUs(c.p50Low)}–${formatUs(c.p50High)})`,
      `${formatUs(c.p99)} (${formatUs(c.p99Low)}–${formatUs(c.p99High)})`,
      `${c.sustained}/${c.repeats}`,
    ]),
  );
  const limits = sweep.entries.map((e) => [e.label, e.limitedBy?.side ?? '–', e.limitedBy?.evidence ?? 'no probe with stage figures']);
  return section(
    'points',
    'Curve points and limits',
    join([
      rows.length === 0
        ? ''
        : table(['setting', 'load', 'offered', 'p50 (interval)', 'p99 (interval)', 'sustained'], rows, { numeric: [2, 3, 4, 5] }),
      table(['setting', 'limited by', 'evidence'], limits),
    ]),
    'Medians over repeats with 95% intervals; "sustained" counts the repeats that met the criteria at that rate.',
  );
}

export function renderCapacitySweepPage(sweep: CapacitySweep): string {
  const charts = new ChartSet();
  const body = join(
    [
      verdictSection(sweep),
      section('curves', 'Latency–throughput curves', grid([curveChart(sweep, charts, 'p99'), curveChart(sweep, charts, 'p50')], 2)),
      section('capacity', 'Capacity', capacityChart(sweep, charts)),
      settingsTable(sweep),
      section(
        'method',
        'Method',
        join([
          keyValues([
            ['cluster', `${sweep.cluster.kind === 'kafka' ? 'real Kafka' : 'librdkafka mock (embedded)'} · ${sweep.cluster.brokers}`],
            ['topics', sweep.cluster.topics],
            ['repeats', String(sweep.repeat)],
            ['probe', `${sweep.criteria.warmupSec} s warm-up + ${sweep.criteria.windowSec} s window`],
            ['p99 bound', formatUs(sweep.criteria.maxP99Us)],
            ['wall time', `${sweep.wallSec} s`],
            ['status', sweep.status],
          ]),
          table(
            ['', 'note'],
            sweep.notes.map((n, i) => [String(i + 1), n]),
          ),
        ]),
      ),
    ],
    '\n',
  );
  const partitions = [...new Set(sweep.entries.map((e) => e.settings.partitions))].sort((a, b) => a - b);
  return renderPage({
    title: 'tick-firehose sweep: capacity',
    heading: 'Sweep: capacity per setting',
    subtitle: `${sweep.entries.length} settings · partitions ${partitions.join(', ')} · ${sweep.repeat} repeat(s) · ${sweep.cluster.kind === 'kafka' ? 'real Kafka' : 'librdkafka mock'} · ${sweep.status}`,
    nav: [
      { id: 'verdict', label: 'Verdict' },
      { id: 'curves', label: 'Curves' },
      { id: 'capacity', label: 'Capacity' },
      { id: 'points', label: 'Points' },
      { id: 'method', label: 'Method' },
    ],
    body,
    charts,
  });
}

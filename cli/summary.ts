import Table from 'cli-table3';
import pc from 'picocolors';
import type { AnalyticsQualityBlock } from '../run/quality-score.js';
import { LATENCY_STAGES, type RunResult } from '../run/run-result.js';
import { assessRun } from '../run/run-status.js';
import { clusterLabel, formatCount, formatRate, formatUs } from '../report/format.js';
import { qualityTable } from './quality-table.js';
import { terminalSafe } from './terminal-text.js';

const STAGE_LABEL: Record<string, string> = {
  e2e: 'end-to-end',
  schedule: '  schedule → send',
  produce: '  send → ack',
  transport: '  send → consumer',
  queue: '  consumer → worker',
  analytics: '  analytics',
};

function table(head: string[]): Table.Table {
  return new Table({ head: head.map((h) => pc.bold(h)), style: { head: [], border: [] } });
}

/** The terminal summary of one run: throughput, latency, delivery, analytics, partitions. */
export function renderSummary(result: RunResult): string {
  const out: string[] = [];
  const assessment = assessRun(result);
  const t = result.throughput;
  const c = result.config;
  out.push(
    pc.bold(
      `tick-firehose ${result.status === 'interrupted' ? pc.yellow('(interrupted) ') : ''}— ${c.client} client, ${c.partitions} partitions, ${c.workers} workers, ${terminalSafe(clusterLabel(result.cluster))}`,
    ),
  );

  const throughput = table(['offered', 'sent', 'analysed', 'records', 'MB/s']);
  throughput.push([
    formatRate(t.offeredTicksPerSec),
    formatRate(t.producedTicksPerSec),
    formatRate(t.ticksPerSec),
    formatRate(t.recordsPerSec),
    t.megabytesPerSec.toFixed(2),
  ]);
  out.push(throughput.toString());

  const latency = table(['latency', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', 'count']);
  for (const stage of LATENCY_STAGES) {
    const s = result.latency[stage];
    latency.push([STAGE_LABEL[stage] ?? stage, ...[s.p50, s.p90, s.p99, s.p999, s.p9999, s.max].map(formatUs), formatCount(s.count)]);
  }
  // With --warmup the end-to-end row above is after the warm-up; these two put it in context.
  const extra: Array<[string, typeof result.latency.warmup]> = [
    [`warm-up (first ${result.warmup?.durationSec ?? 0} s)`, result.latency.warmup],
    ['whole run', result.latency.wholeRun],
  ];
  for (const [label, s] of extra) {
    if (s) latency.push([pc.dim(label), ...[s.p50, s.p90, s.p99, s.p999, s.p9999, s.max].map(formatUs), formatCount(s.count)]);
  }
  out.push(latency.toString());

  const k = result.ticks;
  // Only an interrupted run has unconfirmed ticks (acknowledged, not yet seen when it stopped waiting).
  const unconfirmed = k.unconfirmed ?? 0;
  const delivery = table([
    'produced',
    'acked',
    'failed',
    'indeterminate',
    'consumed',
    'lost',
    ...(unconfirmed > 0 ? ['unconfirmed'] : []),
    'duplicated',
    'evicted',
    'dead-lettered',
  ]);
  const bad = (n: number): string => (n > 0 ? pc.red(formatCount(n)) : pc.green('0'));
  const records = result.records ?? { deadLettered: 0 };
  const deadLettered =
    records.deadLettered > 0 ? `${formatCount(k.deadLettered)} ticks, ${formatCount(records.deadLettered)} records` : '0';
  delivery.push([
    formatCount(k.produced),
    formatCount(k.acked),
    bad(k.failed),
    bad(k.indeterminate ?? 0),
    formatCount(k.consumed),
    bad(k.lost),
    ...(unconfirmed > 0 ? [pc.yellow(formatCount(unconfirmed))] : []),
    formatCount(k.duplicated),
    bad(k.evicted),
    deadLettered,
  ]);
  out.push(delivery.toString());

  out.push(...renderAnalyticsTables(result));

  const parts = table(['partition', 'acked', 'analysed', 'lag', 'p50', 'p99', 'max']);
  for (const p of result.partitions)
    parts.push([
      String(p.partition),
      formatCount(p.ackedTicks),
      formatCount(p.consumedTicks),
      formatCount(p.lagTicks),
      formatUs(p.p50),
      formatUs(p.p99),
      formatUs(p.max),
    ]);
  out.push(parts.toString());

  if (result.thresholds.length > 0) {
    const limits = table(['threshold', 'limit', 'actual', 'result']);
    for (const t of result.thresholds) {
      const actual = t.name.startsWith('e2e')
        ? formatUs(t.actual)
        : t.name === 'analysed rate'
          ? formatRate(t.actual)
          : formatCount(t.actual);
      limits.push([terminalSafe(String(t.name)), terminalSafe(String(t.limit)), actual, t.pass ? pc.green('pass') : pc.red('FAIL')]);
    }
    out.push(limits.toString());
  }

  if (result.faults?.length) {
    out.push(pc.bold('faults'));
    for (const f of result.faults) out.push(`  ${f.atSec.toFixed(1)}s  ${f.kind} ${f.phase}: ${f.detail}`);
  }
  if (assessment.verdict === 'overloaded') out.push(pc.red(pc.bold(`OVERLOADED: ${assessment.reasons.join('; ')}`)));
  for (const warning of result.warnings) out.push(pc.red(`! ${terminalSafe(String(warning))}`));
  return out.join('\n');
}

/**
 * Detector quality against the injected ground truth: one row per detector (recall per injected
 * event, precision per flagged tick, false flags per 10k ticks without that label, delay from the
 * event's first tick and the alerts' detection latency), then the source ranking.
 */
function renderAnalyticsTables(result: RunResult): string[] {
  const a = result.analytics;
  if (a.alerts === undefined || a.outliers.frozen === undefined) {
    // A result written before the analytics were scored: the counts it has.
    const old = table(['outliers flagged', 'crossed ticks', 'locked ticks', 'arbitrage windows', 'venues best → worst']);
    old.push([
      formatCount(a.outliers.flagged),
      formatCount(a.arbitrage.crossedTicks),
      formatCount(a.arbitrage.lockedTicks),
      formatCount(a.arbitrage.windows),
      (a.sources.ranking ?? []).map((v) => `v${v}`).join(' '),
    ]);
    return [old.toString()];
  }
  if (result.analyticsQuality) return renderFairValueTables(result, result.analyticsQuality);
  const truth = a.injected != null;
  const q = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : x.toFixed(3));
  const tone = (x: number | null | undefined, good: number): string =>
    x === null || x === undefined ? '-' : x >= good ? pc.green(q(x)) : pc.red(q(x));
  const per10k = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : (x * 1e4).toFixed(2));
  const us = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : formatUs(x));
  const injected = (n: number, what: string): string => (truth ? `${formatCount(n)} ${what}` : '-');
  const o = a.outliers;
  const f = o.frozen;
  const x = a.arbitrage;
  const t = x.triangular;
  const quality = table(['detector', 'injected', 'flagged', 'precision', 'recall', 'false / 10k', 'delay · alert latency']);
  quality.push(
    [
      'outliers (spikes, ×10 ÷10)',
      injected(o.injectedTicks, 'ticks'),
      formatCount(o.flagged),
      tone(o.precision, 0.95),
      tone(o.recall, 0.99),
      per10k(o.falsePositiveRate),
      `0 ticks · ${us(o.alertLatencyUsMean)}`,
    ],
    [
      'frozen runs',
      injected(f.runs, 'runs'),
      formatCount(f.stalledTicks),
      tone(f.precision, 0.95),
      tone(f.recall, 0.99),
      per10k(f.falsePositiveRate),
      f.delayTicksMean === null ? '-' : `${f.delayTicksMean.toFixed(1)} upd · ${us(f.delayUsMean)}`,
    ],
    [
      'cross-venue arbitrage',
      injected(x.triggers, 'windows'),
      formatCount(x.crossedTicks),
      tone(x.precision, 0.999),
      tone(x.triggerRecall, 1),
      per10k(x.falsePositiveRate),
      `0 ticks · ${us(x.alertLatencyUsMean)}`,
    ],
    [
      'triangular FX',
      injected(t.triggers, 'mispricings'),
      formatCount(t.openTicks),
      tone(t.precision, 0.999),
      tone(t.triggerRecall, 1),
      per10k(t.falsePositiveRate),
      `0 ticks · ${us(t.alertLatencyUsMean)}`,
    ],
  );
  const s = a.sources;
  const sources = table(['venues best → worst', 'ρ(score, −noise)', 'biased venue found', 'frozen venue < 0.5', 'alerts']);
  const fault = (venue: number, onTime: number, late: number, within: number, delayMax: number): string =>
    venue < 0 ? '-' : `v${venue}: ${onTime}/${onTime + late} within ${within} upd (max ${delayMax})`;
  sources.push([
    s.ranking.map((v) => `v${v}`).join(' '),
    tone(s.spearman, 0.9),
    fault(s.biased.venue, s.biased.onTime, s.biased.late, s.biased.within, s.biased.delayUpdatesMax),
    fault(s.frozen.venue, s.frozen.onTime, s.frozen.late, s.frozen.within, s.frozen.delayUpdatesMax),
    `${formatCount(a.alerts.total)} · ${us(a.alerts.latencyUsMean)}`,
  ]);
  return [quality.toString(), sources.toString()];
}

/**
 * A run on the fair-value market: scored at its end against the hidden truth it regenerates, so
 * the table is `firehose score`'s (detector beside baseline), plus what only a run has: stalled-quote
 * flags per 10k clean ticks, the ranking as the pipeline saw it, and alert counts.
 */
function renderFairValueTables(result: RunResult, q: AnalyticsQualityBlock): string[] {
  const a = result.analytics;
  const frozen = a.outliers.frozen;
  const fv = a.fairValue;
  const extra: Array<[string, string, string]> = [];
  if (frozen && frozen.falsePositiveRate !== null)
    extra.push(['stalled-quote flags /10k clean', (frozen.falsePositiveRate * 1e4).toFixed(2), '–']);
  extra.push(['venues best → worst (pipeline)', a.sources.ranking.map((v) => `v${v}`).join(' '), '–']);
  if (a.alerts)
    extra.push(['alerts · mean alert latency', `${formatCount(a.alerts.total)} · ${formatUs(a.alerts.latencyUsMean ?? 0)}`, '–']);
  const scored = fv
    ? `scored ${formatCount(fv.scoredTicks)} of ${formatCount(fv.generatedTicks)} ticks against the hidden fair value${fv.checksumMatched === false ? pc.red(' — the regenerated stream did NOT match what was sent') : ''}`
    : '';
  return [qualityTable(q, extra), ...(scored ? [pc.dim(scored)] : [])];
}

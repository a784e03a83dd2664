import Table from 'cli-table3';
import pc from 'picocolors';
import { LATENCY_STAGES, type RunResult } from '../bench/run-result.js';
import { assessRun } from '../bench/run-status.js';
import { formatCount, formatRate, formatUs } from './format.js';

const STAGE_LABEL: Record<string, string> = {
  e2e: 'end-to-end', schedule: '  schedule → send', produce: '  send → ack', transport: '  send → consumer',
  queue: '  consumer → worker', analytics: '  analytics',
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
  out.push(pc.bold(`tick-firehose ${result.status === 'interrupted' ? pc.yellow('(interrupted) ') : ''}— ${c.client} client, ${c.partitions} partitions, ${c.workers} workers, ${result.cluster.embedded ? `embedded ${result.cluster.brokers}-broker cluster` : result.cluster.bootstrapServers}`));

  const throughput = table(['offered', 'sent', 'analysed', 'records', 'MB/s']);
  throughput.push([formatRate(t.offeredTicksPerSec), formatRate(t.producedTicksPerSec), formatRate(t.ticksPerSec), formatRate(t.recordsPerSec), t.megabytesPerSec.toFixed(2)]);
  out.push(throughput.toString());

  const latency = table(['latency', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', 'count']);
  for (const stage of LATENCY_STAGES) {
    const s = result.latency[stage];
    latency.push([STAGE_LABEL[stage] ?? stage, ...[s.p50, s.p90, s.p99, s.p999, s.p9999, s.max].map(formatUs), formatCount(s.count)]);
  }
  out.push(latency.toString());

  const k = result.ticks;
  const delivery = table(['produced', 'acked', 'failed', 'indeterminate', 'consumed', 'lost', 'duplicated', 'evicted', 'dead-lettered']);
  const bad = (n: number): string => (n > 0 ? pc.red(formatCount(n)) : pc.green('0'));
  const records = result.records ?? { deadLettered: 0 };
  const deadLettered = records.deadLettered > 0 ? `${formatCount(k.deadLettered)} ticks, ${formatCount(records.deadLettered)} records` : '0';
  delivery.push([formatCount(k.produced), formatCount(k.acked), bad(k.failed), bad(k.indeterminate ?? 0), formatCount(k.consumed), bad(k.lost), formatCount(k.duplicated), bad(k.evicted), deadLettered]);
  out.push(delivery.toString());

  const a = result.analytics;
  const analytics = table(['outliers flagged', 'crossed ticks', 'locked ticks', 'arbitrage windows', 'venues best → worst']);
  analytics.push([formatCount(a.outliers.flagged), formatCount(a.arbitrage.crossedTicks), formatCount(a.arbitrage.lockedTicks), formatCount(a.arbitrage.windows), a.sources.ranking.map((v) => `v${v}`).join(' ')]);
  out.push(analytics.toString());

  const parts = table(['partition', 'acked', 'analysed', 'lag', 'p50', 'p99', 'max']);
  for (const p of result.partitions) parts.push([String(p.partition), formatCount(p.ackedTicks), formatCount(p.consumedTicks), formatCount(p.lagTicks), formatUs(p.p50), formatUs(p.p99), formatUs(p.max)]);
  out.push(parts.toString());

  if (result.thresholds.length > 0) {
    const limits = table(['threshold', 'limit', 'actual', 'result']);
    for (const t of result.thresholds) {
      const actual = t.name.startsWith('e2e') ? formatUs(t.actual) : t.name === 'analysed rate' ? formatRate(t.actual) : formatCount(t.actual);
      limits.push([t.name, t.limit, actual, t.pass ? pc.green('pass') : pc.red('FAIL')]);
    }
    out.push(limits.toString());
  }

  if (result.faults?.length) {
    out.push(pc.bold('faults'));
    for (const f of result.faults) out.push(`  ${f.atSec.toFixed(1)}s  ${f.kind} ${f.phase}: ${f.detail}`);
  }
  if (assessment.verdict === 'overloaded') out.push(pc.red(pc.bold(`OVERLOADED: ${assessment.reasons.join('; ')}`)));
  for (const warning of result.warnings) out.push(pc.red(`! ${warning}`));
  return out.join('\n');
}

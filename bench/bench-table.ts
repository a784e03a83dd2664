import Table from 'cli-table3';
import pc from 'picocolors';
import { fmtMs, fmtRate } from './suite.js';
import { CLIENT_PIPELINE_IDS, PIPELINE_IDS, type BenchReport, type RawClientFigures } from './types.js';

const times = (x: number | null): string => (x === null ? '-' : x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`);
const percent = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

/** The suite's summary for a terminal: one row per pipeline, ratios, criteria and targets. */
export function renderBenchTable(report: BenchReport): string {
  const p = report.pipelines;
  const naive = p.naive?.maxTicksPerSec ?? 0;
  const limit = p.limit?.maxTicksPerSec ?? 0;
  const table = new Table({
    head: ['pipeline', 'max sustained', '÷ naive', '÷ limit', 'p50 @50%', 'p99 @50%', 'p99.9 @50%', 'CPU / M ticks', 'peak RSS'].map((h) =>
      pc.bold(h),
    ),
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [] },
  });
  for (const id of PIPELINE_IDS) {
    const x = p[id];
    if (!x) continue;
    const best = report.best?.pipeline === id;
    const rate = x.maxTicksPerSec;
    const half = x.latencyAtHalf;
    table.push([
      (best ? pc.green('★ ') : '  ') + x.label,
      rate > 0 ? fmtRate(rate) : pc.red('none'),
      naive > 0 && rate > 0 ? times(rate / naive) : '-',
      limit > 0 && rate > 0 ? percent(rate / limit) : '-',
      half ? fmtMs(half.p50) : '-',
      half ? fmtMs(half.p99) : '-',
      half ? fmtMs(half.p999) : '-',
      x.cpuMsPerMillionTicks === null ? '-' : `${(x.cpuMsPerMillionTicks / 1000).toFixed(2)} s`,
      x.peakRssMb === null ? '-' : `${x.peakRssMb} MB`,
    ]);
  }
  const lines = [table.toString()];
  for (const id of CLIENT_PIPELINE_IDS) {
    const steady = p[id]?.steadyCpu;
    if (!steady) continue;
    const roles = Object.entries(steady.byThread)
      .sort((a, b) => b[1] - a[1])
      .map(([role, ms]) => `${role} ${(ms / 1000).toFixed(2)}`)
      .join(', ');
    lines.push(
      pc.dim(
        `${id}: steady CPU per M ticks at ${fmtRate(p[id]!.maxTicksPerSec)} ${(steady.cpuMsPerMillionTicks / 1000).toFixed(2)} s, ${(steady.withoutClusterCpuMsPerMillionTicks / 1000).toFixed(2)} s without the in-process brokers (${roles})`,
      ),
    );
  }
  const latency = renderLatencyTable(report);
  if (latency) lines.push(latency);
  const raw = renderRawClientTable(report);
  if (raw) lines.push(raw);
  const r = report.ratios;
  if (report.best) {
    lines.push(
      `best: ${pc.bold(report.best.pipeline)} at ${fmtRate(report.best.ticksPerSec)} — ${times(r.vsNaive)} the naive baseline, ${percent(r.vsLimit)} of the no-transport limit${r.confluentVsKafkajs !== null ? `; confluent ÷ kafkajs ${times(r.confluentVsKafkajs)}` : ''}`,
    );
  } else {
    lines.push(pc.yellow('no Kafka pipeline of this project sustained any probed rate'));
  }
  const c = report.criteria;
  lines.push(
    pc.dim(
      `sustained: nothing lost, evicted or failed and analysed ≥ ${Math.round(c.minAnalysedFraction * 100)}% of offered; after a ${c.warmupSec} s warm-up, over a ${c.windowSec} s window: every second's p99 ≤ ${fmtMs(c.maxP99Us)}, lag at the end ≤ ${c.maxFinalLagSec} s of ticks and its trend grown ≤ ${c.maxLagGrowthSec} s of ticks (${report.mode} mode).`,
    ),
  );
  lines.push(
    pc.dim(
      "Latency: whole-probe HDR percentiles at 50% of each pipeline's own sustained rate. CPU (every thread, brokers included: they run in the child) per million ticks analysed, and peak RSS, at the sustained rate.",
    ),
  );
  for (const t of report.targets) {
    lines.push(`${t.pass ? pc.green('pass') : pc.red('miss')}  ${t.name}: ${t.reached} (target ${t.target})`);
  }
  if (report.status === 'interrupted') lines.push(pc.yellow('interrupted: the figures above are partial'));
  return lines.join('\n');
}

const records = (x: number | null | undefined): string => (x == null ? '-' : fmtRate(x).replace('/s', ' rec/s'));

/**
 * Each client alone against its pipeline, same run: produce-only and consume-only records/s at the
 * pipeline's record size and at one tick per record, the pipeline's records/s, and the ratio.
 */
export function renderRawClientTable(report: BenchReport): string | null {
  const rows: string[][] = [];
  for (const id of CLIENT_PIPELINE_IDS) {
    const p = report.pipelines[id];
    if (!p?.raw) continue;
    const tpr = report.workload.ticksPerRecord;
    const add = (f: RawClientFigures | null, pipelineRecords: number | null, share: number | null): void => {
      if (!f) return;
      rows.push([
        id,
        `${f.recordBytes} B (${f.ticksPerRecord} tick${f.ticksPerRecord === 1 ? '' : 's'}), sustained`,
        records(f.produceRecordsPerSec),
        records(f.consumeRecordsPerSec),
        records(pipelineRecords),
        share === null ? '-' : percent(share),
      ]);
    };
    add(p.raw.atPipelineRecordSize, p.maxTicksPerSec > 0 ? Math.round(p.maxTicksPerSec / tpr) : null, p.vsRawConsume);
    add(p.raw.atOneTickPerRecord, p.perRecord ? p.perRecord.maxRecordsPerSec : null, p.perRecord?.vsRawConsume ?? null);
    const backlog = p.perRecord?.backlog;
    const one = p.raw.atOneTickPerRecord;
    // Like for like with consume-only: the ingest half reading a prefilled topic, nothing producing.
    if (backlog && one)
      rows.push([
        id,
        `${one.recordBytes} B (1 tick), prefilled topic`,
        '-',
        records(one.consumeRecordsPerSec),
        records(backlog.recordsPerSec),
        backlog.vsRawConsume === null ? '-' : percent(backlog.vsRawConsume),
      ]);
  }
  if (rows.length === 0) return null;
  const table = new Table({
    head: ['client', 'record', 'alone: produce-only', 'alone: consume-only', 'pipeline', 'pipeline ÷ consume-only'].map((h) => pc.bold(h)),
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [] },
  });
  for (const r of rows) table.push(r);
  return table.toString();
}

/** Latency apart from the warm-up at half the sustained rate, and at 10% in the latency profile, per client pipeline. */
export function renderLatencyTable(report: BenchReport): string | null {
  const rows: string[][] = [];
  for (const id of CLIENT_PIPELINE_IDS) {
    const p = report.pipelines[id];
    if (!p || (p.latencyAtHalf === null && p.latencyAtTenth === null)) continue;
    const half = p.latencyAtHalf;
    const tenth = p.latencyAtTenth;
    rows.push([
      id,
      half ? fmtMs(half.p99AfterWarmup) : '-',
      half?.p999AfterWarmup !== undefined ? fmtMs(half.p999AfterWarmup) : '-',
      tenth ? fmtRate(tenth.rate) : '-',
      tenth ? fmtMs(tenth.p50) : '-',
      tenth ? fmtMs(tenth.p99) : '-',
      tenth?.brokerCpuShare !== undefined ? `${(tenth.brokerCpuShare * 100).toFixed(0)}% (mock)` : tenth ? 'real Kafka' : '-',
    ]);
  }
  if (rows.length === 0) return null;
  const table = new Table({
    head: [
      'client',
      'p99 @50% after warm-up',
      'p99.9 @50% after warm-up',
      '10% rate',
      'p50 @10% (latency profile)',
      'p99 @10% (latency profile)',
      "brokers' CPU @10%",
    ].map((h) => pc.bold(h)),
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [] },
  });
  for (const r of rows) table.push(r);
  return table.toString();
}

import { describe, expect, it } from 'vitest';
import { benchReportSchema, pipelineReportSchema } from '../../bench/bench-schema.js';
import { finishReport } from '../../bench/suite.js';
import { renderLatencyTable, renderRawClientTable } from '../../bench/bench-table.js';
import type { BenchReport, PipelineReport } from '../../bench/types.js';

const pipeline = (id: 'confluent' | 'kafkajs', max: number): PipelineReport => ({
  id,
  label: id,
  description: id,
  maxTicksPerSec: max,
  analysedTicksPerSec: max,
  latencyAtHalf: { rate: max / 2, p50: 2_000, p99: 30_000, p999: 60_000, max: 90_000, windowMaxP99Us: 20_000, p99AfterWarmup: 12_000 },
  latencyAtTenth: { rate: max / 10, p50: 1_500, p99: 6_000 },
  raw: null,
  vsRawConsume: null,
  perRecord: null,
  cpuMsPerMillionTicks: 1_700,
  cpuMsPerMillionTicksAtHalf: 2_000,
  peakRssMb: 300,
  peakRssMbAtHalf: 250,
  probes: [{ rate: max, durationSec: 8, warmupSec: 2, sustained: true, reasons: [], wallSec: 12 }],
});

function report(): BenchReport {
  const r: BenchReport = {
    tool: 'tick-firehose',
    kind: 'bench',
    version: 1,
    status: 'ok',
    mode: 'quick',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:05:00.000Z',
    wallSec: 300,
    machine: {
      cpus: 2,
      node: 'v20',
      platform: 'linux x64',
      loadAverageAtStart: 1,
      loadAverageAtEnd: 2,
      cores: 2,
      cpuModel: 'x',
      loadAveragesAtStart: [1, 1, 1],
    },
    criteria: {
      minAnalysedFraction: 0.97,
      maxP99Us: 1e6,
      maxFinalLagSec: 1,
      maxLagGrowthSec: 0.25,
      warmupSec: 2,
      windowSec: 6,
      lost: 0,
      evicted: 0,
      latencyAtFractionOfMax: 0.5,
      latencyProfileAtFractionOfMax: 0.1,
    },
    workload: { instruments: 1000, venues: 5, partitions: 8, ticksPerRecord: 64, workers: 2, seed: 1 },
    pipelines: { confluent: pipeline('confluent', 1_000_000), kafkajs: pipeline('kafkajs', 500_000) },
    best: null,
    ratios: {
      vsNaive: null,
      vsLimit: null,
      confluentVsKafkajs: null,
      kafkajsVsConfluent: null,
      platformaticVsConfluent: null,
      perRecordVsRawConsume: null,
    },
    targets: [],
    notes: [],
  };
  finishReport(r);
  return r;
}

describe('the bench.json schema', () => {
  it('accepts a finished report and judges the latency targets from its fields', () => {
    const r = report();
    expect(benchReportSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
    const target = (name: string) => r.targets.find((t) => t.name === name)!;
    expect(target('p99 after warm-up at 50% of the sustained rate')).toMatchObject({ reached: '12.0 ms', pass: true });
    expect(target('p99 at 50% of the sustained rate').pass).toBe(false);
    expect(target('p50 at 10% load, latency profile')).toMatchObject({ reached: '1.50 ms', pass: true });
    expect(target('p99 at 10% load, latency profile')).toMatchObject({ reached: '6.00 ms', pass: true });
    expect(r.ratios.kafkajsVsConfluent).toBe(0.5);
  });

  it("says where the light-load probe ran on the mock, with its brokers' CPU share and how its p99 moved", () => {
    const r = report();
    expect(r.notes.some((n) => n.includes('latencyAtTenth ran on'))).toBe(false);
    expect(renderLatencyTable(r)).toMatch(/real Kafka/);
    r.pipelines.confluent!.latencyAtTenth = {
      rate: 60_000,
      p50: 8_000,
      p99: 85_000,
      p99UsBySecond: [19_000, 62_000],
      brokerCpuShare: 0.43,
    };
    finishReport(r);
    const note = r.notes.find((n) => n.startsWith('confluent latencyAtTenth ran on the librdkafka mock'));
    expect(note).toMatch(/took 43% of the probe's CPU; per-second p99 19\.0 ms in the first second, 62\.0 ms in the last/);
    expect(renderLatencyTable(r)).toMatch(/43% \(mock\)/);
    expect(benchReportSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
  });

  it('holds the sustained rate to 2,000,000 ticks/s, confirmed only by the full mode', () => {
    const sustained = (mode: BenchReport['mode'], max: number, confirmedWindowSec?: number | null) => {
      const r = report();
      r.mode = mode;
      r.pipelines.confluent = { ...pipeline('confluent', max), ...(confirmedWindowSec !== undefined ? { confirmedWindowSec } : {}) };
      finishReport(r);
      return r.targets.find((t) => t.name === 'sustained end-to-end rate')!;
    };
    expect(sustained('full', 1_990_000, 60)).toMatchObject({ target: '≥ 2,000,000 ticks/s for 60 s', pass: false });
    expect(sustained('full', 2_000_000, 60)).toMatchObject({ reached: '2.00M/s (confirmed with a 60 s window)', pass: true });
    // A confirmation that failed with no time left to step down: the search's rate, said to be unconfirmed.
    expect(sustained('full', 2_000_000, null)).toMatchObject({ reached: '2.00M/s (NOT confirmed: its 60 s run failed)', pass: false });
    expect(sustained('quick', 2_500_000).pass).toBe(false);
  });

  it('refuses a half-rate latency without p99AfterWarmup, and a 10% latency without p50 or p99', () => {
    const p = pipeline('confluent', 1_000_000);
    const { p99AfterWarmup: _dropped, ...half } = p.latencyAtHalf!;
    expect(pipelineReportSchema.safeParse({ ...p, latencyAtHalf: { ...half, p99AfterWarmup: null } }).success).toBe(false);
    expect(pipelineReportSchema.safeParse({ ...p, latencyAtHalf: half }).success).toBe(false);
    expect(pipelineReportSchema.safeParse({ ...p, latencyAtTenth: { rate: 100_000, p50: 1_000 } }).success).toBe(false);
    expect(pipelineReportSchema.safeParse({ ...p, latencyAtTenth: { rate: 100_000, p50: Number.NaN, p99: 1 } }).success).toBe(false);
    expect(pipelineReportSchema.safeParse(p).success).toBe(true);
  });

  it('keeps the sustained per-record ratio and puts the like-for-like backlog ratio beside it', () => {
    const r = report();
    const raw = {
      ticksPerRecord: 1,
      recordBytes: 72,
      produceRecordsPerSec: 230_000,
      consumeRecordsPerSec: 200_000,
      consumePasses: 10,
      consumeCpuUsPerRecord: 4.2,
      consumeCpuUsPerRecordByThread: { main: 3.5, client: 0.2, brokers: 0.2, other: 0.3 },
      cpuMsTotal: 6_000,
      errors: [],
    };
    r.pipelines.confluent!.raw = { atPipelineRecordSize: null, atOneTickPerRecord: raw };
    r.pipelines.confluent!.perRecord = {
      maxRecordsPerSec: 60_000,
      rawConsumeRecordsPerSec: 200_000,
      vsRawConsume: 0.3,
      cpuMsPerMillionTicks: 25_000,
      probes: [],
      backlog: {
        records: 200_000,
        recordsPerSec: 110_000,
        vsRawConsume: 0.55,
        cpuUsPerRecord: 9.5,
        cpuUsPerRecordByThread: { main: 5, client: 0.3, brokers: 0.4, other: 3.8 },
        errors: [],
      },
    };
    finishReport(r);
    expect(r.ratios.perRecordVsRawConsume).toBe(0.3);
    expect(r.ratios.perRecordBacklogVsRawConsume).toBe(0.55);
    // The target still reads the sustained figure.
    expect(r.targets.find((t) => t.name.startsWith('one tick per record'))!.reached).toBe('30.0%');
    expect(benchReportSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
    const table = renderRawClientTable(r)!;
    expect(table).toMatch(/prefilled topic.*110\.0k rec\/s.*55\.0%/);
    expect(table).toMatch(/72 B \(1 tick\), sustained.*60\.0k rec\/s.*30\.0%/);
    // A report written before the backlog read existed is still read.
    const { backlog: _older, ...older } = r.pipelines.confluent!.perRecord;
    expect(pipelineReportSchema.safeParse({ ...r.pipelines.confluent, perRecord: older }).success).toBe(true);
  });

  it('refuses a bench.json with a field renamed or of the wrong kind', () => {
    const r = JSON.parse(JSON.stringify(report())) as Record<string, unknown>;
    expect(benchReportSchema.safeParse({ ...r, kind: 'run' }).success).toBe(false);
    const { ratios, ...noRatios } = r;
    expect(benchReportSchema.safeParse(noRatios).success).toBe(false);
    expect(benchReportSchema.safeParse({ ...r, ratios }).success).toBe(true);
  });
});

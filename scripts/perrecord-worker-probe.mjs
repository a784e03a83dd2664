// Narrow same-thread probe of an analytics worker's per-record cost (issue 14 item 2): 1-tick
// frames from the real generator, packed into tasks as the dispatcher packs them (two task groups
// of four partitions, one task per group per round), then run through FrameTaskAnalysis (what the
// worker does per task) and, beside it, through FrameAnalyzer.analyze alone (the analytics). The
// difference is the worker's own per-record overhead. No Kafka, no threads: CPU µs per record.
// Usage: node scripts/perrecord-worker-probe.mjs [records=200000] [rounds=5] [recordsPerTask=1800]
import { createAnalyticsState } from '../dist/analytics/analytics-state.js';
import { FrameAnalyzer } from '../dist/analytics/frame-analyzer.js';
import { createDeliveryLedger, DeliveryLedger } from '../dist/metrics/delivery-ledger.js';
import { initHistograms } from '../dist/metrics/latency-histogram.js';
import { LoadGenerator } from '../dist/loadgen/load-generator.js';
import { FrameTaskAnalysis } from '../dist/ingest/frame-task-analysis.js';
import { packFrames } from '../dist/wire/frame-pack.js';
import { nowUs } from '../dist/wire/clock.js';

const records = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
const perTask = Number(process.argv[4] ?? 1800);
const partitions = 8;
const groups = 2;
const dims = { instruments: 1000, venues: 5 };
await initHistograms();

const byPartition = Array.from({ length: partitions }, () => []);
const generator = new LoadGenerator({
  partitions,
  ratePerSec: 1e9,
  ticks: records,
  instruments: dims.instruments,
  venues: dims.venues,
  seed: 7,
  source: 0,
  ticksPerRecord: 1,
  lingerUs: 1e9,
  clock: () => performance.now() * 1000,
  market: 'fair-value',
  inject: {},
});
await generator.run({
  connect: async () => {},
  send(frame) {
    byPartition[frame.partition].push(frame.value);
    generator.callbacks.delivered(frame, 0);
    return true;
  },
  get pending() {
    return 0;
  },
  flush: async () => {},
  disconnect: async () => {},
});

// Tasks as the dispatcher makes them: group g holds partitions p with p % groups === g; a task takes
// each of its partitions' next frames in turn, perTask in all.
const tasks = [];
const heads = new Array(partitions).fill(0);
for (let more = true; more; ) {
  more = false;
  for (let g = 0; g < groups; g++) {
    const values = [],
      received = [],
      segments = [];
    const lanes = [];
    for (let p = g; p < partitions; p += groups) lanes.push(p);
    const share = Math.ceil(perTask / lanes.length);
    for (const p of lanes) {
      const start = heads[p];
      const end = Math.min(byPartition[p].length, start + share);
      if (end > start) segments.push(p, start, end - start);
      for (let i = start; i < end; i++) {
        values.push(byPartition[p][i]);
        received.push(nowUs());
      }
      heads[p] = end;
      if (end < byPartition[p].length) more = true;
    }
    if (values.length > 0)
      tasks.push({ packed: packFrames(values, received), count: values.length, partition: segments[0], offset: segments[1], segments });
  }
}
const total = tasks.reduce((s, t) => s + t.count, 0);

function cpu() {
  const u = process.cpuUsage();
  return u.user + u.system;
}
function fresh() {
  return new FrameAnalyzer(createAnalyticsState(dims), {});
}
const results = { analyzeOnly: [], task: [] };
for (let r = 0; r < rounds; r++) {
  // analyze alone, frame by frame, over the same frames in the same order
  {
    const analyzer = fresh();
    const { PackedFrames } = await import('../dist/wire/frame-pack.js');
    const packed = new PackedFrames();
    const c0 = cpu();
    for (const t of tasks) {
      packed.reset(t.packed);
      for (let f = 0; f < packed.count; f++) {
        analyzer.analyze(packed.frame(f));
        analyzer.takeAlerts();
      }
    }
    results.analyzeOnly.push((cpu() - c0) / total);
  }
  {
    const analysis = new FrameTaskAnalysis(fresh(), new DeliveryLedger(createDeliveryLedger(1, records)), null);
    const c0 = cpu();
    let last = nowUs();
    for (const t of tasks) {
      analysis.run(t);
      if (nowUs() - last > 1e6) {
        analysis.takeMeasurements();
        last = nowUs();
      }
    }
    analysis.takeMeasurements();
    results.task.push((cpu() - c0) / total);
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(
  JSON.stringify({
    records: total,
    tasks: tasks.length,
    analyzeOnlyUsPerRecord: results.analyzeOnly.map((x) => +x.toFixed(3)),
    taskUsPerRecord: results.task.map((x) => +x.toFixed(3)),
    medianAnalyze: +med(results.analyzeOnly).toFixed(3),
    medianTask: +med(results.task).toFixed(3),
    overhead: +(med(results.task) - med(results.analyzeOnly)).toFixed(3),
  }),
);

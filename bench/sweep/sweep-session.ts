import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { skipGroupToEnd } from '../../kafka/topic-cleanup.js';
import { groupIdFor } from '../../run/load-test.js';
import { capacitySweepSchema, type CapacitySweep, type SweepProbe, type SweepSetting } from '../../run/sweep-result.js';
import { ChildRunner } from '../probe.js';
import { DEFAULT_CRITERIA, type SustainCriteria } from '../types.js';
import { measureSettings } from './capacity-sweep.js';
import { runChildProbe } from './child-probe.js';
import { DEFAULT_BUDGET, type ProbeFn, type SweepBudget } from './sweep-types.js';
import { SweepTopics, sweepTopicPrefix, type TopicDeleter } from './sweep-topics.js';

export interface CapacitySweepConfig {
  settings: SweepSetting[];
  repeat: number;
  targetRate: number | null;
  /** Per-second p99 bound of the sustain criteria, µs (bench's default when absent). */
  maxP99Us?: number;
  /** 'embedded', or the bootstrap servers of a real cluster. */
  brokers: string;
  keepTopics: boolean;
  /** Options every probe's `firehose run` gets as they are (market, batching, acks...). */
  passThrough: string[];
  out: string;
  budget?: SweepBudget;
  log(line: string): void;
  runner?: ChildRunner;
  /** Replaces the child-process probe (tests). */
  probe?: ProbeFn;
  /** Replaces the topic deletion at the end (tests). */
  deleteTopics?: TopicDeleter;
}

/**
 * `firehose sweep --find-capacity` (the caller writes sweep.json and sweep.html): every probe a `firehose run` child on the cluster given. On a
 * real cluster each setting gets its own topic (its consumer group moved to the end of it before
 * each probe, so no probe reads its predecessor's leftovers), deleted at the end unless kept; on
 * the embedded mock each probe's cluster lives and dies in its own process.
 */
export async function runCapacitySweep(config: CapacitySweepConfig): Promise<CapacitySweep> {
  const started = Date.now();
  const startedAt = new Date().toISOString();
  const budget = config.budget ?? DEFAULT_BUDGET;
  const criteria: SustainCriteria = { ...DEFAULT_CRITERIA, ...(config.maxP99Us !== undefined ? { maxP99Us: config.maxP99Us } : {}) };
  const runner = config.runner ?? new ChildRunner();
  const real = config.brokers !== 'embedded';
  const runsDir = path.join(config.out, 'runs');
  await mkdir(runsDir, { recursive: true });
  const cpus = os.availableParallelism();
  const loadAverageAtStart = os.loadavg()[0]!;

  const topics = new SweepTopics(sweepTopicPrefix(), config.deleteTopics);
  const childProbe: ProbeFn =
    config.probe ??
    ((request) =>
      runChildProbe(
        {
          runner,
          criteria,
          warmupSec: budget.warmupSec,
          windowSec: budget.windowSec,
          drainTimeoutSec: budget.drainTimeoutSec,
          brokers: config.brokers,
          passThrough: config.passThrough,
          runsDir,
        },
        request,
      ));
  // A probe whose drain gave up (ticks lost) or that left no result may leave records unread: the
  // group moves to the end of the topic before the next probe of that setting. One that read
  // everything (every sustained probe, most failed ones) needs no admin round trip.
  const leftovers = new Set<string>();
  const probe: ProbeFn = async (request) => {
    if (request.topic !== null && leftovers.has(request.topic)) {
      await skipGroupToEnd(config.brokers, groupIdFor({ topic: request.topic }), request.topic).catch((error: unknown) =>
        config.log(
          `  warning: could not move ${request.topic}'s consumer group to the end: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
      leftovers.delete(request.topic);
    }
    const record = await childProbe(request);
    if (request.topic !== null) {
      topics.markUsed(request.topic);
      if (record.lost === undefined || record.lost > 0) leftovers.add(request.topic);
    }
    return record;
  };

  const measured = await measureSettings({
    settings: config.settings,
    repeat: config.repeat,
    budget,
    maxP99Us: criteria.maxP99Us,
    targetRate: config.targetRate,
    probe,
    cpus,
    topicFor: (label) => (real ? topics.topicFor(label) : null),
    log: config.log,
    shouldStop: () => runner.stopped,
  });

  let topicNote =
    'embedded mock: each probe ran its own in-process cluster, gone with the probe (the mock cannot delete topics; nothing is left behind)';
  if (real) {
    topicNote = await topics.cleanUp(config.brokers, config.keepTopics);
    config.log(`topics ${topicNote}`);
  }

  const c = criteria;
  const wallSec = (Date.now() - started) / 1000;
  const split = wallTimeSplit(
    measured.entries.flatMap((e) => e.probes),
    wallSec,
  );
  if (split) config.log(split);
  const sweep: CapacitySweep = {
    tool: 'tick-firehose',
    kind: 'sweep',
    mode: 'find-capacity',
    version: 2,
    status: measured.interrupted ? 'interrupted' : 'ok',
    startedAt,
    finishedAt: new Date().toISOString(),
    wallSec: Math.round(wallSec * 10) / 10,
    cluster: { brokers: config.brokers, kind: real ? 'kafka' : 'mock', topics: topicNote },
    machine: { cpus, loadAverageAtStart, loadAverageAtEnd: os.loadavg()[0]! },
    criteria: { ...criteria, warmupSec: budget.warmupSec, windowSec: budget.windowSec },
    repeat: config.repeat,
    fractions: budget.fractions,
    confidence: 0.95,
    targetRate: config.targetRate,
    entries: measured.entries,
    verdict: measured.verdict,
    notes: [
      `sustained = as in firehose bench: nothing lost, evicted or failed, analysed ≥ ${Math.round(c.minAnalysedFraction * 100)}% of offered; after a ${budget.warmupSec} s warm-up, every second's p99 ≤ ${c.maxP99Us / 1000} ms over the ${budget.windowSec} s window, lag at the end ≤ ${c.maxFinalLagSec} s of ticks and its trend grown by ≤ ${c.maxLagGrowthSec} s`,
      `capacity = median over ${config.repeat} repeat(s) of the highest sustained rate; interval = 95% bootstrap over repeats, from the sustained rates' low end to the lowest failed rates' high end (the search's step is part of it)`,
      `curve p99 = median of the per-second p99s of the measuring windows, interval by a two-level bootstrap (repeats, then seconds); p50 = median over repeats of each probe's p50`,
      `${real ? 'real Kafka' : "the librdkafka mock (embedded): its per-partition fetch behaviour is not Kafka's; figures a user compares with a cluster should come from real Kafka"}`,
      ...(split ? [split] : []),
      ...(measured.cutSearches > 0
        ? [
            `${measured.cutSearches} later-repeat search(es) stopped at their first sustained rate: the sweep ran behind its ${Math.round(budget.targetSec / 60)}-minute target (their brackets, and so the intervals, are wider)`,
          ]
        : []),
      ...(measured.cutCurvePoints > 0
        ? [
            `${measured.cutCurvePoints} later-repeat curve probe(s) left out for the same reason: each curve point's "repeats" says how many ran; its p99 interval then rests on fewer probes' per-second samples`,
          ]
        : []),
      `the machine is shared: 1-minute load average ${loadAverageAtStart.toFixed(2)} at the start, ${os.loadavg()[0]!.toFixed(2)} at the end (${cpus} CPUs)`,
    ],
  };
  return capacitySweepSchema.parse(sweep);
}

/**
 * Where a sweep's wall time went, as one line: each probe's boot, start-up, sending and end
 * (flush, drain, close) summed, and what is left between probes (cluster start, topic resets, deletion).
 */
export function wallTimeSplit(probes: readonly SweepProbe[], wallSec: number): string | null {
  const timed = probes.filter((p) => p.timings);
  if (timed.length === 0 || wallSec <= 0) return null;
  const sum = { boot: 0, startup: 0, sending: 0, end: 0 };
  for (const p of timed) {
    sum.boot += p.timings!.bootSec;
    sum.startup += p.timings!.startupSec;
    sum.sending += p.timings!.sendingSec;
    sum.end += p.timings!.endSec;
  }
  const between = Math.max(0, wallSec - probes.reduce((a, p) => a + p.wallSec, 0));
  const part = (label: string, sec: number): string => `${label} ${Math.round(sec)} s (${Math.round((sec / wallSec) * 100)}%)`;
  return `wall time ${Math.round(wallSec)} s over ${probes.length} probes: ${[
    part('sending', sum.sending),
    part('start-up (topic, group join, priming, JIT)', sum.startup),
    part('process boot', sum.boot),
    part('flush, drain and close', sum.end),
    part('between probes', between),
  ].join(', ')}`;
}

import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deleteTopics, skipGroupToEnd } from '../../kafka/topic-cleanup.js';
import { alertsTopic, deadLetterTopic } from '../../ingest/ingest-session.js';
import { groupIdFor } from '../../run/load-test.js';
import { capacitySweepSchema, type CapacitySweep, type SweepSetting } from '../../run/sweep-result.js';
import { ChildRunner } from '../probe.js';
import { DEFAULT_CRITERIA, type SustainCriteria } from '../types.js';
import { measureSettings } from './capacity-sweep.js';
import { runChildProbe } from './child-probe.js';
import { DEFAULT_BUDGET, type ProbeFn, type SweepBudget } from './sweep-types.js';

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
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
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

  const prefix = `firehose-sweep-${stamp()}`;
  const topics = new Map<string, string>();
  const used = new Set<string>();
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
  // A probe that was not sustained may leave records unread (its drain gave up): the group moves
  // to the end of the topic before the next probe of that setting. A sustained one read everything.
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
      used.add(request.topic);
      if (!record.sustained) leftovers.add(request.topic);
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
    topicFor: (label) => {
      if (!real) return null;
      const name = topics.get(label) ?? `${prefix}-${label}`;
      topics.set(label, name);
      return name;
    },
    log: config.log,
    shouldStop: () => runner.stopped,
  });

  let topicNote =
    'embedded mock: each probe ran its own in-process cluster, gone with the probe (the mock cannot delete topics; nothing is left behind)';
  if (real) {
    const all = [...used].flatMap((t) => [t, deadLetterTopic(t), alertsTopic(t)]);
    if (config.keepTopics) topicNote = `kept (--keep-topics): ${all.join(', ')}`;
    else {
      try {
        const deleted = await deleteTopics(config.brokers, all);
        topicNote = `deleted after the sweep: ${deleted.join(', ') || 'none'}`;
      } catch (error) {
        topicNote = `NOT deleted (${error instanceof Error ? error.message : String(error)}): ${all.join(', ')}`;
      }
    }
    config.log(`topics ${topicNote}`);
  }

  const c = criteria;
  const sweep: CapacitySweep = {
    tool: 'tick-firehose',
    kind: 'sweep',
    mode: 'find-capacity',
    version: 2,
    status: measured.interrupted ? 'interrupted' : 'ok',
    startedAt,
    finishedAt: new Date().toISOString(),
    wallSec: Math.round((Date.now() - started) / 100) / 10,
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
      `sustained = as in firehose bench: nothing lost, evicted or failed, analysed ≥ ${Math.round(c.minAnalysedFraction * 100)}% of offered; after a ${budget.warmupSec} s warm-up, every second's p99 ≤ ${c.maxP99Us / 1000} ms over the ${budget.windowSec} s window, lag at the end ≤ ${c.maxFinalLagSec} s of ticks and grown by ≤ ${c.maxLagGrowthSec} s`,
      `capacity = median over ${config.repeat} repeat(s) of the highest sustained rate; interval = 95% bootstrap over repeats, from the sustained rates' low end to the lowest failed rates' high end (the search's step is part of it)`,
      `curve p99 = median of the per-second p99s of the measuring windows, interval by a two-level bootstrap (repeats, then seconds); p50 = median over repeats of each probe's p50`,
      `${real ? 'real Kafka' : "the librdkafka mock (embedded): its per-partition fetch behaviour is not Kafka's; figures a user compares with a cluster should come from real Kafka"}`,
      `the machine is shared: 1-minute load average ${loadAverageAtStart.toFixed(2)} at the start, ${os.loadavg()[0]!.toFixed(2)} at the end (${cpus} CPUs)`,
    ],
  };
  return capacitySweepSchema.parse(sweep);
}

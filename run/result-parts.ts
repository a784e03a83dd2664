import { addCounters, analyticsCountersZero } from '../analytics/frame-analyzer.js';
import { addInjectedCounts, injectedCountsZero, type InjectedTruth } from '../analytics/ground-truth.js';
import type { StoredRunConfig } from './run-config.js';
import type { WorkerStage } from '../ingest/worker-protocol.js';
import { STAGES } from '../ingest/worker-protocol.js';
import { emptyProduceStats, type ProduceStats } from '../loadgen/load-generator.js';
import type { FairValueStreamSpec } from '../loadgen/fair-value-market.js';
import { countBits, decodeSeenBits, unionBits } from '../metrics/delivery-ledger.js';
import { createMergeHistogram, mergeEncoded, type Histogram } from '../metrics/latency-histogram.js';
import { SUMMED_CONSUME_COUNTS, type IngestPart } from '../ingest/ingest-part.js';
import { buildRunResult, sendingBehind, type RunRecorded, type RunResult } from './run-result.js';
import { attachRunQuality, MAX_SCORED_TICKS, scoreRunQuality } from './run-quality.js';
import { FirehoseError } from '../kafka/errors.js';
import type { TimelinePoint } from '../ingest/stats-collector.js';

/** What a producing process knows at the end (serialisable). */
export interface LoadgenPart {
  sourceId: number;
  generated: number;
  stats: ProduceStats;
  /** Encoded histogram of send → acknowledgement, µs. */
  produceHistogram: string;
  interrupted: boolean;
  /** The labelled anomalies this generator injected (analytics ground truth); null for a clean stream. */
  injected?: InjectedTruth | null;
  /**
   * Fair-value market: what regenerates this generator's stream and its hidden truth (a few
   * numbers), scored at merge against the ingest parts' detections (run/run-quality.ts).
   */
  truth?: FairValueStreamSpec | null;
}

/** The file `firehose loadgen` and `firehose ingest` write; `report merge` combines them. */
export interface PartResult {
  tool: 'tick-firehose';
  version: 1;
  /** Layout of this file (RESULT_SCHEMA_VERSION); absent in older files. */
  schemaVersion?: number;
  role: 'loadgen' | 'ingest';
  startedAt: string;
  finishedAt: string;
  config: StoredRunConfig;
  cluster: RunResult['cluster'];
  loadgen?: LoadgenPart;
  ingest?: IngestPart;
  timeline: TimelinePoint[];
}

export interface MergeInput {
  config: StoredRunConfig;
  startedAt: string;
  finishedAt: string;
  cluster: PartResult['cluster'];
  loadgens: LoadgenPart[];
  ingests: IngestPart[];
  timeline: TimelinePoint[];
  /** Where each ingest part came from (file names), for error messages. */
  ingestNames?: string[];
  /** Fair-value market: ticks per source scored against the regenerated truth (default MAX_SCORED_TICKS). */
  qualityTickLimit?: number;
  /** What the run recorded beside the parts (an in-process run; `report merge` has none). */
  recorded?: RunRecorded;
  /** `report merge`: settings the part files ran with differently, one line each. */
  partsDisagree?: string[];
}

/** Ledger bytes a part may hold beyond its source's produced ticks (8M ticks). */
const LEDGER_SLACK_BYTES = 1024 * 1024;

function sumInto(target: number[], index: number, value: number): void {
  while (target.length <= index) target.push(0);
  target[index]! += value;
}

/**
 * Combines the producing and consuming sides, from one process or many, into one result:
 * histograms merged exactly, counts summed, and loss judged against the union of every
 * consumer's seen-bits so a tick counts as lost only if no process analysed it.
 */
export function mergeRunParts(input: MergeInput): RunResult {
  const { config, loadgens, ingests } = input;
  const partitions = Math.max(config.partitions, ...ingests.flatMap((i) => Object.keys(i.consumedByPartition).map((p) => Number(p) + 1)));

  const produce = emptyProduceStats(
    partitions,
    Math.min(...loadgens.map((l) => l.stats.startUs)),
    Math.max(...loadgens.map((l) => l.stats.lastSentUs)),
  );
  const produceLatency = createMergeHistogram();
  let generated = 0;
  for (const l of loadgens) {
    generated += l.generated;
    produce.produced += l.stats.produced;
    produce.acked += l.stats.acked;
    produce.failed += l.stats.failed;
    produce.indeterminate += l.stats.indeterminate ?? 0;
    produce.framesAcked += l.stats.framesAcked;
    produce.firstError ??= l.stats.firstError;
    l.stats.ackedByPartition.forEach((n, p) => sumInto(produce.ackedByPartition, p, n));
    l.stats.endOffsetByPartition.forEach((o, p) => {
      produce.endOffsetByPartition[p] = Math.max(produce.endOffsetByPartition[p] ?? -1, o);
    });
    mergeEncoded(produceLatency, l.produceHistogram);
  }

  const e2eByPartition = new Map<number, Histogram>();
  const stages = Object.fromEntries(STAGES.map((s) => [s, createMergeHistogram()])) as Record<WorkerStage, Histogram>;
  const counters = analyticsCountersZero();
  const warmup = createMergeHistogram();
  let warmupMeasured = false;
  const consumedByPartition = new Array<number>(partitions).fill(0);
  const sums = Object.fromEntries(SUMMED_CONSUME_COUNTS.map((k) => [k, 0])) as Record<(typeof SUMMED_CONSUME_COUNTS)[number], number>;
  let unchecked = 0,
    seenTotal = 0;
  let firstConsumedUs = Number.POSITIVE_INFINITY,
    lastConsumedUs = 0;
  const errors: string[] = [];
  for (const i of ingests) {
    // Parts written before a count existed simply lack it.
    for (const k of SUMMED_CONSUME_COUNTS) sums[k] += i[k] ?? 0;
    unchecked += i.unchecked;
    seenTotal += i.consumedTicks - i.unchecked;
    if (i.firstConsumedUs > 0) firstConsumedUs = Math.min(firstConsumedUs, i.firstConsumedUs);
    lastConsumedUs = Math.max(lastConsumedUs, i.lastConsumedUs);
    errors.push(...i.errors);
    addCounters(counters, i.counters);
    for (const [p, n] of Object.entries(i.consumedByPartition)) sumInto(consumedByPartition, Number(p), n);
    for (const [p, encoded] of Object.entries(i.histograms.e2eByPartition)) {
      let h = e2eByPartition.get(Number(p));
      if (!h) {
        h = createMergeHistogram();
        e2eByPartition.set(Number(p), h);
      }
      mergeEncoded(h, encoded);
    }
    for (const s of STAGES) mergeEncoded(stages[s], i.histograms.stages[s]);
    if (i.histograms.warmup !== undefined) {
      warmupMeasured = true;
      mergeEncoded(warmup, i.histograms.warmup);
    }
  }

  // Distinct ticks: the union of every consumer's bits, per source, below what that source produced.
  // Two loadgens with one source id write the same seqs: their ticks cannot be told apart.
  const sourceIds = new Set<number>();
  for (const l of loadgens) {
    if (sourceIds.has(l.sourceId)) {
      throw new FirehoseError(
        'BAD_OPTION',
        `two loadgen parts have --source-id ${l.sourceId}: their ticks share seqs, so loss and duplicates cannot be counted (give each loadgen its own --source-id)`,
      );
    }
    sourceIds.add(l.sourceId);
  }
  let distinctConsumed = 0;
  for (const l of loadgens) {
    // Bits past what the source produced are never counted; a little slack for a consumer that saw more (an older run on the topic).
    const maxBytes = Math.ceil(l.stats.produced / 8) + LEDGER_SLACK_BYTES;
    const bits = unionBits(
      ingests.flatMap((i, index) => {
        const encoded = i.ledger.seen[String(l.sourceId)];
        if (encoded === undefined) return [];
        try {
          return [decodeSeenBits(encoded, maxBytes)];
        } catch (error) {
          throw new FirehoseError(
            'BAD_OPTION',
            `${input.ingestNames?.[index] ?? `ingest part ${index + 1}`}: ingest.ledger.seen.${l.sourceId} ${(error as Error).message}`,
          );
        }
      }),
    );
    distinctConsumed += countBits(bits, l.stats.produced);
  }
  // The analytics' ground truth: counts summed over the generators; the venues' noise and faults
  // are the same for every generator of one seed, so the first one's are taken.
  const truths = loadgens.map((l) => l.injected).filter((t): t is InjectedTruth => t != null);
  const injected: InjectedTruth | null =
    truths.length === 0
      ? null
      : {
          counts: truths.reduce((sum, t) => addInjectedCounts(sum, t.counts), injectedCountsZero()),
          sources: truths[0]!.sources,
        };

  const result = buildRunResult({
    config,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    cluster: input.cluster,
    generated,
    produce,
    produceLatency,
    consumed: {
      ...sums,
      firstConsumedUs: Number.isFinite(firstConsumedUs) ? firstConsumedUs : 0,
      lastConsumedUs,
      consumedByPartition,
      errors,
      // Seen by some process more than once: every analysed tick beyond the distinct ones.
      duplicates: Math.max(0, seenTotal - distinctConsumed),
      unchecked,
      counters,
      e2eByPartition,
      stages,
      warmup: warmupMeasured ? warmup : null,
    },
    distinctConsumed,
    injected,
    timeline: input.timeline,
    interrupted: loadgens.some((l) => l.interrupted),
    recorded: input.recorded ?? {},
    partsDisagree: input.partsDisagree ?? [],
    sendingBehind: loadgens.flatMap((l) => {
      const behind = sendingBehind(l.stats, config.rate);
      return behind === null ? [] : [loadgens.length > 1 ? `source ${l.sourceId}: ${behind}` : behind];
    }),
  });
  // Fair-value market: the generators' streams regenerated with their truth, scored against what the ingest side flagged.
  const fair = loadgens.filter((l) => l.truth != null);
  const quality = scoreRunQuality(
    fair.map((l) => l.truth!),
    fair.map((l) => l.sourceId),
    ingests.flatMap((i) => (i.detections ? [i.detections] : [])),
    counters,
    input.qualityTickLimit ?? MAX_SCORED_TICKS,
  );
  if (quality !== null) attachRunQuality(result, quality);
  return result;
}

/**
 * Settings that must match across the processes of one run for its figures to mean anything: the
 * ingest side picks its stall rule from its own --market, while the score regenerates the loadgen's.
 */
const SETTINGS_PARTS_SHARE = ['market'] as const;

function disagreements(parts: PartResult[], names: string[]): string[] {
  return SETTINGS_PARTS_SHARE.flatMap((key) => {
    const values = parts.map((p) => String(p.config[key] ?? 'unset'));
    if (new Set(values).size <= 1) return [];
    const named = values.map((value, i) => `${names[i] ?? `part ${i + 1}`} ${value}`);
    return [`the parts ran with different --${key}: ${named.join(', ')}; the analytics figures mix them`];
  });
}

/** `report merge`: the result of several part files (any number of loadgen and ingest processes). */
export function mergePartFiles(parts: PartResult[], names: string[] = []): RunResult {
  const loadgens = parts.flatMap((p) => (p.role === 'loadgen' && p.loadgen ? [p.loadgen] : []));
  const ingestParts = parts.flatMap((p, i) =>
    p.role === 'ingest' && p.ingest ? [{ part: p.ingest, name: names[i] ?? `part ${i + 1}` }] : [],
  );
  if (loadgens.length === 0)
    throw new FirehoseError('BAD_OPTION', 'report merge needs at least one loadgen part (loadgen-<source-id>.json)');
  const first = parts.find((p) => p.role === 'loadgen') ?? parts[0]!;
  const ingests = ingestParts.map((i) => i.part);
  return mergeRunParts({
    ingestNames: ingestParts.map((i) => i.name),
    config: first.config,
    startedAt: parts.map((p) => p.startedAt).sort()[0]!,
    finishedAt: parts
      .map((p) => p.finishedAt)
      .sort()
      .at(-1)!,
    cluster: first.cluster,
    loadgens,
    ingests,
    timeline: parts.length === 1 ? first.timeline : [],
    partsDisagree: disagreements(parts, names),
  });
}

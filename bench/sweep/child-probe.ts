import os from 'node:os';
import path from 'node:path';
import { type ChildRunner, isMarginalFailure, judgeProbe, parseJsonOutput, type ChildRun } from '../probe.js';
import type { ProbeOutput, SustainCriteria } from '../types.js';
import type { LatencySummary } from '../../metrics/latency-histogram.js';
import type { SweepProbe } from '../../run/sweep-result.js';
import { sampleThreadCpu, type ThreadCpu } from './thread-cpu.js';
import type { ProbeRequest } from './sweep-types.js';

/** The fields of a `firehose run --json` result the sweep reads beyond what `bench` judges. */
interface RunOutput extends ProbeOutput {
  startedAt: string;
  finishedAt: string;
  startup?: { step: string; ms: number }[];
  throughput: ProbeOutput['throughput'] & { producedTicksPerSec: number };
  latency: ProbeOutput['latency'] & Partial<Record<'schedule' | 'produce' | 'transport' | 'queue' | 'analytics', LatencySummary>>;
}

export interface ChildProbeOptions {
  runner: ChildRunner;
  criteria: SustainCriteria;
  warmupSec: number;
  windowSec: number;
  drainTimeoutSec: number;
  /** What every probe is given as --brokers ('embedded' or host:port,...). */
  brokers: string;
  /** Options passed through to every `firehose run` (market, batching, acks...). */
  passThrough: string[];
  /** Where each probe's result.json goes. */
  runsDir: string;
}

/** The per-second p99s of the measuring window: after the warm-up, while sending, without the final after-drain point. */
export function windowP99s(output: ProbeOutput, warmupSec: number): number[] {
  const sendingEnd = output.config.durationSec + 0.3;
  return output.timeline
    .slice(0, -1)
    .filter((p) => p.t > warmupSec + 0.05 && p.t <= sendingEnd && p.p99Us > 0)
    .map((p) => p.p99Us);
}

const tenths = (sec: number): number => Math.max(0, Math.round(sec * 10) / 10);

/**
 * Splits a probe's wall time: boot (process start, modules, config: from the spawn to the run's
 * start), the run's own start-up steps, the schedule, and the end (flush, drain, result, close and
 * exit). `spawnedAtMs` is when the child was spawned.
 */
export function probeTimings(
  output: Pick<RunOutput, 'startedAt' | 'finishedAt' | 'startup'>,
  spawnedAtMs: number,
  wallSec: number,
  durationSec: number,
): NonNullable<SweepProbe['timings']> {
  const runSec = (Date.parse(output.finishedAt) - Date.parse(output.startedAt)) / 1000;
  const startupSec = (output.startup ?? []).reduce((sum, s) => sum + s.ms, 0) / 1000;
  const sendingSec = Math.min(durationSec, Math.max(0, runSec - startupSec));
  const bootSec = Math.min(wallSec, Math.max(0, (Date.parse(output.startedAt) - spawnedAtMs) / 1000));
  return {
    bootSec: tenths(bootSec),
    startupSec: tenths(startupSec),
    sendingSec: tenths(sendingSec),
    endSec: tenths(wallSec - bootSec - startupSec - sendingSec),
  };
}

/**
 * One probe: `firehose run` as a child process at one offered rate, judged with `bench`'s sustain
 * criteria, its threads' CPU sampled from outside while it runs. A child that produced no result
 * at all is run once more (a crash at start-up is not a verdict on the rate).
 */
export async function runChildProbe(options: ChildProbeOptions, request: ProbeRequest): Promise<SweepProbe> {
  const durationSec = options.warmupSec + options.windowSec;
  const s = request.setting;
  const tag = `${request.label}-${request.phase}-r${request.repeat}-${Math.round(request.rate)}`;
  const args = [
    'run',
    '--json',
    '--no-progress',
    '--brokers',
    options.brokers,
    '--partitions',
    String(s.partitions),
    '--workers',
    String(s.workers),
    '--client',
    s.client,
    '--ticks-per-record',
    String(s.ticksPerRecord),
    '--rate',
    String(Math.round(request.rate)),
    '--duration',
    String(durationSec),
    // --force: a probe retried after a crash replaces its own earlier files.
    '--drain-timeout',
    String(options.drainTimeoutSec),
    '--out',
    path.join(options.runsDir, tag),
    '--force',
    ...options.passThrough,
  ];
  if (request.topic !== null) args.push('--topic', request.topic);
  const base = { phase: request.phase, repeat: request.repeat, rate: request.rate };
  for (let attempt = 0; ; attempt++) {
    let stopSampling: () => ThreadCpu | null = () => null;
    let run: ChildRun;
    const spawnedAtMs = Date.now();
    try {
      run = await options.runner.run(args, durationSec + options.drainTimeoutSec + 30, (child) => {
        if (child.pid !== undefined) stopSampling = sampleThreadCpu(child.pid);
      });
    } catch (error) {
      return { ...base, sustained: false, reasons: [error instanceof Error ? error.message : String(error)], wallSec: 0 };
    }
    const cpu = stopSampling();
    const output = parseJsonOutput<RunOutput>(run.stdout);
    if (output === null && !run.timedOut && !options.runner.stopped && attempt === 0) continue;
    const judged = judgeProbe(request.rate, durationSec, options.warmupSec, run, output, options.criteria);
    const probe: SweepProbe = {
      ...base,
      sustained: judged.sustained,
      reasons: judged.reasons,
      wallSec: judged.wallSec,
      loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
    };
    if (!judged.sustained) probe.marginal = isMarginalFailure(judged, options.criteria);
    if (output) {
      probe.timings = probeTimings(output, spawnedAtMs, run.wallSec, durationSec);
      probe.lost = output.ticks.lost;
      probe.ticksPerSec = output.throughput.ticksPerSec;
      probe.producedTicksPerSec = output.throughput.producedTicksPerSec;
      probe.p50 = output.latency.e2e.p50;
      probe.p99 = output.latency.e2e.p99;
      probe.windowP99s = windowP99s(output, options.warmupSec);
      const stages: Record<string, number> = {};
      for (const stage of ['schedule', 'produce', 'transport', 'queue', 'analytics'] as const) {
        const summary = output.latency[stage];
        if (summary) stages[stage] = summary.p99;
      }
      probe.stagesP99 = stages;
    }
    if (cpu) Object.assign(probe, cpu);
    return probe;
  }
}

import type { CurvePoint, SweepEntryResult, SweepProbe, SweepSetting, SweepVerdict } from '../../run/sweep-result.js';
import { roundRate, searchMaxRate, type SearchPlan } from '../rate-search.js';
import { median, medianInterval, medianOfRepeats } from './interval.js';
import { limitingProbe, limitingSide } from './limiting-side.js';
import { RoundRobin } from './round-robin.js';
import { maxProbesPerSetting, type ProbeFn, type ProbeRequest, type SweepBudget } from './sweep-types.js';
import { decideVerdict } from './verdict.js';

export interface MeasureOptions {
  settings: readonly SweepSetting[];
  repeat: number;
  budget: SweepBudget;
  maxP99Us: number;
  targetRate: number | null;
  probe: ProbeFn;
  /** The setting's topic on a real cluster, null on the mock. */
  topicFor(label: string): string | null;
  cpus: number;
  log(line: string): void;
  shouldStop(): boolean;
  /** Milliseconds; injected so tests can check the ETA. */
  now?(): number;
}

export interface Measured {
  entries: SweepEntryResult[];
  verdict: SweepVerdict;
  interrupted: boolean;
  probesRun: number;
  /** Later repeats' searches ended early because the sweep ran behind its time target. */
  cutSearches: number;
  /** Curve probes of later repeats left out for the same reason. */
  cutCurvePoints: number;
}

export function settingLabel(s: SweepSetting): string {
  return `${s.partitions}p-${s.workers}w-${s.client}-${s.ticksPerRecord}tpr`;
}

const fmtRate = (n: number): string =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M/s` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k/s` : `${Math.round(n)}/s`;
const fmtMs = (us: number | undefined): string =>
  us === undefined ? '-' : us >= 10_000 ? `${Math.round(us / 1000)} ms` : `${(us / 1000).toFixed(1)} ms`;
const clock = (sec: number): string => {
  const whole = Math.round(sec);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
};

/**
 * Capacity and latency–throughput curves for every setting. Each setting is one task: N capacity
 * searches (the first a ramp and bisection, later ones finer steps around the median so far), then
 * N probes at each fraction of its median capacity; the tasks' probes run one at a time, taken in
 * turn, so settings and repeats interleave. The capacity is the median over repeats of the highest
 * sustained rate, its interval a bootstrap over repeats running from the sustained rates' low end
 * to the failed rates' high end (so the search's step size is part of it).
 */
export async function measureSettings(options: MeasureOptions): Promise<Measured> {
  const now = options.now ?? (() => Date.now());
  const started = now();
  const budget = options.budget;
  const turns = new RoundRobin();
  const remaining = options.settings.map(() => maxProbesPerSetting(budget, options.repeat));
  let done = 0;
  let interrupted = false;
  /** Wall time the probes so far say the rest of the sweep needs, seconds (the estimate before any probe ran). */
  const projectedSec = (): number => {
    const elapsedSec = (now() - started) / 1000;
    const perProbe = done > 0 ? elapsedSec / done : budget.warmupSec + budget.windowSec + budget.probeOverheadSec;
    return elapsedSec + perProbe * remaining.reduce((a, b) => a + b, 0);
  };
  const behind = (): boolean => projectedSec() > budget.targetSec;
  let cutSearches = 0;
  let cutCurvePoints = 0;

  const entries = await Promise.all(
    options.settings.map(async (setting, task): Promise<SweepEntryResult> => {
      const label = settingLabel(setting);
      const topic = options.topicFor(label);
      const probes: SweepProbe[] = [];
      const probe = (phase: SweepProbe['phase'], repeat: number, rate: number): Promise<SweepProbe> =>
        turns.turn(task, async () => {
          const request: ProbeRequest = { setting, label, topic, rate, repeat, phase };
          const record = await options.probe(request);
          probes.push(record);
          remaining[task] = Math.max(0, remaining[task]! - 1);
          done++;
          const elapsedSec = (now() - started) / 1000;
          const left = remaining.reduce((a, b) => a + b, 0);
          const eta = done > 0 ? (elapsedSec / done) * left : 0;
          const figures =
            record.ticksPerSec === undefined
              ? ''
              : ` (analysed ${fmtRate(record.ticksPerSec)}, p50 ${fmtMs(record.p50)}, worst second's p99 ${fmtMs(Math.max(0, ...(record.windowP99s ?? [])) || record.p99)})`;
          options.log(
            `[${done}/${done + left} ${clock(elapsedSec)} ETA ${clock(eta)}] ${label} ${phase} ${repeat}/${options.repeat} at ${fmtRate(rate)}: ${record.sustained ? 'sustained' : `NOT sustained: ${record.reasons.join('; ')}`}${figures} [${record.wallSec} s${record.timings ? `: boot ${record.timings.bootSec}, start ${record.timings.startupSec}, send ${record.timings.sendingSec}, end ${record.timings.endSec}` : ''}]`,
          );
          return record;
        });

      const perRepeat: SweepEntryResult['capacity']['perRepeat'] = [];
      const cutRepeats = new Set<number>();
      for (let repeat = 1; repeat <= options.repeat; repeat++) {
        if (options.shouldStop()) {
          interrupted = true;
          break;
        }
        const bests = perRepeat.map((r) => r.best).filter((b) => b > 0);
        const plan: SearchPlan =
          repeat === 1 || bests.length === 0
            ? budget.firstSearch
            : {
                ...budget.firstSearch,
                startRate: roundRate(median(bests)),
                growth: budget.refineGrowth,
                resolution: budget.refineResolution,
                maxProbes: budget.refineProbes,
              };
        let retriesLeft = budget.searchRetries;
        let searchProbes = 0;
        let passed = false;
        let cut = false;
        const outcome = await searchMaxRate(
          async (rate) => {
            for (;;) {
              const record = await probe('search', repeat, rate);
              searchProbes++;
              passed ||= record.sustained;
              if (record.sustained || !record.marginal || retriesLeft <= 0 || options.shouldStop() || behind()) return record.sustained;
              retriesLeft--;
              options.log(
                `  ${label}: failed only on lag or p99 with nothing lost: probing ${fmtRate(rate)} once more before believing it`,
              );
            }
          },
          plan,
          () => {
            if (options.shouldStop()) return true;
            // Behind the time target: a later repeat's search ends at its first sustained rate (the
            // bracket stays wider). Never before one: a repeat that failed once at the first repeat's
            // capacity has only an upper bound, and counting it as 0 would drag the median to 0.
            cut = repeat > 1 && passed && behind();
            return cut;
          },
        );
        if (outcome.stoppedEarly && options.shouldStop()) interrupted = true;
        if (cut) {
          cutSearches++;
          cutRepeats.add(perRepeat.length);
        }
        // Probes this search did not need are no longer part of the estimate.
        const planned = (repeat === 1 ? budget.firstSearch.maxProbes : budget.refineProbes) + budget.searchRetries;
        remaining[task] = Math.max(0, remaining[task]! - (planned - searchProbes));
        perRepeat.push({ best: outcome.best, lowestFailed: outcome.lowestFailed, probes: searchProbes });
      }

      const bests = perRepeat.map((r) => r.best);
      const sustained = medianOfRepeats(bests);
      // A search cut for time at a sustained rate never saw a failure above it: its upper end is
      // taken one search step up (where it would have probed next), not at the rate it passed.
      const failed = medianOfRepeats(
        perRepeat.map((r, i) => r.lowestFailed ?? (cutRepeats.has(i) ? r.best * budget.refineGrowth : r.best)),
      );
      const capacity = {
        ticksPerSec: Number.isFinite(sustained.median) ? sustained.median : 0,
        low: Number.isFinite(sustained.low) ? sustained.low : 0,
        high: Number.isFinite(failed.high) ? Math.max(failed.high, sustained.median) : 0,
        perRepeat,
      };

      const curve: CurvePoint[] = [];
      if (capacity.ticksPerSec > 0) {
        const rates = budget.fractions.map((f) => ({ fraction: f, rate: roundRate(f * capacity.ticksPerSec) }));
        for (let repeat = 1; repeat <= options.repeat && !options.shouldStop(); repeat++) {
          for (const { rate } of rates) {
            if (options.shouldStop()) {
              interrupted = true;
              break;
            }
            // Behind the time target: a point measured once already is not measured again (its
            // interval then rests on that probe's per-second samples; `repeats` says how many ran).
            if (repeat > 1 && behind()) {
              cutCurvePoints++;
              remaining[task] = Math.max(0, remaining[task]! - 1);
              continue;
            }
            await probe('curve', repeat, rate);
          }
        }
        for (const { fraction, rate } of rates) {
          const at = probes.filter((p) => p.phase === 'curve' && p.rate === rate && p.p50 !== undefined);
          if (at.length === 0) continue;
          const p50 = medianOfRepeats(at.map((p) => p.p50!));
          const p99 = medianInterval(at.map((p) => (p.windowP99s && p.windowP99s.length > 0 ? p.windowP99s : [p.p99 ?? 0])));
          curve.push({
            fraction,
            offered: rate,
            p50: p50.median,
            p50Low: p50.low,
            p50High: p50.high,
            p99: p99.median,
            p99Low: p99.low,
            p99High: p99.high,
            sustained: at.filter((p) => p.sustained).length,
            repeats: at.length,
          });
        }
      }
      remaining[task] = 0;
      const which = limitingProbe(probes, capacity.ticksPerSec);
      return {
        label,
        settings: setting,
        beyondCores: setting.partitions > options.cpus,
        topic,
        capacity,
        curve,
        limitedBy: which ? limitingSide(which, options.cpus) : null,
        probes,
      };
    }),
  );

  const verdict = decideVerdict(entries, { targetRate: options.targetRate, maxP99Us: options.maxP99Us });
  return { entries, verdict, interrupted: interrupted || options.shouldStop(), probesRun: done, cutSearches, cutCurvePoints };
}

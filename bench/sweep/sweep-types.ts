import type { SweepProbe, SweepSetting } from '../../run/sweep-result.js';
import type { SearchPlan } from '../rate-search.js';

/** One probe the sweep asks for. */
export interface ProbeRequest {
  setting: SweepSetting;
  label: string;
  /** The setting's topic on a real cluster; null on the embedded mock. */
  topic: string | null;
  rate: number;
  repeat: number;
  phase: SweepProbe['phase'];
}

/** Runs one probe and judges it (a child `firehose run` in the product; a model in tests). */
export type ProbeFn = (request: ProbeRequest) => Promise<SweepProbe>;

/** The search budget: how long probes are, how many of them, at which loads. */
export interface SweepBudget {
  warmupSec: number;
  windowSec: number;
  drainTimeoutSec: number;
  /** The first repeat's search: a geometric ramp, then bisection. */
  firstSearch: SearchPlan;
  /** Later repeats search again around the earlier repeats' median, with finer steps and fewer probes. */
  refineGrowth: number;
  refineResolution: number;
  refineProbes: number;
  /** Search probes that failed only on lag or p99 with nothing lost are run once more, this many times per search (bench's rule). */
  searchRetries: number;
  /** Latency is measured at these shares of each setting's median capacity. */
  fractions: number[];
  /** Boot, start-up, drain, close and the work between probes, beyond the sending time, seconds (for estimates before any probe ran). */
  probeOverheadSec: number;
  /**
   * The whole sweep's target, seconds. Once the probes measured so far say it would be passed, later
   * repeats' searches stop at their first sustained rate (a wider bracket, so a wider interval) and later
   * repeats of curve points are left out; the first search and first curve of each setting always run.
   */
  targetSec: number;
}

/**
 * Sized for `sweep --find-capacity --partitions 1,4,16 --repeat 3` within 15 minutes on 2 shared
 * cores. Measured on the 1-node local cluster at load average ~10 (sweep of 29 Nov, 09:23 UTC):
 * a probe of 1 + 3 s sending took 5.5–16 s of wall time (boot ~1 s, start-up 0.6–3.4 s of which
 * priming 0.3–2.5 s, flush/drain/close 1–6 s) and ~2 s more between probes: ~11 s a probe.
 * Per setting: ≤ 7 (+1 retry) first-search probes, 2 × ≤ 3 refine probes, 3 × 3 curve points.
 */
export const DEFAULT_BUDGET: Readonly<SweepBudget> = Object.freeze({
  warmupSec: 1,
  windowSec: 3,
  // A sustained probe ends with ≤ 1 s of lag, read in about a second; only overloaded ones wait this long.
  drainTimeoutSec: 3,
  firstSearch: { startRate: 200_000, growth: 2, minRate: 2_000, maxRate: 20_000_000, maxProbes: 7, resolution: 0.15 },
  refineGrowth: 1.15,
  refineResolution: 0.08,
  refineProbes: 3,
  searchRetries: 1,
  fractions: [0.25, 0.5, 0.75],
  probeOverheadSec: 7,
  targetSec: 14 * 60,
});

/** The most probes one setting can take over the whole sweep. */
export function maxProbesPerSetting(budget: SweepBudget, repeat: number): number {
  return budget.firstSearch.maxProbes + (repeat - 1) * budget.refineProbes + repeat * (budget.searchRetries + budget.fractions.length);
}

/** A pessimistic wall-clock estimate of a whole sweep, seconds (every search runs to its probe limit). */
export function estimateSweepSec(settings: number, repeat: number, budget: SweepBudget): number {
  return settings * maxProbesPerSetting(budget, repeat) * (budget.warmupSec + budget.windowSec + budget.probeOverheadSec);
}

/** Plumbing only (tests): low rates, short probes, two search probes and one curve point. */
export const TINY_BUDGET: Readonly<SweepBudget> = Object.freeze({
  warmupSec: 0,
  windowSec: 1.5,
  drainTimeoutSec: 5,
  firstSearch: { startRate: 2_000, growth: 2, minRate: 500, maxRate: 4_000, maxProbes: 2, resolution: 1 },
  refineGrowth: 2,
  refineResolution: 1,
  refineProbes: 1,
  searchRetries: 0,
  fractions: [0.5],
  probeOverheadSec: 3,
  targetSec: 15 * 60,
});

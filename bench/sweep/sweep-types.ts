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
  /** Latency is measured at these shares of each setting's median capacity. */
  fractions: number[];
  /** Start-up, priming and drain of one probe beyond its sending time, seconds (for estimates before any probe ran). */
  probeOverheadSec: number;
}

/**
 * Sized so that `sweep --find-capacity --partitions 1,4,16 --repeat 3` stays well under 15 minutes
 * on 2 shared cores: per setting 7 + 2×4 search probes and 3×3 curve probes of 1 + 3 s sending
 * each (about 6–9 s of wall time with start-up and drain): 72 probes, 7–11 minutes.
 */
export const DEFAULT_BUDGET: Readonly<SweepBudget> = Object.freeze({
  warmupSec: 1,
  windowSec: 3,
  drainTimeoutSec: 5,
  firstSearch: { startRate: 200_000, growth: 2, minRate: 2_000, maxRate: 20_000_000, maxProbes: 7, resolution: 0.15 },
  refineGrowth: 1.2,
  refineResolution: 0.08,
  refineProbes: 4,
  fractions: [0.25, 0.5, 0.75],
  probeOverheadSec: 4,
});

/** The most probes one setting can take over the whole sweep. */
export function maxProbesPerSetting(budget: SweepBudget, repeat: number): number {
  return budget.firstSearch.maxProbes + (repeat - 1) * budget.refineProbes + repeat * budget.fractions.length;
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
  fractions: [0.5],
  probeOverheadSec: 3,
});

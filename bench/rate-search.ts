/** How the search over offered rates goes. */
export interface SearchPlan {
  /** First rate probed. */
  startRate: number;
  /** Multiplier while every probe so far passed (ramp up). */
  growth: number;
  /**
   * Divisor while every probe so far failed (default: growth). A search that starts near the
   * expected rate climbs in small steps but must find a passing rate fast when the machine is slower.
   */
  shrink?: number;
  /** Below this, give up: nothing is sustained. */
  minRate: number;
  /** Never probe above this. */
  maxRate: number;
  /** Probes at most. */
  maxProbes: number;
  /** Stop once the lowest failing rate is within this fraction above the highest passing one (0.2 = 20%). */
  resolution: number;
}

export interface SearchOutcome {
  /** Highest rate that passed; 0 when none did. */
  best: number;
  /** Lowest rate that failed above `best`; null when none did. */
  lowestFailed: number | null;
  probes: number;
  stoppedEarly: boolean;
}

/** Rates as people write them: two significant digits (566,231 → 570,000). */
export function roundRate(rate: number): number {
  if (!(rate > 0)) return 0;
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(rate)) - 1);
  return Math.max(1, Math.round(rate / magnitude) * magnitude);
}

/**
 * Finds the highest sustainable rate: ramps geometrically until a rate fails (or down until one
 * passes), then bisects geometrically between the best pass and the lowest fail. The probe
 * decides what "sustained" means; `shouldStop` ends the search early (Ctrl-C).
 */
export async function searchMaxRate(
  probe: (rate: number) => Promise<boolean>,
  plan: SearchPlan,
  shouldStop: () => boolean = () => false,
): Promise<SearchOutcome> {
  let best = 0;
  let lowestFailed: number | null = null;
  let probes = 0;
  let rate = roundRate(Math.min(Math.max(plan.startRate, plan.minRate), plan.maxRate));
  while (probes < plan.maxProbes) {
    if (shouldStop()) return { best, lowestFailed, probes, stoppedEarly: true };
    const passed = await probe(rate);
    probes++;
    if (passed) best = Math.max(best, rate);
    else lowestFailed = lowestFailed === null ? rate : Math.min(lowestFailed, rate);

    let next: number;
    if (lowestFailed === null) {
      if (rate >= plan.maxRate) break;
      next = Math.min(plan.maxRate, rate * plan.growth);
    } else if (best === 0) {
      next = rate / (plan.shrink ?? plan.growth);
      if (next < plan.minRate) break;
    } else {
      if (lowestFailed <= best * (1 + plan.resolution)) break;
      next = Math.sqrt(best * lowestFailed);
    }
    next = roundRate(next);
    if (next === best || next === lowestFailed || next === rate) break;
    rate = next;
  }
  return { best, lowestFailed, probes, stoppedEarly: false };
}

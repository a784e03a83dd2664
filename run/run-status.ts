import type { RunResult } from './run-result.js';
import type { TimelinePoint } from '../ingest/stats-collector.js';

export type RunVerdict = 'ok' | 'interrupted' | 'overloaded';

export interface RunAssessment {
  verdict: RunVerdict;
  /** Why the run is not plainly ok, one short sentence each. */
  reasons: string[];
  /** Set when the consumer lag grew while sending (a reason the result's own warnings do not give). */
  lagGrowth: { from: number; to: number } | null;
}

/**
 * Calls a run overloaded when the consumer could not keep up with the offered rate: retention
 * evicted ticks before they were read, or the consumer lag kept growing while ticks were sent.
 * A bounded lag is normal (batching); only growth signals overload.
 */
export function assessRun(result: RunResult): RunAssessment {
  const reasons: string[] = [];
  if (result.status === 'interrupted') reasons.push('the run was interrupted before it finished');
  if (result.ticks.evicted > 0)
    reasons.push(`${result.ticks.evicted.toLocaleString('en-US')} ticks were evicted by retention before being read`);
  const growth = lagGrowth(result.timeline, result.throughput.offeredTicksPerSec);
  if (growth) {
    reasons.push(
      `consumer lag grew from ${growth.from.toLocaleString('en-US')} to ${growth.to.toLocaleString('en-US')} ticks while sending`,
    );
  }
  const verdict: RunVerdict = result.status === 'interrupted' ? 'interrupted' : reasons.length > 0 ? 'overloaded' : 'ok';
  return { verdict, reasons, lagGrowth: growth };
}

/**
 * Compares the lag at the end of sending with the typical lag over the first half of it.
 * The absolute floor (a quarter second of offered ticks) keeps batching jitter at low rates
 * from reading as growth.
 */
export function lagGrowth(timeline: readonly TimelinePoint[], offeredPerSec: number): { from: number; to: number } | null {
  const finalProduced = timeline.reduce((max, p) => Math.max(max, p.producedTicks), 0);
  const endIndex = timeline.findIndex((p) => p.producedTicks >= finalProduced);
  const sending = timeline.slice(0, endIndex + 1);
  if (sending.length < 3) return null;
  const firstHalf = sending
    .slice(0, Math.ceil(sending.length / 2))
    .map((p) => p.lagTicks)
    .sort((a, b) => a - b);
  const from = firstHalf[Math.floor(firstHalf.length / 2)] ?? 0;
  const to = sending[sending.length - 1]?.lagTicks ?? 0;
  const floor = Number.isFinite(offeredPerSec) && offeredPerSec > 0 ? offeredPerSec / 4 : 0;
  return to > 2 * from && to > floor ? { from, to } : null;
}

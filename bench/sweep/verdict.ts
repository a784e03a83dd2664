import type { SweepEntryResult, SweepVerdict } from '../../run/sweep-result.js';
import { overlaps } from './interval.js';

type Entry = Pick<SweepEntryResult, 'label' | 'settings' | 'capacity' | 'curve' | 'limitedBy' | 'beyondCores'>;

const rate = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${Math.round(n / 1e3)}k` : `${Math.round(n)}`);
const ms = (us: number): string => (us >= 10_000 ? `${Math.round(us / 1000)} ms` : `${(us / 1000).toFixed(1)} ms`);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
/** "1 partition carries", "4 partitions carry". */
const verb = (n: number, singular: string, pluralForm: string): string => (n === 1 ? singular : pluralForm);

/** Cheaper first: fewer partitions, then fewer workers. */
export function byCost(a: Entry, b: Entry): number {
  return a.settings.partitions - b.settings.partitions || a.settings.workers - b.settings.workers;
}

/** Half the interval's width as a share of the median: "±4%". */
export function spread(c: Entry['capacity']): string {
  return c.ticksPerSec > 0 ? `±${Math.round(((c.high - c.low) / 2 / c.ticksPerSec) * 100)}%` : '';
}

/** The curve point nearest half load, for "p99 at 50% load". */
function halfLoad(e: Entry): Entry['curve'][number] | undefined {
  return [...e.curve].sort((a, b) => Math.abs(a.fraction - 0.5) - Math.abs(b.fraction - 0.5))[0];
}

function describeSetting(e: Entry): string {
  const s = e.settings;
  return `${plural(s.partitions, 'partition')} (${plural(s.workers, 'worker')}, ${s.client}, ${s.ticksPerRecord} ticks/record)`;
}

/**
 * Names a winner only when its capacity interval is clear of every other setting's; otherwise
 * lists the settings tied with the top one and prefers the cheapest of them.
 */
export function decideVerdict(entries: readonly Entry[], options: { targetRate: number | null; maxP99Us: number }): SweepVerdict {
  const rankable = entries.filter((e) => e.capacity.ticksPerSec > 0);
  const forTarget = options.targetRate === null ? undefined : answerTargetRate(entries, options.targetRate, options.maxP99Us);
  if (rankable.length === 0) {
    const reason = entries.length === 0 ? 'no setting was measured' : 'no setting sustained even the lowest rate probed';
    return { best: null, ties: [], reason, limitedBy: null, summary: [reason], ...(forTarget ? { forTargetRate: forTarget } : {}) };
  }
  const top = [...rankable].sort((a, b) => b.capacity.ticksPerSec - a.capacity.ticksPerSec || byCost(a, b))[0]!;
  const tied = rankable.filter((e) => overlaps(e.capacity, top.capacity)).sort(byCost);
  const best = tied[0]!;
  const others = rankable.filter((e) => e !== top).sort((a, b) => b.capacity.ticksPerSec - a.capacity.ticksPerSec);
  const range = (e: Entry): string => `${rate(e.capacity.low)}–${rate(e.capacity.high)}`;
  let reason: string;
  if (tied.length === 1) {
    const next = others[0];
    reason = next
      ? `${top.label} carries the most, ${rate(top.capacity.ticksPerSec)} ticks/s (interval ${range(top)}), clear of the next best ${next.label} (${range(next)})`
      : `${top.label} is the only setting that sustained a rate`;
  } else {
    reason = `${tied.length} settings tie on capacity (their intervals overlap: ${tied.map((e) => `${e.label} ${range(e)}`).join(', ')}); the cheapest, ${best.label}, is preferred`;
  }

  const summary: string[] = [];
  const half = halfLoad(best);
  summary.push(
    `${describeSetting(best)} ${verb(best.settings.partitions, 'carries', 'carry')} ${rate(best.capacity.ticksPerSec)} ticks/s (${spread(best.capacity)})${half ? ` with p99 ${ms(half.p99)} at ${Math.round(half.fraction * 100)}% load` : ''}${best.limitedBy ? `; the ${best.limitedBy.side} side limits it` : ''}.`,
  );
  for (const e of [...rankable].sort(byCost)) {
    if (e === best) continue;
    const eHalf = halfLoad(e);
    const p99Change = half && eHalf && half.p99 > 0 ? Math.round(((eHalf.p99 - half.p99) / half.p99) * 100) : null;
    const latency =
      p99Change === null
        ? ''
        : ` and ${p99Change >= 0 ? verb(e.settings.partitions, 'raises', 'raise') : verb(e.settings.partitions, 'lowers', 'lower')} p99 at ${Math.round((eHalf?.fraction ?? 0.5) * 100)}% load by ${Math.abs(p99Change)}%`;
    if (tied.includes(e)) {
      summary.push(
        `${plural(e.settings.partitions, 'partition')}${e.settings.workers !== best.settings.workers ? ` with ${plural(e.settings.workers, 'worker')}` : ''} ${e.settings.partitions > best.settings.partitions || e.settings.workers > best.settings.workers ? verb(e.settings.partitions, 'adds', 'add') + ' no capacity beyond the noise' : verb(e.settings.partitions, 'carries', 'carry') + ' as much within the noise'} (${rate(e.capacity.ticksPerSec)}, ${range(e)})${latency}.`,
      );
    } else {
      summary.push(
        `${plural(e.settings.partitions, 'partition')}${e.settings.workers !== best.settings.workers ? ` with ${plural(e.settings.workers, 'worker')}` : ''} ${verb(e.settings.partitions, 'carries', 'carry')} ${e.capacity.ticksPerSec < best.capacity.ticksPerSec ? 'less' : 'more'}: ${rate(e.capacity.ticksPerSec)} (${range(e)})${e.limitedBy ? `; the ${e.limitedBy.side} side saturates` : ''}.`,
      );
    }
  }
  const beyond = entries.filter((e) => e.beyondCores).map((e) => e.settings.partitions);
  if (beyond.length > 0)
    summary.push(
      `${[...new Set(beyond)].join(', ')} partitions are more than this machine's cores: they cannot all be consumed in parallel here.`,
    );
  for (const e of entries.filter((x) => x.capacity.ticksPerSec === 0)) summary.push(`${e.label} sustained none of the rates probed.`);
  if (forTarget) summary.push(forTarget.answer);
  return {
    best: best.label,
    ties: tied.length > 1 ? tied.map((e) => e.label) : [],
    reason,
    limitedBy: best.limitedBy,
    summary,
    ...(forTarget ? { forTargetRate: forTarget } : {}),
  };
}

/**
 * "How many partitions for this rate?": the cheapest setting whose whole capacity interval is at
 * or above it (confident), else the cheapest whose median is (within the noise), else none.
 */
export function answerTargetRate(
  entries: readonly Entry[],
  targetRate: number,
  maxP99Us: number,
): NonNullable<SweepVerdict['forTargetRate']> {
  const sorted = [...entries].sort(byCost);
  const confident = sorted.find((e) => e.capacity.low >= targetRate);
  const marginal = sorted.find((e) => e.capacity.ticksPerSec >= targetRate);
  const pick = confident ?? marginal;
  const bound = `every second's p99 ≤ ${ms(maxP99Us)}, nothing lost`;
  if (!pick) {
    const most = [...entries].sort((a, b) => b.capacity.ticksPerSec - a.capacity.ticksPerSec)[0];
    const answer = most
      ? `No setting tried carries ${rate(targetRate)} ticks/s (${bound}): the most is ${rate(most.capacity.ticksPerSec)} with ${plural(most.settings.partitions, 'partition')}${most.limitedBy ? `, limited by the ${most.limitedBy.side} side` : ''}; more partitions alone will not reach it here — spread the load over more ingest processes or hosts.`
      : `No setting was measured, so nothing can be said about ${rate(targetRate)} ticks/s.`;
    return { targetRate, setting: null, partitions: null, confident: false, maxP99Us, answer };
  }
  const answer = confident
    ? `For ${rate(targetRate)} ticks/s (${bound}): ${plural(pick.settings.partitions, 'partition')} (${pick.label}) — even the low end of its capacity interval (${rate(pick.capacity.low)}) carries it.`
    : `For ${rate(targetRate)} ticks/s (${bound}): ${plural(pick.settings.partitions, 'partition')} (${pick.label}) within the noise only — its median capacity is ${rate(pick.capacity.ticksPerSec)} but its interval reaches down to ${rate(pick.capacity.low)}; leave headroom.`;
  return { targetRate, setting: pick.label, partitions: pick.settings.partitions, confident: confident !== undefined, maxP99Us, answer };
}

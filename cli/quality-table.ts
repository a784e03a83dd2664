import Table from 'cli-table3';
import pc from 'picocolors';
import type { AnalyticsQualityBlock } from '../run/quality-score.js';

const f = (x: number | null | undefined, d = 3): string => (x !== null && x !== undefined && Number.isFinite(x) ? x.toFixed(d) : '–');

/** One figure: the detector's mean and worst seed, and its baseline's (null where a task has none). */
type Row = [label: string, mean: string, worst: string, baselineMean: string, baselineWorst: string];

type EventScore = AnalyticsQualityBlock['arbitrage'];

/** Tradeable precision and recall, and phantoms classified, of crosses or triangles. */
function eventRows(name: string, plural: string, d: EventScore, b: EventScore): Row[] {
  const row = (label: string, pick: (x: EventScore) => [number, number]): Row => {
    const [dMean, dMin] = pick(d);
    const [bMean, bMin] = pick(b);
    return [label, f(dMean), f(dMin), f(bMean), f(bMin)];
  };
  return [
    row(`tradeable ${name} precision`, (x) => [x.tradeable.precision, x.tradeable.precisionMin]),
    row(`tradeable ${name} recall`, (x) => [x.tradeable.recall, x.tradeable.recallMin]),
    row(`phantom ${plural} classified`, (x) => [x.phantom.classified, x.phantom.classifiedMin]),
  ];
}

function rows(q: AnalyticsQualityBlock): Row[] {
  const o = q.outliers;
  const b = q.baseline.outliers;
  const out: Row[] = Object.keys(o.recallBySize).map((band) => [
    `outlier recall ${band}σ`,
    f(o.recallBySize[band]),
    f(o.recallBySizeMin[band]),
    f(b.recallBySize[band]),
    f(b.recallBySizeMin[band]),
  ]);
  out.push(['outlier false flags /10k clean', f(o.falsePer10k, 2), f(o.falsePer10kMax, 2), f(b.falsePer10k, 2), f(b.falsePer10kMax, 2)]);
  out.push(['  flags on genuine news moves', String(o.flagsOnNews), '', String(b.flagsOnNews), '']);
  out.push(['outlier F1', f(o.f1), f(o.f1Min), f(b.f1), f(b.f1Min)]);
  out.push(
    ...eventRows('cross', 'crosses', q.arbitrage, q.baseline.arbitrage),
    ...eventRows('triangle', 'triangles', q.triangular, q.baseline.triangular),
  );
  const s = q.sources;
  out.push([`source ranking Spearman ρ (${s.venues} venues)`, f(s.spearman), f(s.spearmanMin), '–', '–']);
  out.push(['source ranking Kendall τ', f(s.kendall), f(s.kendallMin), '–', '–']);
  out.push([`biased venue found in time (${s.biased.cells} cells)`, f(s.biased.recall), f(s.biased.recallMin), '–', '–']);
  out.push([`frozen venue found in time (${s.frozen.cells} cells)`, f(s.frozen.recall), f(s.frozen.recallMin), '–', '–']);
  // The worst seed of a false-flag rate is its largest.
  out.push(['stale-quote false flags /10k clean', f(s.stale.falsePer10k, 2), f(s.stale.falsePer10kMax, 2), '–', '–']);
  return out;
}

/**
 * Analytics quality against the hidden fair value, detector beside baseline. Over several seeds
 * (`firehose score`) each side has a mean and a worst column; a run is one seed, so one each.
 * `extra` rows (a run's own figures) go at the end in the same columns.
 */
export function qualityTable(q: AnalyticsQualityBlock, extra: Array<[label: string, detector: string, baseline: string]> = []): string {
  const oneSeed = q.quality.seeds.length === 1;
  const head = oneSeed
    ? ['figure (hidden fair value)', 'detector', 'baseline']
    : ['figure', 'detector mean', 'detector worst', 'baseline mean', 'baseline worst'];
  const t = new Table({ head: head.map((h) => pc.bold(h)), style: { head: [], border: [] } });
  for (const [label, mean, worst, baseMean, baseWorst] of rows(q))
    t.push(oneSeed ? [label, mean, baseMean] : [label, mean, worst, baseMean, baseWorst]);
  for (const [label, detector, baseline] of extra) t.push(oneSeed ? [label, detector, baseline] : [label, detector, '', baseline, '']);
  return t.toString();
}

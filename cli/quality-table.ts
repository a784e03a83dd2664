import Table from 'cli-table3';
import pc from 'picocolors';
import type { AnalyticsQualityBlock } from '../run/quality-score.js';

const f = (x: number | null | undefined, d = 3): string => (x !== null && x !== undefined && Number.isFinite(x) ? x.toFixed(d) : '–');

/** One figure: the detector's mean and worst seed, and its baseline's (null where a task has none). */
type Row = [label: string, mean: string, worst: string, baselineMean: string, baselineWorst: string];

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
  const a = q.arbitrage;
  const ab = q.baseline.arbitrage;
  out.push([
    'tradeable cross precision',
    f(a.tradeable.precision),
    f(a.tradeable.precisionMin),
    f(ab.tradeable.precision),
    f(ab.tradeable.precisionMin),
  ]);
  out.push(['tradeable cross recall', f(a.tradeable.recall), f(a.tradeable.recallMin), f(ab.tradeable.recall), f(ab.tradeable.recallMin)]);
  out.push([
    'phantom crosses classified',
    f(a.phantom.classified),
    f(a.phantom.classifiedMin),
    f(ab.phantom.classified),
    f(ab.phantom.classifiedMin),
  ]);
  const tr = q.triangular;
  const tb = q.baseline.triangular;
  out.push([
    'tradeable triangle precision',
    f(tr.tradeable.precision),
    f(tr.tradeable.precisionMin),
    f(tb.tradeable.precision),
    f(tb.tradeable.precisionMin),
  ]);
  out.push([
    'tradeable triangle recall',
    f(tr.tradeable.recall),
    f(tr.tradeable.recallMin),
    f(tb.tradeable.recall),
    f(tb.tradeable.recallMin),
  ]);
  out.push([
    'phantom triangles classified',
    f(tr.phantom.classified),
    f(tr.phantom.classifiedMin),
    f(tb.phantom.classified),
    f(tb.phantom.classifiedMin),
  ]);
  const s = q.sources;
  out.push([`source ranking Spearman ρ (${s.venues} venues)`, f(s.spearman), f(s.spearmanMin), '–', '–']);
  out.push(['source ranking Kendall τ', f(s.kendall), f(s.kendallMin), '–', '–']);
  out.push([`biased venue found in time (${s.biased.cells} cells)`, f(s.biased.recall), f(s.biased.recallMin), '–', '–']);
  out.push([`frozen venue found in time (${s.frozen.cells} cells)`, f(s.frozen.recall), f(s.frozen.recallMin), '–', '–']);
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

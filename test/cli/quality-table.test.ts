import { describe, expect, it } from 'vitest';
import { analyticsQualityBlock, scoreSeed, SCORE_DEFAULTS, type ScoreOptions } from '../../run/quality-score.js';
import { qualityTable } from '../../cli/quality-table.js';

// Plain text: the table's cells without colour codes.
process.env.NO_COLOR = '1';

const options: ScoreOptions = { ...SCORE_DEFAULTS, seeds: [1, 2], ticks: 20_000, thresholds: [6], market: { instruments: 10 } };
const seeds = options.seeds.map((seed) => scoreSeed(seed, options));

describe('the quality table (score and a run on the fair-value market)', () => {
  it('has mean and worst columns over several seeds, each figure beside its baseline', () => {
    const q = analyticsQualityBlock(seeds, options);
    const text = qualityTable(q);
    expect(text).toContain('detector worst');
    const row = text.split('\n').find((l) => l.includes('outlier F1'))!;
    expect(row).toContain(q.outliers.f1.toFixed(3));
    expect(row).toContain(q.baseline.outliers.f1.toFixed(3));
  });

  it('has one detector and one baseline column for a run (one seed), with the run’s own rows last', () => {
    const q = analyticsQualityBlock(seeds.slice(0, 1), { ...options, seeds: [1] });
    const text = qualityTable(q, [['stalled-quote flags /10k clean', '12.50', '–']]);
    expect(text).toContain('figure (hidden fair value)');
    expect(text).not.toContain('detector worst');
    const lines = text.split('\n');
    const cross = lines.find((l) => l.includes('tradeable cross recall'))!;
    expect(cross).toContain(q.arbitrage.tradeable.recall.toFixed(3));
    const stalled = lines.findIndex((l) => l.includes('stalled-quote flags'));
    expect(stalled).toBeGreaterThan(lines.findIndex((l) => l.includes('frozen venue found in time')));
    expect(lines[stalled]).toContain('12.50');
  });
});

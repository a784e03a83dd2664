import { beforeAll, describe, expect, it } from 'vitest';
import { initHistograms } from '../../metrics/latency-histogram.js';
import { mergePartFiles } from '../../run/result-parts.js';
import { validParts } from '../fixtures/valid-parts.js';

beforeAll(async () => {
  await initHistograms();
});

const disagree = (r: ReturnType<typeof mergePartFiles>) => (r.problems ?? []).filter((p) => p.code === 'PARTS_DISAGREE');

describe('report merge says when the part files ran with different markets', () => {
  it('stays quiet when every part ran the same market', () => {
    const { loadgen, ingest } = validParts();
    expect(disagree(mergePartFiles([loadgen, ingest], ['loadgen-0.json', 'ingest-a.json']))).toEqual([]);
  });

  it('names each file and its market when the ingest side ran another one', () => {
    const { loadgen, ingest } = validParts();
    ingest.config = { ...ingest.config, market: loadgen.config.market === 'simple' ? 'fair-value' : 'simple' };
    const [p] = disagree(mergePartFiles([loadgen, ingest], ['loadgen-0.json', 'ingest-a.json']));
    expect(p?.message).toBe(
      `the parts ran with different --market: loadgen-0.json ${loadgen.config.market}, ingest-a.json ${ingest.config.market}; the analytics figures mix them`,
    );
  });
});

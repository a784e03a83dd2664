import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createMergeHistogram, mergeEncoded, toHgrm } from '../bench/latency-histogram.js';
import type { RunResult } from '../bench/run-result.js';

/** Writes result.json and latency.hgrm (end-to-end, HdrHistogram percentile format) into `dir`. */
export async function writeResultFiles(result: RunResult, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const resultPath = path.join(dir, 'result.json');
  await writeFile(resultPath, `${JSON.stringify(result, null, 2)}\n`);
  const e2e = createMergeHistogram();
  for (const encoded of Object.values(result.histograms.e2eByPartition)) mergeEncoded(e2e, encoded);
  const hgrmPath = path.join(dir, 'latency.hgrm');
  await writeFile(hgrmPath, toHgrm(e2e));
  return [resultPath, hgrmPath];
}

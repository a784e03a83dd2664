import path from 'node:path';
import { refuseOverwrite, writeFileAtomic } from './atomic-file.js';
import { renderRunReport } from '../report/html-report.js';
import { createMergeHistogram, mergeEncoded, toHgrm } from '../metrics/latency-histogram.js';
import type { RunResult } from '../run/run-result.js';

/** Writes report.html (self-contained, offline) for a result into `dir`; returns its path. */
export async function writeReportPage(result: RunResult, dir: string, page = renderRunReport(result)): Promise<string> {
  const reportPath = path.join(dir, 'report.html');
  await writeFileAtomic(reportPath, page);
  return reportPath;
}

/** The result.json a run or merge into `dir` would write (checked before the work starts). */
export function resultPathIn(dir: string): string {
  return path.join(dir, 'result.json');
}

/** Writes result.json, latency.hgrm (end-to-end, HdrHistogram percentile format) and report.html into `dir`. */
export async function writeResultFiles(result: RunResult, dir: string, force = false): Promise<string[]> {
  const resultPath = path.join(dir, 'result.json');
  await refuseOverwrite(resultPath, force);
  await writeFileAtomic(resultPath, `${JSON.stringify(result, null, 2)}\n`);
  const e2e = createMergeHistogram();
  for (const encoded of Object.values(result.histograms.e2eByPartition)) mergeEncoded(e2e, encoded);
  const hgrmPath = path.join(dir, 'latency.hgrm');
  await writeFileAtomic(hgrmPath, toHgrm(e2e));
  return [resultPath, hgrmPath, await writeReportPage(result, dir)];
}

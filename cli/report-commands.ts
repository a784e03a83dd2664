import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import Table from 'cli-table3';
import pc from 'picocolors';
import { compareResults } from '../run/compare.js';
import type { RunResult } from '../run/run-result.js';
import { FirehoseError } from '../kafka/errors.js';
import { formatCount, formatRate, formatUs } from '../report/format.js';
import { writeReportPage, writeResultFiles } from './result-files.js';
import { mergePartFiles, type PartResult } from '../run/result-parts.js';
import { renderSummary } from './summary.js';

/** Reads a part file written by `firehose loadgen` or `firehose ingest`. */
async function readPart(file: string): Promise<PartResult> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new FirehoseError('BAD_OPTION', `${file}: not a readable part result (${(error as Error).message.split('\n')[0]})`);
  }
  const part = parsed as Partial<PartResult>;
  if (part.tool !== 'tick-firehose' || (part.role !== 'loadgen' && part.role !== 'ingest') || !part.config) {
    throw new FirehoseError('BAD_OPTION', `${file}: not a loadgen or ingest part result`);
  }
  return part as PartResult;
}

/** Reads and sanity-checks a result.json written by `firehose run`. */
export async function readResult(file: string): Promise<RunResult> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new FirehoseError('BAD_OPTION', `${file}: not a readable result.json (${(error as Error).message.split('\n')[0]})`);
  }
  const r = parsed as Partial<RunResult>;
  if (r.tool !== 'tick-firehose' || !r.latency || !r.ticks || !r.config) {
    throw new FirehoseError('BAD_OPTION', `${file}: not a tick-firehose result.json`);
  }
  r.thresholds ??= [];
  r.warnings ??= [];
  r.timeline ??= [];
  return r as RunResult;
}

function formatValue(unit: string, value: number): string {
  return unit === 'us' ? formatUs(value) : unit === 'ticks/s' ? formatRate(value) : formatCount(value);
}

export function renderComparison(a: RunResult, b: RunResult, nameA: string, nameB: string): string {
  const table = new Table({ head: ['metric', nameA, nameB, 'change', ''].map((h) => pc.bold(h)), style: { head: [], border: [] } });
  for (const row of compareResults(a, b)) {
    const pct = row.relative === null ? (row.delta === 0 ? '0%' : 'new') : `${row.relative >= 0 ? '+' : ''}${(row.relative * 100).toFixed(1)}%`;
    const better = row.delta === 0 ? false : row.higherIsBetter ? row.delta > 0 : row.delta < 0;
    const verdict = row.withinNoise ? pc.dim('within noise') : better ? pc.green('better') : pc.red('worse');
    table.push([row.metric, formatValue(row.unit, row.a), formatValue(row.unit, row.b), pct, verdict]);
  }
  const setting = (r: RunResult): string => `${r.config.client}, ${r.config.partitions} partitions, ${r.config.workers} workers, ${formatRate(r.config.rate)} offered`;
  return [`A = ${nameA}: ${setting(a)}`, `B = ${nameB}: ${setting(b)}`, table.toString()].join('\n');
}

export function registerReportCommands(program: Command): void {
  program.command('report')
    .description('re-render the terminal summary and report.html of a saved result.json; `report merge PARTS...` merges the results of split loadgen/ingest processes')
    .argument('<files...>', 'a result.json, or: merge loadgen-*.json ingest-*.json')
    .option('--out <dir>', 'where the files go (default: next to the (first) input)')
    .option('--json', 'print the (merged) result.json to stdout')
    .action(async (files: string[], options: { out?: string; json?: boolean }) => {
      let result: RunResult;
      let written: string[];
      if (files[0] === 'merge') {
        const inputs = files.slice(1);
        if (inputs.length === 0) throw new FirehoseError('BAD_OPTION', 'report merge needs the part files of loadgen and ingest processes');
        result = mergePartFiles(await Promise.all(inputs.map(readPart)));
        written = await writeResultFiles(result, options.out ?? path.dirname(inputs[0]!));
      } else {
        if (files.length !== 1) throw new FirehoseError('BAD_OPTION', 'report takes one result.json (or: report merge PARTS...)');
        result = await readResult(files[0]!);
        written = [await writeReportPage(result, options.out ?? path.dirname(files[0]!))];
      }
      if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else process.stdout.write(`${renderSummary(result)}\n${pc.dim(`wrote ${written.join(', ')}`)}\n`);
    });

  program.command('compare')
    .description('side-by-side deltas of two results, marking differences within run-to-run noise')
    .argument('<a.json>', 'baseline result')
    .argument('<b.json>', 'result to compare with the baseline')
    .option('--json', 'print the comparison rows as JSON')
    .action(async (fileA: string, fileB: string, options: { json?: boolean }) => {
      const [a, b] = await Promise.all([readResult(fileA), readResult(fileB)]);
      if (options.json) process.stdout.write(`${JSON.stringify(compareResults(a, b), null, 2)}\n`);
      else process.stdout.write(`${renderComparison(a, b, 'A', 'B')}\n`);
    });
}

import { readFile, stat } from 'node:fs/promises';
import type { z } from 'zod';
import path from 'node:path';
import type { Command } from 'commander';
import Table from 'cli-table3';
import pc from 'picocolors';
import { compareResults } from '../run/compare.js';
import type { RunResult } from '../run/run-result.js';
import { FirehoseError } from '../kafka/errors.js';
import { formatCount, formatRate, formatUs } from '../report/format.js';
import { refuseOverwrite } from './atomic-file.js';
import { resultPathIn, writeReportPage, writeResultFiles } from './result-files.js';
import { mergePartFiles, type PartResult } from '../run/result-parts.js';
import { renderSummary } from './summary.js';
import { renderRunReport } from '../report/html-report.js';
import { describeIssue, partResultSchema, runResultSchema, unreadableVersion } from '../run/result-schema.js';

/** Larger than any result or part file a run writes (histograms and ledgers are compressed). */
const MAX_FILE_BYTES = 512 * 1024 * 1024;

/** Reads, parses and validates a JSON file against `schema`: one line naming the file and the field on any problem. */
async function readValidated<T>(file: string, what: string, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_FILE_BYTES) throw new Error(`${size} bytes, more than ${MAX_FILE_BYTES}`);
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new FirehoseError('BAD_OPTION', `${file}: not a readable ${what} (${(error as Error).message.split('\n')[0]})`);
  }
  const version = unreadableVersion(raw);
  if (version !== null) throw new FirehoseError('BAD_OPTION', `${file}: ${version}`);
  let parsed: z.ZodSafeParseResult<T>;
  try {
    parsed = schema.safeParse(raw);
  } catch (error) {
    // A nesting deep enough to exhaust the stack.
    throw new FirehoseError('BAD_OPTION', `${file}: not a ${what} (${(error as Error).message.split('\n')[0]})`);
  }
  if (!parsed.success) throw new FirehoseError('BAD_OPTION', `${file}: not a valid ${what}: ${describeIssue(parsed.error)}`);
  return parsed.data;
}

/** Reads a part file written by `firehose loadgen` or `firehose ingest`. */
async function readPart(file: string): Promise<PartResult> {
  return (await readValidated(file, 'loadgen or ingest part result', partResultSchema)) as unknown as PartResult;
}

/** Reads and validates a result.json written by `firehose run` (or `report merge`). */
export async function readResult(file: string): Promise<RunResult> {
  return (await readValidated(file, 'tick-firehose result.json', runResultSchema)) as unknown as RunResult;
}

/**
 * Runs what computes on a file's contents (merging, rendering); whatever the schema could not rule
 * out (a histogram that will not decode) ends as one line naming the file, never a stack trace.
 */
function fromFile<T>(file: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof FirehoseError) throw error;
    throw new FirehoseError('BAD_OPTION', `${file}: cannot be used: ${(error as Error).message?.split('\n')[0] ?? String(error)}`);
  }
}

function formatValue(unit: string, value: number): string {
  return unit === 'us' ? formatUs(value) : unit === 'ticks/s' ? formatRate(value) : formatCount(value);
}

export function renderComparison(a: RunResult, b: RunResult, nameA: string, nameB: string): string {
  const table = new Table({ head: ['metric', nameA, nameB, 'change', ''].map((h) => pc.bold(h)), style: { head: [], border: [] } });
  for (const row of compareResults(a, b)) {
    const pct =
      row.relative === null ? (row.delta === 0 ? '0%' : 'new') : `${row.relative >= 0 ? '+' : ''}${(row.relative * 100).toFixed(1)}%`;
    const better = row.delta === 0 ? false : row.higherIsBetter ? row.delta > 0 : row.delta < 0;
    const verdict = row.withinNoise ? pc.dim('within noise') : better ? pc.green('better') : pc.red('worse');
    table.push([row.metric, formatValue(row.unit, row.a), formatValue(row.unit, row.b), pct, verdict]);
  }
  const setting = (r: RunResult): string =>
    `${r.config.client}, ${r.config.partitions} partitions, ${r.config.workers} workers, ${formatRate(r.config.rate)} offered`;
  return [`A = ${nameA}: ${setting(a)}`, `B = ${nameB}: ${setting(b)}`, table.toString()].join('\n');
}

export function registerReportCommands(program: Command): void {
  program
    .command('report')
    .description(
      're-render the terminal summary and report.html of a saved result.json; `report merge PARTS...` merges the results of split loadgen/ingest processes',
    )
    .argument('<files...>', 'a result.json, or: merge loadgen-*.json ingest-*.json')
    .option('--out <dir>', 'where the files go (default: next to the (first) input)')
    .option('--json', 'print the (merged) result.json to stdout')
    .option('--force', 'report merge: overwrite a result.json already in --out')
    .action(async (files: string[], options: { out?: string; json?: boolean; force?: boolean }) => {
      let result: RunResult;
      let written: string[];
      if (files[0] === 'merge') {
        const inputs = files.slice(1);
        if (inputs.length === 0) throw new FirehoseError('BAD_OPTION', 'report merge needs the part files of loadgen and ingest processes');
        const out = options.out ?? path.dirname(inputs[0]!);
        await refuseOverwrite(resultPathIn(out), options.force === true);
        const parts = await Promise.all(inputs.map(readPart));
        const merged = fromFile(inputs.join(', '), () => mergePartFiles(parts, inputs));
        result = merged;
        written = await writeResultFiles(result, out, options.force === true);
      } else {
        if (files.length !== 1) throw new FirehoseError('BAD_OPTION', 'report takes one result.json (or: report merge PARTS...)');
        const read = await readResult(files[0]!);
        result = read;
        const page = fromFile(files[0]!, () => renderRunReport(read));
        written = [await writeReportPage(result, options.out ?? path.dirname(files[0]!), page)];
      }
      if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else process.stdout.write(`${fromFile(files.join(', '), () => renderSummary(result))}\n${pc.dim(`wrote ${written.join(', ')}`)}\n`);
    });

  program
    .command('compare')
    .description('side-by-side deltas of two results, marking differences within run-to-run noise')
    .argument('<a.json>', 'baseline result')
    .argument('<b.json>', 'result to compare with the baseline')
    .option('--json', 'print the comparison rows as JSON')
    .action(async (fileA: string, fileB: string, options: { json?: boolean }) => {
      const [a, b] = await Promise.all([readResult(fileA), readResult(fileB)]);
      const both = `${fileA}, ${fileB}`;
      if (options.json)
        process.stdout.write(
          `${JSON.stringify(
            fromFile(both, () => compareResults(a, b)),
            null,
            2,
          )}\n`,
        );
      else process.stdout.write(`${fromFile(both, () => renderComparison(a, b, 'A', 'B'))}\n`);
    });
}

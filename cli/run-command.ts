import type { Command } from 'commander';
import pc from 'picocolors';
import { checkMetricsPort } from '../run/metrics-server.js';
import { runLoadTest } from '../run/load-test.js';
import type { RunResult } from '../run/run-result.js';
import { FirehoseError } from '../kafka/errors.js';
import { handleInterrupts, INTERRUPTED_EXIT } from './interrupts.js';
import { addWorkloadOptions, pickWorkloadOptions } from './option-fields.js';
import { createProgressView } from './progress.js';
import { refuseOverwrite } from './atomic-file.js';
import { terminalSafe } from './terminal-text.js';
import { resultPathIn, writeResultFiles } from './result-files.js';
import { resolveRunConfig, type RawRunOptions, type RunConfig } from '../run/run-config.js';
import { renderSummary } from './summary.js';
import { loadWorkloadFile } from './workload-file.js';
import { defaultBrokers } from '../run/cluster-choice.js';

export const EXIT = { ok: 0, thresholdFailed: 1, usage: 2, interrupted: INTERRUPTED_EXIT } as const;

/**
 * Options from a workload file, overridden by the command line. A bad value is reported against
 * where it came from: the file, or the flag. With `defaultToLocal` (run, sweep, bench) a run
 * that names no --brokers goes to real Kafka where Java allows, else to the mock with a note.
 */
export async function resolveCommandConfig(
  values: Record<string, unknown>,
  extra: RawRunOptions = {},
  defaultToLocal = false,
): Promise<RunConfig> {
  const cli = { ...pickWorkloadOptions(values), ...extra };
  const workload = typeof values.workload === 'string' ? values.workload : undefined;
  const file = workload ? await loadWorkloadFile(workload) : {};
  if (defaultToLocal && cli.brokers === undefined && file.brokers === undefined) {
    const choice = defaultBrokers();
    if (choice.note) noteOnce(choice.note);
    cli.brokers = choice.brokers;
  }
  if (!workload) return resolveRunConfig(cli);
  try {
    resolveRunConfig({ ...file, ...pickDefined(extra) });
  } catch (error) {
    if (error instanceof FirehoseError) throw new FirehoseError(error.code, `--workload ${workload}: ${error.message}`);
    throw error;
  }
  return resolveRunConfig({ ...file, ...pickDefined(cli), workload });
}

const said = new Set<string>();
/** A sweep resolves its config once per setting: the fallback note is said once. */
function noteOnce(line: string): void {
  if (said.has(line)) return;
  said.add(line);
  process.stderr.write(pc.yellow(`note: ${line}\n`));
}

function pickDefined(raw: RawRunOptions): RawRunOptions {
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as RawRunOptions;
}

export interface ExecutedRun {
  result: RunResult;
  files: string[];
  interrupted: boolean;
}

/**
 * Runs one load test with progress and Ctrl-C handling, checks thresholds, and writes the files
 * before any client is closed; `written` runs right after (e.g. to print the summary), so both
 * are done whatever the close then does.
 */
export async function executeRun(config: RunConfig, label = '', force = false, written?: (run: ExecutedRun) => void): Promise<ExecutedRun> {
  // Both checked before anything starts: a run must not end in a file it may not write.
  await refuseOverwrite(resultPathIn(config.output.out), force);
  if (config.output.metricsPort !== null) await checkMetricsPort(config.output.metricsPort);
  const log = (line: string): void => {
    if (!config.output.json) process.stderr.write(pc.dim(`${label}${line}\n`));
  };
  const progress = createProgressView(process.stderr, config.output.progress);
  const stop = new AbortController();
  // The drain, the result and the close each end by their INTERRUPTED_MS deadline; this one
  // only ends a process whose result is on disk and whose clients are still closing.
  const interrupts = handleInterrupts({
    doing: 'stopping the load, writing the result, then closing',
    first: () => stop.abort(),
    deadlineMs: 9_000,
  });
  let executed: ExecutedRun | null = null;
  try {
    const result = await runLoadTest(config, {
      progress: (s) => progress.update(s),
      log,
      signal: stop.signal,
      persist: async (result) => {
        progress.stop();
        const files = await writeResultFiles(result, config.output.out, force);
        executed = { result, files, interrupted: stop.signal.aborted || result.status === 'interrupted' };
        written?.(executed);
        interrupts.resultWritten();
      },
    });
    // A Ctrl-C while the clients closed, after the result was written, still counts.
    const done: ExecutedRun = executed ?? { result, files: [], interrupted: false };
    return { ...done, interrupted: done.interrupted || stop.signal.aborted };
  } finally {
    progress.stop();
    interrupts.uninstall();
  }
}

export function registerRunCommand(program: Command, setExit: (code: number) => void): void {
  const run = program
    .command('run')
    .description(
      'run one load test (default: real Apache Kafka on this machine where Java 17+ is installed, else the embedded mock; all analytics on)',
    )
    .option('--workload <file>', 'workload YAML (keys are these option names); options given here override it');
  addWorkloadOptions(run)
    .option('--out <dir>', 'where result.json, latency.hgrm and report.html go (default: results/<timestamp>)')
    .option('--json', 'print result.json to stdout instead of tables')
    .option('--no-progress', 'no progress output')
    .option('--force', 'overwrite a result.json already in --out')
    .action(async (options: Record<string, unknown>) => {
      const config = await resolveCommandConfig(
        options,
        { out: options.out as string | undefined, json: options.json === true, progress: options.progress !== false },
        true,
      );
      const report = ({ result, files, interrupted }: ExecutedRun): void => {
        if (config.output.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else {
          process.stdout.write(`${renderSummary(result)}\n`);
          process.stdout.write(pc.dim(`wrote ${files.join(', ')}\n`));
        }
        const produceFailed = result.problems?.find((p) => p.code === 'PRODUCE_FAILED');
        if (result.ticks.failed > 0) {
          process.stderr.write(
            pc.red(`error: ${terminalSafe(produceFailed?.message ?? `${result.ticks.failed} ticks failed to produce: see result.json`)}\n`),
          );
        }
        if (interrupted) setExit(EXIT.interrupted);
        else if (result.thresholds.some((t) => !t.pass) || result.ticks.failed > 0) setExit(EXIT.thresholdFailed);
      };
      // The summary is printed as soon as the result is written, before the clients close.
      const { interrupted } = await executeRun(config, '', options.force === true, report);
      if (interrupted) setExit(EXIT.interrupted);
    });
}

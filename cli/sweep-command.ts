import { mkdir } from 'node:fs/promises';
import { refuseOverwrite, writeFileAtomic } from './atomic-file.js';
import { resultPathIn } from './result-files.js';
import path from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import Table from 'cli-table3';
import pc from 'picocolors';
import type { RunResult } from '../run/run-result.js';
import { renderSweepReport, type SweepEntry, type SweepSummary } from '../report/sweep-report.js';
import { CLIENT_KINDS, type ClientKind } from '../kafka/client.js';
import { FirehoseError } from '../kafka/errors.js';
import { formatCount, formatRate, formatUs } from '../report/format.js';
import { WORKLOAD_FIELDS, addWorkloadOptions } from './option-fields.js';
import { EXIT, executeRun, resolveCommandConfig } from './run-command.js';

/** The options a sweep varies; each takes a comma-separated list. */
const SWEPT = ['partitions', 'workers', 'client', 'ticks-per-record'] as const;

function listOf<T>(flag: string, parse: (item: string) => T): (text: string) => T[] {
  return (text: string) => {
    const items = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (items.length === 0) throw new InvalidArgumentError(`--${flag} expects a comma-separated list`);
    return items.map(parse);
  };
}

const positiveInt = (flag: string) => (item: string): number => {
  if (!/^\d+$/.test(item) || Number(item) < 1) throw new InvalidArgumentError(`--${flag} expects positive integers, got "${item}"`);
  return Number(item);
};

const clientKind = (item: string): ClientKind => {
  if (!(CLIENT_KINDS as readonly string[]).includes(item)) throw new InvalidArgumentError(`--client expects ${CLIENT_KINDS.join(' or ')}, got "${item}"`);
  return item as ClientKind;
};

/**
 * Picks the best setting: under a p99 limit, the highest analysed rate whose p99 meets it;
 * otherwise, among settings that kept up with the offered rate without loss, the lowest p99.
 */
export function chooseBest(entries: SweepEntry[], maxP99Us: number | null): SweepSummary['best'] {
  const clean = entries.filter((e) => e.result.ticks.lost === 0 && e.result.status === 'ok');
  const keptUp = (e: SweepEntry): boolean => e.result.throughput.ticksPerSec >= 0.97 * e.result.throughput.offeredTicksPerSec;
  if (maxP99Us !== null) {
    const within = clean.filter((e) => e.result.latency.e2e.p99 <= maxP99Us);
    if (within.length === 0) return null;
    within.sort((x, y) => y.result.throughput.ticksPerSec - x.result.throughput.ticksPerSec || x.result.latency.e2e.p99 - y.result.latency.e2e.p99);
    const best = within[0]!;
    return { label: best.label, reason: `highest analysed rate (${formatRate(best.result.throughput.ticksPerSec)}) with p99 ${formatUs(best.result.latency.e2e.p99)} within the ${formatUs(maxP99Us)} limit and no loss` };
  }
  const sustaining = clean.filter(keptUp);
  if (sustaining.length > 0) {
    sustaining.sort((x, y) => x.result.latency.e2e.p99 - y.result.latency.e2e.p99);
    const best = sustaining[0]!;
    return { label: best.label, reason: `lowest end-to-end p99 (${formatUs(best.result.latency.e2e.p99)}) among the ${sustaining.length} settings that sustained the offered rate without loss` };
  }
  if (clean.length === 0) return null;
  clean.sort((x, y) => y.result.throughput.ticksPerSec - x.result.throughput.ticksPerSec);
  const best = clean[0]!;
  return { label: best.label, reason: `no setting sustained the offered rate; this one analysed the most (${formatRate(best.result.throughput.ticksPerSec)}) without loss` };
}

function row(entry: SweepEntry, best: boolean): string[] {
  const r: RunResult = entry.result;
  const mark = best ? pc.green('★ ') : '  ';
  return [mark + entry.label, formatRate(r.throughput.ticksPerSec), formatUs(r.latency.e2e.p50), formatUs(r.latency.e2e.p99), formatUs(r.latency.e2e.max),
    r.ticks.lost > 0 ? pc.red(formatCount(r.ticks.lost)) : '0', r.ticks.evicted > 0 ? pc.red(formatCount(r.ticks.evicted)) : '0'];
}

export function registerSweepCommand(program: Command, setExit: (code: number) => void): void {
  const sweep = program.command('sweep')
    .description('run the same workload for each partition count (and workers / client / ticks-per-record list); name the best setting')
    .option('--workload <file>', 'workload YAML; options given here override it')
    .option('--partitions <list>', 'partition counts to try, e.g. 1,2,4,8,16', listOf('partitions', positiveInt('partitions')))
    .option('--workers <list>', 'worker counts to try, e.g. 1,2,4', listOf('workers', positiveInt('workers')))
    .option('--client <list>', `clients to try: ${CLIENT_KINDS.join(',')}`, listOf('client', clientKind))
    .option('--ticks-per-record <list>', 'frame sizes to try, e.g. 16,64,256', listOf('ticks-per-record', positiveInt('ticks-per-record')));
  addWorkloadOptions(sweep, WORKLOAD_FIELDS.filter((f) => !(SWEPT as readonly string[]).includes(f.flag)))
    .option('--out <dir>', 'where sweep.json, sweep.html and each run go (default: results/sweep-<timestamp>)')
    .option('--no-progress', 'no progress output')
    .option('--force', 'overwrite results already in --out')
    .action(async (options: Record<string, unknown>) => {
      // The swept options hold lists; each run gets one value of each.
      const common = Object.fromEntries(Object.entries(options).filter(([k]) => !['partitions', 'workers', 'client', 'ticksPerRecord'].includes(k)));
      const base = await resolveCommandConfig(common, { progress: options.progress !== false });
      const partitions = (options.partitions as number[] | undefined) ?? [base.partitions];
      const workers = (options.workers as number[] | undefined) ?? [base.workers];
      const clients = (options.client as ClientKind[] | undefined) ?? [base.client];
      const frames = (options.ticksPerRecord as number[] | undefined) ?? [base.ticksPerRecord];
      const out = (options.out as string | undefined) ?? base.out.replace(/results\/(.*)$/, 'results/sweep-$1');
      const combos = clients.flatMap((client) => workers.flatMap((w) => frames.flatMap((tpr) => partitions.map((p) => ({ client, workers: w, ticksPerRecord: tpr, partitions: p })))));
      if (combos.length > 64) throw new FirehoseError('BAD_OPTION', `the sweep has ${combos.length} combinations; at most 64`);

      // Every run's result path is checked before the first run starts, not after hours of sweeping.
      const labelOf = (c: (typeof combos)[number]): string => `${c.partitions}p-${c.workers}w-${c.client}-${c.ticksPerRecord}tpr`;
      for (const combo of combos) await refuseOverwrite(resultPathIn(path.join(out, labelOf(combo))), options.force === true);
      const entries: SweepEntry[] = [];
      for (const [i, combo] of combos.entries()) {
        const label = `${combo.partitions}p-${combo.workers}w-${combo.client}-${combo.ticksPerRecord}tpr`;
        const config = await resolveCommandConfig(common, {
          partitions: combo.partitions, workers: combo.workers, client: combo.client, ticksPerRecord: combo.ticksPerRecord,
          out: path.join(out, label), progress: options.progress !== false,
        });
        process.stderr.write(pc.bold(`[${i + 1}/${combos.length}] ${label}\n`));
        const { result, interrupted } = await executeRun(config, `  `, options.force === true);
        entries.push({ label, settings: combo, result });
        if (interrupted) { setExit(EXIT.interrupted); break; }
      }

      const maxP99Us = base.thresholds.maxP99Us ?? null;
      const best = chooseBest(entries, maxP99Us);
      const summary: SweepSummary = { entries, best, maxP99Us };
      await mkdir(out, { recursive: true });
      await writeFileAtomic(path.join(out, 'sweep.json'), `${JSON.stringify({ best, maxP99Us, entries: entries.map((e) => ({ label: e.label, settings: e.settings, resultFile: path.join(e.label, 'result.json'), throughput: e.result.throughput, latency: e.result.latency, ticks: e.result.ticks })) }, null, 2)}\n`);
      await writeFileAtomic(path.join(out, 'sweep.html'), renderSweepReport(summary));

      const table = new Table({ head: ['setting', 'analysed', 'p50', 'p99', 'max', 'lost', 'evicted'].map((h) => pc.bold(h)), style: { head: [], border: [] } });
      for (const entry of entries) table.push(row(entry, entry.label === best?.label));
      process.stdout.write(`${table.toString()}\n`);
      process.stdout.write(best ? `${pc.green('best:')} ${best.label} — ${best.reason}\n` : pc.yellow(`no setting ran without loss${maxP99Us !== null ? ` within p99 ≤ ${formatUs(maxP99Us)}` : ''}\n`));
      process.stdout.write(pc.dim(`wrote ${path.join(out, 'sweep.json')}, ${path.join(out, 'sweep.html')}\n`));
      if (!best && maxP99Us !== null) setExit(EXIT.thresholdFailed);
    });
}

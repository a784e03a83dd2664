import { mkdir } from 'node:fs/promises';
import { refuseOverwrite, writeFileAtomic } from './atomic-file.js';
import { resultPathIn } from './result-files.js';
import path from 'node:path';
import { Option, type Command } from 'commander';
import Table from 'cli-table3';
import pc from 'picocolors';
import type { RunResult } from '../run/run-result.js';
import type { CapacitySweep } from '../run/sweep-result.js';
import { renderSweepReport, type SweepEntry, type SweepSummary } from '../report/sweep-report.js';
import { renderCapacitySweepPage } from '../report/sweep-curves.js';
import { CLIENT_KINDS, type ClientKind } from '../kafka/client.js';
import { FirehoseError } from '../kafka/errors.js';
import { formatCount, formatRate, formatUs } from '../report/format.js';
import { chooseBest } from '../bench/sweep/fixed-rate-best.js';
import { settingLabel } from '../bench/sweep/capacity-sweep.js';
import { runCapacitySweep } from '../bench/sweep/sweep-session.js';
import { SweepTopics, sweepTopicPrefix } from '../bench/sweep/sweep-topics.js';
import { DEFAULT_BUDGET, TINY_BUDGET, estimateSweepSec, maxProbesPerSetting } from '../bench/sweep/sweep-types.js';
import { spread } from '../bench/sweep/verdict.js';
import { ChildRunner } from '../bench/probe.js';
import { WORKLOAD_FIELDS, addWorkloadOptions } from './option-fields.js';
import { EXIT, executeRun, resolveCommandConfig } from './run-command.js';
import { handleInterrupts } from './interrupts.js';
import { clientKind, listOf, positiveInt, repeatCount, targetRate } from './sweep-options.js';

export { chooseBest };
import { ensureLocalCluster } from '../run/load-test.js';
import { RUN_DEFAULTS } from '../run/run-defaults.js';

/** The options a sweep varies; each takes a comma-separated list. */
const SWEPT = ['partitions', 'workers', 'client', 'ticks-per-record'] as const;
const SWEPT_KEYS = ['partitions', 'workers', 'client', 'ticksPerRecord'];

/** Options every capacity probe decides itself (rate, length, where results go) or that would clash between probes. */
const NOT_PASSED_TO_PROBES = new Set([
  'brokers',
  'rate',
  'duration',
  'ticks',
  'topic',
  'drain-timeout',
  'metrics-port',
  'max-p50',
  'max-p99',
  'max-p999',
  'max-lost',
  'min-rate',
  ...SWEPT,
]);

/** The workload options given on the command line, as flags again, for each probe's `firehose run`. */
export function passThroughArgs(options: Record<string, unknown>): string[] {
  const args: string[] = [];
  if (typeof options.workload === 'string') args.push('--workload', options.workload);
  for (const field of WORKLOAD_FIELDS) {
    if (NOT_PASSED_TO_PROBES.has(field.flag)) continue;
    const value = options[field.flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())];
    if (value === undefined) continue;
    // A switch that takes on|off (--loadgen-thread) is passed as given: left out, its default (on) would apply.
    if (value === false) {
      if (field.argument?.includes('off')) args.push(`--${field.flag}`, 'off');
      continue;
    }
    if (value === true) args.push(`--${field.flag}`);
    else if (Array.isArray(value)) for (const v of value) args.push(`--${field.flag}`, String(v));
    else args.push(`--${field.flag}`, String(value));
  }
  return args;
}

const hours = (sec: number): string => (sec >= 3600 ? `${(sec / 3600).toFixed(1)} h` : `${Math.round(sec / 60)} min`);

function row(entry: SweepEntry, best: boolean): string[] {
  const r: RunResult = entry.result;
  const mark = best ? pc.green('★ ') : '  ';
  return [
    mark + entry.label,
    formatRate(r.throughput.ticksPerSec),
    formatUs(r.latency.e2e.p50),
    formatUs(r.latency.e2e.p99),
    formatUs(r.latency.e2e.max),
    r.ticks.lost > 0 ? pc.red(formatCount(r.ticks.lost)) : '0',
    r.ticks.evicted > 0 ? pc.red(formatCount(r.ticks.evicted)) : '0',
  ];
}

function capacityTable(sweep: CapacitySweep): string {
  const table = new Table({
    head: ['setting', 'capacity', 'interval', 'p99 @50%', 'limited by', ''].map((h) => pc.bold(h)),
    style: { head: [], border: [] },
  });
  for (const e of sweep.entries) {
    const half = e.curve.find((c) => c.fraction === 0.5);
    const mark = e.label === sweep.verdict.best ? pc.green('★ ') : sweep.verdict.ties.includes(e.label) ? pc.yellow('= ') : '  ';
    table.push([
      mark + e.label,
      formatRate(e.capacity.ticksPerSec),
      `${formatRate(e.capacity.low)}–${formatRate(e.capacity.high)} ${spread(e.capacity)}`,
      half ? formatUs(half.p99) : '-',
      e.limitedBy?.side ?? '-',
      e.beyondCores ? pc.yellow('> cores') : '',
    ]);
  }
  return table.toString();
}

export function registerSweepCommand(program: Command, setExit: (code: number) => void): void {
  const sweep = program
    .command('sweep')
    .description(
      'the same workload per partition count (and workers / client / ticks-per-record list): --find-capacity measures capacity, latency curves and a noise-aware verdict; without it, one run per setting at --rate',
    )
    .option('--workload <file>', 'workload YAML; options given here override it')
    .option('--partitions <list>', 'partition counts to try, e.g. 1,2,4,8,16', listOf('partitions', positiveInt('partitions')))
    .option('--workers <list>', 'worker counts to try, e.g. 1,2,4', listOf('workers', positiveInt('workers')))
    .option('--client <list>', `clients to try: ${CLIENT_KINDS.join(',')}`, listOf('client', clientKind))
    .option('--ticks-per-record <list>', 'frame sizes to try, e.g. 16,64,256', listOf('ticks-per-record', positiveInt('ticks-per-record')))
    .option(
      '--find-capacity',
      'per setting: the highest sustained rate (bench\'s criteria; --max-p99 bounds every second\'s p99), then latency at 25/50/75% of it; medians with 95% intervals; a verdict that says "tie" when intervals overlap',
    )
    .option(
      '--repeat <n>',
      'with --find-capacity: run every search and curve point this many times, interleaved across settings (default 1)',
      repeatCount,
    )
    .option('--target-rate <ticks/s>', 'with --find-capacity: name the cheapest setting that carries this rate (e.g. 2M)', targetRate)
    .option('--keep-topics', 'on a real cluster, keep the per-setting topics (default: deleted after the sweep)')
    .option('--yes', 'run a sweep estimated to take over a day')
    .addOption(new Option('--tiny', 'with --find-capacity: plumbing check, low rates and two probes per search (tests)').hideHelp())
    .addHelpText(
      'after',
      `\nCluster: a local cluster the sweep starts has ${RUN_DEFAULTS.sweepLocalNodes} node unless --nodes 3 is given (on 2 cores three broker JVMs take CPU from the pipeline being compared); a cluster already up is used as it is; --brokers host:port,... sweeps a cluster of your own (one topic per setting, deleted afterwards unless --keep-topics).\nTime: --find-capacity plans its probes against a ${Math.round(DEFAULT_BUDGET.targetSec / 60)}-minute target (--partitions 1,4,16 --repeat 3 fits); if the probes run slower than planned (a loaded machine), later repeats' searches stop at their first sustained rate and later repeats of a curve point are left out, and the intervals widen (sweep.json's notes say how many).`,
    );
  addWorkloadOptions(
    sweep,
    WORKLOAD_FIELDS.filter((f) => !(SWEPT as readonly string[]).includes(f.flag)),
  )
    .option('--out <dir>', 'where sweep.json, sweep.html and each run go (default: results/sweep-<timestamp>)')
    .option('--no-progress', 'no progress output')
    .option('--force', 'overwrite results already in --out')
    .action(async (options: Record<string, unknown>) => {
      // The swept options hold lists; each run gets one value of each.
      const common = Object.fromEntries(Object.entries(options).filter(([k]) => !SWEPT_KEYS.includes(k)));
      const base = await resolveCommandConfig(
        common,
        { progress: options.progress !== false, ...(options.nodes === undefined ? { localNodes: RUN_DEFAULTS.sweepLocalNodes } : {}) },
        true,
      );
      const partitions = (options.partitions as number[] | undefined) ?? [base.workload.partitions];
      const workers = (options.workers as number[] | undefined) ?? [base.ingest.workers];
      const clients = (options.client as ClientKind[] | undefined) ?? [base.producer.client];
      const frames = (options.ticksPerRecord as number[] | undefined) ?? [base.workload.ticksPerRecord];
      const out = (options.out as string | undefined) ?? base.output.out.replace(/results\/(.*)$/, 'results/sweep-$1');
      const combos = clients.flatMap((client) =>
        workers.flatMap((w) =>
          frames.flatMap((tpr) => partitions.map((p) => ({ client, workers: w, ticksPerRecord: tpr, partitions: p }))),
        ),
      );
      const repeat = (options.repeat as number | undefined) ?? 1;
      const capacity = options.findCapacity === true;
      if (!capacity && (options.repeat !== undefined || options.targetRate !== undefined)) {
        throw new FirehoseError('BAD_OPTION', `${options.repeat !== undefined ? '--repeat' : '--target-rate'} needs --find-capacity`);
      }
      const budget = options.tiny === true ? TINY_BUDGET : DEFAULT_BUDGET;
      const estimateSec = capacity ? estimateSweepSec(combos.length, repeat, budget) : combos.length * (base.workload.durationSec + 10);
      if (estimateSec > 86_400 && options.yes !== true) {
        throw new FirehoseError(
          'BAD_OPTION',
          `the sweep would take about ${hours(estimateSec)} (${combos.length} settings${capacity ? ` × ${repeat} repeats` : ''}): over a day; narrow the lists or pass --yes to run it anyway`,
        );
      }
      if (!capacity && combos.length > 64) throw new FirehoseError('BAD_OPTION', `the sweep has ${combos.length} combinations; at most 64`);
      const log = (line: string): void => {
        if (options.progress !== false) process.stderr.write(pc.dim(`${line}\n`));
      };

      if (capacity) {
        await refuseOverwrite(path.join(out, 'sweep.json'), options.force === true);
        const runner = new ChildRunner();
        const interrupts = handleInterrupts({
          doing: 'stopping the current probe; the figures so far will be written',
          first: () => runner.stop(),
          second: () => runner.stop(true),
          deadlineMs: null,
        });
        // A local cluster is started once for every probe (and stopped at the end if this sweep started it);
        // probes get its bootstrap servers, as they would a user's own cluster.
        const held = base.cluster.clusterKind === 'local' ? await ensureLocalCluster(base.cluster, log) : null;
        try {
          const brokers = held ? held.local.bootstrapServers : base.cluster.clusterKind === 'external' ? base.cluster.brokers! : 'embedded';
          log(
            `sweep --find-capacity: ${combos.length} settings × ${repeat} repeat(s) on ${brokers === 'embedded' ? 'the embedded librdkafka mock (not real Kafka)' : held ? `the local cluster (${held.local.nodeCount} node${held.local.nodeCount > 1 ? 's' : ''}, ${brokers})` : brokers}; results in ${out}`,
          );
          log(
            `plan: per setting ≤ ${budget.firstSearch.maxProbes} probes for the first capacity search, ≤ ${budget.refineProbes} for each later repeat's (around the first's capacity, ±${Math.round((budget.refineGrowth - 1) * 100)}%), ${budget.fractions.length} curve points × ${repeat}, ≤ ${budget.searchRetries} retry per search; probes of ${budget.warmupSec} + ${budget.windowSec} s; at most ${combos.length * maxProbesPerSetting(budget, repeat)} probes ≈ ${hours(estimateSec)} at ~${budget.warmupSec + budget.windowSec + budget.probeOverheadSec} s a probe; target ${hours(budget.targetSec)}`,
          );
          const result = await runCapacitySweep({
            settings: combos,
            repeat,
            targetRate: (options.targetRate as number | undefined) ?? null,
            brokers,
            keepTopics: options.keepTopics === true,
            passThrough: passThroughArgs(options),
            out,
            log,
            runner,
            budget,
            ...(base.thresholds.maxP99Us !== undefined ? { maxP99Us: base.thresholds.maxP99Us } : {}),
          });
          await writeFileAtomic(path.join(out, 'sweep.json'), `${JSON.stringify(result, null, 2)}\n`);
          await writeFileAtomic(path.join(out, 'sweep.html'), renderCapacitySweepPage(result));
          process.stdout.write(`${capacityTable(result)}\n`);
          const v = result.verdict;
          process.stdout.write(
            `${v.best ? pc.green(v.ties.length > 0 ? 'preferred (tie):' : 'winner:') : pc.yellow('no verdict:')} ${v.best ?? ''} — ${v.reason}\n`,
          );
          if (v.ties.length > 0) process.stdout.write(`ties: ${v.ties.join(', ')}\n`);
          for (const line of v.summary) process.stdout.write(`  ${line}\n`);
          process.stdout.write(
            pc.dim(
              `${result.cluster.kind === 'kafka' ? 'real Kafka' : 'embedded librdkafka mock, not real Kafka'}; topics: ${result.cluster.topics}\nwrote ${path.join(out, 'sweep.json')}, ${path.join(out, 'sweep.html')} (${result.wallSec} s)\n`,
            ),
          );
          if (result.status === 'interrupted') setExit(EXIT.interrupted);
          else if (!v.best) setExit(EXIT.thresholdFailed);
        } finally {
          interrupts.uninstall();
          await held?.stop();
        }
        return;
      }

      // Every run's result path is checked before the first run starts, not after hours of sweeping.
      const labelOf = (c: (typeof combos)[number]): string => `${c.partitions}p-${c.workers}w-${c.client}-${c.ticksPerRecord}tpr`;
      for (const combo of combos) await refuseOverwrite(resultPathIn(path.join(out, labelOf(combo))), options.force === true);
      // One local cluster for every setting: started here if it is down, and stopped at the end.
      const held =
        base.cluster.clusterKind === 'local'
          ? await ensureLocalCluster(base.cluster, (line) => process.stderr.write(pc.dim(`${line}\n`)))
          : null;
      const entries: SweepEntry[] = [];
      // On a real cluster each setting gets a topic of its own (a partition count belongs to a topic),
      // named after the sweep (or --topic) and the setting, and deleted at the end unless --keep-topics.
      const real = base.cluster.clusterKind !== 'embedded';
      const topics = new SweepTopics(typeof options.topic === 'string' ? options.topic : sweepTopicPrefix());
      let topicNote = 'embedded mock: each run had its own in-process cluster, gone with the run';
      try {
        for (const [i, combo] of combos.entries()) {
          const label = settingLabel(combo);
          const topic = real ? topics.topicFor(label) : undefined;
          const config = await resolveCommandConfig(common, {
            partitions: combo.partitions,
            workers: combo.workers,
            client: combo.client,
            ticksPerRecord: combo.ticksPerRecord,
            out: path.join(out, label),
            progress: options.progress !== false,
            brokers: base.cluster.clusterKind === 'external' ? base.cluster.brokers! : base.cluster.clusterKind,
            ...(topic !== undefined ? { topic } : {}),
          });
          process.stderr.write(pc.bold(`[${i + 1}/${combos.length}] ${label}\n`));
          if (topic !== undefined) topics.markUsed(topic);
          const { result, interrupted } = await executeRun(config, `  `, options.force === true);
          entries.push({ label, settings: combo, result });
          if (interrupted) {
            setExit(EXIT.interrupted);
            break;
          }
        }
      } finally {
        if (real) {
          const brokers = held ? held.local.bootstrapServers : base.cluster.brokers!;
          topicNote = await topics.cleanUp(brokers, options.keepTopics === true);
          process.stderr.write(pc.dim(`topics ${topicNote}\n`));
        }
        await held?.stop();
      }

      const maxP99Us = base.thresholds.maxP99Us ?? null;
      const best = chooseBest(entries, maxP99Us);
      const summary: SweepSummary = { entries, best, maxP99Us };
      await mkdir(out, { recursive: true });
      await writeFileAtomic(
        path.join(out, 'sweep.json'),
        `${JSON.stringify({ best, maxP99Us, topics: topicNote, entries: entries.map((e) => ({ label: e.label, settings: e.settings, resultFile: path.join(e.label, 'result.json'), throughput: e.result.throughput, latency: e.result.latency, ticks: e.result.ticks })) }, null, 2)}\n`,
      );
      await writeFileAtomic(path.join(out, 'sweep.html'), renderSweepReport(summary));

      const table = new Table({
        head: ['setting', 'analysed', 'p50', 'p99', 'max', 'lost', 'evicted'].map((h) => pc.bold(h)),
        style: { head: [], border: [] },
      });
      for (const entry of entries) table.push(row(entry, entry.label === best?.label));
      process.stdout.write(`${table.toString()}\n`);
      process.stdout.write(
        best
          ? `${pc.green('best:')} ${best.label} — ${best.reason}\n`
          : pc.yellow(`no setting ran without loss${maxP99Us !== null ? ` within p99 ≤ ${formatUs(maxP99Us)}` : ''}\n`),
      );
      process.stdout.write(pc.dim(`wrote ${path.join(out, 'sweep.json')}, ${path.join(out, 'sweep.html')}\n`));
      if (!best && maxP99Us !== null) setExit(EXIT.thresholdFailed);
    });
}

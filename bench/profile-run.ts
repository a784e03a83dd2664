import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderProfileSummary, summarizeCpuProfileFile, type ProfileSummary } from './cpu-profile.js';
import { ChildRunner, findFirehoseBin, parseJsonOutput } from './probe.js';
import type { ProbeOutput } from './types.js';

export interface ProfileOptions {
  /** Which pipelines to profile (each as its own `node --cpu-prof` child). */
  pipelines: ReadonlyArray<'naive' | 'confluent' | 'kafkajs' | 'platformatic'>;
  rate: number;
  durationSec: number;
  out: string;
  /** Bootstrap servers of the real cluster the profiled runs use; null: each its own embedded mock. */
  bootstrapServers: string | null;
  log?: (line: string) => void;
  runner?: (nodeArgs: string[]) => ChildRunner;
}

export interface ProfiledRun {
  pipeline: string;
  rate: number;
  ticksPerSec: number | null;
  p99Us: number | null;
  profiles: ProfileSummary[];
}

/**
 * Runs each pipeline once under `node --cpu-prof` (every thread writes its own .cpuprofile:
 * the main thread and each analytics worker) and summarises the self time per function.
 */
export async function profilePipelines(options: ProfileOptions): Promise<{ runs: ProfiledRun[]; text: string }> {
  const root = path.dirname(path.dirname(findFirehoseBin()));
  const runs: ProfiledRun[] = [];
  const blocks: string[] = [];
  const bs = options.bootstrapServers;
  for (const pipeline of options.pipelines) {
    const dir = path.resolve(options.out, 'profiles', pipeline);
    await mkdir(dir, { recursive: true });
    const runner =
      options.runner?.(['--cpu-prof', '--cpu-prof-dir', dir]) ?? new ChildRunner(undefined, ['--cpu-prof', '--cpu-prof-dir', dir]);
    const args =
      pipeline === 'naive'
        ? [
            'naive',
            '--json',
            ...(bs === null ? [] : ['--brokers', bs]),
            '--rate',
            String(options.rate),
            '--duration',
            String(options.durationSec),
          ]
        : [
            'run',
            '--json',
            '--no-progress',
            '--brokers',
            bs ?? 'embedded',
            '--client',
            pipeline,
            '--rate',
            String(options.rate),
            '--duration',
            String(options.durationSec),
            '--out',
            path.join(dir, 'run'),
            '--force',
          ];
    options.log?.(`profiling ${pipeline} at ${options.rate} ticks/s for ${options.durationSec} s`);
    const run = await runner.run(args, options.durationSec * 3 + 60);
    const output = parseJsonOutput<ProbeOutput>(run.stdout);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
    const profiles: ProfileSummary[] = [];
    for (const f of files) profiles.push(await summarizeCpuProfileFile(path.join(dir, f), root, 25));
    // The busiest thread first: usually the main thread, then the analytics workers.
    profiles.sort((a, b) => b.busyMs - a.busyMs);
    runs.push({
      pipeline,
      rate: options.rate,
      ticksPerSec: output?.throughput.ticksPerSec ?? null,
      p99Us: output?.latency.e2e.p99 ?? null,
      profiles,
    });
    blocks.push(
      `== ${pipeline} at ${options.rate}/s: analysed ${output ? Math.round(output.throughput.ticksPerSec) : '-'}/s, p99 ${output ? Math.round(output.latency.e2e.p99 / 1000) : '-'} ms; ${files.length} threads profiled (${dir})`,
    );
    for (const p of profiles) blocks.push(renderProfileSummary(p));
  }
  await writeFile(path.join(options.out, 'profiles', 'summary.json'), `${JSON.stringify(runs, null, 2)}\n`);
  return { runs, text: blocks.join('\n') };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProbeOutput, ProbeRecord, SustainCriteria } from './types.js';

/**
 * The `firehose` bin of this checkout. Found by walking up from this module, which sits at
 * bench/suite/ in the sources and dist/bench/suite/ once compiled.
 */
export function findFirehoseBin(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string };
      if (parsed.name === 'tick-firehose') return path.join(dir, 'bin', 'firehose.js');
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the tick-firehose package (bin/firehose.js) above bench/suite');
    dir = parent;
  }
}

export interface ChildRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallSec: number;
  /** Killed because it ran past its deadline. */
  timedOut: boolean;
}

/**
 * Runs child processes one at a time and stops the current one on request (Ctrl-C): SIGTERM
 * first, which lets `firehose run` drain and exit, then SIGKILL if it lingers.
 */
export class ChildRunner {
  private current: ChildProcess | null = null;
  private killTimer: NodeJS.Timeout | undefined;
  stopped = false;

  constructor(private readonly bin: string = findFirehoseBin(), private readonly nodeArgs: string[] = []) {}

  run(args: string[], deadlineSec: number): Promise<ChildRun> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      if (this.stopped) { reject(new Error('stopped')); return; }
      const child = spawn(process.execPath, [...this.nodeArgs, this.bin, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1' },
      });
      this.current = child;
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
      child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
      const deadline = setTimeout(() => { timedOut = true; this.terminate(child); }, deadlineSec * 1000);
      child.on('error', (error) => { clearTimeout(deadline); this.current = null; reject(error); });
      child.on('close', (exitCode, signal) => {
        clearTimeout(deadline);
        if (this.killTimer) { clearTimeout(this.killTimer); this.killTimer = undefined; }
        this.current = null;
        resolve({ exitCode, signal, stdout, stderr, wallSec: (Date.now() - started) / 1000, timedOut });
      });
    });
  }

  /** Stops the running child (if any) and refuses new ones. */
  stop(force = false): void {
    this.stopped = true;
    const child = this.current;
    if (!child) return;
    if (force) child.kill('SIGKILL');
    else this.terminate(child);
  }

  private terminate(child: ChildProcess): void {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    this.killTimer ??= setTimeout(() => child.kill('SIGKILL'), 12_000);
  }
}

/** The last JSON document a child printed on stdout (the result), or null. */
export function parseJsonOutput<T>(stdout: string): T | null {
  const start = stdout.indexOf('{');
  if (start < 0) return null;
  try {
    return JSON.parse(stdout.slice(start)) as T;
  } catch {
    return null;
  }
}

/** Lag when the sending window ended: the last once-a-second sample taken within it. */
export function finalLagTicks(output: ProbeOutput): number {
  const window = output.config.durationSec;
  let lag = 0;
  let found = false;
  for (const point of output.timeline) {
    if (point.t <= window + 0.05) { lag = point.lagTicks; found = true; }
  }
  return found ? lag : (output.timeline.at(-1)?.lagTicks ?? 0);
}

/** CPU of the whole process (every thread) per million ticks analysed. */
export function cpuPerMillion(output: ProbeOutput): number | undefined {
  const r = output.resources;
  const ticks = output.ticks.consumed;
  if (!r || ticks <= 0) return undefined;
  return ((r.cpuUserMs + r.cpuSystemMs) / ticks) * 1e6;
}

/** Judges one probe's result against the criteria. */
export function judgeProbe(rate: number, durationSec: number, run: ChildRun, output: ProbeOutput | null, criteria: SustainCriteria): ProbeRecord {
  const base = { rate, durationSec, wallSec: Math.round(run.wallSec * 10) / 10 };
  if (output === null) {
    const why = run.timedOut ? 'did not finish in time (stopped)' : `no result (exit ${run.exitCode ?? run.signal}): ${lastLine(run.stderr)}`;
    return { ...base, sustained: false, reasons: [why] };
  }
  const reasons: string[] = [];
  const t = output.throughput;
  const lag = finalLagTicks(output);
  if (output.status !== 'ok') reasons.push('interrupted');
  if (output.ticks.failed > 0) reasons.push(`${output.ticks.failed} ticks failed to produce`);
  if (output.ticks.lost > 0) reasons.push(`${output.ticks.lost} ticks lost (${output.ticks.evicted} evicted)`);
  if (t.ticksPerSec < criteria.minAnalysedFraction * rate) reasons.push(`analysed ${Math.round(t.ticksPerSec)}/s < ${Math.round(criteria.minAnalysedFraction * 100)}% of offered`);
  if (lag > criteria.maxFinalLagSec * rate) reasons.push(`lag ${lag} ticks at the end of sending > ${criteria.maxFinalLagSec} s of ticks`);
  if (output.latency.e2e.p99 > criteria.maxP99Us) reasons.push(`p99 ${(output.latency.e2e.p99 / 1000).toFixed(0)} ms > ${(criteria.maxP99Us / 1000).toFixed(0)} ms`);
  if (output.latency.e2e.count === 0) reasons.push('nothing analysed');
  const e2e = output.latency.e2e;
  const record: ProbeRecord = {
    ...base, sustained: reasons.length === 0, reasons,
    ticksPerSec: t.ticksPerSec, lost: output.ticks.lost, evicted: output.ticks.evicted, finalLagTicks: lag,
    latency: { p50: e2e.p50, p99: e2e.p99, p999: e2e.p999, max: e2e.max },
  };
  const cpu = cpuPerMillion(output);
  if (cpu !== undefined) record.cpuMsPerMillionTicks = Math.round(cpu);
  if (output.resources) record.maxRssMb = Math.round(output.resources.maxRssMb);
  return record;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter((l) => l.trim().length > 0);
  return (lines.at(-1) ?? '').slice(0, 200);
}

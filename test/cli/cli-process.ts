import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIREHOSE_BIN = fileURLToPath(new URL('../../bin/firehose.js', import.meta.url));

export interface RunningCommand {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  /** Resolves with the first stdout+stderr text that matches, or rejects after the timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** Starts `firehose ...` as its own process (as a user would), capturing its output. */
export function startFirehose(args: string[], env: NodeJS.ProcessEnv = {}): RunningCommand {
  const child = spawn(process.execPath, [FIREHOSE_BIN, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const check = (): void => {
          const match = (out + err).match(pattern);
          if (match) {
            resolve(match);
            return;
          }
          if (child.exitCode !== null || Date.now() - started > timeoutMs) {
            reject(new Error(`no ${pattern} in output of firehose ${args.join(' ')}:\n${out}\n${err}`));
            return;
          }
          setTimeout(check, 50);
        };
        check();
      });
    },
  };
}

/** Where a split-roles test's processes meet: the cluster, the topic and its partitions, the parts folder. */
export interface SplitRolesSetup {
  brokers: string;
  topic: string;
  partitions: number;
  out: string;
}

/** The options every role of a split-roles test shares. */
function sharedArgs(s: SplitRolesSetup): string[] {
  return ['--brokers', s.brokers, '--topic', s.topic, '--partitions', String(s.partitions), '--out', s.out];
}

/** `firehose ingest` as one member of a split-roles test's consumer group. */
export function ingestArgs(s: SplitRolesSetup, extra: string[] = []): string[] {
  return ['ingest', ...sharedArgs(s), '--workers', '1', ...extra];
}

/** `firehose loadgen` of a split-roles test; `load` says how much (--ticks, --duration, --rate). */
export function loadgenArgs(s: SplitRolesSetup, load: string[]): string[] {
  return ['loadgen', ...sharedArgs(s), ...load, '--no-progress'];
}

/** The part files (`*.json`) the roles wrote to `out`, as full paths, sorted. */
export function partFiles(out: string): string[] {
  return readdirSync(out)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(out, f));
}

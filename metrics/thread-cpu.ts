import { readdirSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';

/**
 * What a thread of this process does, told by the run step that started it (thread names are no
 * help: Node's workers, V8's helpers and libuv's pool are all "node"; librdkafka's are "rdk:*").
 */
export const THREAD_ROLES = [
  /** The main thread: orchestration, the producer's and consumer's JavaScript, and generation unless --loadgen-thread. */
  'main',
  /**
   * Threads there before the run: V8's GC and compiler helpers and libuv's pool, where the
   * Confluent client's asynchronous calls (consume batches, commits) run.
   */
  'runtime',
  /** The embedded cluster's brokers (librdkafka's mock), in this process: not part of the pipeline. */
  'embedded-cluster',
  /** Clients that create or describe topics. */
  'admin',
  /** librdkafka threads of the consumer group's clients (consumer, alerts and dead-letter producers). */
  'ingest-clients',
  /** The analytics worker threads. */
  'analytics-workers',
  /** librdkafka threads of the tick producer. */
  'producer-client',
  /** --loadgen-thread: generation and frame encoding. */
  'generator-thread',
  /** Started later than any step that names its threads. */
  'other',
] as const;
export type ThreadRole = (typeof THREAD_ROLES)[number];

export interface ThreadCpuRow {
  role: ThreadRole;
  /** Threads of this role seen so far (ended ones included). */
  threads: number;
  /** user + system CPU, ms. */
  cpuMs: number;
}

/** Linux reports thread CPU in clock ticks of 1/100 s (USER_HZ is 100 on every mainstream build). */
export const MS_PER_TICK = 10;

export interface ThreadStat {
  /** The thread's name (librdkafka's are "rdk:*", the embedded cluster's "rdk:mock*"). */
  comm: string;
  /** utime + stime, clock ticks of 1/100 s. */
  ticks: number;
}

/** utime + stime of every thread of this process by tid; empty where /proc cannot say (not Linux). */
export function readThreads(): Map<number, ThreadStat> {
  const out = new Map<number, ThreadStat>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const line = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // The name is in parentheses and may hold spaces: fields are counted after the last ')'.
      const close = line.lastIndexOf(')');
      const fields = line.slice(close + 2).split(' ');
      out.set(Number(tid), { comm: line.slice(line.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/**
 * CPU per thread role of this process, read from /proc/self/task. Each run step that starts
 * threads claims the new ones for its role; `read` sums per role. A thread's CPU is what it had
 * at the last read before it ended (the reads at the run's steps bound what is missed).
 */
export class ThreadCpuLedger {
  private readonly roleByTid = new Map<number, ThreadRole>();
  private readonly lastTicks = new Map<number, number>();

  private constructor() {
    this.claim(() => 'runtime');
  }

  /** Starts libuv's pool first (it starts on first use), so its threads count as runtime, not as the step that used it first. */
  static async start(): Promise<ThreadCpuLedger> {
    await stat('/').catch(() => {});
    return new ThreadCpuLedger();
  }

  /** The threads started since the last claim take the role `pick` gives from their name. */
  claim(pick: ThreadRole | ((comm: string) => ThreadRole)): void {
    for (const [tid, thread] of this.scan()) {
      if (this.roleByTid.has(tid)) continue;
      this.roleByTid.set(tid, tid === process.pid ? 'main' : typeof pick === 'string' ? pick : pick(thread.comm));
    }
  }

  /** CPU per role since each thread started, every role listed (0 where none). */
  read(): ThreadCpuRow[] {
    this.scan();
    const rows = new Map<ThreadRole, ThreadCpuRow>(THREAD_ROLES.map((role) => [role, { role, threads: 0, cpuMs: 0 }]));
    for (const [tid, ticks] of this.lastTicks) {
      const row = rows.get(this.roleByTid.get(tid) ?? (tid === process.pid ? 'main' : 'other'))!;
      row.threads++;
      row.cpuMs += ticks * MS_PER_TICK;
    }
    return [...rows.values()];
  }

  private scan(): Map<number, ThreadStat> {
    const threads = readThreads();
    for (const [tid, thread] of threads) this.lastTicks.set(tid, thread.ticks);
    return threads;
  }
}

/** CPU per role between two reads (`later` minus `earlier`), threads as in `later`. */
export function cpuBetween(later: readonly ThreadCpuRow[], earlier: readonly ThreadCpuRow[]): ThreadCpuRow[] {
  return later.map((row) => ({ ...row, cpuMs: row.cpuMs - (earlier.find((e) => e.role === row.role)?.cpuMs ?? 0) }));
}

/** Total CPU of a set of rows, optionally leaving some roles out. */
export function totalCpuMs(rows: readonly ThreadCpuRow[], without: readonly ThreadRole[] = []): number {
  let sum = 0;
  for (const row of rows) if (!without.includes(row.role)) sum += row.cpuMs;
  return sum;
}

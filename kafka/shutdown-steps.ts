import { noteLeftBehind } from './native-calls.js';

/** A step that took this long is worth a line on stderr even when it finished. */
const SLOW_STEP_MS = 1_000;

export type StepOutcome = 'done' | 'failed' | 'timed out' | 'skipped';

/** How one wait of a shutdown ended, and how long it took (ms). */
export interface StepRecord {
  step: string;
  outcome: StepOutcome;
  ms: number;
  error?: string;
}

/**
 * The waits of a shutdown (flush, drain, commit, disconnect, cluster stop, ...), one after
 * another, each with its own budget inside one overall deadline. A step that runs out of time is
 * left behind, not awaited: its signal is aborted so loops that check it stop, and the next step
 * starts. Nothing here throws, so one stuck client cannot keep the others open or the result
 * unwritten.
 */
export class ShutdownSteps {
  readonly records: StepRecord[] = [];
  #deadlineAt = Number.POSITIVE_INFINITY;
  readonly #running = new Set<() => void>();

  constructor(
    private readonly log: (line: string) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Sets the overall deadline (ms, on `now`'s clock); steps running now are cut short to it. */
  setDeadline(atMs: number): void {
    this.#deadlineAt = atMs;
    for (const rearm of this.#running) rearm();
  }

  get deadlineAt(): number {
    return this.#deadlineAt;
  }

  /** Milliseconds left before the overall deadline (Infinity without one). */
  get remainingMs(): number {
    return Math.max(0, this.#deadlineAt - this.now());
  }

  /** Whether some step was skipped or left running: its client may still hold native resources. */
  get incomplete(): boolean {
    return this.records.some((r) => r.outcome === 'timed out' || r.outcome === 'skipped');
  }

  /**
   * Runs `work` for at most `budgetMs` and never past the deadline; a step with no time left is
   * skipped without starting. Resolves with how it ended.
   */
  async run(step: string, budgetMs: number, work: (signal: AbortSignal) => Promise<unknown>): Promise<StepOutcome> {
    const started = this.now();
    const endAt = (): number => Math.min(started + budgetMs, this.#deadlineAt);
    if (endAt() <= started) {
      this.#record({ step, outcome: 'skipped', ms: 0 });
      return 'skipped';
    }
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let rearm = (): void => {};
    let error: unknown;
    const outcome = await new Promise<StepOutcome>((resolve) => {
      rearm = (): void => {
        clearTimeout(timer);
        const left = endAt() - this.now();
        // setTimeout cannot hold more than 2^31-1 ms; a longer budget is as good as none.
        if (left < 2 ** 31 - 1) timer = setTimeout(() => resolve('timed out'), Math.max(0, left));
      };
      this.#running.add(rearm);
      rearm();
      Promise.resolve()
        .then(() => work(abort.signal))
        .then(
          () => resolve('done'),
          (e: unknown) => {
            error = e;
            resolve('failed');
          },
        );
    });
    clearTimeout(timer);
    this.#running.delete(rearm);
    if (outcome !== 'done') abort.abort();
    if (outcome === 'timed out') noteLeftBehind(step);
    const record: StepRecord = { step, outcome, ms: Math.round(this.now() - started) };
    if (outcome === 'failed') record.error = error instanceof Error ? error.message : String(error);
    this.#record(record);
    return outcome;
  }

  #record(record: StepRecord): void {
    this.records.push(record);
    if (record.outcome === 'timed out') this.log(`shutdown: ${record.step} still waiting after ${record.ms} ms: left behind`);
    else if (record.outcome === 'skipped') this.log(`shutdown: ${record.step} skipped: no time left`);
    else if (record.outcome === 'failed') this.log(`shutdown: ${record.step} failed: ${record.error}`);
    else if (record.ms >= SLOW_STEP_MS) this.log(`shutdown: ${record.step} took ${record.ms} ms`);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * The budget of each wait on the way out, ms. A run that ends normally uses these as they are; an
 * interrupted one also stops at the overall deadlines (INTERRUPTED_MS) counted from the signal.
 */
export const SHUTDOWN_BUDGET_MS = {
  /** Frames still unacknowledged when the schedule ends (librdkafka's message.timeout.ms is 30 s). */
  producerFlush: 30_000,
  /** Analysis already handed to the workers. */
  analysis: 5_000,
  /** Commits already sent. */
  commit: 2_000,
  /** Every worker's final measurements (they answer from their own threads). */
  workerStats: 3_000,
  /** Leaving the consumer group: a Confluent close waits without a limit while the coordinator is down. */
  consumerClose: 10_000,
  /** Dead letters and alerts still unacknowledged when ingest closes. */
  producerFlushAtClose: 5_000,
  disconnect: 6_000,
  workers: 5_000,
  metricsServer: 2_000,
  // A real node's restart (a JVM start, then ready) is part of the scenario on a normal end; an
  // interrupt's deadline still caps it.
  faultRunner: 30_000,
  clusterStop: 10_000,
} as const;

/** After a first Ctrl-C, counted from the signal: when the result must be written, then when everything must be closed. */
export const INTERRUPTED_MS = {
  /** Flush and drain stop here; what was not confirmed by then is marked unconfirmed, not lost. */
  drainUntil: 3_000,
  /** The measurements are gathered and the result written by about here. */
  resultBy: 5_000,
  /** Closing the clients and the cluster stops here; the process then ends. */
  closeBy: 8_000,
  /**
   * ... and at most this long after the result was written. A consumer whose coordinator is down
   * takes about its session timeout (6 s) to close; left behind, the coordinator expires it anyway.
   */
  closeWithin: 2_000,
} as const;

/** The deadline for closing after an interrupt at `interruptedAtMs`, once the result is written. */
export function interruptedCloseDeadline(interruptedAtMs: number, now: number = Date.now()): number {
  return Math.min(interruptedAtMs + INTERRUPTED_MS.closeBy, now + INTERRUPTED_MS.closeWithin);
}

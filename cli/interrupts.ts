import { exitNow } from './process-end.js';

/** The exit code of a run stopped by SIGINT or SIGTERM. */
export const INTERRUPTED_EXIT = 130;

export interface InterruptPlan {
  /** Said on stderr at the first signal, e.g. "stopping the load and draining". */
  doing: string;
  /** What the first signal stops (the work then finishes and writes what it has). */
  first(): void;
  /** Extra clean-up before a second signal exits at once. */
  second?(): void;
  /**
   * Exit anyway this long after the first signal, but never before the work said its result is
   * on disk (`resultWritten`); null for work that ends on its own.
   */
  deadlineMs: number | null;
}

export interface InterruptHandlers {
  /** The result is on disk: from now on the deadline may end the process. */
  resultWritten(): void;
  uninstall(): void;
}

/**
 * Ctrl-C and SIGTERM, the same way for every command: the first one stops the work gracefully
 * (it writes what it has, then closes its clients within their budgets), a second exits at once.
 */
export function handleInterrupts(plan: InterruptPlan): InterruptHandlers {
  let interrupts = 0;
  let written = false;
  let deadlinePassed = false;
  let deadline: NodeJS.Timeout | undefined;
  const exitAfterDeadline = (): void => {
    process.stderr.write('deadline passed: exiting\n');
    void exitNow(INTERRUPTED_EXIT);
  };
  const handler = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) {
      process.stderr.write(`\n${signal} again: exiting without waiting\n`);
      plan.second?.();
      void exitNow(INTERRUPTED_EXIT);
      return;
    }
    process.stderr.write(`\n${signal}: ${plan.doing} (again to exit at once)\n`);
    plan.first();
    if (plan.deadlineMs !== null) {
      deadline = setTimeout(() => {
        deadlinePassed = true;
        if (written) exitAfterDeadline();
        else process.stderr.write('deadline passed: exiting once the result is written\n');
      }, plan.deadlineMs).unref();
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    resultWritten: () => {
      written = true;
      if (deadlinePassed) exitAfterDeadline();
    },
    // The work is over (everything it waits for has a budget): its deadline goes with it.
    uninstall: () => {
      clearTimeout(deadline);
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** The exit code of a run stopped by SIGINT or SIGTERM. */
export const INTERRUPTED_EXIT = 130;

export interface InterruptPlan {
  /** Said on stderr at the first signal, e.g. "stopping the load and draining". */
  doing: string;
  /** What the first signal stops (the work then finishes and writes what it has). */
  first(): void;
  /** Extra clean-up before a second signal exits at once. */
  second?(): void;
  /** Exit anyway this long after the first signal; null for work that ends on its own. */
  deadlineMs: number | null;
}

/**
 * Ctrl-C and SIGTERM, the same way for every command: the first one stops the work gracefully,
 * a second exits at once. Returns the function that removes the handlers.
 */
export function handleInterrupts(plan: InterruptPlan): () => void {
  let interrupts = 0;
  const handler = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) {
      process.stderr.write(`\n${signal} again: exiting without waiting\n`);
      plan.second?.();
      process.exit(INTERRUPTED_EXIT);
    }
    process.stderr.write(`\n${signal}: ${plan.doing} (again to exit at once)\n`);
    plan.first();
    if (plan.deadlineMs !== null) {
      setTimeout(() => { process.stderr.write('deadline passed: exiting\n'); process.exit(INTERRUPTED_EXIT); }, plan.deadlineMs).unref();
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => { process.off('SIGINT', handler); process.off('SIGTERM', handler); };
}

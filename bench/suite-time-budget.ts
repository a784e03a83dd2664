/**
 * The suite's wall-clock budget shared out among the stages still to run. Each stage has a nominal
 * budget (what it needs on a quiet machine); when the suite is behind its deadline (a loaded
 * machine, slow drains), every remaining stage gets the same fraction of its nominal budget, so the
 * last pipeline is not the one starved and the suite still ends near its deadline. A stage's time
 * left over goes to no one: a stage never gets more than its nominal budget.
 */
export class SuiteTimeBudget {
  private readonly deadlineMs: number;
  private readonly pending: Map<string, number>;

  constructor(
    totalSec: number,
    nominalSecByStage: ReadonlyMap<string, number>,
    private readonly now: () => number = Date.now,
  ) {
    this.deadlineMs = now() + totalSec * 1000;
    this.pending = new Map(nominalSecByStage);
  }

  /** Seconds until the suite's deadline (never negative). */
  leftSec(): number {
    return Math.max(0, (this.deadlineMs - this.now()) / 1000);
  }

  /**
   * Starts a stage: its budget in seconds, the smaller of its nominal budget and its share of the
   * time left (by nominal budget among the stages not yet started, this one included). The stage
   * no longer counts among those pending once started. A stage not listed gets only the time left.
   */
  start(stage: string): number {
    const nominal = this.pending.get(stage);
    const left = this.leftSec();
    if (nominal === undefined) return left;
    let pendingSum = 0;
    for (const sec of this.pending.values()) pendingSum += sec;
    this.pending.delete(stage);
    return Math.min(nominal, pendingSum > 0 ? (left * nominal) / pendingSum : left);
  }
}

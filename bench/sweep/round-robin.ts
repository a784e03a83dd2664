/**
 * Runs the probes of several concurrent tasks one at a time, taking the tasks in turn: each
 * setting's search waits for its slot, so repeats and settings interleave probe by probe and any
 * drift of a shared machine falls on every setting alike.
 */
export class RoundRobin {
  private readonly waiting = new Map<number, () => void>();
  private busy = false;
  private lastServed = -1;

  async turn<T>(task: number, work: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => {
      this.waiting.set(task, resolve);
      this.pump();
    });
    try {
      return await work();
    } finally {
      this.busy = false;
      this.pump();
    }
  }

  /** Starts the waiting task that comes next after the last one served, if nothing runs. */
  private pump(): void {
    if (this.busy || this.waiting.size === 0) return;
    const ids = [...this.waiting.keys()].sort((a, b) => a - b);
    const next = ids.find((id) => id > this.lastServed) ?? ids[0]!;
    const start = this.waiting.get(next)!;
    this.waiting.delete(next);
    this.busy = true;
    this.lastServed = next;
    start();
  }
}

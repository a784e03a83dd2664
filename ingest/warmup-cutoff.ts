/**
 * The warm-up cutoff shared by the ingest process and its analytics workers (OpenMessaging
 * Benchmark's warm-up phase): ticks whose intended send time falls before it are measured into a
 * separate histogram and left out of the headline. One BigInt64 in shared memory, µs since the
 * epoch; 0 means not known yet. In one process the run sets it from the schedule's start; an
 * ingest process on its own learns it from the first tick any of its workers sees.
 */
export class WarmupCutoff {
  private readonly cell: BigInt64Array;
  private known = 0;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly durationUs: number,
  ) {
    this.cell = new BigInt64Array(buffer);
  }

  static create(durationUs: number): WarmupCutoff {
    return new WarmupCutoff(new SharedArrayBuffer(8), durationUs);
  }

  /** Sets the cutoff from the schedule's start (µs); a cutoff already set stays. */
  startAt(scheduleStartUs: number): void {
    Atomics.compareExchange(this.cell, 0, 0n, BigInt(Math.floor(scheduleStartUs + this.durationUs)));
  }

  /** The cutoff, setting it from `sendTimeUs` when no one has yet. Cached once known: per-tick cost is one compare. */
  cutoffFor(sendTimeUs: number): number {
    if (this.known !== 0) return this.known;
    this.startAt(sendTimeUs);
    this.known = Number(Atomics.load(this.cell, 0));
    return this.known;
  }

  /** The cutoff in µs, or 0 while no tick was seen and no schedule started. */
  get cutoffUs(): number {
    return Number(Atomics.load(this.cell, 0));
  }
}

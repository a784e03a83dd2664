import type { TimelinePoint } from '../ingest/stats-collector.js';
import type { LatencySummary } from '../metrics/latency-histogram.js';
import type { ClockUs } from '../wire/clock.js';

export interface ProgressSnapshot {
  elapsedSec: number;
  durationSec: number;
  generated: number;
  produced: number;
  acked: number;
  consumed: number;
  lagTicks: number;
  sendRate: number;
  consumeRate: number;
  p99Us: number;
  phase: 'sending' | 'draining';
}

/** What a sampler reads: the counts of whichever halves run in this process (0 for the other one). */
export interface ProgressSource {
  clock: ClockUs;
  /** The time elapsed seconds count from (the schedule's start, or the role's). */
  startUs: number;
  durationSec: number;
  counts(): { generated: number; produced: number; acked: number; consumed: number };
  /** Both halves run here, so acked − consumed is the lag (a split role knows only its own half: lag 0). */
  bothHalves: boolean;
  /** End-to-end latency since the previous call (the ingest side), or none. */
  takeInterval?(): LatencySummary;
}

/**
 * One sample per period of a run or a split role: the timeline result.json keeps, the live
 * progress line, and the last rates and latency quantiles (what the metrics endpoint serves).
 */
export class ProgressSampler {
  readonly timeline: TimelinePoint[] = [];
  phase: ProgressSnapshot['phase'] = 'sending';
  lastSnapshot: ProgressSnapshot | null = null;
  lastInterval: LatencySummary | null = null;
  private last: { us: number; produced: number; consumed: number };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: ProgressSource,
    private readonly onSample: (snapshot: ProgressSnapshot) => void = () => {},
  ) {
    this.last = { us: source.clock(), produced: 0, consumed: 0 };
  }

  /** Samples every `periodMs` until `stop`. */
  start(periodMs: number): void {
    this.stop();
    this.timer = setInterval(() => this.sample(), periodMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  sample(): ProgressSnapshot {
    const { clock, startUs, durationSec } = this.source;
    const now = clock();
    const c = this.source.counts();
    const dt = Math.max(1e-3, (now - this.last.us) / 1e6);
    const interval = this.source.takeInterval?.() ?? null;
    this.lastInterval = interval;
    const p99Us = interval?.p99 ?? 0;
    const lagTicks = this.source.bothHalves ? Math.max(0, c.acked - c.consumed) : 0;
    const snapshot: ProgressSnapshot = {
      elapsedSec: (now - startUs) / 1e6,
      durationSec,
      generated: c.generated,
      produced: c.produced,
      acked: c.acked,
      consumed: c.consumed,
      lagTicks,
      sendRate: (c.produced - this.last.produced) / dt,
      consumeRate: (c.consumed - this.last.consumed) / dt,
      p99Us,
      phase: this.phase,
    };
    this.timeline.push({
      t: Math.round(snapshot.elapsedSec * 10) / 10,
      producedTicks: c.produced,
      consumedTicks: c.consumed,
      lagTicks,
      p99Us,
    });
    this.last = { us: now, produced: c.produced, consumed: c.consumed };
    this.lastSnapshot = snapshot;
    this.onSample(snapshot);
    return snapshot;
  }
}

import cliProgress from 'cli-progress';
import type { ProgressSnapshot } from '../run/progress-sampler.js';
import { formatCount, formatRate, formatUs } from '../report/format.js';

export interface ProgressView {
  update(snapshot: ProgressSnapshot): void;
  stop(): void;
}

/**
 * A live bar on a terminal; on a pipe or in CI, a plain line every 5 s in the manner of
 * kafka-producer-perf-test, so logs stay readable.
 */
export function createProgressView(stream: NodeJS.WriteStream, enabled: boolean): ProgressView {
  if (!enabled) return { update: () => {}, stop: () => {} };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: '{bar} {percentage}% | {elapsed}s/{total_s}s | sent {sent} | analysed {analysed} | lag {lag} | p99 {p99} | {phase}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(s) {
        const payload = {
          sent: formatRate(s.sendRate),
          analysed: formatRate(s.consumeRate),
          lag: formatCount(s.lagTicks),
          p99: formatUs(s.p99Us),
          phase: s.phase,
          elapsed: s.elapsedSec.toFixed(0),
          total_s: s.durationSec.toFixed(0),
        };
        const value = Math.min(100, Math.round((s.elapsedSec / Math.max(s.durationSec, 1e-3)) * 100));
        if (!started) {
          bar.start(100, value, payload);
          started = true;
        } else bar.update(value, payload);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let lastPrintSec = -Infinity;
  return {
    update(s) {
      if (s.elapsedSec - lastPrintSec < 5) return;
      lastPrintSec = s.elapsedSec;
      stream.write(
        `[${s.elapsedSec.toFixed(0)}s] ${s.phase}: sent ${formatRate(s.sendRate)}, analysed ${formatRate(s.consumeRate)}, acked ${formatCount(s.acked)}, lag ${formatCount(s.lagTicks)} ticks, p99 ${formatUs(s.p99Us)}\n`,
      );
    },
    stop() {},
  };
}

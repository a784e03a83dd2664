/** Synthetic frames with labelled anomalies for the FrameAnalyzer tests. */
import { createTickLabels, TickLabels, type TickLabelsShared } from '../../analytics/tick-labels.js';
import { FrameWriter, TickFlag } from '../../wire/tick-frame.js';
import { gaussian, prng } from './helpers.js';

export interface FrameSetOptions {
  seed: number;
  instruments: number;
  venues: number;
  frames: number;
  maxTicksPerFrame: number;
  /** Extra ticks per frame whose instrument lies outside `instruments` (should be skipped). */
  outOfRangeEvery?: number;
}

export interface FrameSet {
  frames: Buffer[];
  ticks: number;
  outOfRange: number;
  /** The labels, beside the stream by (source 0, seq): the frames' flags fields are 0. */
  labels: TickLabelsShared;
}

/**
 * GBM mids, venues quoting around them with 2 bp spreads, and injected spikes and decimal shifts
 * (InjectedOutlier), crossed quotes (InjectedArbitrage) and frozen runs (InjectedFrozen).
 */
export function makeFrames(o: FrameSetOptions): FrameSet {
  const rand = prng(o.seed);
  const gauss = gaussian(rand);
  const level = Array.from({ length: o.instruments }, () => 20 + 200 * rand());
  const frozen = new Map<number, { left: number; bid: number; ask: number }>();
  const writer = new FrameWriter(o.maxTicksPerFrame);
  const frames: Buffer[] = [];
  let seq = 0;
  let timeUs = 1.7e15;
  let ticks = 0;
  let outOfRange = 0;
  const labels = createTickLabels(1, o.frames * o.maxTicksPerFrame + 1);
  const labelWriter = new TickLabels(labels);
  for (let f = 0; f < o.frames; f++) {
    const n = 1 + Math.floor(rand() * o.maxTicksPerFrame);
    for (let k = 0; k < n; k++) {
      timeUs += 200;
      if (o.outOfRangeEvery && k % o.outOfRangeEvery === o.outOfRangeEvery - 1) {
        writer.append(seq++, 0, 0, o.instruments + k, 0, timeUs, 10, 10.01, 1, 1);
        outOfRange++;
        continue;
      }
      const i = Math.floor(rand() * o.instruments);
      const v = Math.floor(rand() * o.venues);
      level[i] *= Math.exp(5e-5 * gauss());
      const half = level[i] * 1e-4;
      let bid = level[i] - half;
      let ask = level[i] + half;
      let flags = 0;
      const cell = i * o.venues + v;
      const run = frozen.get(cell);
      const u = rand();
      if (run) {
        ({ bid, ask } = run);
        flags = TickFlag.InjectedFrozen;
        if (--run.left === 0) frozen.delete(cell);
      } else if (u < 0.005) {
        const m = rand() < 0.5 ? 10 : 0.1;
        bid *= m;
        ask *= m;
        flags = TickFlag.InjectedOutlier;
      } else if (u < 0.01) {
        bid += 4 * half; // above the others' asks
        ask += 4 * half;
        flags = TickFlag.InjectedArbitrage;
      } else if (u < 0.012) {
        frozen.set(cell, { left: 40, bid, ask });
      }
      labelWriter.write(0, seq, flags);
      writer.append(seq++, 0, v, i, 0, timeUs, bid, ask, 100, 100);
      if (writer.full) break;
    }
    ticks += writer.length;
    frames.push(writer.finish(0, 0, timeUs));
  }
  return { frames, ticks, outOfRange, labels };
}

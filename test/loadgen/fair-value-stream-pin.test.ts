import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashTruthArrays } from '../fixtures/truth-digest.js';
import { createTickLabels, TickLabels } from '../../analytics/tick-labels.js';
import { FairValueMarket, fairValueOptionsFor, TruthKind } from '../../loadgen/fair-value-market.js';
import { FrameBatcher } from '../../loadgen/frame-batcher.js';
import { OpenLoopSchedule } from '../../loadgen/open-loop-schedule.js';
import { TickSource } from '../../loadgen/tick-source.js';
import { TICK_EVENT_SHIFT, TickEvent, TickFlag } from '../../wire/tick-frame.js';

/**
 * Pins long fair-value streams bit for bit, with every kind of event in them: feed lags (the lag
 * ring full at 600k ticks/s), market-wide news jumps (their rate raised), spikes, decimal shifts,
 * dislocations, stale resends and both faulty sources (the bad-tick rates ×4). The digests were
 * taken before the generator's per-tick cost was cut (cached exponentials, a lag cursor per
 * cell): a change to them means a seed no longer regenerates the stream, nor its truth.
 */
const START_US = 1_700_000_000_000_000;
const SOURCE = 3;

function market(
  ticks: number,
  rate: number,
  shape: { instruments: number; venues: number; keyGroups: number },
  record: boolean,
): FairValueMarket {
  return new FairValueMarket({
    ...fairValueOptionsFor(
      { instruments: shape.instruments, venues: shape.venues, ratePerSec: rate, inject: { scale: 4 } },
      shape.keyGroups,
    ),
    newsProb: 1e-4,
    seed: 7,
    ticks,
    record,
  });
}

function digest(model: FairValueMarket, ticks: number, rate: number): { frames: string; labels: string; events: number[] } {
  const frames = createHash('sha256');
  const shared = createTickLabels(SOURCE + 1, ticks);
  const batcher = new FrameBatcher({
    keyGroups: model.keyGroups,
    ticksPerRecord: 64,
    clock: () => START_US,
    onFrame: (keyGroup, frame) => {
      frames.update(String(keyGroup));
      frames.update(frame);
    },
  });
  const source = new TickSource(model, batcher, SOURCE, new OpenLoopSchedule(rate, START_US, ticks), new TickLabels(shared));
  while (!source.finished) source.generateDue(Infinity, 65_536);
  batcher.flushAll(START_US);
  frames.update(JSON.stringify([model.checksum, model.truth.newsSeqs]));
  // How many ticks carry each TickEvent (index = event) and the frozen flag (last): every kind must be there.
  const events = new Array<number>(10).fill(0);
  for (const l of new Uint16Array(shared.labels)) {
    events[l >>> TICK_EVENT_SHIFT]!++;
    if ((l & TickFlag.InjectedFrozen) !== 0) events[9]!++;
  }
  return { frames: frames.digest('hex'), labels: createHash('sha256').update(new Uint8Array(shared.labels)).digest('hex'), events };
}

function truthDigest(m: FairValueMarket): string {
  const h = createHash('sha256');
  hashTruthArrays(h, m.truth);
  return h.digest('hex');
}

describe('long fair-value streams stay bit-identical for a seed', () => {
  it("a run's shape at 600k ticks/s (1000 instruments × 5 venues, 8 key groups), 1M ticks with every event kind", () => {
    const ticks = 1_000_000;
    const m = market(ticks, 600_000, { instruments: 1000, venues: 5, keyGroups: 8 }, false);
    const d = digest(m, ticks, 600_000);
    expect(m.truth.newsSeqs.length).toBeGreaterThan(50);
    for (const e of [TickEvent.Spike, TickEvent.DecimalShift, TickEvent.BiasedSource, TickEvent.FrozenSource])
      expect(d.events[e]).toBeGreaterThan(0);
    expect(d.events[9]).toBeGreaterThan(100);
    expect({ frames: d.frames, labels: d.labels }).toEqual({
      frames: '394053b6bcda1a2f6dced2b0aeaa3830fe2340a75870563590561527e98d5595',
      labels: 'f2c05075ba3cd38a07a847282ce6d0c5d81aaa41f2301eecee5468eb41113e45',
    });
  });

  it("the market's default shape (50 instruments × 12 venues) as scoring regenerates it, truth included", () => {
    const ticks = 200_000;
    const m = market(ticks, 2_000, { instruments: 50, venues: 12, keyGroups: 4 }, true);
    const d = digest(m, ticks, 2_000);
    let kinds = 0;
    for (const k of Object.values(TruthKind)) if (m.truth.kind.includes(k)) kinds++;
    expect(kinds).toBe(Object.values(TruthKind).length);
    expect({ frames: d.frames, labels: d.labels, truth: truthDigest(m) }).toEqual({
      frames: '0c56780a3892dfd6375782e49b8b0f7bdbd172604cc4704782cca62526dd0187',
      labels: '2facdad12c3ab9109a5d58634802485b52dd4158cdbb167884627388a31be4e0',
      truth: 'f22f3df69e81a44a4faf5eca25e4ad8c0ce7db78a6bf00e85fdcf1d9f12a1114',
    });
  });
});

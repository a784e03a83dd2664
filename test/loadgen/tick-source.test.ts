import { describe, expect, it } from 'vitest';
import { createTickLabels, TickLabels } from '../../analytics/tick-labels.js';
import { FrameBatcher } from '../../loadgen/frame-batcher.js';
import { MarketModel, type MarketModelConfig } from '../../loadgen/market-model.js';
import { OpenLoopSchedule } from '../../loadgen/open-loop-schedule.js';
import { TickSource } from '../../loadgen/tick-source.js';
import { FrameReader, validateFrame, type TickFields } from '../../wire/tick-frame.js';

const START_US = 1_700_000_000_000_000;
const SOURCE = 3;
const MODEL: MarketModelConfig = { seed: 77, instruments: 50, venues: 3, keyGroups: 7 };

interface Rig {
  source: TickSource;
  batcher: FrameBatcher;
  schedule: OpenLoopSchedule;
  frames: { keyGroup: number; frame: Buffer; tickCount: number }[];
  setClock(us: number): void;
}

function rig(rate: number, limit?: number, ticksPerRecord = 16): Rig {
  let clockUs = START_US;
  const frames: Rig['frames'] = [];
  const model = new MarketModel(MODEL);
  const batcher = new FrameBatcher({
    keyGroups: model.keyGroups,
    ticksPerRecord,
    clock: () => clockUs,
    onFrame: (keyGroup, frame, tickCount) => frames.push({ keyGroup, frame, tickCount }),
  });
  const schedule = new OpenLoopSchedule(rate, START_US, limit);
  const source = new TickSource(model, batcher, SOURCE, schedule);
  return {
    source,
    batcher,
    schedule,
    frames,
    setClock: (us) => {
      clockUs = us;
    },
  };
}

function decodeAll(frames: Rig['frames']): TickFields[] {
  const reader = new FrameReader();
  const ticks: TickFields[] = [];
  for (const { frame } of frames) {
    reader.reset(frame);
    for (let i = 0; i < reader.tickCount; i++) ticks.push(reader.tick(i));
  }
  return ticks;
}

/** What an independent model with the same config produces for the same intended times. */
function referenceTicks(schedule: OpenLoopSchedule, count: number): TickFields[] {
  const model = new MarketModel(MODEL);
  const ticks: TickFields[] = [];
  for (let i = 0; i < count; i++) {
    const sendTimeUs = schedule.intendedTimeUs(i);
    model.nextTick(sendTimeUs);
    ticks.push({
      seq: i,
      source: SOURCE,
      venue: model.venue,
      instrument: model.instrument,
      flags: model.flags,
      sendTimeUs,
      bid: model.bid,
      ask: model.ask,
      bidSize: model.bidSize,
      askSize: model.askSize,
    });
  }
  return ticks;
}

describe('TickSource', () => {
  it('keeps the labels beside the stream by (source, seq) and writes 0 into every wire flags field', () => {
    const config: MarketModelConfig = { ...MODEL, inject: {} };
    const frames: Buffer[] = [];
    const model = new MarketModel(config);
    const batcher = new FrameBatcher({
      keyGroups: model.keyGroups,
      ticksPerRecord: 64,
      clock: () => START_US,
      onFrame: (_g, f) => frames.push(f),
    });
    const labels = createTickLabels(SOURCE + 1, 60_000);
    const source = new TickSource(model, batcher, SOURCE, new OpenLoopSchedule(1e6, START_US, 50_000), new TickLabels(labels));
    source.generateDue(START_US + 1e6, Infinity);
    batcher.flushAll(START_US);
    const reference = new MarketModel(config);
    const schedule = new OpenLoopSchedule(1e6, START_US, 50_000);
    const table = new TickLabels(labels);
    let labelled = 0;
    for (let i = 0; i < 50_000; i++) {
      reference.nextTick(schedule.intendedTimeUs(i));
      expect(table.read(SOURCE, i)).toBe(reference.flags);
      if (reference.flags !== 0) labelled++;
    }
    expect(labelled).toBeGreaterThan(100);
    const reader = new FrameReader();
    let ticks = 0;
    for (const f of frames) {
      reader.reset(f);
      for (let i = 0; i < reader.tickCount; i++, ticks++) expect(reader.flags(i)).toBe(0);
    }
    expect(ticks).toBe(50_000);
  });

  it('emits frames that decode to exactly the generated ticks, seq contiguous from 0', () => {
    const { source, batcher, schedule, frames, setClock } = rig(100_000);
    // Advance the clock in uneven steps, as a producer loop would.
    let now = START_US;
    for (const step of [0, 7, 130, 1, 2_000, 55, 10_000]) {
      now += step;
      setClock(now);
      source.generateDue(now, Infinity);
      batcher.flushOlderThan(now, 500);
    }
    batcher.flushAll(now);
    const count = source.emitted;
    expect(count).toBe(schedule.dueBy(now));
    expect(count).toBeGreaterThan(1000);

    const ticks = decodeAll(frames).sort((a, b) => a.seq - b.seq);
    expect(ticks.map((t) => t.seq)).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(ticks).toEqual(referenceTicks(schedule, count));
  });

  it('puts only ticks of the frame key group into each frame, in seq order, one source per frame', () => {
    const { source, batcher, frames } = rig(1e6, 5_000, 8);
    source.generateDue(Infinity, Infinity);
    batcher.flushAll(START_US);
    const model = new MarketModel(MODEL);
    const reader = new FrameReader();
    const lastSeqOfGroup = new Map<number, number>();
    for (const { keyGroup, frame, tickCount } of frames) {
      expect(validateFrame(frame)).toBeNull();
      reader.reset(frame);
      expect(reader.keyGroup).toBe(keyGroup);
      expect(reader.source).toBe(SOURCE);
      for (let i = 0; i < tickCount; i++) {
        expect(model.keyGroupOf(reader.instrument(i))).toBe(keyGroup);
        expect(reader.tickSource(i)).toBe(SOURCE);
        expect(reader.seq(i)).toBeGreaterThan(lastSeqOfGroup.get(keyGroup) ?? -1);
        lastSeqOfGroup.set(keyGroup, reader.seq(i));
      }
    }
    expect(lastSeqOfGroup.size).toBe(MODEL.keyGroups);
  });

  it('stamps every tick with its intended time, so a stalled producer catches up with old timestamps', () => {
    const { source, batcher, schedule, frames } = rig(10_000);
    expect(source.generateDue(START_US, Infinity)).toBe(1);
    const stalledUntil = START_US + 50_000; // 50 ms without a chance to run
    expect(source.generateDue(stalledUntil, Infinity)).toBe(500);
    batcher.flushAll(stalledUntil);
    const ticks = decodeAll(frames).sort((a, b) => a.seq - b.seq);
    for (const t of ticks) expect(t.sendTimeUs).toBe(schedule.intendedTimeUs(t.seq));
    expect(stalledUntil - ticks[1].sendTimeUs).toBe(49_900);
  });

  it('bounds one call by maxTicks and resumes where it stopped', () => {
    const { source } = rig(1000);
    const now = START_US + 99_999; // 100 ticks due
    expect(source.generateDue(now, 30)).toBe(30);
    expect(source.generateDue(now, 30)).toBe(30);
    expect(source.generateDue(now, 0)).toBe(0);
    expect(source.generateDue(now, 1000)).toBe(40);
    expect(source.generateDue(now, 1000)).toBe(0);
    expect(source.emitted).toBe(100);
    expect(source.finished).toBe(false);
    expect(() => source.generateDue(now, -1)).toThrow(RangeError);
    expect(() => source.generateDue(now, 1.5)).toThrow(RangeError);
  });

  it('stops exactly at a --ticks limit and then reports finished', () => {
    const { source, batcher, frames } = rig(1e6, 1234);
    let emitted = 0;
    for (let now = START_US; !source.finished; now += 100) emitted += source.generateDue(now, 50);
    expect(emitted).toBe(1234);
    expect(source.emitted).toBe(1234);
    expect(source.generateDue(START_US + 1e9, Infinity)).toBe(0);
    batcher.flushAll(START_US);
    const seqs = decodeAll(frames)
      .map((t) => t.seq)
      .sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 1234 }, (_, i) => i));
  });

  it('rejects a source id outside u16 and a batcher with fewer key groups than the model', () => {
    const model = new MarketModel(MODEL);
    const schedule = new OpenLoopSchedule(1, 0);
    const batcher = new FrameBatcher({ keyGroups: 7, ticksPerRecord: 1, clock: () => 0, onFrame: () => {} });
    expect(() => new TickSource(model, batcher, 65_536, schedule)).toThrow(/source/);
    expect(() => new TickSource(model, batcher, -1, schedule)).toThrow(/source/);
    const small = new FrameBatcher({ keyGroups: 6, ticksPerRecord: 1, clock: () => 0, onFrame: () => {} });
    expect(() => new TickSource(model, small, 0, schedule)).toThrow(/key groups/);
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameBatcher } from '../../loadgen/frame-batcher.js';
import { FrameReader, validateFrame } from '../../wire/tick-frame.js';

interface EmittedFrame {
  keyGroup: number;
  frame: Buffer;
  tickCount: number;
}

function collectingBatcher(keyGroups: number, ticksPerRecord: number, clock: () => number) {
  const frames: EmittedFrame[] = [];
  const batcher = new FrameBatcher({
    keyGroups,
    ticksPerRecord,
    clock,
    onFrame: (keyGroup, frame, tickCount) => frames.push({ keyGroup, frame, tickCount }),
  });
  return { batcher, frames };
}

/** Adds a tick whose fields are all derived from seq, so a decoded tick can be checked alone. */
function addTick(batcher: FrameBatcher, keyGroup: number, seq: number, source = 1): void {
  batcher.add(keyGroup, seq, source, seq % 5, keyGroup + 1000, seq % 3, 1e15 + seq, 100 + seq, 101 + seq, 100, 200);
}

describe('FrameBatcher', () => {
  it('hands on a frame as soon as its group fills, stamped by the injected clock', () => {
    const { batcher, frames } = collectingBatcher(4, 3, () => 777);
    addTick(batcher, 2, 0);
    addTick(batcher, 2, 1);
    addTick(batcher, 1, 2);
    expect(frames).toHaveLength(0);
    addTick(batcher, 2, 3);
    expect(frames).toHaveLength(1);
    const { keyGroup, frame, tickCount } = frames[0];
    expect([keyGroup, tickCount]).toEqual([2, 3]);
    expect(validateFrame(frame)).toBeNull();
    const reader = new FrameReader().reset(frame);
    expect([reader.keyGroup, reader.source, reader.tickCount, reader.producedAtUs]).toEqual([2, 1, 3, 777]);
    expect([reader.seq(0), reader.seq(1), reader.seq(2)]).toEqual([0, 1, 3]);
    expect(reader.tick(2)).toEqual({
      seq: 3,
      source: 1,
      venue: 3,
      instrument: 1002,
      flags: 0,
      sendTimeUs: 1e15 + 3,
      bid: 103,
      ask: 104,
      bidSize: 100,
      askSize: 200,
    });
    expect(batcher.framesEmitted).toBe(1);
  });

  it('flushes a frame only once its first tick has lingered lingerUs, with producedAt = now', () => {
    let clockUs = 1_000;
    const { batcher, frames } = collectingBatcher(3, 100, () => clockUs);
    addTick(batcher, 0, 0); // first tick of group 0 at t=1000
    clockUs = 1_400;
    addTick(batcher, 1, 1); // first tick of group 1 at t=1400
    addTick(batcher, 0, 2);

    batcher.flushOlderThan(1_999, 1_000);
    expect(frames).toHaveLength(0);
    batcher.flushOlderThan(2_000, 1_000);
    expect(frames.map((f) => [f.keyGroup, f.tickCount])).toEqual([[0, 2]]);
    expect(new FrameReader().reset(frames[0].frame).producedAtUs).toBe(2_000);

    // Group 0 starts a new frame; its linger clock restarts with it.
    clockUs = 2_100;
    addTick(batcher, 0, 3);
    batcher.flushOlderThan(2_400, 1_000);
    expect(frames.map((f) => [f.keyGroup, f.tickCount])).toEqual([
      [0, 2],
      [1, 1],
    ]);
    batcher.flushAll(2_500);
    expect(frames.map((f) => [f.keyGroup, f.tickCount])).toEqual([
      [0, 2],
      [1, 1],
      [0, 1],
    ]);
    batcher.flushAll(2_600);
    expect(frames).toHaveLength(3);
  });

  it('never emits an empty frame, including for a group emptied by filling up', () => {
    const { batcher, frames } = collectingBatcher(2, 2, () => 0);
    addTick(batcher, 0, 0);
    addTick(batcher, 0, 1);
    expect(frames).toHaveLength(1);
    batcher.flushAll(10);
    batcher.flushOlderThan(1e9, 0);
    expect(frames).toHaveLength(1);
  });

  it('keeps one source per frame: a tick from another source closes the open frame', () => {
    const { batcher, frames } = collectingBatcher(1, 10, () => 0);
    addTick(batcher, 0, 0, 7);
    addTick(batcher, 0, 1, 7);
    addTick(batcher, 0, 0, 8);
    batcher.flushAll(1);
    const reader = new FrameReader();
    expect(frames.map((f) => [reader.reset(f.frame).source, f.tickCount])).toEqual([
      [7, 2],
      [8, 1],
    ]);
  });

  it('loses, duplicates and reorders nothing within a group, for any interleaving', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 300 }),
        (keyGroups, ticksPerRecord, steps) => {
          let clockUs = 0;
          const { batcher, frames } = collectingBatcher(keyGroups, ticksPerRecord, () => clockUs);
          const expected: number[][] = Array.from({ length: keyGroups }, () => []);
          steps.forEach(([group, lingerFlush], seq) => {
            clockUs += 1;
            addTick(batcher, group % keyGroups, seq);
            expected[group % keyGroups].push(seq);
            if (lingerFlush) batcher.flushOlderThan(clockUs, 3);
          });
          batcher.flushAll(clockUs);
          const received: number[][] = Array.from({ length: keyGroups }, () => []);
          const reader = new FrameReader();
          for (const { keyGroup, frame, tickCount } of frames) {
            reader.reset(frame);
            if (validateFrame(frame) !== null || tickCount < 1 || tickCount > ticksPerRecord) return false;
            if (reader.keyGroup !== keyGroup || reader.tickCount !== tickCount) return false;
            for (let i = 0; i < tickCount; i++) received[keyGroup].push(reader.seq(i));
          }
          expect(received).toEqual(expected);
          return true;
        },
      ),
    );
  });

  it('rejects bad options and out-of-range key groups', () => {
    const clock = (): number => 0;
    const onFrame = (): void => {};
    expect(() => new FrameBatcher({ keyGroups: 0, ticksPerRecord: 1, clock, onFrame })).toThrow(/keyGroups/);
    expect(() => new FrameBatcher({ keyGroups: 1, ticksPerRecord: 0, clock, onFrame })).toThrow(/ticksPerRecord/);
    expect(() => new FrameBatcher({ keyGroups: 1, ticksPerRecord: 70_000, clock, onFrame })).toThrow(/ticksPerRecord/);
    const batcher = new FrameBatcher({ keyGroups: 2, ticksPerRecord: 4, clock, onFrame });
    expect(() => addTick(batcher, 2, 0)).toThrow(/key group/);
    expect(() => addTick(batcher, -1, 0)).toThrow(/key group/);
  });
});

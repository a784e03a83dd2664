import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FRAME_HEADER_BYTES,
  FrameReader,
  FrameWriter,
  TICK_BYTES,
  frameByteLength,
  validateFrame,
  validateTicks,
  type TickFields,
} from '../../wire/tick-frame.js';

const tickArb: fc.Arbitrary<TickFields> = fc.record({
  seq: fc.integer({ min: 0, max: 0xffffffff }),
  source: fc.integer({ min: 0, max: 0xffff }),
  venue: fc.integer({ min: 0, max: 0xffff }),
  instrument: fc.integer({ min: 0, max: 0xffffffff }),
  flags: fc.integer({ min: 0, max: 0xffff }),
  sendTimeUs: fc.double({ min: 0, max: 2 ** 53, noNaN: true }),
  bid: fc.double({ noNaN: true }),
  ask: fc.double({ noNaN: true }),
  bidSize: fc.float({ noNaN: true }),
  askSize: fc.float({ noNaN: true }),
});

function write(writer: FrameWriter, t: TickFields): void {
  writer.append(t.seq, t.source, t.venue, t.instrument, t.flags, t.sendTimeUs, t.bid, t.ask, t.bidSize, t.askSize);
}

describe('tick frame wire format', () => {
  it('round-trips any ticks exactly (f32 sizes rounded as f32)', () => {
    fc.assert(
      fc.property(
        fc.array(tickArb, { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.double({ min: 0, max: 2 ** 53, noNaN: true }),
        (ticks, source, keyGroup, producedAtUs) => {
          const writer = new FrameWriter(ticks.length);
          for (const t of ticks) write(writer, t);
          const frame = writer.finish(source, keyGroup, producedAtUs);
          expect(frame.length).toBe(frameByteLength(ticks.length));
          expect(validateFrame(frame)).toBeNull();
          const reader = new FrameReader().reset(frame);
          expect(reader.tickCount).toBe(ticks.length);
          expect(reader.source).toBe(source);
          expect(reader.keyGroup).toBe(keyGroup);
          expect(reader.producedAtUs).toBe(producedAtUs);
          ticks.forEach((t, i) => {
            expect(reader.tick(i)).toEqual({ ...t, bidSize: Math.fround(t.bidSize), askSize: Math.fround(t.askSize) });
          });
        },
      ),
    );
  });

  it('reads a frame at a non-zero offset inside a larger buffer (as clients deliver them)', () => {
    const writer = new FrameWriter(2);
    writer.append(7, 1, 2, 3, 0, 1e15, 99.5, 100.5, 10, 20);
    const frame = writer.finish(1, 3, 1e15 + 5);
    const big = Buffer.alloc(frame.length + 13);
    frame.copy(big, 13);
    const view = big.subarray(13);
    expect(validateFrame(view)).toBeNull();
    expect(new FrameReader().reset(view).tick(0).seq).toBe(7);
  });

  it('one reader and the validators read frames packed one after another in shared buffers, switching between buffers', () => {
    // The reader and validateTicks keep one view per buffer (no object per frame): what they read
    // must not depend on which frame or buffer came before.
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.array(tickArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 9 })),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        (specs) => {
          const buffers = [new SharedArrayBuffer(8192), new SharedArrayBuffer(8192)];
          const used = [0, 0];
          const placed: Array<{ bytes: Uint8Array; ticks: TickFields[] }> = [];
          for (const [ticks, which, gap] of specs) {
            const writer = new FrameWriter(ticks.length);
            for (const t of ticks) write(writer, t);
            const frame = writer.finish(ticks[0]!.source, 1, 5);
            const at = used[which]! + gap;
            const bytes = new Uint8Array(buffers[which]!, at, frame.length);
            bytes.set(frame);
            used[which] = at + frame.length;
            placed.push({ bytes, ticks });
          }
          const reader = new FrameReader();
          for (const { bytes, ticks } of placed) {
            expect(validateFrame(bytes)).toBeNull();
            const sameSource = ticks.every((t) => t.source === ticks[0]!.source);
            expect(validateTicks(bytes)).toBe(sameSource ? null : 'source-mismatch');
            reader.reset(bytes);
            expect(reader.tickCount).toBe(ticks.length);
            expect(reader.producedAtUs).toBe(5);
            ticks.forEach((t, i) => {
              expect(reader.tick(i)).toEqual({ ...t, bidSize: Math.fround(t.bidSize), askSize: Math.fround(t.askSize) });
            });
          }
        },
      ),
    );
  });

  it('the writer is reusable after finish', () => {
    const writer = new FrameWriter(1);
    writer.append(1, 0, 0, 0, 0, 1, 1, 2, 1, 1);
    writer.finish(0, 0, 0);
    expect(writer.length).toBe(0);
    writer.append(2, 0, 0, 0, 0, 1, 1, 2, 1, 1);
    expect(new FrameReader().reset(writer.finish(0, 0, 0)).seq(0)).toBe(2);
  });

  it('names what is wrong with a malformed record', () => {
    const writer = new FrameWriter(3);
    for (let i = 0; i < 3; i++) writer.append(i, 0, 0, 0, 0, 1, 1, 2, 1, 1);
    const frame = writer.finish(0, 0, 0);
    expect(validateFrame(frame.subarray(0, FRAME_HEADER_BYTES - 1))).toBe('truncated');
    expect(validateFrame(frame.subarray(0, frame.length - TICK_BYTES))).toBe('length-mismatch');
    const badMagic = Buffer.from(frame);
    badMagic[0] = 0;
    expect(validateFrame(badMagic)).toBe('bad-magic');
    const badVersion = Buffer.from(frame);
    badVersion[4] = 9;
    expect(validateFrame(badVersion)).toBe('bad-version');
    expect(validateFrame(Buffer.from('not a frame at all, just some text'))).toBe('bad-magic');
  });

  it('rejects impossible capacities', () => {
    expect(() => new FrameWriter(0)).toThrow(RangeError);
    expect(() => new FrameWriter(70_000)).toThrow(RangeError);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameAppender, PackedFrames, packFrames } from '../../wire/frame-pack.js';

describe('packFrames / PackedFrames', () => {
  it('gives back every frame byte for byte, and its receive time, whatever the sizes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.double({ min: 0, max: 2e15, noNaN: true })), { maxLength: 40 }),
        (frames) => {
          const buffer = packFrames(
            frames.map(([bytes]) => bytes),
            frames.map(([, t]) => t),
          );
          const reader = new PackedFrames().reset(buffer);
          expect(reader.count).toBe(frames.length);
          frames.forEach(([bytes, t], i) => {
            expect(Array.from(reader.frame(i))).toEqual(Array.from(bytes));
            expect(reader.receivedUs(i)).toBe(t);
          });
        },
      ),
    );
  });

  it('reads frames appended one at a time into reserved room, and the buffer again after a reset', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(fc.uint8Array({ maxLength: 100 }), fc.double({ min: 0, max: 2e15, noNaN: true })), { maxLength: 12 }), {
          minLength: 1,
          maxLength: 3,
        }),
        (rounds) => {
          const appender = new FrameAppender(new SharedArrayBuffer(FrameAppender.bufferBytes(12, 12 * 100)), 12);
          for (const frames of rounds) {
            appender.reset();
            for (const [bytes, t] of frames) {
              expect(appender.fits(bytes.byteLength)).toBe(true);
              appender.append(bytes, t);
            }
            const reader = new PackedFrames().reset(appender.buffer);
            expect(reader.count).toBe(frames.length);
            frames.forEach(([bytes, t], i) => {
              expect(Array.from(reader.frame(i))).toEqual(Array.from(bytes));
              expect(Array.from(appender.frame(i))).toEqual(Array.from(bytes));
              expect(reader.receivedUs(i)).toBe(t);
            });
          }
          expect(appender.fits(0)).toBe(appender.count < 12);
        },
      ),
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PackedFrames, packFrames } from '../../wire/frame-pack.js';

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
});

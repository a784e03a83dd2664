import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_MAX_MESSAGE_BYTES, deadLetterRecord } from '../../ingest/dead-letter.js';
import { MAX_RECORD_BYTES } from '../../kafka/client.js';

describe('dead-letter records (issue 12)', () => {
  it('keeps the original bytes and says why and where', () => {
    const value = Buffer.from('garbage');
    const dead = deadLetterRecord({ partition: 3, offset: 42, value }, 'bad-magic', 7);
    expect(dead.key.toString()).toBe('reason=bad-magic; partition=3; offset=42');
    expect(dead.value.equals(value)).toBe(true);
  });

  it('cuts a value larger than the consumer fetches, records its size, and always fits the producer', () => {
    const value = Buffer.alloc(MAX_RECORD_BYTES + 1000, 1);
    const longReason = `analytics failed 3 times: ${'x'.repeat(100_000)}`;
    const dead = deadLetterRecord({ partition: 0, offset: 1, value }, longReason, 0);
    expect(dead.value.length).toBe(MAX_RECORD_BYTES);
    expect(dead.key.length + dead.value.length).toBeLessThanOrEqual(DEAD_LETTER_MAX_MESSAGE_BYTES);
    const small = deadLetterRecord({ partition: 0, offset: 1, value }, 'truncated', 0);
    expect(small.key.toString()).toBe(`reason=truncated; partition=0; offset=1; truncatedFrom=${MAX_RECORD_BYTES + 1000}`);
  });
});

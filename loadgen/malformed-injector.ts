import type { FrameProducer, OutgoingFrame } from '../kafka/client.js';
import { FRAME_HEADER_BYTES } from '../wire/tick-frame.js';

const KINDS = ['truncated', 'bad-magic', 'garbage'] as const;

/**
 * Poison pills: wraps a producer so that, after every `1/share` frames, one malformed record goes
 * to the same partition — a truncated frame, a frame with the wrong magic, or text that is no
 * frame at all. The consumer must dead-letter each one and never crash or loop on it.
 */
export class MalformedInjector implements FrameProducer {
  injected = 0;
  private readonly every: number;
  private sinceLast = 0;

  constructor(
    private readonly inner: FrameProducer,
    share: number,
  ) {
    this.every = share > 0 ? Math.max(1, Math.round(1 / share) - 1) : Number.POSITIVE_INFINITY;
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }
  get pending(): number {
    return this.inner.pending;
  }
  flush(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.inner.flush(timeoutMs, signal);
  }
  disconnect(): Promise<void> {
    return this.inner.disconnect();
  }

  send(frame: OutgoingFrame): boolean {
    if (!this.inner.send(frame)) return false;
    if (++this.sinceLast >= this.every) {
      const poison = { ...frame, value: malformedCopy(frame.value, KINDS[this.injected % KINDS.length]!), tickCount: 0 };
      // The pipeline's own frame is already queued; a refused poison pill is simply not counted.
      if (this.inner.send(poison)) {
        this.injected++;
        this.sinceLast = 0;
      }
    }
    return true;
  }
}

function malformedCopy(frame: Buffer, kind: (typeof KINDS)[number]): Buffer {
  switch (kind) {
    case 'truncated':
      return Buffer.from(frame.subarray(0, Math.max(1, Math.min(frame.length - 1, FRAME_HEADER_BYTES + 7))));
    case 'bad-magic': {
      const copy = Buffer.from(frame);
      copy.writeUInt32LE(0xdeadbeef, 0);
      return copy;
    }
    case 'garbage':
      return Buffer.from('{"not":"a tick frame"}');
  }
}

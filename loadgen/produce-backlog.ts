import type { FrameProducer, OutgoingFrame } from '../kafka/client.js';

/**
 * Frames the producer refused (its queue was full), sent in order once it takes them again. A
 * frame that arrives while some wait joins the queue behind them, so frames of a partition never
 * overtake each other. The head index avoids shifting the array per frame sent.
 */
export class ProduceBacklog {
  private readonly frames: OutgoingFrame[] = [];
  private head = 0;

  constructor(
    private readonly producer: () => Pick<FrameProducer, 'send'>,
    /** Called for every frame handed to the producer, straight away or from the backlog. */
    private readonly onSent: (frame: OutgoingFrame) => void,
  ) {}

  get empty(): boolean {
    return this.head >= this.frames.length;
  }

  /** Sends the frame, or queues it behind the waiting ones; true when it was sent. */
  offer(frame: OutgoingFrame): boolean {
    if (this.empty && this.producer().send(frame)) {
      this.onSent(frame);
      return true;
    }
    this.frames.push(frame);
    return false;
  }

  /** Sends what waits, in order; true when nothing is left waiting. */
  drain(): boolean {
    const producer = this.producer();
    while (this.head < this.frames.length) {
      const frame = this.frames[this.head]!;
      if (!producer.send(frame)) return false;
      this.onSent(frame);
      this.head++;
    }
    this.frames.length = 0;
    this.head = 0;
    return true;
  }
}

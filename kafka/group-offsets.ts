import { Kafka, logLevel, type Admin } from 'kafkajs';

/** A consumer group's committed offsets on one topic, and the topic's log starts, read over one admin connection kept open. */
export class GroupOffsetsReader {
  #admin: Admin;
  #connected: Promise<void> | null = null;

  constructor(
    brokers: string,
    private readonly groupId: string,
    private readonly topic: string,
  ) {
    this.#admin = new Kafka({
      clientId: 'firehose-group-offsets',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
      // A reader that cannot reach the coordinator (a broker set down by a fault) gives up soon:
      // its caller tries again on its next pass, and a close must not wait out kafkajs's 30 s.
      connectionTimeout: 2_000,
      requestTimeout: 2_000,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 300 },
    }).admin();
  }

  /** Partition → committed offset (the next record the group reads); partitions with no commit are left out. */
  async read(): Promise<Map<number, number>> {
    this.#connected ??= this.#admin.connect();
    await this.#connected;
    const [topic] = await this.#admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] });
    const committed = new Map<number, number>();
    for (const { partition, offset } of topic?.partitions ?? []) {
      const at = Number(offset);
      if (Number.isSafeInteger(at) && at >= 0) committed.set(partition, at);
    }
    return committed;
  }

  /** Partition → the log's first offset (ListOffsets earliest). */
  async logStarts(): Promise<Map<number, number>> {
    this.#connected ??= this.#admin.connect();
    await this.#connected;
    const starts = new Map<number, number>();
    for (const { partition, low } of await this.#admin.fetchTopicOffsets(this.topic)) starts.set(partition, Number(low));
    return starts;
  }

  async close(): Promise<void> {
    if (this.#connected === null) return;
    await this.#connected.catch(() => {});
    await this.#admin.disconnect();
  }
}

/** Where trimmed records go: the embedded cluster (EmbeddedCluster.deleteRecords). */
export interface TrimTarget {
  deleteRecords(topic: string, partition: number, beforeOffset: number): Promise<void>;
}

/** The run's consumer group's committed offsets and the partitions' log starts (kafka/group-offsets.ts). */
export interface CommittedOffsets {
  read(): Promise<Map<number, number>>;
  logStarts(): Promise<Map<number, number>>;
  close(): Promise<void>;
}

/** How often the embedded cluster's log is trimmed. */
export const MOCK_LOG_TRIM_INTERVAL_MS = 500;

/**
 * Keeps the embedded cluster's ticks log down to what the run's consumer group has not committed.
 *
 * librdkafka's mock finds a fetch's offset by walking every message set the partition keeps
 * (rd_kafka_mock_msgset_find, "FIXME: Maintain an index"; up to 5 MB or 100k sets per partition),
 * where Kafka looks it up in an offset index. Small batches make many sets, so each fetch got
 * slower as the run went on: at 60k ticks/s in the latency profile a perf profile put 82-88% of the
 * mock thread's samples in that walk after 10 s, and the per-second p99 climbed from 20 ms to
 * seconds. Records below the committed offset are analysed and committed: nothing reads them again
 * (a rebalance resumes at the committed offset), so deleting them changes no figure but the mock's
 * cost. A/B at 60k ticks/s, latency profile, 20 s, on a shared 2-core machine at load average 17-20
 * (figures noisy, the ratio is the point): p50 654 ms → 7.2-7.4 ms, p99 7.3 s → 0.12-0.20 s, the
 * brokers' CPU 9.2 → 3.1-3.4 s of the run's 22-25 s.
 */
export class MockLogTrimmer {
  readonly #trimmedTo = new Map<number, number>();
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> | null = null;
  #stopped = false;
  /** Offsets the partitions' log starts moved by, in all (records the mock had already dropped included). */
  trimmedRecords = 0;
  /** Passes that failed (a broker down, the group rebalancing): the next pass tries again. */
  failedPasses = 0;

  constructor(
    private readonly cluster: TrimTarget,
    private readonly committed: CommittedOffsets,
    private readonly topic: string,
    private readonly intervalMs = MOCK_LOG_TRIM_INTERVAL_MS,
  ) {}

  start(): void {
    this.#timer = setInterval(() => {
      // One pass at a time: a slow one (a broker set down by a fault) is not queued behind.
      if (this.#pass === null && !this.#stopped) this.#pass = this.trimOnce().finally(() => (this.#pass = null));
    }, this.intervalMs);
    this.#timer.unref();
  }

  /**
   * Deletes each partition's records below its committed offset, only ever forwards, and only
   * where that offset is past the log's start: the mock sets its log start to whatever it is
   * given, so a group that fell behind what the mock kept (its 5 MB) would otherwise move the
   * start back over records that are gone, and the eviction would not be seen as one.
   */
  async trimOnce(): Promise<void> {
    try {
      const committed = await this.committed.read();
      const starts = await this.committed.logStarts();
      for (const [partition, offset] of committed) {
        if (this.#stopped) return;
        const from = Math.max(this.#trimmedTo.get(partition) ?? 0, starts.get(partition) ?? Number.MAX_SAFE_INTEGER);
        if (offset <= from) continue;
        await this.cluster.deleteRecords(this.topic, partition, offset);
        this.#trimmedTo.set(partition, offset);
        this.trimmedRecords += offset - from;
      }
    } catch {
      this.failedPasses++;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#pass;
    await this.committed.close().catch(() => {});
  }
}

import { alertsTopic, deadLetterTopic } from '../../ingest/ingest-session.js';
import { deleteTopics } from '../../kafka/topic-cleanup.js';

/** Deletes the topics given that exist and returns those it deleted (kafka/topic-cleanup's deleteTopics; a fake in tests). */
export type TopicDeleter = (brokers: string, topics: readonly string[]) => Promise<string[]>;

/**
 * The topics of a sweep on a real cluster: one per setting (a partition count is a property of the
 * topic, so settings cannot share one), each with the dead-letter and alerts topics a run creates
 * beside it; deleted at the end unless kept. Both kinds of sweep (fixed rate and --find-capacity)
 * use it, so neither leaves topics behind on a user's cluster.
 */
export class SweepTopics {
  private readonly names = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(
    /** Prefix of every topic name, e.g. firehose-sweep-20261129-091500. */
    readonly prefix: string,
    private readonly deleter: TopicDeleter = deleteTopics,
  ) {}

  /** The topic of a setting (the same name every time it is asked for). */
  topicFor(label: string): string {
    const name = this.names.get(label) ?? `${this.prefix}-${label}`;
    this.names.set(label, name);
    return name;
  }

  /** A run used this topic: it and its side topics are deleted at the end. */
  markUsed(topic: string): void {
    this.used.add(topic);
  }

  /** Every topic the sweep's runs may have created (ticks, dead letters, alerts). */
  all(): string[] {
    return [...this.used].flatMap((t) => [t, deadLetterTopic(t), alertsTopic(t)]);
  }

  /** Deletes every topic used (or keeps them) and says what became of them, for the output and sweep.json. */
  async cleanUp(brokers: string, keep: boolean): Promise<string> {
    const all = this.all();
    if (all.length === 0) return 'none created';
    if (keep) return `kept (--keep-topics): ${all.join(', ')}`;
    try {
      const deleted = await this.deleter(brokers, all);
      return `deleted after the sweep: ${deleted.join(', ') || 'none'}`;
    } catch (error) {
      return `NOT deleted (${error instanceof Error ? error.message : String(error)}): ${all.join(', ')}`;
    }
  }
}

/** A sweep's topic prefix from its start time: firehose-sweep-YYYYMMDD-HHMMSS. */
export function sweepTopicPrefix(at: Date = new Date()): string {
  return `firehose-sweep-${at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`;
}

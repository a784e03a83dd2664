import { RUN_DEFAULTS } from './run-defaults.js';

/** --profile: what the batching waits optimise for. */
export const RUN_PROFILES = ['throughput', 'latency'] as const;
export type RunProfile = (typeof RUN_PROFILES)[number];

export interface ProfileSettings {
  /** Longest a partly filled frame waits (--linger-ms), ms. */
  lingerMs: number;
  /** The Kafka producer's linger.ms (--producer-linger-ms). */
  producerLingerMs: number;
  /**
   * Close every open frame as soon as the producer has taken everything offered (nothing waits in
   * the generator's backlog): frames then batch only while there is a queue, and a lightly loaded
   * pipeline sends each slice's ticks at once instead of waiting out the linger.
   */
  flushWhenIdle: boolean;
}

/**
 * Throughput: the measured defaults (big frames, a 5 ms producer linger, because the embedded
 * brokers return one producer batch per partition per fetch). Latency: no waiting for company;
 * the frame linger stays as a bound for a producer that never goes idle, and
 * the producer lingers 1 ms.
 */
export const PROFILE_SETTINGS: Record<RunProfile, ProfileSettings> = {
  throughput: { lingerMs: RUN_DEFAULTS.lingerMs, producerLingerMs: RUN_DEFAULTS.producerLingerMs, flushWhenIdle: false },
  // Producer linger 0 made one produce request per frame: on the embedded cluster at 100k ticks/s
  // acknowledgements then took seconds (it returns one producer batch per partition per fetch).
  latency: { lingerMs: 1, producerLingerMs: 1, flushWhenIdle: true },
};

import { DEFAULT_FETCH_WAIT_MS } from '../kafka/client.js';
import { RUN_DEFAULTS } from './run-defaults.js';

/** --profile: what the batching waits optimise for. */
export const RUN_PROFILES = ['throughput', 'latency'] as const;
export type RunProfile = (typeof RUN_PROFILES)[number];

export interface ProfileSettings {
  /** Longest a partly filled frame waits (--frame-linger), ms. */
  frameLingerMs: number;
  /** The Kafka producer's linger.ms (--producer-linger-ms). */
  producerLingerMs: number;
  /**
   * Produce requests in flight per broker connection (confluent client); null: the client's
   * default (kafka/client.ts DEFAULT_MAX_IN_FLIGHT_REQUESTS). 1 makes the client batch only while
   * a request is out, the rule the frames follow.
   */
  producerMaxInFlight: number | null;
  /**
   * Close every open frame as soon as the producer is idle (nothing waits in the generator's
   * backlog and nothing is in flight), Nagle's rule: frames batch only while there is a queue, so
   * a lightly loaded pipeline sends each slice's ticks at once instead of waiting out the linger,
   * and a loaded one, whose producer is never idle, batches by size and linger as before.
   */
  flushWhenIdle: boolean;
  /** The consumer's fetch.wait.max.ms (kafka/client.ts DEFAULT_FETCH_WAIT_MS). */
  fetchWaitMaxMs: number;
  /**
   * On the embedded cluster, delete what the consumer group has committed from the mock's log
   * (run/mock-log-trim.ts): its fetch walks every message set a partition keeps, and small
   * batches make many. Not in the throughput profile: there the sets are big and few, the walk
   * is cheap (no change at 300k ticks/s). And deleting what was read leaves the mock's whole 5 MB
   * to unread records, so eviction starts later: the fault suite's retention-overrun scenario (3M
   * ticks/s into one partition, which must evict) read all 9M ticks with it, 8.3M without.
   */
  trimMockLog: boolean;
}

/**
 * Throughput: the measured defaults (big frames, a 5 ms producer linger, because the embedded
 * brokers return one producer batch per partition per fetch). Latency: a 1 ms frame linger, producer
 * linger 0 with one request in flight per broker (frames batch only behind a request). Both close
 * frames when the producer is idle: batching adapts to the queue, so neither profile makes light
 * load wait (at 50k ticks/s on a loaded machine: p50 25 → 12 ms on real Kafka, 29 → 19 ms on the
 * mock), and at saturation,
 * where the producer is never idle, nothing changes.
 */
export const PROFILE_SETTINGS: Record<RunProfile, ProfileSettings> = {
  throughput: {
    frameLingerMs: RUN_DEFAULTS.frameLingerMs,
    producerLingerMs: RUN_DEFAULTS.producerLingerMs,
    producerMaxInFlight: null,
    flushWhenIdle: true,
    fetchWaitMaxMs: DEFAULT_FETCH_WAIT_MS,
    trimMockLog: false,
  },
  // Producer linger 0 made one produce request per frame: on the embedded cluster at 100k ticks/s
  // acknowledgements then took seconds (it returns one producer batch per partition per fetch).
  // "Idle" once meant only an empty backlog: frames then left every 1 ms slice in small pieces
  // and the mock took seconds too (p50 0.41 s, p99 5.0 s at 50k ticks/s); waiting also for the
  // acknowledgements in flight gave p50 14 ms, p99 0.42 s on the same loaded machine.
  // An empty fetch waits 1 ms, not 5: librdkafka's mock answers it only when the wait ends. At 30k
  // ticks/s on the mock, 3 runs each on a quiet machine: e2e p50 8.7-12.0 -> 5.9-6.1 ms, p99
  // 17-77 -> 11-13 ms (transport p50 6.7-8.9 -> 4.2-4.3 ms); the price is more fetches when idle.
  //
  // Producer linger 0, one request in flight per broker: at 60k ticks/s on the mock the 1 ms linger
  // gathered nothing (1.0-1.3 frames per request, one batch per partition; librdkafka statistics),
  // it only held each frame (int_latency p50 1.3 ms). Linger 0 alone sent each frame at once even
  // in a burst, one message set each, and the mock, whose fetch walks its sets, once answered
  // produce requests in 30 ms (rtt p50). With one request in flight, frames that come while a
  // request is out go together in the next (int_latency p50 0.3 ms, outbuf 0.14 ms, rtt 0.27 ms).
  latency: {
    frameLingerMs: 1,
    producerLingerMs: 0,
    producerMaxInFlight: 1,
    flushWhenIdle: true,
    fetchWaitMaxMs: 1,
    trimMockLog: true,
  },
};

import { FirehoseError } from '../kafka/errors.js';
import { KafkaApiKey, type EmbeddedCluster } from '../kafka/embedded-cluster.js';
import type { LocalCluster } from '../kafka/local-cluster/local-cluster.js';
import { defaultReplicationFactor } from '../kafka/replication.js';

/**
 * Faults injected into the cluster during a run.
 *
 *   --fault KIND[:ARGS][@AT[+FOR]]      AT and FOR as durations (10s, 500ms); AT may be a share of the run (33%)
 *
 * On the local cluster (real Kafka JVMs; N is a node id, `leader` the leader of partition 0 when the fault starts):
 *   kill[:N|leader]                     SIGKILL the node (default leader), start it again after FOR (5 s)
 *   pause[:N|leader]                    SIGSTOP the node (default leader), SIGCONT after FOR (5 s)
 *   restart[:N]                         a clean shutdown (SIGTERM) of node N (default 1), then start it again
 *
 * On the embedded cluster (librdkafka's mock brokers):
 *   broker-down[:ID]                    broker ID (default 2) down, partition leaders moved off it; back up after FOR (5 s)
 *   rtt:MS[:ID|all]                     extra round-trip time on a broker (default all) for FOR (5 s)
 *   produce-errors:CODE[*N]             the next N (1) Produce requests fail with CODE (a name or number)
 *   fetch-errors:CODE[*N]               the same for Fetch requests
 *   coordinator-move[:ID]               the consumer group's coordinator moves to broker ID (default 3)
 *
 * A bare KIND uses these defaults and starts a third of the way in.
 */
export type FaultKind = 'broker-down' | 'rtt' | 'produce-errors' | 'fetch-errors' | 'coordinator-move' | 'kill' | 'pause' | 'restart';
const MOCK_KINDS: readonly FaultKind[] = ['broker-down', 'rtt', 'produce-errors', 'fetch-errors', 'coordinator-move'];
const KAFKA_KINDS: readonly FaultKind[] = ['kill', 'pause', 'restart'];
const KINDS: readonly FaultKind[] = [...MOCK_KINDS, ...KAFKA_KINDS];

/** The cluster a fault plan runs against: real Kafka (the local cluster) or the mock. */
export type FaultTarget = 'kafka' | 'mock';

/** Kafka error names accepted in produce-errors / fetch-errors, with whether clients retry them. */
export const FAULT_ERROR_CODES: Record<string, { code: number; retriable: boolean }> = {
  NOT_LEADER_FOR_PARTITION: { code: 6, retriable: true },
  NOT_LEADER_OR_FOLLOWER: { code: 6, retriable: true },
  LEADER_NOT_AVAILABLE: { code: 5, retriable: true },
  REQUEST_TIMED_OUT: { code: 7, retriable: true },
  NOT_ENOUGH_REPLICAS: { code: 19, retriable: true },
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: { code: 20, retriable: true },
  UNKNOWN_TOPIC_OR_PARTITION: { code: 3, retriable: true },
  CORRUPT_MESSAGE: { code: 2, retriable: true },
  MESSAGE_TOO_LARGE: { code: 10, retriable: false },
  TOPIC_AUTHORIZATION_FAILED: { code: 29, retriable: false },
  INVALID_REQUIRED_ACKS: { code: 21, retriable: false },
  TRANSPORT: { code: -195, retriable: true },
};

export interface FaultSpec {
  kind: FaultKind;
  text: string;
  /** Start, seconds from the run's start. */
  atSec: number;
  /** How long it lasts (faults that are one event: 0). */
  forSec: number;
  broker: number | 'all' | 'leader';
  rttMs: number;
  errorCode: number;
  errorName: string;
  count: number;
}

export interface FaultEvent {
  atSec: number;
  kind: FaultKind;
  phase: 'start' | 'end';
  detail: string;
}

/** Longest fault, and largest extra round-trip time: beyond these a run only hangs. */
export const MAX_FAULT_SEC = 3600;
export const MAX_FAULT_RTT_MS = 60_000;

function seconds(text: string, runSec: number, what: string, spec: string): number {
  const share = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (share) return (Number(share[1]) / 100) * runSec;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!match) throw new FirehoseError('BAD_OPTION', `--fault ${spec}: ${what} "${text}" is not a duration (e.g. 10s, 500ms, 33%)`);
  const value = Number(match[1]);
  return match[2] === 'ms' ? value / 1000 : match[2] === 'm' ? value * 60 : value;
}

/**
 * Parses one --fault value; `runSec` resolves percentages and the default start (a third in);
 * `brokers` is the node count of the cluster it will run against.
 */
export function parseFault(spec: string, runSec: number, brokers: number, target: FaultTarget = 'mock'): FaultSpec {
  const [head = '', timing] = spec.split('@', 2) as [string, string | undefined];
  const [kindText = '', ...args] = head.split(':');
  const kind = kindText as FaultKind;
  if (!KINDS.includes(kind))
    throw new FirehoseError('BAD_OPTION', `--fault ${spec}: unknown kind "${kindText}" (one of ${KINDS.join(', ')})`);
  if (target === 'mock' && KAFKA_KINDS.includes(kind)) {
    throw new FirehoseError(
      'BAD_OPTION',
      `--fault ${spec}: ${kind} acts on real Kafka processes: use --brokers local (the embedded cluster has ${MOCK_KINDS.join(', ')})`,
    );
  }
  if (target === 'kafka' && MOCK_KINDS.includes(kind)) {
    throw new FirehoseError(
      'BAD_OPTION',
      `--fault ${spec}: ${kind} needs the librdkafka mock: use --brokers embedded (the local cluster has ${KAFKA_KINDS.join(', ')})`,
    );
  }
  let atSec = runSec / 3;
  let forSec = kind === 'broker-down' || kind === 'rtt' || kind === 'kill' || kind === 'pause' ? 5 : 0;
  if (timing !== undefined) {
    const [at = '', dur] = timing.split('+', 2) as [string, string | undefined];
    atSec = seconds(at, runSec, 'start', spec);
    if (dur !== undefined) forSec = seconds(dur, runSec, 'length', spec);
  }
  // Bounded so that every timer fits setTimeout (2^31 ms) and a fault can happen within the run.
  if (atSec > runSec) throw new FirehoseError('BAD_OPTION', `--fault ${spec}: starts at ${atSec} s, after the run's ${runSec} s`);
  if (forSec > MAX_FAULT_SEC) throw new FirehoseError('BAD_OPTION', `--fault ${spec}: lasts ${forSec} s, more than ${MAX_FAULT_SEC} s`);
  const fault: FaultSpec = { kind, text: spec, atSec, forSec, broker: 2, rttMs: 0, errorCode: 0, errorName: '', count: 1 };
  const brokerArg = (text: string | undefined, fallback: number | 'all'): number | 'all' => {
    if (text === undefined || text === '') return fallback;
    if (text === 'all') return 'all';
    const id = Number(text);
    if (!Number.isInteger(id) || id < 1 || id > brokers)
      throw new FirehoseError('BAD_OPTION', `--fault ${spec}: broker "${text}" must be 1..${brokers} or all`);
    return id;
  };
  const nodeArg = (text: string | undefined, fallback: number | 'leader', leaderAllowed: boolean): number | 'leader' => {
    if (text === undefined || text === '') return fallback;
    if (text === 'leader' && leaderAllowed) return 'leader';
    const id = Number(text);
    if (!Number.isInteger(id) || id < 1 || id > brokers) {
      throw new FirehoseError(
        'BAD_OPTION',
        `--fault ${spec}: node "${text}" must be 1..${brokers}${leaderAllowed ? ' or leader' : ''} (the local cluster has ${brokers} node${brokers > 1 ? 's' : ''})`,
      );
    }
    return id;
  };
  switch (kind) {
    case 'kill':
    case 'pause':
      fault.broker = nodeArg(args[0], 'leader', true);
      break;
    case 'restart':
      fault.broker = nodeArg(args[0], 1, false);
      break;
    case 'broker-down': {
      fault.broker = brokerArg(args[0], Math.min(2, brokers));
      if (fault.broker === 'all') throw new FirehoseError('BAD_OPTION', `--fault ${spec}: take one broker down at a time`);
      if (brokers < 2) throw new FirehoseError('BAD_OPTION', `--fault ${spec}: needs at least 2 brokers to move leaders to`);
      break;
    }
    case 'rtt': {
      fault.rttMs = seconds(args[0] ?? '', runSec, 'round-trip time', spec) * 1000;
      if (!(fault.rttMs > 0)) throw new FirehoseError('BAD_OPTION', `--fault ${spec}: give the round-trip time, e.g. rtt:300ms`);
      if (fault.rttMs > MAX_FAULT_RTT_MS)
        throw new FirehoseError('BAD_OPTION', `--fault ${spec}: the round-trip time must be at most ${MAX_FAULT_RTT_MS} ms`);
      fault.broker = brokerArg(args[1], 'all');
      break;
    }
    case 'produce-errors':
    case 'fetch-errors': {
      const [name = '', times] = (args[0] ?? '').split('*', 2) as [string, string | undefined];
      const known = FAULT_ERROR_CODES[name.toUpperCase()];
      const numeric = /^-?\d+$/.test(name) ? Number(name) : undefined;
      if (!known && numeric === undefined)
        throw new FirehoseError(
          'BAD_OPTION',
          `--fault ${spec}: unknown error "${name}" (one of ${Object.keys(FAULT_ERROR_CODES).join(', ')}, or a number)`,
        );
      fault.errorCode = known?.code ?? numeric!;
      fault.errorName = known ? name.toUpperCase() : `error ${numeric}`;
      fault.count = times === undefined ? 1 : Number(times);
      if (!Number.isInteger(fault.count) || fault.count < 1 || fault.count > 10_000)
        throw new FirehoseError('BAD_OPTION', `--fault ${spec}: the count after * must be 1..10000`);
      break;
    }
    case 'coordinator-move':
      fault.broker = brokerArg(args[0], defaultReplicationFactor(brokers));
      if (fault.broker === 'all') throw new FirehoseError('BAD_OPTION', `--fault ${spec}: the coordinator moves to one broker`);
      break;
  }
  return fault;
}

/**
 * Runs a fault plan against the embedded cluster on the run's clock, recording each step so the
 * report can draw it on the timeline.
 */
export class FaultRunner {
  readonly events: FaultEvent[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly cluster: { mock: EmbeddedCluster } | { kafka: LocalCluster },
    private readonly faults: FaultSpec[],
    private readonly target: { topic: string; partitions: number; groupId: string; brokers: number },
    private readonly onError: (message: string) => void,
  ) {}

  #exitHook: (() => void) | null = null;

  start(): void {
    // If the process exits inside a fault (a Ctrl-C's deadline), a cluster that outlives the run
    // must not stay with a node killed or frozen.
    if ('kafka' in this.cluster && this.faults.some((f) => KAFKA_KINDS.includes(f.kind))) {
      const c = this.cluster.kafka;
      this.#exitHook = () => {
        try {
          c.restoreNow();
        } catch {
          /* nothing more can be done while exiting */
        }
      };
      process.on('exit', this.#exitHook);
    }
    const startMs = Date.now();
    const at = (sec: number, step: () => Promise<void | string>, event: Omit<FaultEvent, 'atSec'>): void => {
      const timer = setTimeout(
        () => {
          const atSec = Math.round(((Date.now() - startMs) / 1000) * 10) / 10;
          // Recorded only once the step took effect: a failed step must not appear on the timeline.
          // A step may return a better detail once it knows it (which node `leader` was).
          const p = step().then(
            (detail) => {
              this.events.push({ atSec, ...event, ...(typeof detail === 'string' ? { detail } : {}) });
            },
            (error: unknown) => this.onError(`fault ${event.kind} ${event.phase}: ${(error as Error).message}`),
          );
          this.pending.add(p);
          void p.finally(() => this.pending.delete(p));
        },
        Math.max(0, sec * 1000),
      );
      this.timers.push(timer);
    };
    for (const f of this.faults) {
      if ('kafka' in this.cluster) {
        this.#scheduleKafka(f, this.cluster.kafka, at);
        continue;
      }
      const c = this.cluster.mock;
      switch (f.kind) {
        case 'broker-down': {
          const down = f.broker as number;
          const others = Array.from({ length: this.target.brokers }, (_, i) => i + 1).filter((b) => b !== down);
          at(
            f.atSec,
            async () => {
              for (let p = 0; p < this.target.partitions; p++) await c.partitionSetLeader(this.target.topic, p, others[p % others.length]!);
              await c.brokerSetDown(down);
            },
            { kind: f.kind, phase: 'start', detail: `broker ${down} down, leaders moved to ${others.join(',')}` },
          );
          at(f.atSec + f.forSec, () => c.brokerSetUp(down), { kind: f.kind, phase: 'end', detail: `broker ${down} up` });
          break;
        }
        case 'rtt':
          at(f.atSec, () => c.brokerSetRtt(f.broker as number | 'all', f.rttMs), {
            kind: f.kind,
            phase: 'start',
            detail: `+${f.rttMs} ms RTT on broker ${f.broker}`,
          });
          at(f.atSec + f.forSec, () => c.brokerSetRtt(f.broker as number | 'all', 0), {
            kind: f.kind,
            phase: 'end',
            detail: `RTT back to normal on broker ${f.broker}`,
          });
          break;
        case 'produce-errors':
        case 'fetch-errors': {
          const apiKey = f.kind === 'produce-errors' ? KafkaApiKey.Produce : KafkaApiKey.Fetch;
          at(f.atSec, () => c.pushRequestErrors(apiKey, new Array<number>(f.count).fill(f.errorCode)), {
            kind: f.kind,
            phase: 'start',
            detail: `next ${f.count} ${f.kind === 'produce-errors' ? 'Produce' : 'Fetch'} requests fail with ${f.errorName}`,
          });
          break;
        }
        case 'coordinator-move':
          at(f.atSec, () => c.coordinatorSet('group', this.target.groupId, f.broker as number), {
            kind: f.kind,
            phase: 'start',
            detail: `group coordinator moved to broker ${f.broker}`,
          });
          break;
        default:
          break; // real-Kafka kinds are refused for the mock by parseFault
      }
    }
  }

  /** Faults on real Kafka JVMs: signals to the node's process. The node hit is recorded in the event. */
  #scheduleKafka(
    f: FaultSpec,
    c: LocalCluster,
    at: (sec: number, step: () => Promise<void | string>, event: Omit<FaultEvent, 'atSec'>) => void,
  ): void {
    // `leader` is looked up when the fault starts; the end acts on the node the start hit.
    let node = typeof f.broker === 'number' ? f.broker : 0;
    const pick = async (): Promise<number> => {
      node = f.broker === 'leader' ? await c.leaderOf(this.target.topic, 0) : (f.broker as number);
      return node;
    };
    const who = f.broker === 'leader' ? 'the leader of partition 0' : `node ${f.broker}`;
    switch (f.kind) {
      case 'kill':
        at(
          f.atSec,
          async () => {
            c.killNode(await pick());
            return `SIGKILL node ${node}${f.broker === 'leader' ? ' (leader of partition 0)' : ''}`;
          },
          { kind: f.kind, phase: 'start', detail: `SIGKILL ${who}` },
        );
        at(
          f.atSec + f.forSec,
          async () => {
            await c.startNode(node);
            return `node ${node} started again and listed`;
          },
          { kind: f.kind, phase: 'end', detail: 'killed node starting again' },
        );
        break;
      case 'pause':
        at(
          f.atSec,
          async () => {
            c.pauseNode(await pick());
            return `SIGSTOP node ${node}${f.broker === 'leader' ? ' (leader of partition 0)' : ''}`;
          },
          { kind: f.kind, phase: 'start', detail: `SIGSTOP ${who}` },
        );
        at(
          f.atSec + f.forSec,
          async () => {
            c.resumeNode(node);
            return `SIGCONT node ${node}`;
          },
          { kind: f.kind, phase: 'end', detail: 'SIGCONT: paused node resumed' },
        );
        break;
      case 'restart':
        at(
          f.atSec,
          async () => {
            await c.stopNode(node);
            await c.startNode(node);
          },
          { kind: f.kind, phase: 'start', detail: `clean restart of node ${node}` },
        );
        break;
      default:
        break; // mock kinds are refused for real Kafka by parseFault
    }
  }

  /**
   * Cancels what has not happened and waits for what is under way. On real Kafka a node still
   * killed or paused (the run ended inside a fault) is brought back, so a cluster that outlives
   * the run is whole again.
   */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await Promise.all([...this.pending]);
    if (!this.#exitHook || !('kafka' in this.cluster)) return;
    process.off('exit', this.#exitHook);
    this.#exitHook = null;
    // Started, not awaited: the run's end (maybe a Ctrl-C with a deadline) must not wait for a JVM.
    try {
      this.cluster.kafka.restoreNow();
    } catch (error) {
      this.onError(`bringing the nodes back: ${(error as Error).message}`);
    }
  }
}

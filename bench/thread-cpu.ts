import { MS_PER_TICK, readThreads } from '../metrics/thread-cpu.js';

/** CPU time of this process's threads by kind, µs (Linux /proc; zeros elsewhere). */
export interface ThreadCpu {
  /** The main (event-loop) thread: the consumer, the dispatcher, the client's callbacks. */
  main: number;
  /** librdkafka's client threads (rdk:main, rdk:broker…). */
  client: number;
  /** The embedded cluster's broker threads (rdk:mock…), when the cluster runs in this process. */
  brokers: number;
  /** Every other thread: analytics workers, V8's GC and compiler helpers, libuv's pool. */
  other: number;
}

/** Reads the CPU of every thread now; threads that ended before are not counted, so take both ends while they run. */
export function threadCpu(): ThreadCpu {
  const cpu: ThreadCpu = { main: 0, client: 0, brokers: 0, other: 0 };
  for (const [tid, { comm, ticks }] of readThreads()) {
    const us = ticks * MS_PER_TICK * 1000;
    if (tid === process.pid) cpu.main += us;
    else if (comm.startsWith('rdk:mock')) cpu.brokers += us;
    else if (comm.startsWith('rdk:')) cpu.client += us;
    else cpu.other += us;
  }
  return cpu;
}

/** Per record, µs, between two readings; rounded to 0.1. */
export function perRecord(from: ThreadCpu, to: ThreadCpu, records: number): ThreadCpu {
  const f = (k: keyof ThreadCpu): number => (records > 0 ? Math.round(((to[k] - from[k]) / records) * 10) / 10 : 0);
  return { main: f('main'), client: f('client'), brokers: f('brokers'), other: f('other') };
}

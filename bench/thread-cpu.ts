import { readdirSync, readFileSync } from 'node:fs';

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

const TICK_US = 10_000; // USER_HZ is 100 on Linux

/** Reads utime + stime of every thread now; threads that ended before are not counted, so take both ends while they run. */
export function threadCpu(): ThreadCpu {
  const cpu: ThreadCpu = { main: 0, client: 0, brokers: 0, other: 0 };
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return cpu;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // Format: tid (comm) state ... ; comm may hold spaces, so split after the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    const us = (Number(fields[11]) + Number(fields[12])) * TICK_US;
    if (Number(tid) === process.pid) cpu.main += us;
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

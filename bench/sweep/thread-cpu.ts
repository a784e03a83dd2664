import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports thread CPU time in clock ticks of 1/100 s (USER_HZ is 100 on every mainstream build). */
const TICKS_PER_SEC = 100;

/** The busiest second of a child process: whole-process cores and its busiest threads' share of a core. */
export interface ThreadCpu {
  /** Highest cores used by the whole process over any sampling interval. */
  cpuCores: number;
  /** Highest share of one core used by any single thread over any interval (a saturated thread is near 1). */
  busiestThreadCore: number;
  /** The same for the main thread (tid = pid): the load generator and the consumer's JavaScript. */
  mainThreadCore: number;
}

/** utime + stime of every thread of a process, in ticks; empty when /proc cannot say (not Linux, process gone). */
function readThreads(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: fields are counted after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(fields[11]) + Number(fields[12]));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/**
 * Samples a child's threads once a second from outside (the child needs no help, and thread names
 * are no use here: Node's workers and librdkafka's threads are all called "node"). Returns a stop
 * function that gives the busiest interval's figures, or null when /proc gave nothing.
 */
export function sampleThreadCpu(pid: number, intervalMs = 1000): () => ThreadCpu | null {
  let last = { at: performance.now(), threads: readThreads(pid) };
  const busiest: ThreadCpu = { cpuCores: 0, busiestThreadCore: 0, mainThreadCore: 0 };
  let intervals = 0;
  const timer = setInterval(() => {
    const now = { at: performance.now(), threads: readThreads(pid) };
    const seconds = (now.at - last.at) / 1000;
    if (now.threads.size > 0 && seconds > 0.2) {
      let total = 0;
      for (const [tid, ticks] of now.threads) {
        const share = (ticks - (last.threads.get(tid) ?? ticks)) / TICKS_PER_SEC / seconds;
        total += share;
        busiest.busiestThreadCore = Math.max(busiest.busiestThreadCore, share);
        if (tid === pid) busiest.mainThreadCore = Math.max(busiest.mainThreadCore, share);
      }
      busiest.cpuCores = Math.max(busiest.cpuCores, total);
      intervals++;
    }
    last = now;
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (intervals === 0) return null;
    const round = (x: number): number => Math.round(Math.min(x, 1024) * 100) / 100;
    return {
      cpuCores: round(busiest.cpuCores),
      busiestThreadCore: round(Math.min(1, busiest.busiestThreadCore)),
      mainThreadCore: round(Math.min(1, busiest.mainThreadCore)),
    };
  };
}

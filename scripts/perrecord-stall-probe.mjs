// Where the per-record backlog read spends its time and whether it waits (issue 14 item 2): one
// embedded cluster, a prefilled topic of 1-tick frames, then the ingest session reading it, its
// consume calls, pauses and worker tasks timed by wrapping private members from outside (a
// diagnostic: nothing inside changes), beside each thread's CPU and run-queue wait (schedstat),
// and the main thread's sleep put on the event that woke it. RAW=1 reads the topic with the client
// alone first (as bench/raw-client-probe.ts), RAW=only does just that. Prints `window monotonic
// a b` (CLOCK_MONOTONIC s) for cutting a `perf record` of the process to the measured read.
// Usage: [RAW=1|only] node scripts/perrecord-stall-probe.mjs [recordsPerPartition=25000] [passes=1]
import { createFrameConsumer } from '../dist/kafka/client-factory.js';
import { IngestSession } from '../dist/ingest/ingest-session.js';
import { prefillOneTickTopic, sleep } from './perrecord-prefill.mjs';
import { nowUs } from '../dist/wire/clock.js';
import { readThreads } from '../dist/metrics/thread-cpu.js';
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';

const perPartition = Number(process.argv[2] ?? 25000);
const passes = Number(process.argv[3] ?? 1);
const partitions = 8;
const topic = `stall-${process.pid}`;
const { cluster, brokers, total } = await prefillOneTickTopic(topic, partitions, perPartition);

// schedstat: ns on CPU, ns waiting on a run queue (runnable, not running), timeslices.
const threadsNow = () => {
  const m = new Map();
  for (const [tid, t] of readThreads()) {
    let run = 0,
      wait = 0;
    try {
      const [a, b] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
      run = a / 1000;
      wait = b / 1000;
    } catch {
      // The thread ended between the listing and the read.
    }
    m.set(tid, { comm: t.comm, us: run, waitUs: wait });
  }
  return m;
};

async function rawPass(pass) {
  let count = 0,
    firstUs = 0,
    lastUs = 0,
    firstBatch = 0,
    th0 = null,
    monoFrom = 0;
  const consumer = createFrameConsumer(
    'confluent',
    { brokers, clientId: 'raw', groupId: `${topic}-raw${pass}`, topic },
    {
      records: (partition, records) => {
        const now = nowUs();
        if (count === 0) {
          firstUs = now;
          firstBatch = records.length;
          th0 = threadsNow();
          monoFrom = Number(process.hrtime.bigint()) / 1e9;
        }
        count += records.length;
        lastUs = now;
        consumer.commit(partition, records[records.length - 1].offset + 1);
      },
      assigned: () => {},
      revoked: () => {},
      error: (e) => console.error('raw', e.message),
    },
  );
  await consumer.start();
  while (count < total) await sleep(1);
  if (process.env.RAW === 'only')
    console.error(`window monotonic ${monoFrom.toFixed(6)} ${(Number(process.hrtime.bigint()) / 1e9).toFixed(6)}`);
  const th1 = threadsNow();
  const records = count - firstBatch,
    span = lastUs - firstUs;
  const byKind = {},
    waitKind = {};
  for (const [tid, t] of th1) {
    const d = t.us - (th0.get(tid)?.us ?? 0),
      dw = t.waitUs - (th0.get(tid)?.waitUs ?? 0);
    if (d <= 0) continue;
    const kind = tid === process.pid ? 'main' : t.comm.replace(/\d+$/, '');
    byKind[kind] = (byKind[kind] ?? 0) + d;
    waitKind[kind] = (waitKind[kind] ?? 0) + dw;
  }
  const busy = Object.fromEntries(
    Object.entries(byKind).map(([k, v]) => [
      k,
      `run ${((v / span) * 100).toFixed(0)}% runq ${((waitKind[k] / span) * 100).toFixed(0)}% ${(v / records).toFixed(2)}us/rec`,
    ]),
  );
  console.log(JSON.stringify({ raw: pass, records, recordsPerSec: Math.round(records / (span / 1e6)), busy }));
  await consumer.stop();
}
for (let pass = 1; pass <= passes; pass++) {
  if (process.env.RAW) await rawPass(pass);
  if (process.env.RAW === 'only') continue;
  const before = new Set(readThreads().keys());
  const session = await IngestSession.start({
    brokers,
    client: 'confluent',
    topic,
    groupId: `${topic}-g${pass}`,
    workers: 2,
    instruments: 1000,
    venues: 5,
    injectWorkerFailures: 0,
    framesPerTask: 16,
    ledgerSources: 1,
    ledgerCapacity: total + 1024,
    clock: nowUs,
    log: () => {},
  });
  const consumerAdapter = session.consumer;
  const native = consumerAdapter.consumer;
  const dispatcher = session.dispatcher;
  const ev = { consumes: [], tasks: [], pauses: 0, pausedUs: 0, pausedAt: 0 };
  let measuring = false;
  const origConsume = native.consume.bind(native);
  // Main's own schedstat: what of the wall time it neither ran nor waited for a CPU (it slept: nothing to do).
  const mainSched = () => {
    const [a, b] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return (a + b) / 1000;
  };
  ev.sleepWaitingConsume = 0;
  // Main's sleep (neither running nor runnable) between one event and the next, put on the event that woke it.
  const sleepBy = { consume: 0, task: 0 };
  let lastWall = 0,
    lastSched = 0;
  const wokeBy = (kind) => {
    const w = nowUs(),
      sc = mainSched();
    if (measuring && lastWall > 0) sleepBy[kind] += Math.max(0, w - lastWall - (sc - lastSched));
    lastWall = w;
    lastSched = sc;
  };
  ev.sleepBy = sleepBy;
  native.consume = (n, cb) => {
    const s = nowUs();
    const issued = [s, mainSched()];
    return origConsume(n, (err, msgs) => {
      wokeBy('consume');
      const e = nowUs();
      const sched = mainSched();
      if (measuring) {
        ev.consumes.push([s, e, msgs?.length ?? 0]);
        // From this consume's issue to its callback, main slept for this long: waiting on it (or on nothing else).
        ev.sleepWaitingConsume += Math.max(0, e - issued[0] - (sched - issued[1]));
      }
      cb(err, msgs);
    });
  };
  const origRun = dispatcher.run;
  dispatcher.run = (task, transfer) => {
    const s = nowUs();
    const p = origRun(task, transfer);
    p.then(() => {
      wokeBy('task');
      if (measuring) ev.tasks.push([s, nowUs(), task.count]);
    });
    return p;
  };
  const hooks = dispatcher.hooks;
  const origPause = hooks.pause,
    origResume = hooks.resume;
  hooks.pause = () => {
    if (measuring) {
      ev.pauses++;
      ev.pausedAt = nowUs();
    }
    origPause();
  };
  hooks.resume = () => {
    if (measuring && ev.pausedAt) {
      ev.pausedUs += nowUs() - ev.pausedAt;
      ev.pausedAt = 0;
    }
    origResume();
  };
  const c = session.counts;
  while (c.firstConsumedUs === 0) await sleep(1);
  measuring = true;
  const monoFrom = Number(process.hrtime.bigint()) / 1e9;
  console.error('WINDOW START');
  const fromFrames = c.frames,
    fromUs = nowUs();
  const elu0 = performance.eventLoopUtilization();
  const th0 = threadsNow();
  while (c.frames < total) await sleep(2);
  const toUs = nowUs();
  measuring = false;
  console.error(`window monotonic ${monoFrom.toFixed(6)} ${(Number(process.hrtime.bigint()) / 1e9).toFixed(6)}`);
  const elu = performance.eventLoopUtilization(elu0);
  const th1 = threadsNow();
  const records = c.frames - fromFrames;
  const span = toUs - fromUs;
  const byKind = {};
  const waitKind = {};
  for (const [tid, t] of th1) {
    const d = t.us - (th0.get(tid)?.us ?? 0);
    const dw = t.waitUs - (th0.get(tid)?.waitUs ?? 0);
    if (d <= 0) continue;
    const kind =
      tid === process.pid ? 'main' : !before.has(tid) && !t.comm.startsWith('rdk:') ? `new:${t.comm}` : t.comm.replace(/\d+$/, '');
    byKind[kind] = (byKind[kind] ?? 0) + d;
    waitKind[kind] = (waitKind[kind] ?? 0) + dw;
  }
  const busy = Object.fromEntries(
    Object.entries(byKind).map(([k, v]) => [
      k,
      `run ${((v / span) * 100).toFixed(0)}% runq ${((waitKind[k] / span) * 100).toFixed(0)}% ${(v / records).toFixed(2)}us/rec`,
    ]),
  );
  const cons = ev.consumes;
  const inConsume = cons.reduce((a, [s, e]) => a + (e - s), 0);
  const sizes = cons.map((x) => x[2]);
  const tasks = ev.tasks;
  const taskUs = tasks.reduce((a, [s, e]) => a + (e - s), 0);
  const recs = tasks.reduce((a, x) => a + x[2], 0);
  console.log(
    JSON.stringify({
      pass,
      records,
      spanMs: span / 1000,
      recordsPerSec: Math.round(records / (span / 1e6)),
      mainELU: +elu.utilization.toFixed(3),
      busy,
      consumes: cons.length,
      consumeInFlightShare: +(inConsume / span).toFixed(3),
      meanConsumeMs: +(inConsume / cons.length / 1000).toFixed(2),
      meanBatch: Math.round(sizes.reduce((a, b) => a + b, 0) / cons.length),
      emptyConsumes: sizes.filter((x) => x === 0).length,
      mainSleepShareBy: Object.fromEntries(Object.entries(ev.sleepBy).map(([k, v]) => [k, +(v / span).toFixed(3)])),
      mainSleepWaitingConsumeShare: +(ev.sleepWaitingConsume / span).toFixed(3),
      pauses: ev.pauses,
      pausedShare: +(ev.pausedUs / span).toFixed(3),
      tasks: tasks.length,
      meanTaskRecords: Math.round(recs / tasks.length),
      meanTaskMs: +(taskUs / tasks.length / 1000).toFixed(2),
      taskInFlightShare: +(taskUs / span / 2).toFixed(3),
    }),
  );
  await session.finish();
}
await cluster.stop();

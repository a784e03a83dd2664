// Narrow same-process probe for the per-record ingest path (issue 14 item 2): one embedded cluster,
// one prefilled topic of 1-tick frames, then alternating passes of (a) the raw client's consume loop
// (as bench/raw-client-probe.ts consumeOnly: commit per delivered batch) and (b) the ingest side
// (IngestSession: dispatcher + worker pool, all detectors on), each with a fresh consumer group.
// Usage: node scripts/perrecord-ingest-probe.mjs [passes=3] [recordsPerPartition=8000]
import { createFrameConsumer } from '../dist/kafka/client-factory.js';
import { IngestSession } from '../dist/ingest/ingest-session.js';
import { prefillOneTickTopic, sleep } from './perrecord-prefill.mjs';
import { nowUs } from '../dist/wire/clock.js';

const passes = Number(process.argv[2] ?? 3);
const perPartition = Number(process.argv[3] ?? 8000);
const partitions = 8;
const topic = `perrec-${process.pid}`;
let steadyCpu = 0;
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const { cluster, brokers, total } = await prefillOneTickTopic(topic, partitions, perPartition);

async function rawPass(n) {
  let count = 0,
    firstUs = 0,
    firstBatch = 0,
    lastUs = 0,
    consumer = null;
  let cpu0 = 0;
  consumer = createFrameConsumer(
    'confluent',
    { brokers, clientId: 'raw', groupId: `${topic}-raw-${n}`, topic },
    {
      records: (partition, records) => {
        const now = nowUs();
        if (count === 0) {
          firstUs = now;
          firstBatch = records.length;
          cpu0 = cpuUs();
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
  steadyCpu = (cpuUs() - cpu0) / (count - firstBatch);
  await consumer.stop();
  return (count - firstBatch) / ((lastUs - firstUs) / 1e6);
}

async function ingestPass(n) {
  const session = await IngestSession.start({
    brokers,
    client: 'confluent',
    topic,
    groupId: `${topic}-ingest-${n}`,
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
  // First record handed to the dispatcher → last task finished.
  // CPU of every thread from the first finished task to the last (start-up and close left out).
  let cpu0 = 0,
    framesAtCpu0 = 0;
  const c = session.counts;
  while (c.frames < total) {
    await sleep(1);
    if (cpu0 === 0 && c.frames > 0) {
      cpu0 = cpuUs();
      framesAtCpu0 = c.frames;
    }
  }
  steadyCpu = (cpuUs() - cpu0) / (c.frames - framesAtCpu0);
  const rate = (c.frames - 0) / ((c.lastConsumedUs - c.firstConsumedUs) / 1e6);
  await session.finish();
  return rate;
}

const raws = [],
  ingests = [],
  rawCpu = [],
  ingestCpu = [];
for (let i = 1; i <= passes; i++) {
  raws.push(await rawPass(i));
  rawCpu.push(steadyCpu);
  ingests.push(await ingestPass(i));
  ingestCpu.push(steadyCpu);
  console.error(
    `pass ${i}: raw ${Math.round(raws.at(-1))}/s (${rawCpu.at(-1).toFixed(1)} µs CPU/record) ingest ${Math.round(ingests.at(-1))}/s (${ingestCpu.at(-1).toFixed(1)} µs CPU/record)`,
  );
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const r = med(raws),
  g = med(ingests);
console.log(
  JSON.stringify({
    records: total,
    passes,
    rawMedian: Math.round(r),
    ingestMedian: Math.round(g),
    ratio: Math.round((g / r) * 1000) / 1000,
    rawCpuUsPerRecord: +med(rawCpu).toFixed(2),
    ingestCpuUsPerRecord: +med(ingestCpu).toFixed(2),
  }),
);
await cluster.stop();

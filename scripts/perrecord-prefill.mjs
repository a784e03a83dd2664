// The per-record probes' shared start: one embedded cluster and a topic prefilled with one-tick
// frames (instrument spread by a prime stride, 5 venues, partition = seq mod partitions), written
// with the confluent producer and acknowledged before the read starts.
import { EmbeddedCluster } from '../dist/kafka/embedded-cluster.js';
import { createFrameProducer } from '../dist/kafka/client-factory.js';
import { FrameWriter } from '../dist/wire/tick-frame.js';
import { nowUs } from '../dist/wire/clock.js';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts the cluster and fills `topic`; the caller stops the cluster. */
export async function prefillOneTickTopic(topic, partitions, perPartition) {
  const cluster = await EmbeddedCluster.start({ topics: [{ name: topic, partitions }], groupInitialRebalanceDelayMs: 0 });
  const brokers = cluster.bootstrapServers;
  const total = perPartition * partitions;
  let acked = 0;
  const producer = createFrameProducer(
    'confluent',
    { brokers, clientId: 'prefill', topic, acks: -1, compression: 'none', lingerMs: 5, maxPendingFrames: 50_000, idempotent: false },
    { delivered: () => acked++, failed: (_f, e) => console.error('prefill', e.message) },
  );
  await producer.connect();
  const w = new FrameWriter(1);
  const t0 = nowUs();
  for (let seq = 0; seq < total; ) {
    const instrument = (seq * 7919) % 1000;
    w.append(seq, 0, seq % 5, instrument, 0, t0, 100 + instrument * 0.01, 100.02 + instrument * 0.01, 100, 100);
    const frame = w.finish(0, instrument, t0);
    if (producer.send({ partition: seq % partitions, key: Buffer.from(String(instrument)), value: frame, tickCount: 1, producedAtUs: t0 }))
      seq++;
    else await sleep(1);
  }
  await producer.flush(30_000);
  await producer.disconnect();
  console.error(`prefilled ${acked} of ${total}`);
  return { cluster, brokers, total };
}

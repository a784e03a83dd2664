import Table from 'cli-table3';
import type { KafkaToolPeers } from './kafka-tools-peers.js';

/** The peers next to this pipeline, as a terminal table, with how to read each figure. */
export function renderPeersTable(peers: KafkaToolPeers): string {
  const table = new Table({
    head: ['on real Kafka', 'records/s', 'MB/s', 'p50', 'p99', 'pipeline ÷ tool (MB/s)'],
    style: { head: [], border: [] },
  });
  if (peers.pipeline)
    table.push([
      'this pipeline (best sustained, end to end)',
      peers.pipeline.recordsPerSec.toLocaleString('en-US'),
      peers.pipeline.mbPerSec.toFixed(2),
      '',
      '',
      '',
    ]);
  for (const t of peers.tools) {
    const ratio =
      t.tool === 'ProducerPerformance'
        ? peers.ratios.pipelineVsProducerPerformance
        : t.tool === 'ConsumerPerformance'
          ? peers.ratios.pipelineVsConsumerPerformance
          : null;
    table.push([
      t.tool === 'EndToEndLatency' ? 'EndToEndLatency (closed loop: 1 in flight)' : t.tool,
      Math.round(t.recordsPerSec).toLocaleString('en-US'),
      t.mbPerSec.toFixed(2),
      t.latencyMs ? `${t.latencyMs.p50} ms` : '',
      t.latencyMs ? `${t.latencyMs.p99} ms` : '',
      ratio === null ? '' : `${ratio.toFixed(2)}×`,
    ]);
  }
  const head = `Kafka's own tools, same cluster (Apache Kafka ${peers.cluster.kafkaVersion}, ${peers.cluster.nodes} node${peers.cluster.nodes > 1 ? 's' : ''}), ${peers.records.toLocaleString('en-US')} records of ${peers.recordSize} bytes, acks=${peers.acks}`;
  return [head, table.toString(), ...peers.notes.map((n) => `  · ${n}`)].join('\n');
}

import { FirehoseError } from '../kafka/errors.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry } from 'prom-client';

/** What a running test exposes; read at every scrape. */
export interface MetricsSnapshot {
  producedTicks: number;
  ackedTicks: number;
  consumedTicks: number;
  failedTicks: number;
  duplicatedTicks: number;
  sendRate: number;
  consumeRate: number;
  /** Lag in ticks per partition (acknowledged − analysed). */
  lagByPartition: Map<number, number>;
  /** End-to-end latency quantiles of the last interval, µs. */
  latencyQuantilesUs: Map<number, number>;
}

/**
 * Prometheus metrics for long runs, served on `--metrics-port` while the run goes. Gauges are
 * filled from a snapshot at scrape time, so nothing is computed when nobody scrapes.
 */
export class MetricsServer {
  private readonly server: http.Server;
  private readonly registry = new Registry();

  private constructor(snapshot: () => MetricsSnapshot) {
    const gauge = (name: string, help: string, read: (s: MetricsSnapshot) => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read(snapshot()));
        },
      });
    };
    gauge('firehose_ticks_produced', 'Ticks handed to the Kafka client', (s) => s.producedTicks);
    gauge('firehose_ticks_acked', 'Ticks acknowledged by Kafka', (s) => s.ackedTicks);
    gauge('firehose_ticks_consumed', 'Ticks analysed by the workers', (s) => s.consumedTicks);
    gauge('firehose_ticks_failed', 'Ticks whose produce failed', (s) => s.failedTicks);
    gauge('firehose_send_rate_ticks_per_second', 'Ticks sent per second, last interval', (s) => s.sendRate);
    gauge('firehose_consume_rate_ticks_per_second', 'Ticks analysed per second, last interval', (s) => s.consumeRate);
    new Gauge({
      name: 'firehose_partition_lag_ticks',
      help: 'Acknowledged but not yet analysed ticks per partition',
      labelNames: ['partition'],
      registers: [this.registry],
      collect() {
        for (const [p, lag] of snapshot().lagByPartition) this.set({ partition: String(p) }, lag);
      },
    });
    new Gauge({
      name: 'firehose_e2e_latency_microseconds',
      help: 'End-to-end latency from intended send time, last interval',
      labelNames: ['quantile'],
      registers: [this.registry],
      collect() {
        for (const [q, v] of snapshot().latencyQuantilesUs) this.set({ quantile: String(q) }, v);
      },
    });
    this.server = http.createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('try /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
  }

  static async start(port: number, snapshot: () => MetricsSnapshot, host = '127.0.0.1'): Promise<MetricsServer> {
    const m = new MetricsServer(snapshot);
    await new Promise<void>((resolve, reject) => {
      m.server.once('error', reject);
      m.server.listen(port, host, () => resolve());
    });
    m.server.unref();
    return m;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Refuses a --metrics-port that cannot be listened on (in use, or privileged) before anything
 * starts, rather than after the cluster is up. (Another process may still take it in between;
 * then the run fails later, as it would anyway.)
 */
export async function checkMetricsPort(port: number, host = '127.0.0.1'): Promise<void> {
  if (port === 0) return;
  const probe = http.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, host, () => resolve());
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new FirehoseError('BAD_OPTION', `--metrics-port ${port} is invalid: cannot listen on ${host}:${port} (${code})`);
  }
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

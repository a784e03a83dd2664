import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/firehose.js', import.meta.url));

function firehose(...args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** The same, without blocking the event loop (a test's own server must keep answering). */
function firehoseAsync(...args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

describe('bad input ends with exit code 2 and one line naming the problem', () => {
  it.each([
    [['--partitions', '0'], '--partitions'],
    [['--rate', '-5'], '--rate'],
    [['--rate', '0'], '--rate'],
    [['--client', 'foo'], '--client'],
    [['--duration', 'abc'], '--duration'],
    [['--bogus'], '--bogus'],
    [['--workers', '0'], '--workers'],
    [['--brokers', 'no-port-here'], '--brokers'],
    [['--replication-factor', '4'], '--replication-factor'],
    [['--compression', 'lz4', '--client', 'kafkajs'], '--compression'],
    [['--compression', 'zstd', '--client', 'platformatic'], '--compression'],
    [['--client', 'librdkafka'], '--client'],
    [['--brokers', '127.0.0.1:1'], '--brokers'],
    // Issue 12: refused before anything starts, however the count was given.
    [['--rate', '1M', '--duration', '2h'], '--rate × --duration'],
    [['--rate', '100M', '--duration', '24h'], '--rate × --duration'],
    [['--ticks', '5000000000'], '--ticks'],
    [['--ticks', '4000000000', '--source-id', '40'], '--ticks'],
    [['--instruments', '1000000', '--venues', '64'], '--instruments × --venues'],
    [['--fault', 'rtt:99999999999ms'], '--fault'],
    [['--fault', 'broker-down@5s+999999999s'], '--fault'],
    [['--fault', 'rtt:100ms@99999s'], '--fault'],
  ])('firehose run %j', (args, named) => {
    const r = firehose('run', '--no-progress', ...args);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(named);
    expect(r.stdout).toBe('');
  });

  it('firehose run --metrics-port on a port in use', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as net.AddressInfo).port;
      const r = await firehoseAsync('run', '--no-progress', '--metrics-port', String(port));
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining('--metrics-port')]);
    } finally {
      busy.close();
    }
  });

  it.each([
    [['--partitions', 'abc'], '--partitions'],
    [['--embedded-brokers', '0'], '--embedded-brokers'],
    [['--embedded-brokers', '1', '--replication-factor', '3', '--topic', 't'], '--replication-factor'],
  ])('firehose broker %j', (args, named) => {
    const r = firehose('broker', ...args);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining(named)]);
  });

  it.each([
    [['--expected-ticks', '5000000000'], '--expected-ticks'],
    [['--max-sources', '64', '--expected-ticks', '4000000000'], '--max-sources × --expected-ticks'],
  ])('firehose ingest %j', (args, named) => {
    // Refused before any broker is contacted (this address has nothing listening).
    const r = firehose('ingest', '--brokers', '127.0.0.1:9', '--topic', 'bad-input-ingest', ...args);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining(named)]);
  });

  it('--help lists the run command and exits 0', () => {
    const r = firehose('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('run [options]');
  });
});

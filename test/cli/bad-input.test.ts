import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/firehose.js', import.meta.url));

function firehose(...args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
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
  ])('firehose run %j', (args, named) => {
    const r = firehose('run', '--no-progress', ...args);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(named);
    expect(r.stdout).toBe('');
  });

  it('--help lists the run command and exits 0', () => {
    const r = firehose('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('run [options]');
  });
});

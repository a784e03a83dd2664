import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/types.js';
import { FIREHOSE_BIN } from '../cli/cli-process.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

// Ctrl-C at a terminal signals the whole foreground process group, not one process. The bench
// runs each probe as a child; that child must get one signal (the bench's SIGTERM), not the
// terminal's SIGINT too, which it would take as "again: exit at once" and leave no result.
describe('Ctrl-C during firehose bench', () => {
  it('the running probe still writes its result; bench.json is marked interrupted; exit 130', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'bench-interrupt-'));
    dirs.push(out);
    // Its own process group, so the SIGINT below reaches exactly what a terminal's would.
    const bench = spawn(
      process.execPath,
      [FIREHOSE_BIN, 'bench', '--tiny', '--brokers', 'embedded', '--pipelines', 'confluent', '--probe-duration', '30', '--out', out],
      {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    let stderr = '';
    bench.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    bench.stdout!.resume();
    const exited = new Promise<number | null>((resolve) => bench.on('exit', (code) => resolve(code)));
    try {
      const started = Date.now();
      while (!/confluent: probe 1/.test(stderr)) {
        if (bench.exitCode !== null || Date.now() - started > 60_000) throw new Error(`the probe did not start:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // The probe's child starts its cluster and begins sending within a few seconds.
      await new Promise((r) => setTimeout(r, 6_000));
      process.kill(-bench.pid!, 'SIGINT');
      expect(await exited).toBe(130);
    } finally {
      try {
        process.kill(-bench.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    const report = JSON.parse(await readFile(path.join(out, 'bench.json'), 'utf8')) as BenchReport;
    expect(report.status).toBe('interrupted');
    const probe = report.pipelines.confluent!.probes[0]!;
    expect(probe.reasons.join('; ')).not.toMatch(/no result/);
    expect(probe.reasons).toContain('interrupted');
    // Judged from the child's own result (figures present), and its files were written.
    expect(probe.ticksPerSec).toBeDefined();
    const child = JSON.parse(await readFile(path.join(out, 'runs', 'confluent-probe-4000', 'result.json'), 'utf8')) as { status: string };
    expect(child.status).toBe('interrupted');
  }, 90_000);
});

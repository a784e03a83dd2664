import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../run/run-result.js';
import type { PartResult } from '../../run/result-parts.js';
import { ingestArgs, loadgenArgs, partFiles, startFirehose, type RunningCommand } from './cli-process.js';

const running: RunningCommand[] = [];
afterEach(async () => {
  for (const r of running.splice(0))
    if (r.child.exitCode === null) {
      r.child.kill('SIGKILL');
      await r.exited;
    }
});

describe('split roles: firehose broker + loadgen + two ingest processes', () => {
  it('merges into a result that accounts for every tick', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'firehose-split-'));
    const topic = `ticks-split-${process.pid}`;
    const broker = startFirehose(['broker', '--topic', topic, '--partitions', '6']);
    running.push(broker);
    const bootstrap = (await broker.waitFor(/bootstrap\.servers=(\S+)/))[1]!;

    const setup = { brokers: bootstrap, topic, partitions: 6, out };
    const ingests = [
      startFirehose(ingestArgs(setup, ['--idle-timeout', '3s'])),
      startFirehose(ingestArgs(setup, ['--idle-timeout', '3s'])),
    ];
    running.push(...ingests);
    // Both members must hold partitions before the load starts.
    await Promise.all(ingests.map((i) => i.waitFor(/assigned partitions \d/, 30_000)));
    await new Promise((r) => setTimeout(r, 1500));

    const loadgen = startFirehose(loadgenArgs(setup, ['--ticks', '40000', '--rate', '20000']));
    running.push(loadgen);
    expect(await loadgen.exited).toBe(0);
    expect(await Promise.all(ingests.map((i) => i.exited))).toEqual([0, 0]);

    const files = partFiles(out);
    const parts = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as PartResult);
    const ingestParts = parts.filter((p) => p.role === 'ingest');
    expect(ingestParts).toHaveLength(2);
    for (const p of ingestParts) expect(p.ingest!.assignedPartitions.length).toBeGreaterThan(0);

    const merge = startFirehose(['report', 'merge', ...files, '--json', '--out', out]);
    expect(await merge.exited).toBe(0);
    const merged = JSON.parse(merge.stdout()) as RunResult;
    expect(merged.ticks.acked).toBe(40_000);
    expect(merged.ticks.distinctConsumed).toBe(40_000);
    expect(merged.ticks.lost).toBe(0);
    const partsCount = ingestParts.reduce((n, p) => n + p.ingest!.consumedTicks, 0);
    expect(merged.ticks.consumed).toBe(partsCount);
    expect(merged.latency.e2e.count).toBe(partsCount);
    expect(merged.partitions.every((p) => p.consumedTicks > 0)).toBe(true);

    broker.child.kill('SIGINT');
    expect(await broker.exited).toBe(0);
  });
});

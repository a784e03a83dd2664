import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuBetween, THREAD_ROLES, ThreadCpuLedger, totalCpuMs, type ThreadCpuRow } from '../../metrics/thread-cpu.js';

const linux = existsSync('/proc/self/task');

/** Work that takes well over one clock tick (10 ms) of CPU on any machine: a fixed count, not a time. */
function spin(iterations = 50_000_000): number {
  let x = 0;
  for (let i = 0; i < iterations; i++) x += Math.sqrt(x + i);
  return x;
}

/** A worker thread that does `spin` once, says so, and stays alive until terminated. */
function busyWorker(): Worker {
  return new Worker(
    `const { parentPort } = require('node:worker_threads');
     let x = 0; for (let i = 0; i < 50_000_000; i++) x += Math.sqrt(x + i);
     parentPort.on('message', () => {});
     parentPort.postMessage(x);`,
    { eval: true },
  );
}

describe('thread CPU ledger', () => {
  it.skipIf(!linux)('charges a thread started after a claim to the role that claims it, and the main thread to main', async () => {
    const ledger = await ThreadCpuLedger.start();
    const before = ledger.read();
    const worker = busyWorker();
    await new Promise((resolve) => worker.once('message', resolve));
    ledger.claim((comm) => (comm.startsWith('rdk:') ? 'ingest-clients' : 'analytics-workers'));
    spin();
    const after = cpuBetween(ledger.read(), before);
    await worker.terminate();
    const row = (role: string): ThreadCpuRow => after.find((r) => r.role === role)!;
    expect(row('analytics-workers').threads).toBeGreaterThanOrEqual(1);
    expect(row('analytics-workers').cpuMs).toBeGreaterThan(0);
    expect(row('main').threads).toBe(1);
    expect(row('main').cpuMs).toBeGreaterThan(0);
    expect(row('other').cpuMs).toBe(0);
    expect(row('embedded-cluster').cpuMs).toBe(0);
    // Every role is listed, in the declared order.
    expect(after.map((r) => r.role)).toEqual([...THREAD_ROLES]);
  });

  it.skipIf(!linux)('keeps the CPU of a thread that ended after it was read', async () => {
    const ledger = await ThreadCpuLedger.start();
    const worker = busyWorker();
    await new Promise((resolve) => worker.once('message', resolve));
    ledger.claim('generator-thread');
    const whileAlive = ledger.read().find((r) => r.role === 'generator-thread')!;
    await worker.terminate();
    const afterEnd = ledger.read().find((r) => r.role === 'generator-thread')!;
    expect(whileAlive.cpuMs).toBeGreaterThan(0);
    expect(afterEnd.cpuMs).toBe(whileAlive.cpuMs);
  });

  it('cpuBetween and totalCpuMs: the difference per role sums to the difference of the totals', () => {
    const rows = fc.array(fc.nat({ max: 1e7 }), { minLength: THREAD_ROLES.length, maxLength: THREAD_ROLES.length });
    fc.assert(
      fc.property(rows, rows, (a, extra) => {
        const earlier = THREAD_ROLES.map((role, k) => ({ role, threads: 1, cpuMs: a[k]! }));
        const later = THREAD_ROLES.map((role, k) => ({ role, threads: 2, cpuMs: a[k]! + extra[k]! }));
        const diff = cpuBetween(later, earlier);
        expect(diff.map((r) => r.cpuMs)).toEqual(extra);
        expect(totalCpuMs(diff)).toBe(totalCpuMs(later) - totalCpuMs(earlier));
        const withoutCluster = totalCpuMs(diff, ['embedded-cluster']);
        expect(withoutCluster).toBe(totalCpuMs(diff) - extra[THREAD_ROLES.indexOf('embedded-cluster')]!);
      }),
    );
  });
});

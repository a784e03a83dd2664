import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { AnalyticsWorkerData, FrameTask, FrameTaskResult } from './worker-protocol.js';

/**
 * The compiled worker script. Under a TypeScript runner (tests) this module is the .ts source,
 * and worker threads need JavaScript, so the compiled copy in dist/ is used.
 */
export function analyticsWorkerScript(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return path.resolve(path.dirname(here), '..', 'dist', 'ingest', 'analytics-worker.js');
  return path.resolve(path.dirname(here), 'analytics-worker.js');
}

export interface AnalyticsPool {
  run(task: FrameTask, transfer: ArrayBuffer[]): Promise<FrameTaskResult>;
  readonly threads: number;
  destroy(): Promise<void>;
}

export function createAnalyticsPool(workers: number, data: AnalyticsWorkerData, onError: (error: unknown) => void): AnalyticsPool {
  const pool = new Piscina({
    filename: analyticsWorkerScript(),
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: Number.POSITIVE_INFINITY,
    // Idle workers must keep their event loop turning to answer stats requests on the channel.
    atomics: 'async',
    workerData: data,
  });
  // A worker that dies with no task in flight emits 'error' on the pool; unhandled it kills the process.
  pool.on('error', onError);
  return {
    run: (task, transfer) => pool.run(task, { transferList: transfer }) as Promise<FrameTaskResult>,
    get threads() {
      return pool.threads.length;
    },
    destroy: () => pool.destroy(),
  };
}

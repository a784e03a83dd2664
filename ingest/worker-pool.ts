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

const WARM_POLL_MS = 10;

export interface AnalyticsPool {
  run(task: FrameTask, transfer: ArrayBuffer[]): Promise<FrameTaskResult>;
  readonly threads: number;
  /**
   * Resolves once every worker finished its JIT warm-up (true), or after `timeoutMs` (false).
   * A worker takes no task before (about 1.5 s on 2 busy cores): records consumed meanwhile
   * only wait, a backlog the run must then catch up on.
   */
  whenWarm(timeoutMs: number): Promise<boolean>;
  destroy(): Promise<void>;
}

export function createAnalyticsPool(workers: number, data: AnalyticsWorkerData, onError: (error: unknown) => void): AnalyticsPool {
  const warm = new SharedArrayBuffer(4);
  const warmCount = new Int32Array(warm);
  const pool = new Piscina({
    filename: analyticsWorkerScript(),
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: Number.POSITIVE_INFINITY,
    // Idle workers must keep their event loop turning to answer stats requests on the channel.
    atomics: 'async',
    workerData: { ...data, warm },
  });
  // A worker that dies with no task in flight emits 'error' on the pool; unhandled it kills the process.
  pool.on('error', onError);
  return {
    run: (task, transfer) => pool.run(task, { transferList: transfer }) as Promise<FrameTaskResult>,
    get threads() {
      return pool.threads.length;
    },
    whenWarm: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (Atomics.load(warmCount, 0) < workers) {
        if (Date.now() >= deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, WARM_POLL_MS));
      }
      return true;
    },
    destroy: () => pool.destroy(),
  };
}

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { createAnalyticsState, quoteTable, type AnalyticsSharedState } from '../../analytics/analytics-state.js';
import { FrameAnalyzer, addCounters, analyticsCountersZero, type AnalyticsCounters } from '../../analytics/frame-analyzer.js';
import { DEFAULT_VENUE_FEES_BPS, buyFactor, sellFactor } from '../../analytics/market-conventions.js';
import { FrameWriter } from '../../wire/tick-frame.js';
import { makeFrames } from './frames.js';
import { withoutTiming } from './helpers.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/**
 * A real worker thread cannot load TypeScript, and the tests must not depend on a stale dist/:
 * transpile analytics/ and wire/ into a temp dir (imports already end in .js).
 */
function transpileAnalytics(): string {
  const out = mkdtempSync(join(tmpdir(), 'firehose-analytics-'));
  temps.push(out);
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  for (const dir of ['analytics', 'wire']) {
    mkdirSync(join(out, dir));
    for (const file of readdirSync(join(repo, dir)).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(join(repo, dir, file), 'utf8');
      const js = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      writeFileSync(join(out, dir, file.replace(/\.ts$/, '.js')), js);
    }
  }
  return out;
}

const WORKER_SOURCE = `
import { parentPort, workerData } from 'node:worker_threads';
const { FrameAnalyzer } = await import(workerData.analyzerUrl);
// The state arrives by structured clone: same SharedArrayBuffers, new views in this thread.
const analyzer = new FrameAnalyzer(workerData.state);
parentPort.on('message', (frame) => {
  if (frame === 'counters') parentPort.postMessage(analyzer.takeCounters());
  else { analyzer.analyze(frame); parentPort.postMessage('done'); }
});
`;

function reply<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

describe('analytics state', () => {
  it('validates dims with the option name', () => {
    expect(() => createAnalyticsState({ instruments: 0, venues: 4 })).toThrow(/dims\.instruments/);
    expect(() => createAnalyticsState({ instruments: 1_000_001, venues: 4 })).toThrow(/dims\.instruments/);
    expect(() => createAnalyticsState({ instruments: 10, venues: 65 })).toThrow(/dims\.venues/);
    expect(() => createAnalyticsState({ instruments: 1.5, venues: 2 })).toThrow(/dims\.instruments/);
    expect(() => createAnalyticsState({ instruments: 1_000_000, venues: 9 })).toThrow(/at most/);
    expect(createAnalyticsState({ instruments: 3, venues: 64 }).dims).toEqual({
      instruments: 3,
      venues: 64,
      fxCurrencies: 0,
      fxFirstInstrument: 20,
    });
    // The default FX universe: 5 currencies on instruments 20..29, when they fit.
    expect(createAnalyticsState({ instruments: 30, venues: 4 }).dims).toEqual({
      instruments: 30,
      venues: 4,
      fxCurrencies: 5,
      fxFirstInstrument: 20,
    });
    expect(() => createAnalyticsState({ instruments: 30, venues: 4, fxCurrencies: 11 })).toThrow(/fx currencies/);
  });

  it('rejects a state whose buffers do not match its dims', () => {
    const state = createAnalyticsState({ instruments: 4, venues: 2 });
    const wrong: AnalyticsSharedState = { ...state, dims: { instruments: 5, venues: 2 } };
    expect(() => new FrameAnalyzer(wrong)).toThrow(/buffer/);
  });

  it('survives structuredClone as shared memory: analyzers on both copies see each other', () => {
    const set = makeFrames({ seed: 5, instruments: 8, venues: 4, frames: 40, maxTicksPerFrame: 200 });
    const reference = new FrameAnalyzer(createAnalyticsState({ instruments: 8, venues: 4 }));
    for (const frame of set.frames) reference.analyze(frame);

    const state = createAnalyticsState({ instruments: 8, venues: 4 });
    const clone = structuredClone(state);
    expect(clone.buffers.quotes).toBeInstanceOf(SharedArrayBuffer);
    const a = new FrameAnalyzer(state);
    const b = new FrameAnalyzer(clone);
    set.frames.forEach((frame, k) => (k % 2 === 0 ? a : b).analyze(frame));
    expect(withoutTiming(addCounters(a.takeCounters(), b.takeCounters()))).toEqual(withoutTiming(reference.takeCounters()));
    expect([...quoteTable(clone)]).toEqual([...quoteTable(state)]);
  });

  it('is shared with a real worker thread', async () => {
    const dir = transpileAnalytics();
    const script = join(dir, 'worker.mjs');
    writeFileSync(script, WORKER_SOURCE);
    const dims = { instruments: 10, venues: 4 };
    const set = makeFrames({ seed: 6, ...dims, frames: 30, maxTicksPerFrame: 300 });

    const reference = new FrameAnalyzer(createAnalyticsState(dims));
    for (const frame of set.frames) reference.analyze(frame);

    const state = createAnalyticsState(dims);
    const worker = new Worker(script, {
      workerData: { state, analyzerUrl: pathToFileURL(join(dir, 'analytics', 'frame-analyzer.js')).href },
    });
    try {
      const local = new FrameAnalyzer(state);
      // Frames alternate between threads, one in flight at a time, as one partition's would.
      for (const [k, frame] of set.frames.entries()) {
        if (k % 2 === 0) local.analyze(frame);
        else {
          worker.postMessage(frame);
          expect(await reply<string>(worker)).toBe('done');
        }
      }
      worker.postMessage('counters');
      const fromWorker = await reply<AnalyticsCounters>(worker);
      expect(fromWorker.ticks).toBeGreaterThan(0);
      const total = addCounters(addCounters(analyticsCountersZero(), local.takeCounters()), fromWorker);
      expect(withoutTiming(total)).toEqual(withoutTiming(reference.takeCounters()));

      // A quote written by the worker is visible here without any copy back. (A small move, so
      // the outlier detector does not withdraw it.)
      const quotes = quoteTable(state);
      const cell = quotes.findIndex((q, k) => k % 2 === 0 && q > 0) / 2;
      const [instrument, venue] = [Math.floor(cell / dims.venues), cell % dims.venues];
      const bid = quotes[cell * 2] * (1 + 1e-6);
      const ask = quotes[cell * 2 + 1] * (1 + 1e-6);
      const w = new FrameWriter(1);
      w.append(0, 0, venue, instrument, 0, 1.8e15, bid, ask, 1, 1);
      worker.postMessage(w.finish(0, 0, 1));
      expect(await reply<string>(worker)).toBe('done');
      // The table holds quotes net of the venue's (default) fee.
      const fee = DEFAULT_VENUE_FEES_BPS[venue]!;
      expect([quotes[cell * 2], quotes[cell * 2 + 1]]).toEqual([bid * sellFactor(fee), ask * buyFactor(fee)]);
    } finally {
      await worker.terminate();
    }
  });
});

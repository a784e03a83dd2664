import { beforeAll, describe, expect, it } from 'vitest';
import { initHistograms } from '../../metrics/latency-histogram.js';
import { mergeRunParts } from '../../run/result-parts.js';
import { sendingBehind } from '../../run/run-result.js';
import { validParts } from '../fixtures/valid-parts.js';

beforeAll(async () => {
  await initHistograms();
});

/** Merges the fixture's two parts with the loadgen's last send `sendSec` after its first. */
function mergedWithSendWindow(sendSec: number, interrupted = false) {
  const { loadgen, ingest } = validParts();
  const lg = loadgen.loadgen!;
  lg.stats.lastSentUs = lg.stats.startUs + sendSec * 1e6;
  lg.interrupted = interrupted;
  return mergeRunParts({
    config: loadgen.config,
    startedAt: loadgen.startedAt,
    finishedAt: loadgen.finishedAt,
    cluster: loadgen.cluster,
    loadgens: [lg],
    ingests: [ingest.ingest!],
    timeline: [],
  });
}

const behind = (r: ReturnType<typeof mergedWithSendWindow>) => (r.problems ?? []).filter((p) => p.code === 'SENDING_BEHIND');

describe('a run whose sending fell behind its open-loop schedule says so', () => {
  it('stays quiet when the 1 s schedule was sent in about 1 s', () => {
    expect(behind(mergedWithSendWindow(1))).toEqual([]);
    expect(behind(mergedWithSendWindow(1.55))).toEqual([]);
  });

  it('names the offered rate, the schedule and how long sending took when it outlasted the schedule', () => {
    const [p] = behind(mergedWithSendWindow(4));
    expect(p?.message).toMatch(/offered 1000 ticks\/s .* a 1 s schedule took 4 s to send \(250 ticks\/s\)/);
  });

  it('an interrupted run is not judged on it: its schedule never ended', () => {
    expect(behind(mergedWithSendWindow(4, true))).toEqual([]);
  });

  it('judges each load generator on its own schedule: two on time but started 30 s apart are not behind', () => {
    const at = (startSec: number) => ({ produced: 10_000, startUs: startSec * 1e6, lastSentUs: (startSec + 10) * 1e6 });
    expect(sendingBehind(at(0), 1_000)).toBeNull();
    expect(sendingBehind(at(30), 1_000)).toBeNull();
    // Their union (0-40 s for a 20 s schedule at the summed count) would have read as behind.
    expect(sendingBehind({ produced: 20_000, startUs: 0, lastSentUs: 40e6 }, 1_000)).not.toBeNull();
  });
});

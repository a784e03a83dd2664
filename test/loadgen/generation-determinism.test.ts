import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashTruthArrays } from '../fixtures/truth-digest.js';
import { createTickLabels, TickLabels } from '../../analytics/tick-labels.js';
import { FairValueMarket, fairValueOptionsFor } from '../../loadgen/fair-value-market.js';
import { FrameBatcher } from '../../loadgen/frame-batcher.js';
import { MarketModel } from '../../loadgen/market-model.js';
import { OpenLoopSchedule } from '../../loadgen/open-loop-schedule.js';
import { TickSource, type TickModel } from '../../loadgen/tick-source.js';

/**
 * Pins the generated streams bit for bit: the wire frames and the side-channel labels of the first
 * TICKS ticks of each market, as the load generator builds it, hashed. The digests were taken
 * before generation was reworked to allocate nothing per tick (typed-array scratch instead of
 * boxed numbers); a change to them means a seed no longer regenerates the stream it used to, and
 * a run's fair-value truth (regenerated from the seed, run/run-quality.ts) would no longer match.
 * The fair-value frames digest changed once since, on purpose: every FX pair moved to one key
 * group (the labels, the stream's truth, stayed the same).
 */
const TICKS = 200_000;
const START_US = 1_700_000_000_000_000;
const RATE = 300_000;
const SOURCE = 2;
const INSTRUMENTS = 1000;
const VENUES = 5;
const KEY_GROUPS = 8;

function streamDigest(model: TickModel, ticksPerRecord: number, rate = RATE): { frames: string; labels: string } {
  const digest = streamDigestAndLabelled(model, ticksPerRecord, rate);
  // The pinned label tables must hold labels: an all-clean stream would pin nothing about them.
  expect(digest.labelled).toBeGreaterThan(100);
  return { frames: digest.frames, labels: digest.labels };
}

function streamDigestAndLabelled(
  model: TickModel,
  ticksPerRecord: number,
  rate = RATE,
): { frames: string; labels: string; labelled: number } {
  const frames = createHash('sha256');
  const shared = createTickLabels(SOURCE + 1, TICKS);
  const batcher = new FrameBatcher({
    keyGroups: model.keyGroups,
    ticksPerRecord,
    // A fixed clock: the frames' producedAtUs stamps are then part of the pinned bytes.
    clock: () => START_US,
    onFrame: (keyGroup, frame) => {
      frames.update(String(keyGroup));
      frames.update(frame);
    },
  });
  const source = new TickSource(model, batcher, SOURCE, new OpenLoopSchedule(rate, START_US, TICKS), new TickLabels(shared));
  while (!source.finished) source.generateDue(Infinity, 50_000);
  batcher.flushAll(START_US);
  return {
    frames: frames.digest('hex'),
    labels: createHash('sha256').update(new Uint8Array(shared.labels)).digest('hex'),
    labelled: new Uint16Array(shared.labels).reduce((n, l) => n + (l !== 0 ? 1 : 0), 0),
  };
}

function simpleMarket(): MarketModel {
  // As LoadGenerator builds it for --market simple: the FX universe and the injector on.
  return new MarketModel({ seed: 11, instruments: INSTRUMENTS, venues: VENUES, keyGroups: KEY_GROUPS, fx: {}, inject: {} });
}

function fairValueMarket(record: boolean, rate = RATE): FairValueMarket {
  return new FairValueMarket({
    ...fairValueOptionsFor({ instruments: INSTRUMENTS, venues: VENUES, ratePerSec: rate, inject: {} }, KEY_GROUPS),
    seed: 11,
    ticks: TICKS,
    record,
  });
}

function truthDigest(market: FairValueMarket): string {
  const h = createHash('sha256');
  hashTruthArrays(h, market.truth);
  const t = market.truth;
  h.update(JSON.stringify([t.ticks, t.newsSeqs, market.checksum]));
  return h.digest('hex');
}

describe('generated streams stay bit-identical for a seed', () => {
  it('simple market (FX and injector on), one tick per record and 64', () => {
    expect(streamDigest(simpleMarket(), 1)).toEqual({
      frames: '6dc3643f0312e651e209df457d5431d55f7fa961ac5a4e8c0287a927dc636a50',
      labels: '89f6b72bacb849e2021288fb183d17dbe3378fc314e2ef2b1e94d99d52f385a5',
    });
    expect(streamDigest(simpleMarket(), 64).frames).toBe('270dbd4ce91677b4eda2cb6e9f517a44bed86bf96f0d56f2dc1d982c7c16ddd4');
  });

  it('fair-value market at 2M ticks/s: the lag ring at its largest (512) gives what the walk back from its head gave', () => {
    // Taken with the walk back from the ring's head (c14202c), before lagged() searched the ring by
    // binary search: the same records are found, so the stream is the same.
    expect(streamDigest(fairValueMarket(false, 2_000_000), 64, 2_000_000)).toEqual({
      frames: '5dda7794d8981c0bd0acca7f6ff1e762fc8e5be823508e22b39a69421b87855e',
      labels: 'e7f22a1b3f635e922b4d67d6407caf3201648178351afd4947b8cacfb6bd10ee',
    });
  });

  it('fair-value market, as a run generates it and as scoring regenerates it with its truth', () => {
    const run = fairValueMarket(false);
    expect(streamDigest(run, 64)).toEqual({
      frames: 'b151120e0f712f923d6e56903547a08bf4657fba826d0f1c4dc98faa95bd7641',
      labels: '0565f678dd590e1dc6c8187f316c2115805cb5c034359a333ed7b0c461e609d4',
    });
    const scored = fairValueMarket(true);
    expect(streamDigest(scored, 64).frames).toBe('b151120e0f712f923d6e56903547a08bf4657fba826d0f1c4dc98faa95bd7641');
    expect(scored.checksum).toBe(run.checksum);
    expect(truthDigest(scored)).toBe('6199d94baf6018d6320a14be01ead639d7e3773f6759a9631e2bde1f1a6ca7b8');
  });
});

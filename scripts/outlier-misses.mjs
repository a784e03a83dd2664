// Diagnostic (not a test): lists the bad ticks the outlier detector misses on the fair-value
// market and says which mechanism missed each. Run after `npx tsc -p .`:
//   node scripts/outlier-misses.mjs [seeds=1-3] [ticks=200000] ['{"outlierSigmaFloorHalfSpreads":1}'] [--list] [--fp]
// Prints recall by band and false flags per seed, then the >= 4σ misses by cause; --list lists
// each miss (the venue's σ estimate and the true σ, the threshold, the out leg, the distance from
// the other venues' median, the reference's offset from it, the way back), --fp each false flag.
// The stream and the replay are the score command's (run/quality-score.ts: same frames, key
// groups, analyzer and defaults), so the misses are exactly the ones it counts. The detector's
// onTick is wrapped to read its cell before and after each tick; the spike's true σ and clean
// mid are read from the generator (its private per-cell EWMA).
import {
  OUTLIER_JUMP_STRIDE,
  OUTLIER_STRIDE,
  OutlierField,
  OutlierJumpField,
  outlierJumpTable,
  outlierTable,
} from '../dist/analytics/analytics-state.js';
import { createAnalyticsState } from '../dist/analytics/analytics-state.js';
import { DEFAULT_ANALYTICS_CONFIG, FrameAnalyzer } from '../dist/analytics/frame-analyzer.js';
import { OutlierVerdict } from '../dist/analytics/outlier-detector.js';
import { createTickLabels, TickLabels } from '../dist/analytics/tick-labels.js';
import { FAIR_VALUE_MARKET_DEFAULTS, FairValueMarket, TruthKind } from '../dist/loadgen/fair-value-market.js';
import { FrameBatcher } from '../dist/loadgen/frame-batcher.js';
import { SCORE_DEFAULTS, SIZE_BANDS, scoreOutliers } from '../dist/run/quality-score.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const list = process.argv.includes('--list');
const [seedArg = '1-3', ticksArg = String(SCORE_DEFAULTS.ticks), extra = '{}'] = args;
const [s0, s1] = seedArg.split('-').map(Number);
const seeds = Array.from({ length: (s1 ?? s0) - s0 + 1 }, (_, k) => s0 + k);
const TICKS = Number(ticksArg);
const given = JSON.parse(extra);
const cfg = { ...DEFAULT_ANALYTICS_CONFIG, ...given };
const Z = cfg.outlierZ;

const causes = {};
const byBand = {};
const rows = [];
const fps = [];
const ratios = { det: [], half: [] };
const totals = { clean: 0, fp: 0, bad: {}, hit: {} };

for (const seed of seeds) {
  const groups = Math.min(SCORE_DEFAULTS.keyGroups, FAIR_VALUE_MARKET_DEFAULTS.instruments);
  const market = new FairValueMarket({ seed, ticks: TICKS, keyGroups: groups });
  const { instruments: I, venues: V, fxCurrencies } = market.o;
  const frames = [];
  let now = 1.7e15;
  const batcher = new FrameBatcher({
    keyGroups: groups,
    ticksPerRecord: SCORE_DEFAULTS.ticksPerRecord,
    clock: () => now,
    onFrame: (_g, f) => frames.push(f),
  });
  const trueSigma = new Float64Array(TICKS);
  const cleanMid = new Float64Array(TICKS);
  const stepUs = 1e6 / market.o.ratePerSec;
  for (let k = 0; k < TICKS; k++) {
    now = 1.7e15 + k * stepUs;
    market.nextTick(now);
    const cell = market.instrument * V + market.venue;
    trueSigma[k] = Math.sqrt(market.cellVar[cell]);
    cleanMid[k] = market.cellMid[cell];
    batcher.add(market.keyGroup, k >>> 0, 0, market.venue, market.instrument, 0, now, market.bid, market.ask, 1, 1);
  }
  batcher.flushAll(now);
  const truth = market.truth;
  const labels = createTickLabels(1, TICKS);
  const lw = new TickLabels(labels);
  for (let s = 0; s < TICKS; s++) if (truth.labels[s] !== 0) lw.write(0, s, truth.labels[s]);

  const state = createAnalyticsState({ instruments: I, venues: V, fxCurrencies });
  state.labels = labels;
  const analyzer = new FrameAnalyzer(state, { ...given, venueFeesBps: Array.from(truth.feeBps) }, () => 0);
  const det = analyzer.outliers;
  const tab = outlierTable(state);
  const jt = outlierJumpTable(state);
  // Per seq: the detector's view of the tick.
  const pre = {
    last: new Float64Array(TICKS),
    mean: new Float64Array(TICKS),
    sd: new Float64Array(TICKS),
    n: new Float64Array(TICKS),
    held: new Float64Array(TICKS),
    half: new Float64Array(TICKS),
    mid: new Float64Array(TICKS),
    others: new Float64Array(TICKS),
    cand: new Float64Array(TICKS),
    candVenue: new Float64Array(TICKS),
    verdict: new Uint8Array(TICKS),
    lastAfter: new Float64Array(TICKS),
  };
  const nextOfCell = new Int32Array(TICKS).fill(-1);
  // How each held tick was decided: its venue's next quote, a timeout or the stream's end (the
  // other venues' median), or another venue's move confirming it as a jump.
  const endedBy = new Array(TICKS);
  const heldSeqOfCell = new Int32Array(I * V).fill(-1);
  // The tick that raised the instrument's jump candidate, and per tick the other tick of a
  // confirmation it took part in (the one that confirmed it, or the one it confirmed).
  const candSeqOf = new Int32Array(I).fill(-1);
  const partner = new Int32Array(TICKS).fill(-1);
  const expiredBits = OutlierVerdict.ExpiredOutlier | OutlierVerdict.ExpiredAccepted;
  const noteExpired = (verdict, how) => {
    if ((verdict & expiredBits) === 0) return;
    const e = det.expiredId;
    endedBy[e] = `${how} ${(verdict & OutlierVerdict.ExpiredOutlier) !== 0 ? 'outlier' : 'genuine'}`;
    heldSeqOfCell[det.expiredInstrument * V + det.expiredVenue] = -1;
  };
  const lastSeqOfCell = new Int32Array(I * V).fill(-1);
  const orig = det.onTick.bind(det);
  det.onTick = (i, v, mid, half, id, us) => {
    const s = id;
    const o = (i * V + v) * OUTLIER_STRIDE;
    const j = i * OUTLIER_JUMP_STRIDE;
    pre.last[s] = tab[o + OutlierField.lastMid];
    pre.mean[s] = tab[o + OutlierField.mean];
    pre.sd[s] = Math.sqrt(tab[o + OutlierField.variance]);
    pre.n[s] = tab[o + OutlierField.n];
    pre.held[s] = tab[o + OutlierField.heldMid];
    pre.half[s] = half;
    pre.mid[s] = mid;
    pre.others[s] = det.othersMedian(i, v);
    pre.cand[s] = jt[j + OutlierJumpField.ret];
    pre.candVenue[s] = jt[j + OutlierJumpField.venue];
    const verdict = orig(i, v, mid, half, id, us);
    pre.verdict[s] = verdict;
    const c0 = i * V + v;
    if ((verdict & (OutlierVerdict.PreviousOutlier | OutlierVerdict.PreviousAccepted)) !== 0 && heldSeqOfCell[c0] >= 0) {
      endedBy[heldSeqOfCell[c0]] = 'own';
      heldSeqOfCell[c0] = -1;
    }
    noteExpired(verdict, 'timeout');
    if (pre.cand[s] === pre.cand[s]) {
      const cc = i * V + pre.candVenue[s];
      const hs = heldSeqOfCell[cc];
      if (hs >= 0 && cc !== c0 && tab[cc * OUTLIER_STRIDE + OutlierField.heldMid] !== tab[cc * OUTLIER_STRIDE + OutlierField.heldMid]) {
        endedBy[hs] = 'confirmed';
        partner[hs] = s;
        heldSeqOfCell[cc] = -1;
      }
    }
    if ((verdict & OutlierVerdict.Held) !== 0) {
      heldSeqOfCell[c0] = s;
      candSeqOf[i] = s;
    } else if (pre.cand[s] === pre.cand[s] && jt[j + OutlierJumpField.ret] !== jt[j + OutlierJumpField.ret]) {
      // The candidate is gone without expiring: this tick confirmed it.
      if (pre.candVenue[s] !== v && candSeqOf[i] >= 0) partner[s] = candSeqOf[i];
    }
    pre.lastAfter[s] = tab[o + OutlierField.lastMid];
    const c = i * V + v;
    if (lastSeqOfCell[c] >= 0) nextOfCell[lastSeqOfCell[c]] = s;
    lastSeqOfCell[c] = s;
    return verdict;
  };
  const flagged = new Uint8Array(TICKS);
  for (const f of frames) {
    analyzer.analyze(f);
    for (const a of analyzer.takeAlerts()) if (a.kind === 'outlier') flagged[a.seq] = 1;
  }
  // The stream ends: the score replay decides every tick still held (run/quality-score.ts).
  const origEnd = det.endOfStream.bind(det);
  det.endOfStream = () => {
    const verdict = origEnd();
    noteExpired(verdict, 'stream end');
    return verdict;
  };
  analyzer.endOfStream();
  for (const a of analyzer.takeAlerts()) if (a.kind === 'outlier') flagged[a.seq] = 1;
  for (let s = 0; s < TICKS; s++) {
    if (endedBy[s] === undefined) continue;
    const k =
      truth.kind[s] === TruthKind.Spike || truth.kind[s] === TruthKind.DecimalShift
        ? 'bad'
        : truth.kind[s] === TruthKind.Dislocation
          ? 'disloc'
          : 'other';
    totals.ended ??= {};
    totals.ended[`${k}: ${endedBy[s]}`] = (totals.ended[`${k}: ${endedBy[s]}`] ?? 0) + 1;
  }
  const score = scoreOutliers(truth, flagged, V, SCORE_DEFAULTS.matchTicks);
  for (const b of SIZE_BANDS) {
    totals.bad[b.name] = (totals.bad[b.name] ?? 0) + score.badBySize[b.name];
    totals.hit[b.name] = (totals.hit[b.name] ?? 0) + Math.round(score.recallBySize[b.name] * score.badBySize[b.name]);
  }
  totals.fp += score.falsePer10k;
  totals.fpMax = Math.max(totals.fpMax ?? 0, score.falsePer10k);
  console.log(
    `seed ${seed}: ` +
      SIZE_BANDS.map((b) => `${b.name} ${score.recallBySize[b.name].toFixed(3)}`).join(' ') +
      ` fp/10k ${score.falsePer10k.toFixed(2)}`,
  );
  // Ticks since the latest news jump, per seq (market-wide: every non-FX instrument).
  let newsIdx = -1;
  const sinceNews = (s) => {
    while (newsIdx + 1 < truth.newsSeqs.length && truth.newsSeqs[newsIdx + 1] <= s) newsIdx++;
    return newsIdx >= 0 ? s - truth.newsSeqs[newsIdx] : Infinity;
  };
  const floorBps = cfg.outlierSigmaFloorBps * 1e-4;
  const prevOfCell = new Int32Array(TICKS).fill(-1);
  for (let s = 0; s < TICKS; s++) if (nextOfCell[s] >= 0) prevOfCell[nextOfCell[s]] = s;
  for (let s = 0; s < TICKS; s++) {
    const news = sinceNews(s);
    const kind = truth.kind[s];
    if (kind !== TruthKind.Spike && kind !== TruthKind.DecimalShift && kind !== TruthKind.FaultySource && flagged[s] === 1) {
      // A false flag: its context.
      const ref = (pre.verdict[s] & OutlierVerdict.PreviousAccepted) !== 0 ? pre.held[s] : pre.last[s];
      const d = Math.log(pre.mid[s] / ref) - pre.mean[s];
      const sdF = Math.max(pre.sd[s], floorBps);
      const nx = nextOfCell[s];
      const pv = prevOfCell[s];
      fps.push({
        seed,
        seq: s,
        kind: Object.keys(TruthKind).find((k) => TruthKind[k] === kind),
        prevKind: pv >= 0 ? Object.keys(TruthKind).find((k) => TruthKind[k] === truth.kind[pv]) : '',
        nextKind: nx >= 0 ? Object.keys(TruthKind).find((k) => TruthKind[k] === truth.kind[nx]) : '',
        zOut: (d / sdF).toFixed(2),
        zBack: nx >= 0 ? (Math.log(pre.mid[nx] / pre.mid[s]) / sdF).toFixed(2) : '',
        zCons: (Math.log(pre.mid[s] / pre.others[s]) / sdF).toFixed(2),
        halfOverSd: (pre.half[s] / sdF).toFixed(2),
        sdOverTrue: (pre.sd[s] / trueSigma[s]).toFixed(2),
        cand: pre.cand[s] === pre.cand[s] ? `${(pre.cand[s] / sdF).toFixed(2)}@v${pre.candVenue[s]}` : '',
        venue: truth.venue[s],
        inst: truth.instrument[s],
        v: pre.verdict[s],
        news: news === Infinity ? '' : news,
        fx: truth.instrument[s] >= 40 ? 'fx?' : '',
        decided: endedBy[s] ?? '',
      });
    }
    if (kind !== TruthKind.Spike && kind !== TruthKind.DecimalShift) continue;
    const size = truth.sizeSigma[s];
    const band = SIZE_BANDS.find((b) => size >= b.lo && size < b.hi);
    if (!band || flagged[s] === 1 || band.lo < 4) continue;
    const v = pre.verdict[s];
    // The reference the tick was measured from: the venue's level, or its held tick just accepted.
    const ref = (v & OutlierVerdict.PreviousAccepted) !== 0 ? pre.held[s] : pre.last[s];
    const d = Math.log(pre.mid[s] / ref) - pre.mean[s];
    const sdF = Math.max(pre.sd[s], floorBps);
    const scale = Math.max(sdF, cfg.outlierSigmaFloorHalfSpreads * pre.half[s]);
    const zOut = Math.abs(d) / scale;
    const zOutSd = Math.abs(d) / sdF;
    const zCons = Math.abs(Math.log(pre.mid[s] / pre.others[s])) / scale;
    const refOff = Math.log(ref / pre.others[s]) / scale;
    const ts = trueSigma[s];
    // The spike's own size against the venue's clean quote, and the clean move under it.
    const cleanMove = Math.log(cleanMid[s] / ref) / scale;
    const nx = nextOfCell[s];
    let cause;
    let back = NaN;
    if (pre.n[s] < cfg.outlierWarmup) cause = 'warm-up';
    else if ((v & OutlierVerdict.Held) !== 0) {
      const how = endedBy[s];
      if (how === 'confirmed') cause = 'held: later taken as a jump another venue confirmed';
      else if (how !== undefined && how !== 'own') cause = `held: decided at ${how}`;
      else if (nx < 0) cause = 'held: stream ended';
      else {
        back = Math.log(pre.mid[nx] / pre.mid[s]);
        const nk = truth.kind[nx];
        const backZ = Math.abs(back) / sdF;
        if (nk === TruthKind.Stale) cause = 'held: next tick a stale resend (no way back)';
        else if (nk === TruthKind.Spike || nk === TruthKind.DecimalShift) cause = 'held: next tick bad too';
        else if (back * d >= 0) cause = 'held: next tick moved on, same way';
        else if (backZ <= Z / 2) cause = 'held: way back below Z/2 σ';
        else if (Math.abs(back) <= Math.abs(d) / 2) cause = 'held: way back less than halfway';
        else cause = 'held: judged genuine (other)';
      }
    } else if (zOut <= Z / 2) {
      if (zOutSd > Z / 2) cause = 'out leg below Z/2: half-spread floor';
      else if (pre.sd[s] > 1.5 * ts) cause = 'out leg below Z/2: σ estimate > 1.5 true σ';
      else if (Math.abs(d) < (size * ts) / 1.5) cause = 'out leg below Z/2: clean move against the spike';
      else cause = 'out leg below Z/2 σ (other)';
    } else if (!(zCons > Z / 2)) cause = 'cross-venue: near the others\u2019 median';
    else if (pre.cand[s] === pre.cand[s] && pre.candVenue[s] !== truth.venue[s]) cause = 'accepted as a confirmed jump';
    else cause = 'other (immediate?)';
    if (news < 400) cause += ' [news < 400 ticks]';
    causes[cause] = (causes[cause] ?? 0) + 1;
    byBand[band.name] ??= {};
    byBand[band.name][cause] = (byBand[band.name][cause] ?? 0) + 1;
    ratios.det.push(pre.sd[s] / ts);
    ratios.half.push(pre.half[s] / ts);
    rows.push({
      seed,
      seq: s,
      band: band.name,
      size: size.toFixed(2),
      sdOverTrue: (pre.sd[s] / ts).toFixed(2),
      halfOverTrue: (pre.half[s] / ts).toFixed(2),
      threshold: ((Z / 2) * scale * 1e4).toFixed(2) + 'bp',
      zOut: zOut.toFixed(2),
      zOutSd: zOutSd.toFixed(2),
      zCons: zCons.toFixed(2),
      refOffCons: refOff.toFixed(2),
      cleanMove: cleanMove.toFixed(2),
      backZ: back === back ? (back / sdF).toFixed(2) : '',
      news: news === Infinity ? '' : news,
      cause,
      partner:
        partner[s] >= 0
          ? `${Object.keys(TruthKind).find((k) => TruthKind[k] === truth.kind[partner[s]])} v${truth.venue[partner[s]]} ${partner[s] - s}`
          : '',
    });
  }
}
const q = (arr, p) => {
  const s = [...arr].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2) : '–';
};
console.log(`seeds ${seedArg}, ${TICKS} ticks, config ${extra}`);
console.log(
  'recall ' + SIZE_BANDS.map((b) => `${b.name} ${(totals.hit[b.name] / totals.bad[b.name]).toFixed(3)} (${totals.bad[b.name]})`).join('  '),
);
console.log(`false flags /10k mean ${(totals.fp / seeds.length).toFixed(2)} max ${totals.fpMax.toFixed(2)}`);
console.log('held ticks by how they were decided: ' + JSON.stringify(totals.ended));
for (const [b, m] of Object.entries(byBand)) {
  console.log(`misses ${b}σ:`);
  for (const [k, n] of Object.entries(m).sort((a, b) => b[1] - a[1])) console.log(`  ${n}\t${k}`);
}
console.log(
  `missed: detector σ / true σ p10 ${q(ratios.det, 0.1)} p50 ${q(ratios.det, 0.5)} p90 ${q(ratios.det, 0.9)}; half spread / true σ p10 ${q(ratios.half, 0.1)} p50 ${q(ratios.half, 0.5)} p90 ${q(ratios.half, 0.9)}`,
);
if (list) console.table(rows);
if (process.argv.includes('--fp')) console.table(fps);

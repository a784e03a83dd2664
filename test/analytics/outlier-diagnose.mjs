// Diagnostic (not a test): where the outlier detector's false flags come from and why bad ticks
// are missed, on the fair-value market. Run after `npx tsc -p .`:
//   node test/analytics/outlier-diagnose.mjs [seeds=1-3] [ticks=200000] [z=6] ['{"outlierSigmaFloorHalfSpreads":0.5}']
// Drives the OutlierDetector and SourceScorer tick by tick in seq order (as the frame analyzer
// does with one key group) and reads the detector's state before each tick. Prints recall by
// band, false flags by context (news, dislocation, burst, stale, big genuine return), misses of
// >= 4 sigma spikes by cause, then the "what-if" tables that chose the two-sided test: one-sided
// return z against deviation from the other venues, and the out-and-back depth over the venue's
// next tick (state effects ignored).
import {
  createAnalyticsState,
  outlierFlatTable,
  outlierJumpTable,
  outlierTable,
  OUTLIER_STRIDE,
} from '../../dist/analytics/analytics-state.js';
import { DEFAULT_ANALYTICS_CONFIG } from '../../dist/analytics/frame-analyzer.js';
import { OUTLIER_WITHHELD, OutlierDetector, OutlierVerdict } from '../../dist/analytics/outlier-detector.js';
import { SourceScorer } from '../../dist/analytics/source-scorer.js';
import { FairValueMarket, TruthKind } from '../../dist/loadgen/fair-value-market.js';

const [seedArg = '1-3', ticksArg = '200000', zArg = '6', extra = '{}'] = process.argv.slice(2);
const [s0, s1] = seedArg.split('-').map(Number);
const seeds = Array.from({ length: (s1 ?? s0) - s0 + 1 }, (_, k) => s0 + k);
const TICKS = Number(ticksArg);
const cfg = { ...DEFAULT_ANALYTICS_CONFIG, outlierZ: Number(zArg), ...JSON.parse(extra) };

const BANDS = [2, 3, 4, 6, 8, Infinity];
const bandOf = (x) => BANDS.findIndex((b, k) => x >= b && x < BANDS[k + 1]);
const whatIf = { clean: [], bad: [], clean2: [], bad2: [] };
const agg = { fp: {}, clean: 0, bad: [0, 0, 0, 0, 0], hit: [0, 0, 0, 0, 0], miss: {}, fpZTrue: [], missRatio: [] };
const inc = (o, k) => (o[k] = (o[k] ?? 0) + 1);

for (const seed of seeds) {
  const market = new FairValueMarket({ seed, ticks: TICKS });
  const { instruments: I, venues: V } = market.o;
  const state = createAnalyticsState({ instruments: I, venues: V, fxCurrencies: market.o.fxCurrencies });
  const det = new OutlierDetector(state, cfg);
  const src = new SourceScorer(state, cfg);
  const tab = outlierTable(state);
  const flatT = outlierFlatTable(state);
  const jumpT = outlierJumpTable(state);
  const t = market.truth;
  // Context per cell: ticks since the cell's last bad tick / stale tick / dislocation; per instrument, ticks since news.
  const sinceBad = new Float64Array(I * V).fill(Infinity);
  const sinceStale = new Float64Array(I * V).fill(Infinity);
  const sinceDisloc = new Float64Array(I * V).fill(Infinity);
  const sinceNewsCell = new Float64Array(I * V).fill(Infinity);
  const sinceFlag = new Float64Array(I * V).fill(Infinity);
  // An observer's estimate of the clean return σ per cell (same EWMA as the generator's, on clean mids).
  const cMid = new Float64Array(I * V).fill(NaN);
  const cVar = new Float64Array(I * V);
  const cN = new Uint32Array(I * V);
  let newsIdx = 0;
  const flagOf = new Uint8Array(TICKS);
  const later = [];
  const dMean = new Float64Array(I * V);
  const dVar = new Float64Array(I * V);
  const dN = new Uint32Array(I * V);
  const pend = new Array(I * V);
  const stepUs = 1e6 / market.o.ratePerSec;
  for (let k = 0; k < TICKS; k++) {
    const now = 1.7e15 + k * stepUs;
    market.nextTick(now);
    const i = market.instrument;
    const v = market.venue;
    const cell = i * V + v;
    const mid = 0.5 * (market.bid + market.ask);
    const half = (market.ask - market.bid) / (market.ask + market.bid);
    while (newsIdx < t.newsSeqs.length && t.newsSeqs[newsIdx] <= k) {
      newsIdx++;
      for (let c = i * 0; c < I * V; c++) sinceNewsCell[c] = 0;
    }
    const o = cell * OUTLIER_STRIDE;
    const lastMid = tab[o];
    const sd = Math.sqrt(tab[o + 2]);
    const r = Math.log(mid / lastMid);
    const kind = t.kind[k];
    const flatBefore = flatT[cell];
    const candBefore = jumpT[i * 4];
    const candVenue = jumpT[i * 4 + 2];
    // What-if: the tick's deviation from the others' accepted mids (median), against its own EWMA scale.
    {
      const others = [];
      for (let u = 0; u < V; u++) if (u !== v && tab[(i * V + u) * OUTLIER_STRIDE] > 0) others.push(tab[(i * V + u) * OUTLIER_STRIDE]);
      others.sort((a, b) => a - b);
      const n = others.length;
      const cons = n >= 2 ? 0.5 * (others[(n - 1) >> 1] + others[n >> 1]) : NaN;
      const dev = Math.log(mid / cons);
      const zDev = (dev - dMean[cell]) / Math.sqrt(dVar[cell]);
      const zRet = (r - tab[o + 1]) / Math.max(sd, 1e-5);
      const bad = kind === TruthKind.Spike || kind === TruthKind.DecimalShift;
      // Two-sided what-if: the previous tick of this cell against this one (excursion depth).
      const pk = pend[cell];
      if (pk !== undefined && pk.ok) {
        const back = Math.log(mid / pk.mid);
        const opp = Math.sign(back) === -Math.sign(pk.r);
        const depth = opp ? Math.min(Math.abs(pk.r), Math.abs(back)) / pk.sd : 0;
        const legs = opp ? (Math.abs(pk.r) + Math.abs(back)) / pk.sd : 0;
        (pk.bad ? whatIf.bad2 : whatIf.clean2).push([
          depth,
          pk.bad ? pk.size : pk.news,
          Math.abs(pk.r) / pk.sd,
          Math.abs(pk.zDev),
          pk.half / pk.sd,
          legs,
        ]);
      }
      pend[cell] = {
        ok: kind !== TruthKind.FaultySource && tab[o + 3] >= 30 && r === r,
        mid,
        r,
        sd: Math.max(sd, 1e-5),
        bad: kind === TruthKind.Spike || kind === TruthKind.DecimalShift,
        size: t.sizeSigma[k],
        news: sinceNewsCell[cell] < 3 ? 1 : 0,
        zDev: zDev === zDev ? zDev : Infinity,
        half,
      };
      if (kind !== TruthKind.FaultySource && dN[cell] >= 30 && tab[o + 3] >= 30 && zDev === zDev && zRet === zRet) {
        if (bad) whatIf.bad.push([zRet, zDev, t.sizeSigma[k]]);
        else whatIf.clean.push([zRet, zDev, sinceNewsCell[cell] < 3 ? 1 : 0]);
      }
      if (!bad && dev === dev && kind !== TruthKind.FaultySource) {
        const a = dN[cell] < 50 ? 1 / (dN[cell] + 1) : 0.02;
        const d = dev - dMean[cell];
        dMean[cell] += a * d;
        dVar[cell] = (1 - a) * (dVar[cell] + a * d * d);
        dN[cell]++;
      }
    }
    const verdict = det.onTick(i, v, mid, half, k, now);
    if (verdict & OutlierVerdict.Outlier) flagOf[k] = 1;
    if (verdict & OutlierVerdict.PreviousOutlier) flagOf[det.previousId] = 1;
    src.onTick(i, v, market.bid, market.ask, now, (verdict & OUTLIER_WITHHELD) !== 0);
    const flagged = () => flagOf[k] === 1;
    const sigTrue = Math.sqrt(cVar[cell]);
    for (const arr of [sinceBad, sinceStale, sinceDisloc, sinceNewsCell, sinceFlag]) arr[cell]++;
    if (kind === TruthKind.FaultySource) continue;
    if (kind === TruthKind.Spike || kind === TruthKind.DecimalShift) {
      const b = bandOf(t.sizeSigma[k]);
      if (b >= 0) {
        agg.bad[b]++;
        later.push(() => {
          if (flagged()) agg.hit[b]++;
        });
        const heldNow = (verdict & OutlierVerdict.Held) !== 0;
        if (b >= 2)
          later.push(() => {
            if (flagged()) return;
            // Why a 4–8σ spike was missed.
            const floor = Math.max(cfg.outlierSigmaFloorHalfSpreads * half, cfg.outlierSigmaFloorBps * 1e-4);
            const scale = Math.max(sd, floor);
            const zDet = Math.abs(r) / scale;
            let why;
            if (heldNow) why = 'held, then judged genuine (band ' + b + ', next kind ' + nextKind(k, cell) + ')';
            else if (!(lastMid > 0)) why = 'no reference';
            else if (zDet <= cfg.outlierZ / 2)
              why =
                Math.abs(r) / Math.max(sd, cfg.outlierSigmaFloorBps * 1e-4) > cfg.outlierZ / 2
                  ? 'out leg below Z/2 only because of the half-spread floor'
                  : 'out leg below Z/2 sigma';
            else
              why =
                cfg.outlierReanchorAfterFlat > 0 && flatBefore >= cfg.outlierReanchorAfterFlat
                  ? 'accepted: re-anchor after flat'
                  : candBefore === candBefore && candVenue !== v
                    ? "accepted?: another venue's jump candidate pending"
                    : 'not held: near the other venues (cross-venue test)';
            inc(agg.miss, why);
            agg.missRatio.push({ sdOverTrue: sd / sigTrue, floorOverTrue: floor / sigTrue, zDet, size: t.sizeSigma[k] });
          });
      }
      sinceBad[cell] = 0;
      continue;
    }
    agg.clean++;
    // Observer σ from clean quotes (stale resends excluded, as the generator does).
    if (kind !== TruthKind.Stale) {
      const p = cMid[cell];
      if (p === p) {
        const rr = Math.log(mid / p);
        const a = cN[cell] < 50 ? 1 / (cN[cell] + 1) : 0.02;
        cVar[cell] = (1 - a) * cVar[cell] + a * rr * rr;
        cN[cell]++;
      }
      cMid[cell] = mid;
    }
    if (kind === TruthKind.Stale) sinceStale[cell] = 0;
    if (kind === TruthKind.Dislocation) sinceDisloc[cell] = 0;
    const ctx = { news: sinceNewsCell[cell], disloc: sinceDisloc[cell], bad: sinceBad[cell], stale: sinceStale[cell], kind };
    later.push(() => {
      if (!flagged()) return;
      const [sinceNewsCell, sinceDisloc, sinceBad, sinceStale] = [
        { [cell]: ctx.news },
        { [cell]: ctx.disloc },
        { [cell]: ctx.bad },
        { [cell]: ctx.stale },
      ];
      let why;
      if (sinceNewsCell[cell] <= 3) why = 'news jump (cell first ticks after)';
      else if (kind === TruthKind.Dislocation || sinceDisloc[cell] <= 3) why = 'dislocation (own book moved)';
      else if (sinceBad[cell] <= 3) why = 'after a bad tick (burst)';
      else if (sinceStale[cell] <= 1) why = 'right after a stale resend';
      else if (Math.abs(r) / sigTrue > cfg.outlierZ) why = 'genuine big return (|r| > z·true σ)';
      else if (sd < sigTrue / 2) why = 'detector scale too small (<½ true σ)';
      else why = 'other';
      inc(agg.fp, why);
      agg.fpZTrue.push(Math.abs(r) / sigTrue);
    });
  }
  function nextKind(k, cell) {
    for (let q = k + 1; q < TICKS; q++) if (t.instrument[q] * V + t.venue[q] === cell) return t.kind[q];
    return 'none';
  }
  for (const f of later) f();
}
const q = (arr, p) => {
  const s = [...arr].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2) : '–';
};
console.log(`seeds ${seedArg}, ${TICKS} ticks, z ${cfg.outlierZ}`);
console.log(
  'recall by band',
  agg.bad.map((b, k) => `${['2-3', '3-4', '4-6', '6-8', '>8'][k]}: ${(agg.hit[k] / b).toFixed(3)} (${b})`).join('  '),
);
const fpN = Object.values(agg.fp).reduce((a, b) => a + b, 0);
console.log(`false flags ${fpN} = ${((fpN / agg.clean) * 1e4).toFixed(2)}/10k clean`);
for (const [k, n] of Object.entries(agg.fp).sort((a, b) => b[1] - a[1])) console.log(`  ${n}\t${k}`);
console.log('  |r|/true σ of false flags: p10', q(agg.fpZTrue, 0.1), 'p50', q(agg.fpZTrue, 0.5), 'p90', q(agg.fpZTrue, 0.9));
console.log('≥4σ misses by cause:');
for (const [k, n] of Object.entries(agg.miss).sort((a, b) => b[1] - a[1])) console.log(`  ${n}\t${k}`);
const mr = agg.missRatio;
console.log(
  '  detector sd / true σ: p10',
  q(
    mr.map((m) => m.sdOverTrue),
    0.1,
  ),
  'p50',
  q(
    mr.map((m) => m.sdOverTrue),
    0.5,
  ),
  'p90',
  q(
    mr.map((m) => m.sdOverTrue),
    0.9,
  ),
  '; floor / true σ: p10',
  q(
    mr.map((m) => m.floorOverTrue),
    0.1,
  ),
  'p50',
  q(
    mr.map((m) => m.floorOverTrue),
    0.5,
  ),
  'p90',
  q(
    mr.map((m) => m.floorOverTrue),
    0.9,
  ),
  '; z as judged: p50',
  q(
    mr.map((m) => m.zDet),
    0.5,
  ),
);

// What-if grid: flag when |zRet| > a AND |zDev| > b (state effects ignored).
console.log('what-if (|zRet|>a && |zDev|>b): FP/10k all, FP/10k w/o news, recall 4-6, recall 6-8, recall 3-4');
const N = agg.clean;
for (const a of [0, 2.5, 3, 3.5, 4, 5, 6]) {
  for (const b of [0, 4, 5, 6, 7, 8, 10]) {
    let fp = 0,
      fpn = 0;
    for (const [zr, zd, news] of whatIf.clean)
      if (Math.abs(zr) > a && Math.abs(zd) > b) {
        fp++;
        if (!news) fpn++;
      }
    const rec = (lo, hi) => {
      let h = 0,
        n = 0;
      for (const [zr, zd, sz] of whatIf.bad)
        if (sz >= lo && sz < hi) {
          n++;
          if (Math.abs(zr) > a && Math.abs(zd) > b) h++;
        }
      return (h / n).toFixed(3);
    };
    console.log(`a ${a} b ${b}: ${((fp / N) * 1e4).toFixed(2)} ${((fpn / N) * 1e4).toFixed(2)}  ${rec(4, 6)} ${rec(6, 8)} ${rec(3, 4)}`);
  }
}

console.log('two-sided what-if: depth > a (or immediate |zRet| > 6): FP/10k, FP w/o news, recall 3-4, 4-6, 6-8, >8');
for (const a of [2, 2.5, 3, 3.5, 4]) {
  for (const imm of [6, 8, Infinity]) {
    let fp = 0,
      fpn = 0;
    for (const [d, news, z] of whatIf.clean2)
      if (d > a || z > imm) {
        fp++;
        if (!news) fpn++;
      }
    const rec = (lo, hi) => {
      let h = 0,
        n = 0;
      for (const [d, sz, z] of whatIf.bad2)
        if (sz >= lo && sz < hi) {
          n++;
          if (d > a || z > imm) h++;
        }
      return (h / n).toFixed(3);
    };
    console.log(
      `a ${a} imm ${imm}: ${((fp / N) * 1e4).toFixed(2)} ${((fpn / N) * 1e4).toFixed(2)}  ${rec(3, 4)} ${rec(4, 6)} ${rec(6, 8)} ${rec(8, 1e9)}`,
    );
  }
}

console.log('two-sided + dev: depth > a && |zDev| > b: FP/10k, FP w/o news, recall 3-4, 4-6, 6-8, >8');
for (const a of [2.5, 3, 3.5]) {
  for (const b of [0, 2, 3, 4, 5]) {
    let fp = 0,
      fpn = 0;
    for (const [d, news, , zd] of whatIf.clean2)
      if (d > a && zd > b) {
        fp++;
        if (!news) fpn++;
      }
    const rec = (lo, hi) => {
      let h = 0,
        n = 0;
      for (const [d, sz, , zd] of whatIf.bad2)
        if (sz >= lo && sz < hi) {
          n++;
          if (d > a && zd > b) h++;
        }
      return (h / n).toFixed(3);
    };
    console.log(
      `a ${a} b ${b}: ${((fp / N) * 1e4).toFixed(2)} ${((fpn / N) * 1e4).toFixed(2)}  ${rec(3, 4)} ${rec(4, 6)} ${rec(6, 8)} ${rec(8, 1e9)}`,
    );
  }
}
const fps = whatIf.clean2.filter(([d, news]) => d > 3 && !news);
console.log(
  'clean depth>3: |r|/sd p50',
  q(
    fps.map((x) => x[2]),
    0.5,
  ),
  'half/sd p10/p50/p90',
  q(
    fps.map((x) => x[4]),
    0.1,
  ),
  q(
    fps.map((x) => x[4]),
    0.5,
  ),
  q(
    fps.map((x) => x[4]),
    0.9,
  ),
);
console.log(
  'all clean half/sd p10/p50/p90',
  q(
    whatIf.clean2.map((x) => x[4]),
    0.1,
  ),
  q(
    whatIf.clean2.map((x) => x[4]),
    0.5,
  ),
  q(
    whatIf.clean2.map((x) => x[4]),
    0.9,
  ),
);

console.log('statistics at Z: (i) 2min>Z & zDev>Z/2  (ii) legs>Z & min>Z/4 & zDev>Z/2: FP/10k, recall 3-4, 4-6, 6-8, >8');
for (const Z of [4, 5, 6, 7, 8]) {
  for (const [name, test] of [
    ['i', (d, zd) => 2 * d > Z && zd > Z / 2],
    ['ii', (d, zd, l) => l > Z && d > Z / 4 && zd > Z / 2],
  ]) {
    let fp = 0;
    for (const x of whatIf.clean2) if (test(x[0], x[3], x[5])) fp++;
    const rec = (lo, hi) => {
      let h = 0,
        n = 0;
      for (const x of whatIf.bad2)
        if (x[1] >= lo && x[1] < hi) {
          n++;
          if (test(x[0], x[3], x[5])) h++;
        }
      return (h / n).toFixed(3);
    };
    console.log(`Z ${Z} ${name}: ${((fp / N) * 1e4).toFixed(2)}  ${rec(3, 4)} ${rec(4, 6)} ${rec(6, 8)} ${rec(8, 1e9)}`);
  }
}

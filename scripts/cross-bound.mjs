// Diagnostic (not a test): the ceiling of any cross / triangle detector on the fair-value market,
// and where this one misses. Run after `npx tsc -p .`:
//   node scripts/cross-bound.mjs [seeds=1-10] [ticks=200000] ['{"analytics":"config"}'] [--list] [--fp]
//
// Observable: a labelled tradeable cross (a run of the instrument's ticks whose truth book crosses
// net of fees, run/quality-score.ts scoreCrosses) is observable when, at some tick of the run, the
// quotes the consumer received (every venue's last quote as sent: bad ticks, stale, lagging and
// faulty quotes included) cross net of fees between the venues the truth book names (its best bid
// venue and best ask venue, at any tick of the run). A triangle event is observable when one of
// the triangle cycles the fair cross rates open in the run is open in the received quotes (best net
// bid / ask per pair over the venues) at some tick of the run. The observable share is the ceiling
// of any detector's recall; "slack" also counts the matchTicks ticks either side, where an alert
// still counts. The stream, key groups and analyzer are the score command's, so the events,
// alerts and misses are exactly the ones it scores (checked: the recall and precision printed are
// scoreCrosses' own).
//
// Then each miss that IS observable, and each false alert, by mechanism, replayed against the
// hidden truth: the dislocated venue's quotes as sent and the consensus' view of them (the
// crossed-market detector's consensusCross is wrapped to read the venue classes it used).
import {
  createAnalyticsState,
  CROSS_MID_STRIDE,
  CrossMidField,
  SCORER_CELL_STRIDE,
  ScorerField,
} from '../dist/analytics/analytics-state.js';
import { FrameAnalyzer } from '../dist/analytics/frame-analyzer.js';
import { cycleWeightBackward, cycleWeightForward } from '../dist/analytics/market-conventions.js';
import { HABIT_MIN_SAMPLES, HABITUAL_DEVIATION, VenueClass } from '../dist/analytics/quote-consensus.js';
import { createTickLabels, TickLabels } from '../dist/analytics/tick-labels.js';
import { FairValueMarket, TruthKind } from '../dist/loadgen/fair-value-market.js';
import { FrameBatcher } from '../dist/loadgen/frame-batcher.js';
import { SCORE_DEFAULTS, scoreCrosses } from '../dist/run/quality-score.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const list = process.argv.includes('--list');
const listFp = process.argv.includes('--fp');
const [seedArg = '1-10', ticksArg = String(SCORE_DEFAULTS.ticks), extra = '{}'] = args;
const seeds = seedArg.includes('-')
  ? (([a, b]) => Array.from({ length: b - a + 1 }, (_, k) => a + k))(seedArg.split('-').map(Number))
  : seedArg.split(',').map(Number);
const TICKS = Number(ticksArg);
const given = JSON.parse(extra);
const M = SCORE_DEFAULTS.matchTicks;
const className = Object.fromEntries(Object.entries(VenueClass).map(([k, v]) => [v, k]));
const kindName = Object.fromEntries(Object.entries(TruthKind).map(([k, v]) => [v, k]));

const tally = (t, key) => (t[key] = (t[key] ?? 0) + 1);
const totals = { cross: [], tri: [], missCause: {}, fpCause: {}, triMissCause: {}, triFpCause: {} };

for (const seed of seeds) {
  const groups = Math.min(SCORE_DEFAULTS.keyGroups, 50);
  const market = new FairValueMarket({ seed, ticks: TICKS, keyGroups: groups });
  const { instruments: I, venues: V, fxCurrencies } = market.o;
  const fx = market.fx;
  const per = fx?.trianglesPerPair ?? 0;
  const frames = [];
  let now = 1.7e15;
  const batcher = new FrameBatcher({
    keyGroups: groups,
    ticksPerRecord: SCORE_DEFAULTS.ticksPerRecord,
    clock: () => now,
    onFrame: (_g, f) => frames.push(f),
  });
  const stepUs = 1e6 / market.o.ratePerSec;
  // Per tick: the truth book's named pair, the received book (net of fees) of the instrument after it.
  const namedBid = new Int8Array(TICKS).fill(-1);
  const namedAsk = new Int8Array(TICKS).fill(-1);
  const book = new Float64Array(TICKS * V * 2);
  // Per tick, the dislocation (log) of every venue of the instrument: which venue moved.
  const disloc = new Float64Array(TICKS * V);
  // Per tick: every venue's truth offset (received mid − its truth mid, in ticks): lag, noise, bias, staleness.
  const offTicks = new Float32Array(TICKS * V).fill(NaN);
  // FX ticks: triangle cycles of the pair open in the fair book / in the received book (bit 2k + cycle).
  const triTruth = new Uint8Array(TICKS);
  const triWire = new Uint8Array(TICKS);
  const sendUs = new Float64Array(TICKS);
  const m = market;
  for (let s = 0; s < TICKS; s++) {
    now = 1.7e15 + s * stepUs;
    m.nextTick(now);
    sendUs[s] = now;
    batcher.add(m.keyGroup, s >>> 0, 0, m.venue, m.instrument, 0, now, m.bid, m.ask, 1, 1);
    const i = m.instrument;
    const tick = m.tick[i];
    const fair = m.fairNow(i);
    let tBid = -Infinity,
      tAsk = Infinity,
      tBidV = -1,
      tAskV = -1;
    for (let w = 0; w < V; w++) {
      const c = i * V + w;
      const b = m.wireBid[c] * m.sellF[w];
      const a = m.wireAsk[c] * m.buyF[w];
      book[(s * V + w) * 2] = b;
      book[(s * V + w) * 2 + 1] = a;
      disloc[s * V + w] = m.dislocNow[c];
      if (m.noiseNow[c] !== m.noiseNow[c]) continue;
      const bt = m.bidTicks(i, w, fair + m.dislocNow[c]) * tick;
      const tb = bt * m.sellF[w];
      const ta = (bt + m.spreadOf(w) * tick) * m.buyF[w];
      offTicks[s * V + w] = (0.5 * (m.wireBid[c] + m.wireAsk[c]) - (bt + 0.5 * m.spreadOf(w) * tick)) / tick;
      if (tb > tBid) {
        tBid = tb;
        tBidV = w;
      }
      if (ta < tAsk) {
        tAsk = ta;
        tAskV = w;
      }
    }
    if (market.truth.tradeable[s] === 1) {
      namedBid[s] = tBidV;
      namedAsk[s] = tAskV;
    }
    if (fx !== null && i >= fx.first && i - fx.first < fx.pairs) {
      const p = i - fx.first;
      const L = m.legs;
      for (let mode = 0; mode < 2; mode++) {
        let bits = 0;
        for (let k = 0; k < per; k++) {
          const tri = fx.pairTriangles[p * per + k];
          m.bestOfPair(fx.trianglePairs[tri * 3], mode, 0);
          m.bestOfPair(fx.trianglePairs[tri * 3 + 1], mode, 2);
          m.bestOfPair(fx.trianglePairs[tri * 3 + 2], mode, 4);
          if (cycleWeightForward(L[0], L[2], L[5]) < 0) bits |= 1 << (2 * k);
          if (cycleWeightBackward(L[4], L[3], L[1]) < 0) bits |= 2 << (2 * k);
        }
        if (mode === 0) triTruth[s] = bits;
        else triWire[s] = bits;
      }
    }
  }
  batcher.flushAll(now);
  const truth = market.truth;
  const labels = createTickLabels(1, TICKS);
  const lw = new TickLabels(labels);
  for (let s = 0; s < TICKS; s++) if (truth.labels[s] !== 0) lw.write(0, s, truth.labels[s]);

  // The score command's replay (headline threshold), with the consensus' classes read after each check.
  const state = createAnalyticsState({ instruments: I, venues: V, fxCurrencies });
  state.labels = labels;
  const config = { ...given, venueFeesBps: Array.from(truth.feeBps), outlierZ: SCORE_DEFAULTS.thresholds[0] };
  const analyzer = new FrameAnalyzer(state, config, () => 0);
  const det = analyzer.arbitrage;
  const cc = det.consensus;
  // Per seq (the tick being analysed): whether the consensus check ran, its answer, the classes then.
  const checked = new Uint8Array(TICKS);
  // The ticking venue's habitual deviation (the source scorer's, as the consensus reads it) at its tick.
  const devAt = new Float64Array(TICKS).fill(NaN);
  const consMid = new Float64Array(TICKS).fill(NaN);
  const consSpread = new Float64Array(TICKS).fill(NaN);
  const classesAt = new Uint8Array(TICKS * V);
  const whyAt = new Uint8Array(TICKS * V);
  let current = -1;
  const origCheck = det.consensusCross.bind(det);
  // Whether the check classified the venues (its cheap gate may answer without: the classes are then an older instrument's).
  let classified = false;
  const origClassify = cc.classify.bind(cc);
  cc.classify = (instrument) => {
    classified = true;
    return origClassify(instrument);
  };
  det.consensusCross = (instrument, open) => {
    classified = false;
    const r = origCheck(instrument, open);
    if (current >= 0 && !classified) checked[current] = 3;
    else if (current >= 0) {
      checked[current] = r ? 2 : 1;
      consMid[current] = cc.consensusMid;
      consSpread[current] = cc.consensusSpread;
      classesAt.set(cc.classes, current * V);
      // For each venue: which departure condition failed (bits, on the side it is off on).
      const mids = cc.mids;
      const c = cc.consensusMid;
      const S = cc.consensusSpread;
      for (let v = 0; v < V; v++) {
        const o = (instrument * V + v) * CROSS_MID_STRIDE;
        const m1 = mids[o + CrossMidField.mid];
        const m2 = mids[o + CrossMidField.prevMid];
        const m3 = mids[o + CrossMidField.prevMid2];
        const sg = m1 - c > 0 ? 1 : -1;
        const moved = (m2 - m3) * sg;
        let bits = 0;
        if (!((m2 - c) * sg > S)) bits |= 1;
        if (!(moved >= S)) bits |= 2;
        if (!(Math.abs(m1 - m2) <= S)) bits |= 4;
        if (!(moved > 0 && moved >= mids[o + CrossMidField.spread])) bits |= 8;
        const sc = (instrument * V + v) * SCORER_CELL_STRIDE;
        if (cc.scorer[sc + ScorerField.dev] >= HABITUAL_DEVIATION && cc.scorer[sc + ScorerField.devN] >= HABIT_MIN_SAMPLES) bits |= 16;
        whyAt[current * V + v] = bits;
      }
    }
    return r;
  };
  // The analyzer calls the detectors' onQuote (the tick already in their shared current tick).
  const origOnQuote = det.onQuote.bind(det);
  let seqOfTick = null;
  det.onQuote = (instrument, venue, withdrawn) => {
    current = seqOfTick !== null ? seqOfTick() : -1;
    if (current >= 0 && (truth.instrument[current] !== instrument || truth.venue[current] !== venue))
      throw new Error(`tick order: seq ${current}`);
    if (current >= 0) devAt[current] = cc.scorer[(instrument * V + venue) * SCORER_CELL_STRIDE + ScorerField.dev];
    return origOnQuote(instrument, venue, withdrawn);
  };
  // FX ticks: the pair's tradeable-triangle state before and after, and which FX pairs had a tradeable cross open (bits).
  const tri = analyzer.triangular;
  const triBefore = new Uint8Array(TICKS);
  const triAfter = new Uint8Array(TICKS);
  const fxCrossOpen = new Uint16Array(TICKS);
  const origTri = tri.onQuote.bind(tri);
  tri.onQuote = (instrument) => {
    const p = instrument - tri.first;
    const s = current;
    if (s >= 0) triBefore[s] = tri.pairTradeable[p];
    const r = origTri(instrument);
    if (s >= 0) {
      triAfter[s] = tri.pairTradeable[p];
      let bits = 0;
      for (let q = 0; q < tri.pairs; q++) if (tri.crossTradeable[4 * (tri.first + q)] === 1) bits |= 1 << q;
      fxCrossOpen[s] = bits;
    }
    return r;
  };
  const crossed = new Uint8Array(TICKS);
  const triangles = new Uint8Array(TICKS);
  // Ticks are analysed in frame order: map each to its seq by walking the frames alongside.
  for (const f of frames) {
    const r = analyzer.reader;
    let k = 0;
    seqOfTick = () => {
      // onTick is called once per analysed tick, in order; out-of-range ticks never reach it.
      const s = r.seq(k);
      k++;
      return s;
    };
    analyzer.analyze(f);
    for (const a of analyzer.takeAlerts()) {
      if (a.kind === 'tradeable') crossed[a.seq] = 1;
      else if (a.kind === 'triangular') triangles[a.seq] = 1;
    }
  }
  const crossScore = scoreCrosses(truth, crossed, I, M);
  const triScore = scoreCrosses(truth, triangles, I, M, truth.triTradeable, truth.triPhantom);

  // Events as scoreCrosses builds them: per instrument, runs of its ticks with the label on.
  const seqsOf = Array.from({ length: I }, () => []);
  for (let s = 0; s < TICKS; s++) seqsOf[truth.instrument[s]].push(s);
  const runs = (label, i) => {
    const out = [];
    const ss = seqsOf[i];
    let open = -1;
    for (let k = 0; k < ss.length; k++) {
      const on = label[ss[k]] === 1;
      if (on && open < 0) open = k;
      else if (!on && open >= 0) {
        out.push([open, k - 1]);
        open = -1;
      }
    }
    if (open >= 0) out.push([open, ss.length - 1]);
    return out;
  };
  const crossAt = (s, u, w) => book[(s * V + u) * 2] > book[(s * V + w) * 2 + 1];
  const anyCross = (s) => {
    let bb = -Infinity,
      bv = -1,
      ba = Infinity,
      av = -1;
    for (let w = 0; w < V; w++) {
      const b = book[(s * V + w) * 2];
      const a = book[(s * V + w) * 2 + 1];
      if (b > bb) {
        bb = b;
        bv = w;
      }
      if (a < ba) {
        ba = a;
        av = w;
      }
    }
    return bv >= 0 && av >= 0 && bv !== av && bb > ba ? [bv, av] : null;
  };

  const row = {
    seed,
    events: 0,
    obs: 0,
    obsSlack: 0,
    dist: 0,
    detDist: 0,
    anyCross: 0,
    det: 0,
    detObs: 0,
    alerts: 0,
    falseAlerts: 0,
    fpIndist: 0,
  };
  const triRow = {
    seed,
    events: 0,
    obs: 0,
    obsSlack: 0,
    dist: 0,
    detDist: 0,
    det: 0,
    detObs: 0,
    alerts: 0,
    falseAlerts: 0,
    fpIndist: 0,
    afterCrossMiss: 0,
  };
  const alertSeqsOf = (flags, i) => seqsOf[i].map((s, k) => (flags[s] === 1 ? k : -1)).filter((k) => k >= 0);
  const biasedOnset = new Map();
  // The venue a cross or departure is about: the dislocated leg of the named pair.
  const movedVenue = (s) => {
    const b = namedBid[s];
    const a = namedAsk[s];
    if (b >= 0 && disloc[s * V + b] > 0) return b;
    if (a >= 0 && disloc[s * V + a] < 0) return a;
    return b;
  };
  const newsNear = (s0, s1) => truth.newsSeqs.some((n) => n >= s0 - 200 && n <= s1);
  const panel = (i) =>
    market.o.faultyEvery > 0 && i % market.o.faultyEvery === market.o.faultyEvery - 1 && !(fx && i >= fx.first && i - fx.first < fx.pairs);

  // Why an observable tradeable cross got no alert (the first mechanism that applies, in this order).
  const missCause = (i, ss, k0, k1) => {
    const s0 = ss[k0];
    const u = movedVenue(s0);
    const cellTicks = [];
    for (let k = k0; k <= k1; k++) if (truth.venue[ss[k]] === u) cellTicks.push(ss[k]);
    const cls = [];
    let checks = 0;
    for (let k = Math.max(0, k0 - M); k <= Math.min(ss.length - 1, k1 + M); k++) {
      const s = ss[k];
      if (checked[s] === 1 || checked[s] === 2) {
        checks++;
        cls.push(className[classesAt[s * V + u]]);
      }
    }
    const info = {
      u,
      lagMs: (truth.lagUs[u] / 1000).toFixed(1),
      len: k1 - k0 + 1,
      uTicks: cellTicks.length,
      checks,
      cls: [...new Set(cls)].join('/'),
      news: newsNear(s0, ss[k1]),
      biased: panel(i) && u === truth.biasedVenue,
      durMs: ((sendUs[ss[k1]] - s0 === 0 ? 0 : sendUs[ss[k1]] - sendUs[s0]) / 1000).toFixed(0),
    };
    info.dev = cellTicks.map((x) => devAt[x].toFixed(3)).join('/');
    info.frozen = panel(i) && u === truth.frozenVenue;
    let cause;
    if (info.biased) cause = 'dislocated venue is the biased one (Off by habit)';
    else if (info.frozen) cause = 'dislocated venue is the frozen one';
    else if (cellTicks.length > 1 && devAt[cellTicks[1]] >= 0.25)
      cause = 'moved venue (clean) taken for a habitual one (deviation >= 0.25)';
    else if (cellTicks.length === 0) cause = 'moved venue sends no quote in the window';
    else if (cellTicks.length === 1) cause = 'moved venue quotes once in the window (no re-send)';
    else if (checks === 0) cause = 'venues never classified (the cheap gate stayed closed)';
    else if (!cls.includes('DepartedUp') && !cls.includes('DepartedDown')) {
      // At the moved venue's second and later quotes of the window (a departure needs two): which test failed.
      const names = ['its earlier quote not off', 'its own move < S', 'not re-sent within S', 'move < own spread', 'habit'];
      const why = new Set();
      for (const x of cellTicks.slice(1))
        if (checked[x] === 1) for (let b = 0; b < 5; b++) if (whyAt[x * V + u] & (1 << b)) why.add(names[b]);
      cause = `moved venue never departed: ${[...why].join(', ') || 'not classified at its own quotes'}`;
    } else cause = 'departed, but no witness';
    if (info.news && !info.biased) cause += ' [news]';
    return { cause, info };
  };

  // One line per tick of the instrument: who quoted, the moved venue u's received mid against the
  // median received mid (ticks), the consensus class of u the detector used, the named cross.
  const trace = (i, ss, from, to, u, k0, k1) => {
    const tick = market.tick[i];
    for (let k = Math.max(0, from); k <= Math.min(ss.length - 1, to); k++) {
      const s = ss[k];
      const mids = [];
      for (let w = 0; w < V; w++) {
        const b = book[(s * V + w) * 2] / market.sellF[w];
        const a = book[(s * V + w) * 2 + 1] / market.buyF[w];
        if (b === b) mids.push(0.5 * (a + b));
      }
      mids.sort((a, b) => a - b);
      const med = mids.length % 2 ? mids[mids.length >> 1] : 0.5 * (mids[mids.length / 2 - 1] + mids[mids.length / 2]);
      const um = 0.5 * (book[(s * V + u) * 2] / market.sellF[u] + book[(s * V + u) * 2 + 1] / market.buyF[u]);
      const v = truth.venue[s];
      const x = anyCross(s);
      console.log(
        `    ${k >= k0 && k <= k1 ? '*' : ' '} ${s} +${((sendUs[s] - sendUs[ss[k0]]) / 1000).toFixed(0)}ms v${v}${v === u ? '=u' : '  '} ${kindName[truth.kind[s]].padEnd(11)} ` +
          `u-med ${((um - med) / tick).toFixed(1).padStart(6)} off(u) ${offTicks[s * V + u].toFixed(1).padStart(5)} off(v) ${offTicks[s * V + v].toFixed(1).padStart(5)} ` +
          `disloc(u) ${(disloc[s * V + u] * 1e4).toFixed(1)} chk ${checked[s]} cls(u) ${checked[s] === 1 || checked[s] === 2 ? className[classesAt[s * V + u]] : checked[s] === 3 ? 'gated' : '-'} ` +
          `c-med ${((consMid[s] - med) / tick).toFixed(1)} S ${(consSpread[s] / tick).toFixed(1)} named ${namedBid[s]}/${namedAsk[s]} cross ${x ? x.join('/') : '-'} news ${truth.newsSeqs.some((n) => n <= s && n > s - 400) ? 'y' : ''}`,
      );
    }
  };

  const fpCause = (i, s) => {
    const pair = anyCross(s);
    if (pair === null) return { cause: 'no cross in received book at alert', info: {} };
    const [bv, av] = pair;
    // The leg off its truth by more (ticks): the one the cross is about.
    const ob = offTicks[s * V + bv];
    const oa = offTicks[s * V + av];
    const u = Math.abs(ob) >= Math.abs(oa) ? bv : av;
    const info = { bid: bv, ask: av, offBid: ob.toFixed(1), offAsk: oa.toFixed(1), u };
    let cause;
    if (panel(i) && u === truth.biasedVenue && s >= Math.floor(TICKS / 5)) {
      cause = 'biased venue';
      const key = i * V + u;
      if (!biasedOnset.has(key)) {
        let n = 0;
        for (const x of seqsOf[i]) if (x >= Math.floor(TICKS / 5) && x < s && truth.venue[x] === u) n++;
        biasedOnset.set(key, n);
        info.updatesSinceOnset = n;
      }
    } else if (panel(i) && u === truth.frozenVenue && s >= Math.floor(TICKS / 5)) cause = 'frozen venue';
    else {
      // What the off leg's last quote was.
      let last = -1;
      for (const x of seqsOf[i]) {
        if (x > s) break;
        if (truth.venue[x] === u) last = x;
      }
      const k = last >= 0 ? truth.kind[last] : -1;
      if (k === TruthKind.Spike || k === TruthKind.DecimalShift) cause = 'bad tick on the off leg';
      else if (k === TruthKind.Stale) cause = 'stale re-send on the off leg';
      else if (Math.abs(disloc[s * V + u]) > 0) cause = 'dislocated venue, truth book does not cross';
      else
        cause = `lagging/noisy quote (${Math.abs(Number(info.offBid)) >= 1 || Math.abs(Number(info.offAsk)) >= 1 ? 'off ≥ 1 tick' : 'off < 1 tick'})`;
      info.lastKind = kindName[k] ?? '-';
      info.lagMs = (truth.lagUs[u] / 1000).toFixed(1);
    }
    // After a tradeable event of the instrument (alert late)?
    return { cause, info };
  };

  for (let i = 0; i < I; i++) {
    const ss = seqsOf[i];
    const events = runs(truth.tradeable, i);
    const alerts = alertSeqsOf(crossed, i);
    const hasAlert = (from, to) => alerts.some((k) => k >= from && k <= to);
    for (const [k0, k1] of events) {
      row.events++;
      const named = new Set();
      for (let k = k0; k <= k1; k++) named.add(namedBid[ss[k]] * 64 + namedAsk[ss[k]]);
      // The named pair crosses in the received quotes, and the moved venue's received quote carries its move
      // (within half its dislocation of its truth: a frozen feed's quote does not).
      const carries = (s) => {
        const u = movedVenue(s);
        return Math.abs(offTicks[s * V + u]) < (0.5 * Math.abs(disloc[s * V + u])) / (market.o.tickBps * 1e-4);
      };
      const shows = (k) => carries(ss[k]) && [...named].some((x) => crossAt(ss[k], x >> 6, x & 63));
      let obs = false,
        slack = false,
        any = false;
      for (let k = Math.max(0, k0 - M); k <= Math.min(ss.length - 1, k1 + M); k++) {
        const inside = k >= k0 && k <= k1;
        if (shows(k)) {
          slack = true;
          if (inside) obs = true;
        }
        if (inside && anyCross(ss[k]) !== null) any = true;
      }
      const d = hasAlert(k0 - M, k1 + M);
      // Distinguishable: the named cross still shows at or after the moved venue's second quote of
      // the window (its re-send: a single off quote is what a bad tick also is).
      const u = movedVenue(ss[k0]);
      let n = 0,
        distinct = false;
      for (let k = k0; k <= k1; k++) {
        if (truth.venue[ss[k]] === u) n++;
        if (n >= 2 && shows(k)) distinct = true;
      }
      row.dist += distinct ? 1 : 0;
      row.detDist += distinct && d ? 1 : 0;
      row.obs += obs ? 1 : 0;
      row.obsSlack += slack ? 1 : 0;
      row.anyCross += any ? 1 : 0;
      row.det += d ? 1 : 0;
      row.detObs += d && slack ? 1 : 0;
      if (!d && slack && !distinct) tally(totals.missCause, "ends before the moved venue's re-send (indistinguishable from a bad tick)");
      else if (!d && slack) {
        const { cause, info } = missCause(i, ss, k0, k1);
        tally(totals.missCause, cause);
        if (list) {
          console.log(`  miss seed ${seed} i${i} seq ${ss[k0]}..${ss[k1]}: ${cause} ${JSON.stringify(info)}`);
          trace(i, ss, k0 - 4, k1 + 4, info.u, k0, k1);
        }
      } else if (!d) {
        tally(totals.missCause, 'not observable (no named cross in received quotes)');
        if (list) {
          console.log(`  unobservable seed ${seed} i${i} seq ${ss[k0]}..${ss[k1]} u ${movedVenue(ss[k0])}`);
          trace(i, ss, k0 - 4, k1 + 4, movedVenue(ss[k0]), k0, k1);
        }
      }
    }
    // TRACE=seed:instrument: every cross event of that instrument, traced.
    if (process.env.TRACE === `${seed}:${i}`)
      for (const [k0, k1] of events) {
        console.log(
          `  trace seed ${seed} i${i} seq ${ss[k0]}..${ss[k1]} alerts ${alerts
            .filter((k) => k >= k0 - M && k <= k1 + M)
            .map((k) => ss[k])
            .join(',')}`,
        );
        trace(i, ss, k0 - 4, k1 + 4, movedVenue(ss[k0]), k0, k1);
      }
    const inEvent = (k) => events.some(([a, b]) => k >= a - M && k <= b + M);
    for (const k of alerts) {
      row.alerts++;
      if (inEvent(k)) continue;
      row.falseAlerts++;
      const { cause, info } = fpCause(i, ss[k]);
      if (cause === 'biased venue' && (info.updatesSinceOnset ?? Infinity) < 20) row.fpIndist++;
      // Late: a tradeable event of the instrument ended within 20 of its ticks before the alert.
      const late = events.some(([, b]) => k > b + M && k <= b + 20);
      const c = late ? `${cause} [after an event]` : cause;
      tally(totals.fpCause, c);
      if (listFp) console.log(`  fp seed ${seed} i${i} seq ${ss[k]}: ${c} ${JSON.stringify(info)}`);
    }

    if (fx === null || !(i >= fx.first && i - fx.first < fx.pairs)) continue;
    const tEvents = runs(truth.triTradeable, i);
    const tAlerts = alertSeqsOf(triangles, i);
    for (const [k0, k1] of tEvents) {
      triRow.events++;
      let named = 0;
      for (let k = k0; k <= k1; k++) named |= triTruth[ss[k]];
      let obs = false,
        slack = false;
      for (let k = Math.max(0, k0 - M); k <= Math.min(ss.length - 1, k1 + M); k++) {
        if ((triWire[ss[k]] & named) !== 0) {
          slack = true;
          if (k >= k0 && k <= k1) obs = true;
        }
      }
      const d = tAlerts.some((k) => k >= k0 - M && k <= k1 + M);
      triRow.obs += obs ? 1 : 0;
      triRow.obsSlack += slack ? 1 : 0;
      triRow.det += d ? 1 : 0;
      triRow.detObs += d && slack ? 1 : 0;
      // The cross that opened it: the FX pair's tradeable cross overlapping it in time, its moved
      // venue's re-send (its second quote in the cross window: before it, the move is a single
      // quote, which a bad tick also is), and when the detector confirmed that cross.
      const t0 = sendUs[ss[k0]];
      const t1 = sendUs[ss[Math.min(ss.length - 1, k1 + M)]];
      let resendUs = Infinity;
      let confirmUs = Infinity;
      let source = '';
      for (let p = 0; p < fx.pairs; p++) {
        const j = fx.first + p;
        const sj = seqsOf[j];
        for (const [a, b] of runs(truth.tradeable, j)) {
          if (sendUs[sj[b]] < t0 - 100_000 || sendUs[sj[a]] > t1) continue;
          const u = movedVenue(sj[a]);
          let n = 0;
          for (let k = a; k <= b; k++) {
            if (truth.venue[sj[k]] === u && ++n === 2) {
              resendUs = Math.min(resendUs, sendUs[sj[k]]);
              break;
            }
          }
          for (let k = Math.max(0, a - M); k <= Math.min(sj.length - 1, b + M); k++) {
            if (crossed[sj[k]] === 1) {
              confirmUs = Math.min(confirmUs, sendUs[sj[k]]);
              break;
            }
          }
          source += ` i${j}:${sj[a]}..${sj[b]} u${u}`;
        }
      }
      let distinct = false;
      let lastOpenUs = -Infinity;
      for (let k = k0; k <= k1; k++) {
        if ((triWire[ss[k]] & named) === 0) continue;
        lastOpenUs = sendUs[ss[k]];
        if (sendUs[ss[k]] >= resendUs) distinct = true;
      }
      triRow.dist += distinct ? 1 : 0;
      triRow.detDist += distinct && d ? 1 : 0;
      if (!d && slack) {
        let cause;
        if (source === '') cause = 'no FX cross labelled then';
        else if (!distinct) cause = "ends before the moved venue's re-send (indistinguishable from a bad tick)";
        else if (confirmUs === Infinity) cause = 'its FX cross was missed';
        else if (!(confirmUs <= lastOpenUs)) cause = 'its FX cross was confirmed after the triangle closed';
        else cause = 'its FX cross was confirmed in time, no triangle alert';
        tally(totals.triMissCause, cause);
        if (list) {
          console.log(
            `  tri miss seed ${seed} i${i} seq ${ss[k0]}..${ss[k1]}: ${cause} (cross${source}, re-send +${((resendUs - t0) / 1000).toFixed(0)}ms, confirmed +${((confirmUs - t0) / 1000).toFixed(0)}ms, ends +${((t1 - t0) / 1000).toFixed(0)}ms)`,
          );
          for (let k = Math.max(0, k0 - 2); k <= Math.min(ss.length - 1, k1 + 2); k++) {
            const x = ss[k];
            console.log(
              `    ${k >= k0 && k <= k1 ? '*' : ' '} ${x} v${truth.venue[x]} truth ${triTruth[x].toString(2).padStart(6, '0')} wire ${triWire[x].toString(2).padStart(6, '0')} ` +
                `pairTradeable ${triBefore[x]}->${triAfter[x]} fxCrossOpen ${fxCrossOpen[x].toString(2).padStart(10, '0')} alert ${triangles[x]}`,
            );
          }
        }
      } else if (!d) tally(totals.triMissCause, 'not observable (no fair-open cycle open in received quotes)');
    }
    const inT = (k) => tEvents.some(([a, b]) => k >= a - M && k <= b + M);
    for (const k of tAlerts) {
      triRow.alerts++;
      if (inT(k)) continue;
      triRow.falseAlerts++;
      const late = tEvents.some(([, b]) => k > b + M && k <= b + 20);
      tally(totals.triFpCause, late ? 'after an event (late)' : 'no event near');
      if (listFp) console.log(`  tri fp seed ${seed} i${i} seq ${ss[k]}${late ? ' (late)' : ''}`);
    }
  }
  // Consistency with the scorer: same events, recall and precision.
  const okCross = crossScore.events === row.events && Math.abs(crossScore.recall - row.det / row.events) < 1e-12;
  const okTri = triScore.events === triRow.events && Math.abs(triScore.recall - (triRow.det / triRow.events || 1)) < 1e-12;
  if (!okCross || !okTri) console.log(`  !! seed ${seed}: event counts differ from scoreCrosses (${crossScore.events}/${triScore.events})`);
  row.P = crossScore.precision;
  row.R = crossScore.recall;
  triRow.P = triScore.precision;
  triRow.R = triScore.recall;
  totals.cross.push(row);
  totals.tri.push(triRow);
  const f = (x) => x.toFixed(3);
  console.log(
    `seed ${seed} crosses: events ${row.events} observable ${f(row.obs / row.events)} (slack ${f(row.obsSlack / row.events)}, any cross ${f(row.anyCross / row.events)}) ` +
      `distinguishable ${f(row.dist / row.events)} recall ${f(row.R)} (of distinguishable ${f(row.detDist / row.dist)}) precision ${f(row.P)} false ${row.falseAlerts}/${row.alerts} (biased onset <20 upd ${row.fpIndist})`,
  );
  console.log(
    `seed ${seed} triangles: events ${triRow.events} observable ${f(triRow.obs / triRow.events)} (slack ${f(triRow.obsSlack / triRow.events)}) ` +
      `distinguishable ${f(triRow.dist / triRow.events)} recall ${f(triRow.R)} (of distinguishable ${f(triRow.detDist / triRow.dist)}) precision ${f(triRow.P)} false ${triRow.falseAlerts}/${triRow.alerts}`,
  );
}

const sum = (rows, k) => rows.reduce((a, r) => a + r[k], 0);
const meanMin = (xs) => `${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3)} / ${Math.min(...xs).toFixed(3)}`;
for (const [name, rows] of [
  ['crosses', totals.cross],
  ['triangles', totals.tri],
]) {
  console.log(
    `${name} (mean / min over seeds): observable ${meanMin(rows.map((r) => r.obs / r.events))}, slack ${meanMin(rows.map((r) => r.obsSlack / r.events))}, distinguishable ${meanMin(rows.map((r) => r.dist / r.events))}; ` +
      `recall ${meanMin(rows.map((r) => r.R))}; recall of distinguishable ${meanMin(rows.map((r) => r.detDist / r.dist))}; precision ${meanMin(rows.map((r) => r.P))}; ` +
      `events ${sum(rows, 'events')}, misses ${sum(rows, 'events') - sum(rows, 'det')} (observable ${sum(rows, 'obsSlack') - sum(rows, 'detObs')}), false alerts ${sum(rows, 'falseAlerts')}/${sum(rows, 'alerts')}`,
  );
}
const show = (title, t) => {
  console.log(title);
  for (const [k, v] of Object.entries(t).sort((a, b) => b[1] - a[1])) console.log(`  ${String(v).padStart(4)}  ${k}`);
};
show('cross misses by mechanism:', totals.missCause);
show('cross false alerts by mechanism:', totals.fpCause);
show('triangle misses:', totals.triMissCause);
show('triangle false alerts:', totals.triFpCause);

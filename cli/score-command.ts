import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import pc from 'picocolors';
import { FirehoseError } from '../kafka/errors.js';
import { FAIR_VALUE_MARKET_DEFAULTS } from '../loadgen/fair-value-market.js';
import { renderScoreReport } from '../report/analytics-quality.js';
import { analyticsQualityBlock, scoreSeed, SCORE_DEFAULTS, type ScoreOptions } from '../run/quality-score.js';
import { parseCount } from './option-parsers.js';
import { qualityTable } from './quality-table.js';

function positive(flag: string, integer: boolean, allowZero = false) {
  return (text: string): number => {
    const v = /^\s*\d/.test(text) ? parseCount(text) : Number.NaN;
    if (!Number.isFinite(v) || (allowZero ? v < 0 : v <= 0) || (integer && !Number.isInteger(v))) {
      throw new InvalidArgumentError(
        `${flag} expects a ${allowZero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}, got "${text}"`,
      );
    }
    return v;
  };
}

function probability(flag: string) {
  return (text: string): number => {
    const v = Number(text);
    if (text.trim() === '' || !(v >= 0 && v <= 1)) throw new InvalidArgumentError(`${flag} expects a probability in 0..1, got "${text}"`);
    return v;
  };
}

/** "1-10" or "1,3,5" → seeds. */
export function parseSeeds(text: string): number[] {
  const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  const seeds = range
    ? Array.from({ length: Math.max(0, Number(range[2]) - Number(range[1]) + 1) }, (_, k) => Number(range[1]) + k)
    : text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
        .map(Number);
  if (seeds.length === 0 || seeds.length > 1000 || seeds.some((s) => !Number.isSafeInteger(s) || s < 0)) {
    throw new InvalidArgumentError(`--seeds expects a range (1-10) or a list (1,2,3) of non-negative integers, got "${text}"`);
  }
  return seeds;
}

function parseThresholds(text: string): number[] {
  const items = text.split(',').map((s) => Number(s.trim()));
  if (items.length === 0 || items.some((x) => !(x > 0 && x < 1e6)))
    throw new InvalidArgumentError(`--thresholds expects a list of positive numbers, got "${text}"`);
  return items;
}

interface ScoreCliOptions {
  seeds: number[];
  ticks: number;
  instruments: number;
  venues: number;
  market: string;
  thresholds: number[];
  matchTicks: number;
  maxLagMs: number;
  noiseBaseBps: number;
  noiseStepBps: number;
  volBps: number;
  spikeMinSigma: number;
  spikeMaxSigma: number;
  spikeProb: number;
  staleProb: number;
  newsProb: number;
  out?: string;
  json?: boolean;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
}

const f = (x: number, d = 3): string => (Number.isFinite(x) ? x.toFixed(d) : '–');

export function registerScoreCommand(program: Command, setExit: (code: number) => void): void {
  const d = FAIR_VALUE_MARKET_DEFAULTS;
  program
    .command('score')
    .description(
      'analytics quality curves: replays a realistic market (hidden fair value, lagging venues, bad ticks) through the analyzer in-process per seed and threshold, scored against the hidden truth beside Hampel and fee-less-cross baselines',
    )
    .option('--seeds <list>', 'seeds: a range (1-10) or a list (1,2,3)', parseSeeds, SCORE_DEFAULTS.seeds)
    .option('--ticks <n>', 'ticks per seed', positive('--ticks', true), SCORE_DEFAULTS.ticks)
    .option('--instruments <n>', 'instruments', positive('--instruments', true), d.instruments)
    .option('--venues <n>', 'venues (2..64)', positive('--venues', true), d.venues)
    .option(
      '--market <name>',
      'market model: fair-value (the only one scored here; `firehose run --market simple` runs the old one, unscored against a fair value)',
      'fair-value',
    )
    .option(
      '--thresholds <list>',
      'outlier z (and Hampel t) thresholds of the sweep; the first is the headline',
      parseThresholds,
      SCORE_DEFAULTS.thresholds,
    )
    .option(
      '--match-ticks <n>',
      'event matching window, ticks of the instrument (cell for outliers)',
      positive('--match-ticks', true, true),
      SCORE_DEFAULTS.matchTicks,
    )
    .option('--max-lag-ms <ms>', 'largest venue feed lag', positive('--max-lag-ms', false, true), d.maxLagMs)
    .option('--noise-base-bps <bp>', 'quote noise of the best venue', positive('--noise-base-bps', false, true), d.noiseBaseBps)
    .option('--noise-step-bps <bp>', 'quote noise step between venues (graded)', positive('--noise-step-bps', false, true), d.noiseStepBps)
    .option('--vol-bps <bp>', 'fair-value volatility, bp per √s', positive('--vol-bps', false), d.volBpsPerSqrtSec)
    .option('--spike-min-sigma <k>', "smallest spike, σ of the venue's true returns", positive('--spike-min-sigma', false), d.spikeMinSigma)
    .option('--spike-max-sigma <k>', 'largest spike', positive('--spike-max-sigma', false), d.spikeMaxSigma)
    .option('--spike-prob <p>', 'probability of a spike per tick', probability('--spike-prob'), d.spikeProb)
    .option('--stale-prob <p>', 'probability that a venue resends its previous quote', probability('--stale-prob'), d.staleProb)
    .option('--news-prob <p>', 'probability of a market-wide news jump per tick', probability('--news-prob'), d.newsProb)
    .option('--out <dir>', 'where result.json and report.html go (default: results/score-<timestamp>)')
    .option('--json', 'print result.json to stdout instead of the table')
    .action(async (options: ScoreCliOptions) => {
      if (options.market !== 'fair-value') throw new FirehoseError('BAD_OPTION', `--market expects fair-value, got "${options.market}"`);
      if (options.venues < 2 || options.venues > 64)
        throw new FirehoseError('BAD_OPTION', `--venues expects 2..64 for scoring, got ${options.venues}`);
      if (options.spikeMaxSigma < options.spikeMinSigma)
        throw new FirehoseError('BAD_OPTION', '--spike-max-sigma must be at least --spike-min-sigma');
      const o: ScoreOptions = {
        ...SCORE_DEFAULTS,
        seeds: options.seeds,
        ticks: options.ticks,
        thresholds: options.thresholds,
        matchTicks: options.matchTicks,
        market: {
          instruments: options.instruments,
          venues: options.venues,
          maxLagMs: options.maxLagMs,
          noiseBaseBps: options.noiseBaseBps,
          noiseStepBps: options.noiseStepBps,
          volBpsPerSqrtSec: options.volBps,
          spikeMinSigma: options.spikeMinSigma,
          spikeMaxSigma: options.spikeMaxSigma,
          spikeProb: options.spikeProb,
          staleProb: options.staleProb,
          newsProb: options.newsProb,
        },
      };
      const t0 = performance.now();
      const seeds = o.seeds.map((seed) => {
        const s = scoreSeed(seed, o);
        if (!options.json) process.stderr.write(pc.dim(`seed ${seed}: outlier F1 ${f(s.outliers.f1)}, ρ ${f(s.sources.spearman)}\n`));
        return s;
      });
      const block = analyticsQualityBlock(seeds, o);
      const createdAt = new Date().toISOString();
      const result = { kind: 'score', createdAt, elapsedSec: Math.round(performance.now() - t0) / 1000, analytics: block };
      const out = options.out ?? path.join('results', `score-${timestamp()}`);
      await mkdir(out, { recursive: true });
      await writeFile(path.join(out, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
      await writeFile(path.join(out, 'report.html'), renderScoreReport(block, createdAt));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } else {
        process.stdout.write(`${qualityTable(block)}\n`);
        process.stdout.write(pc.dim(`wrote ${path.join(out, 'result.json')} and report.html (${result.elapsedSec} s)\n`));
      }
      setExit(0);
    });
}

import { spearman as spearmanOrNull } from './scoring.js';

/**
 * Rank correlations for checking a source ranking against the truth: Spearman's ρ (Pearson on
 * average ranks, ties shared) and Kendall's τ-b, with a one-sided permutation p-value (how often
 * a random order of the scores correlates at least as well).
 */

/** Spearman's ρ (analytics/scoring.ts), 0 where that is undefined (a constant side). */
export function spearman(x: readonly number[], y: readonly number[]): number {
  return spearmanOrNull(x, y) ?? 0;
}

export function kendall(x: readonly number[], y: readonly number[]): number {
  let concordant = 0,
    discordant = 0,
    tiesX = 0,
    tiesY = 0;
  for (let a = 0; a < x.length; a++) {
    for (let b = a + 1; b < x.length; b++) {
      const dx = Math.sign(x[a]! - x[b]!);
      const dy = Math.sign(y[a]! - y[b]!);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiesX++;
      else if (dy === 0) tiesY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const denom = Math.sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY));
  return denom > 0 ? (concordant - discordant) / denom : 0;
}

/** One-sided permutation p-value of `stat(x, y)` against shuffles of x, with a seeded generator in [0, 1). */
export function permutationPValue(
  x: readonly number[],
  y: readonly number[],
  stat: (a: readonly number[], b: readonly number[]) => number,
  rounds: number,
  random: () => number,
): number {
  const observed = stat(x, y);
  const p = [...x];
  let atLeast = 0;
  for (let r = 0; r < rounds; r++) {
    for (let k = p.length - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      [p[k], p[j]] = [p[j]!, p[k]!];
    }
    if (stat(p, y) >= observed - 1e-12) atLeast++;
  }
  return (atLeast + 1) / (rounds + 1);
}

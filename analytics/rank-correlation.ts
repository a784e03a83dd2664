/**
 * Rank correlations for checking a source ranking against the truth: Spearman's ρ (Pearson on
 * average ranks, ties shared) and Kendall's τ-b, with a one-sided permutation p-value (how often
 * a random order of the scores correlates at least as well).
 */

function ranks(x: readonly number[]): number[] {
  const idx = x.map((_, k) => k).sort((a, b) => x[a]! - x[b]!);
  const r = new Array<number>(x.length);
  for (let s = 0; s < idx.length;) {
    let e = s;
    while (e + 1 < idx.length && x[idx[e + 1]!] === x[idx[s]!]) e++;
    for (let k = s; k <= e; k++) r[idx[k]!] = (s + e) / 2 + 1;
    s = e + 1;
  }
  return r;
}

export function spearman(x: readonly number[], y: readonly number[]): number {
  const rx = ranks(x);
  const ry = ranks(y);
  const n = x.length;
  const mx = rx.reduce((a, b) => a + b, 0) / n;
  const my = ry.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let k = 0; k < n; k++) {
    sxy += (rx[k]! - mx) * (ry[k]! - my);
    sxx += (rx[k]! - mx) ** 2;
    syy += (ry[k]! - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

export function kendall(x: readonly number[], y: readonly number[]): number {
  let concordant = 0, discordant = 0, tiesX = 0, tiesY = 0;
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
  x: readonly number[], y: readonly number[], stat: (a: readonly number[], b: readonly number[]) => number,
  rounds: number, random: () => number,
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

/** Small deterministic helpers shared by the analytics tests. */

/** mulberry32: a seeded PRNG, so a failing fast-check seed replays the same stream. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box–Muller) from a uniform source. */
export function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Spearman rank correlation of two orderings of the same items (no ties). */
export function spearman(ranking: readonly number[], expected: readonly number[]): number {
  const n = ranking.length;
  if (n !== expected.length || n < 2) throw new Error('spearman needs two rankings of equal length ≥ 2');
  const posA = new Map(ranking.map((item, i) => [item, i]));
  let d2 = 0;
  expected.forEach((item, i) => {
    const p = posA.get(item);
    if (p === undefined) throw new Error(`item ${item} missing from ranking`);
    d2 += (p - i) ** 2;
  });
  return 1 - (6 * d2) / (n * (n * n - 1));
}

/**
 * Counters without the alerts' detection latencies (wall-clock dependent), for comparing the
 * counts of runs that analysed the same ticks at different moments.
 */
export function withoutTiming<T extends object>(counters: T): Partial<T> {
  return Object.fromEntries(Object.entries(counters).filter(([k]) => !k.startsWith('alertLatency'))) as Partial<T>;
}

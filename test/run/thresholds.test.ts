import { describe, expect, it } from 'vitest';
import { evaluateThresholds } from '../../run/thresholds.js';

const result = (p50: number, p99: number, lost: number, offered: number, analysed: number) =>
  ({
    latency: { e2e: { p50, p99, p999: p99 * 2 } },
    ticks: { lost },
    throughput: { offeredTicksPerSec: offered, ticksPerSec: analysed },
  }) as unknown as Parameters<typeof evaluateThresholds>[0];

describe('evaluateThresholds', () => {
  it('checks only the limits given', () => {
    expect(evaluateThresholds(result(1, 2, 0, 10, 10), {})).toEqual([]);
  });

  it('a limit is inclusive: equal passes, one above fails', () => {
    const [atLimit] = evaluateThresholds(result(1000, 2000, 0, 10, 10), { maxP99Us: 2000 });
    expect(atLimit).toMatchObject({ name: 'e2e p99', pass: true, actual: 2000 });
    const [above] = evaluateThresholds(result(1000, 2001, 0, 10, 10), { maxP99Us: 2000 });
    expect(above!.pass).toBe(false);
  });

  it('a minimum rate in percent is a share of the offered rate', () => {
    const [ok] = evaluateThresholds(result(1, 1, 0, 100_000, 90_000), { minRate: { kind: 'percent', value: 90 } });
    expect(ok).toMatchObject({ pass: true, limit: '≥ 90% of offered (90000 ticks/s)' });
    const [short] = evaluateThresholds(result(1, 1, 0, 100_000, 89_999), { minRate: { kind: 'percent', value: 90 } });
    expect(short!.pass).toBe(false);
    const [absolute] = evaluateThresholds(result(1, 1, 0, 100_000, 40_000), { minRate: { kind: 'absolute', value: 50_000 } });
    expect(absolute!.pass).toBe(false);
  });

  it('any lost tick fails --max-lost 0', () => {
    const [lost] = evaluateThresholds(result(1, 1, 1, 10, 10), { maxLost: 0 });
    expect(lost).toMatchObject({ name: 'lost ticks', pass: false, actual: 1 });
  });
});

import { describe, expect, it } from 'vitest';
import { ShutdownSteps } from '../../kafka/shutdown-steps.js';
import { stepsLeftBehind } from '../../kafka/native-calls.js';

const never = (): Promise<void> => new Promise(() => {});
const after = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('shutdown steps', () => {
  it('a step that never returns is left behind at its budget, and the next one still runs', async () => {
    const lines: string[] = [];
    const steps = new ShutdownSteps((l) => lines.push(l));
    let aborted = false;
    const stuck = await steps.run('consumer close', 50, (signal) => {
      signal.addEventListener('abort', () => {
        aborted = true;
      });
      return never();
    });
    const next = await steps.run('cluster stop', 1_000, () => after(5));
    expect([stuck, next]).toEqual(['timed out', 'done']);
    expect(aborted).toBe(true);
    expect(steps.incomplete).toBe(true);
    expect(stepsLeftBehind()).toContain('consumer close');
    expect(lines.join('\n')).toMatch(/consumer close still waiting after \d+ ms: left behind/);
  });

  it('the overall deadline cuts a running step short and skips the ones after it', async () => {
    const steps = new ShutdownSteps();
    const started = Date.now();
    const running = steps.run('drain', Number.POSITIVE_INFINITY, () => never());
    steps.setDeadline(Date.now() + 40);
    expect(await running).toBe('timed out');
    expect(Date.now() - started).toBeLessThan(1_000);
    let ran = false;
    expect(
      await steps.run('flush', 1_000, async () => {
        ran = true;
      }),
    ).toBe('skipped');
    expect(ran).toBe(false);
    expect(steps.records.map((r) => [r.step, r.outcome])).toEqual([
      ['drain', 'timed out'],
      ['flush', 'skipped'],
    ]);
  });

  it('a failing step is recorded with its error and does not throw', async () => {
    const steps = new ShutdownSteps();
    expect(await steps.run('disconnect', 1_000, () => Promise.reject(new Error('broker gone')))).toBe('failed');
    expect(
      await steps.run('sync throw', 1_000, () => {
        throw new Error('at once');
      }),
    ).toBe('failed');
    expect(steps.records.map((r) => r.error)).toEqual(['broker gone', 'at once']);
    expect(steps.incomplete).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { describeFailedChild, type ChildRun } from '../../bench/probe.js';

const run = (over: Partial<ChildRun>): ChildRun => ({
  exitCode: 1,
  signal: null,
  stdout: '',
  stderr: '',
  wallSec: 3.2,
  timedOut: false,
  ...over,
});

describe('describeFailedChild (why a bench child gave no result)', () => {
  it('names how the child ended and keeps its stderr', () => {
    expect(describeFailedChild(run({ stderr: 'Error: the consumer group assigned no partitions within 30 s\n' }))).toBe(
      'child exited with code 1 after 3.2 s without a result; stderr: Error: the consumer group assigned no partitions within 30 s',
    );
    expect(describeFailedChild(run({ exitCode: null, signal: 'SIGSEGV' }))).toMatch(/^child ended by SIGSEGV after 3\.2 s .*stderr empty$/);
    expect(describeFailedChild(run({ exitCode: null, signal: 'SIGTERM', timedOut: true, wallSec: 120 }))).toMatch(
      /^child killed at its 120 s deadline/,
    );
    expect(describeFailedChild(new Error('spawn EAGAIN'))).toBe('child not run: spawn EAGAIN');
  });

  it('keeps the end of a long stderr, where the cause is', () => {
    const text = describeFailedChild(run({ stderr: `${'x'.repeat(5_000)}THE CAUSE` }));
    expect(text.endsWith('THE CAUSE')).toBe(true);
    expect(text.length).toBeLessThan(2_200);
  });
});

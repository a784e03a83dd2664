import { describe, expect, it } from 'vitest';
import { passThroughArgs } from '../../cli/sweep-command.js';

describe("a sweep hands its workload options to each probe's run", () => {
  it('passes --loadgen-thread off as given (left out, the probe would generate on a thread)', () => {
    expect(passThroughArgs({ loadgenThread: false })).toEqual(['--loadgen-thread', 'off']);
  });

  it('passes a switch that is on, and leaves out one that is unset', () => {
    expect(passThroughArgs({ loadgenThread: true })).toEqual(['--loadgen-thread']);
    expect(passThroughArgs({})).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { FirehoseError } from '../../kafka/errors.js';
import { parseFault } from '../../run/fault-plan.js';

const badOption = (spec: string, brokers = 3): string => {
  try {
    parseFault(spec, 30, brokers);
  } catch (error) {
    expect(error).toBeInstanceOf(FirehoseError);
    return (error as Error).message;
  }
  throw new Error(`${spec} was accepted`);
};

describe('parseFault', () => {
  it('defaults: a third into the run, 5 s for outages, broker 2', () => {
    const f = parseFault('broker-down', 30, 3);
    expect(f).toMatchObject({ kind: 'broker-down', atSec: 10, forSec: 5, broker: 2 });
  });

  it('reads start and length as seconds, milliseconds or a share of the run', () => {
    expect(parseFault('broker-down:3@2s+500ms', 30, 3)).toMatchObject({ broker: 3, atSec: 2, forSec: 0.5 });
    expect(parseFault('rtt:300ms@50%+10%', 30, 3)).toMatchObject({ rttMs: 300, atSec: 15, forSec: 3, broker: 'all' });
  });

  it('takes error names or numbers with a repeat count', () => {
    expect(parseFault('produce-errors:NOT_LEADER_OR_FOLLOWER*5', 30, 3)).toMatchObject({ errorName: 'NOT_LEADER_OR_FOLLOWER', count: 5 });
    expect(parseFault('fetch-errors:6', 30, 3)).toMatchObject({ errorCode: 6, count: 1 });
  });

  it('every refusal names --fault and the spec', () => {
    for (const spec of [
      'nope',
      'broker-down:4',
      'broker-down:all',
      'rtt',
      'rtt:abc',
      'produce-errors:WHAT',
      'produce-errors:6*0',
      'broker-down@soon',
    ]) {
      expect(badOption(spec)).toMatch(new RegExp(`^--fault ${spec.replace(/[*+?]/g, '\\$&')}: `));
    }
    expect(badOption('broker-down:1', 1)).toMatch(/broker/);
  });
});

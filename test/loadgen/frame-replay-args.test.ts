import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseReplayArgs, REPLAY_DEFAULTS } from '../../loadgen/frame-replay.js';

describe('frame-replay command line', () => {
  it('takes the defaults and each option', () => {
    expect(parseReplayArgs([])).toEqual({
      ok: { ticks: REPLAY_DEFAULTS.ticks, market: 'simple', inject: 'default', repeats: 3, seed: 1, instruments: 1000 },
    });
    expect(parseReplayArgs(['5000', '--market', 'fair-value', '--repeats', '2', '--seed', '0', '--inject', 'none'])).toEqual({
      ok: { ticks: 5000, market: 'fair-value', inject: 'none', repeats: 2, seed: 0, instruments: 1000 },
    });
  });

  it.each([
    [['--repeats', '0'], '--repeats expects a whole number >= 1, got "0"'],
    [['--repeats', 'abc'], '--repeats expects a whole number >= 1, got "abc"'],
    [['--seed', 'abc'], '--seed expects a whole number >= 0, got "abc"'],
    [['--seed', '1e3'], '--seed expects a whole number >= 0, got "1e3"'],
    [['--seed'], '--seed expects a value'],
    [['0'], 'ticks expects a whole number >= 1, got "0"'],
    [['--market', 'real'], '--market expects simple or fair-value, got "real"'],
    [['--speed', '2'], 'unknown option --speed (see --help)'],
  ])('refuses %j', (args, error) => {
    expect(parseReplayArgs(args)).toEqual({ error });
  });

  it('answers any argument list with options or one line', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom('--repeats', '--seed', '--market', '--instruments', '7', '0', 'x'), fc.string())),
        (args) => {
          const r = parseReplayArgs(args);
          if ('error' in r) expect(r.error).not.toMatch(/\n/);
          else expect(r.ok.repeats).toBeGreaterThanOrEqual(1);
        },
      ),
    );
  });

  it('exits 2 with one line on stderr before generating anything', () => {
    const script = fileURLToPath(new URL('../../dist/loadgen/frame-replay.js', import.meta.url));
    for (const args of [
      ['--repeats', '0'],
      ['--repeats', 'abc'],
      ['--seed', 'abc'],
    ]) {
      const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(args[0]);
    }
  });
});

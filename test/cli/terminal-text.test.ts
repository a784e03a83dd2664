import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../cli/summary.js';
import { terminalSafe } from '../../cli/terminal-text.js';
import type { RunResult } from '../../run/run-result.js';

describe('outside text printed to a terminal (issue 12)', () => {
  it('shows control characters, C1 codes and bidi overrides as visible escapes', () => {
    expect(terminalSafe('a\x1b[2Jb')).toBe('a\\x1b[2Jb');
    expect(terminalSafe('title\x1b]0;pwned\x07')).toBe('title\\x1b]0;pwned\\x07');
    expect(terminalSafe('line\nbreak\r')).toBe('line\\x0abreak\\x0d');
    expect(terminalSafe('\u009b31m')).toBe('\\x9b31m');
    expect(terminalSafe('abc\u202edcba')).toBe('abc\\u202edcba');
    expect(terminalSafe('plain µs · ticks')).toBe('plain µs · ticks');
  });

  it('never lets a control character through, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        // eslint-disable-next-line no-control-regex
        expect(terminalSafe(s)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      }),
    );
  });

  it('the summary of a result with escape sequences in its warnings and servers prints none of them', () => {
    const result = JSON.parse(readFileSync(new URL('../fixtures/result-small.json', import.meta.url), 'utf8')) as RunResult;
    result.warnings = ['\x1b]0;owned\x07\x1b[2J\x1b[1A fake: all good'];
    result.cluster = { ...result.cluster, embedded: false, bootstrapServers: 'host:1\x1b[8m' };
    const text = renderSummary(result);
    expect(text).not.toContain('\x1b]0;');
    expect(text).not.toContain('\x1b[2J');
    expect(text).not.toContain('\x1b[8m');
    expect(text).toContain('\\x1b]0;owned');
  });
});

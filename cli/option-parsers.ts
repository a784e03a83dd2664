import { InvalidArgumentError } from 'commander';
import type { RateLimit } from '../run/run-defaults.js';

const SUFFIX: Record<string, number> = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 };

/** "100000", "100k", "1.5M" → number; anything else → NaN. */
export function parseCount(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)([kKmM]?)\s*$/.exec(text);
  if (!match) return Number.NaN;
  return Number(match[1]) * SUFFIX[match[2] ?? '']!;
}

/** "15", "15s", "500ms", "2m" → seconds; anything else → NaN. */
export function parseDurationSec(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)(ms|s|m|h)?\s*$/.exec(text);
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  switch (match[2]) {
    case 'ms':
      return value / 1000;
    case 'm':
      return value * 60;
    case 'h':
      return value * 3600;
    default:
      return value;
  }
}

/** "20ms", "500us", "1.5s", "250µs" → microseconds; anything else → NaN (a bare number is ambiguous). */
export function parseLatencyUs(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s)\s*$/.exec(text);
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === 's' ? value * 1e6 : match[2] === 'ms' ? value * 1e3 : value;
}

/** "90%" (of the offered rate) or "50k" (ticks/s). */
export function parseRateLimit(text: string, flag: string): RateLimit {
  const percent = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  if (percent) return { kind: 'percent', value: Number(percent[1]) };
  const value = parseCount(text);
  if (!Number.isFinite(value))
    throw new InvalidArgumentError(`${flag} expects a percentage of the offered rate (90%) or ticks/s (50k), got "${text}"`);
  return { kind: 'absolute', value };
}

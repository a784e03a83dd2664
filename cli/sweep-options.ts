import { InvalidArgumentError } from 'commander';
import { CLIENT_KINDS, type ClientKind } from '../kafka/client.js';
import { parseCount } from './option-parsers.js';

/**
 * A comma-separated list option. An empty entry ("1,,4", "4,") and a repeated one ("4,4") are
 * refused rather than quietly dropped: either is a typo the user should see.
 */
export function listOf<T>(flag: string, parse: (item: string) => T): (text: string) => T[] {
  return (text: string) => {
    const items = text.split(',').map((s) => s.trim());
    if (items.length === 1 && items[0] === '') throw new InvalidArgumentError(`--${flag} expects a comma-separated list`);
    const empty = items.findIndex((s) => s.length === 0);
    if (empty >= 0) throw new InvalidArgumentError(`--${flag} "${text}" has an empty entry (position ${empty + 1})`);
    const values = items.map(parse);
    const seen = new Set<string>();
    for (const value of values) {
      const key = String(value);
      if (seen.has(key)) throw new InvalidArgumentError(`--${flag} "${text}" lists ${key} twice`);
      seen.add(key);
    }
    return values;
  };
}

export const positiveInt =
  (flag: string) =>
  (item: string): number => {
    if (!/^\d+$/.test(item) || Number(item) < 1) throw new InvalidArgumentError(`--${flag} expects positive integers, got "${item}"`);
    return Number(item);
  };

export const clientKind = (item: string): ClientKind => {
  if (!(CLIENT_KINDS as readonly string[]).includes(item))
    throw new InvalidArgumentError(`--client expects ${CLIENT_KINDS.join(' or ')}, got "${item}"`);
  return item as ClientKind;
};

/** --repeat: how many times each point runs, 1 to 100. */
export function repeatCount(text: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1 || Number(text) > 100)
    throw new InvalidArgumentError(`--repeat expects an integer from 1 to 100, got "${text}"`);
  return Number(text);
}

/** --target-rate: ticks/s above zero (2M, 500k). */
export function targetRate(text: string): number {
  const value = parseCount(text);
  if (/^\s*-/.test(text)) throw new InvalidArgumentError(`--target-rate must not be below zero, got "${text}"`);
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError(`--target-rate expects ticks/s above 0 (e.g. 2M or 500k), got "${text}"`);
  return value;
}

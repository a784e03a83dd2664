import { z } from 'zod';

/**
 * The one range check for numeric options (command line, workload files, split-role flags): a
 * zod number with the message a user sees after the flag, e.g. "must be an integer from 1 to 64".
 * `above` makes the lower bound exclusive (a rate or a duration of 0 means nothing).
 */
export function inRange(min: number, max: number, kind: { integer?: boolean; above?: boolean; what?: string } = {}) {
  const what = kind.what ?? (kind.integer ? 'an integer' : 'a number');
  const message = kind.above
    ? `must be above ${min} and at most ${max}`
    : max === Number.POSITIVE_INFINITY
      ? `must be ${what}, ${min} or more`
      : `must be ${what} from ${min} to ${max}`;
  let schema = z.number({ error: message });
  if (kind.integer) schema = schema.int(message);
  schema = kind.above ? schema.gt(min, message) : schema.min(min, message);
  return max === Number.POSITIVE_INFINITY ? schema : schema.max(max, message);
}

/** Checks one value against a range made by `inRange`; the message to print after the flag, or null when it fits. */
export function rangeProblem(schema: z.ZodNumber, value: unknown): string | null {
  const checked = schema.safeParse(value);
  return checked.success ? null : checked.error.issues[0]!.message;
}

import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { FirehoseError } from '../kafka/errors.js';
import { WORKLOAD_FIELDS } from './option-fields.js';
import type { RawRunOptions } from '../run/run-config.js';

/**
 * Reads a workload file (YAML; keys are the command-line option names without "--", values as
 * on the command line or as YAML numbers). Unknown keys and bad values fail naming the field.
 */
export async function loadWorkloadFile(path: string): Promise<RawRunOptions> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new FirehoseError('BAD_OPTION', `--workload ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new FirehoseError('BAD_OPTION', `--workload ${path}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new FirehoseError('BAD_OPTION', `--workload ${path}: expected a mapping of option names to values`);
  }
  const raw: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(document as Record<string, unknown>)) {
    if (name === 'description') continue;
    const field = WORKLOAD_FIELDS.find((f) => f.flag === name);
    if (!field) throw new FirehoseError('BAD_OPTION', `--workload ${path}: unknown field "${name}"`);
    if (field.choices && !field.choices.includes(String(value))) {
      throw new FirehoseError(
        'BAD_OPTION',
        `--workload ${path}: ${name} "${String(value)}" is invalid: one of ${field.choices.join(', ')}`,
      );
    }
    if (field.repeatable) {
      raw[field.key] = (Array.isArray(value) ? value : [value]).map(String);
      continue;
    }
    if (!field.parse) {
      raw[field.key] = field.argument ? String(value) : value;
      continue;
    }
    try {
      raw[field.key] = field.parse(String(value));
    } catch (error) {
      throw new FirehoseError('BAD_OPTION', `--workload ${path}: ${name}: ${(error as Error).message}`);
    }
  }
  return raw as RawRunOptions;
}

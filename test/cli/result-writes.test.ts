import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { refuseOverwrite, writeFileAtomic } from '../../cli/atomic-file.js';
import { resolveRunConfig } from '../../run/run-config.js';

describe('result writes (issue 12)', () => {
  it('writes through a temporary file renamed into place, leaving nothing else behind', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'firehose-atomic-'));
    const file = path.join(dir, 'nested', 'result.json');
    await writeFileAtomic(file, 'first');
    await writeFileAtomic(file, 'second');
    expect(readFileSync(file, 'utf8')).toBe('second');
    expect(readdirSync(path.dirname(file))).toEqual(['result.json']);
  });

  it('refuses to replace an existing result without --force, naming it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'firehose-atomic-'));
    const file = path.join(dir, 'result.json');
    await expect(refuseOverwrite(file, false)).resolves.toBeUndefined();
    writeFileSync(file, 'keep me');
    await expect(refuseOverwrite(file, false)).rejects.toThrow(`${file} exists: pass --force`);
    await expect(refuseOverwrite(file, true)).resolves.toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('gives runs resolved in the same instant different default directories and topics', () => {
    const configs = Array.from({ length: 20 }, () => resolveRunConfig({}));
    expect(new Set(configs.map((c) => c.output.out)).size).toBe(20);
    expect(new Set(configs.map((c) => c.workload.topic)).size).toBe(20);
  });
});

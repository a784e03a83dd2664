import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addWorkloadOptions, pickWorkloadOptions } from '../../cli/option-fields.js';
import { loadWorkloadFile } from '../../cli/workload-file.js';
import { resolveRunConfig } from '../../run/run-config.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'firehose-workload-'));

async function frameLingerFromFile(yaml: string): Promise<number> {
  const file = path.join(dir, `w-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  return resolveRunConfig(await loadWorkloadFile(file)).workload.frameLingerMs;
}

function frameLingerFromArgs(args: string[]): number {
  const command = addWorkloadOptions(new Command('run').exitOverride());
  command.parse(args, { from: 'user' });
  return resolveRunConfig(pickWorkloadOptions(command.opts())).workload.frameLingerMs;
}

describe('--frame-linger and its old name', () => {
  it('a workload file may say frame-linger or, as older files do, linger-ms', async () => {
    expect(await frameLingerFromFile('frame-linger: 4\n')).toBe(4);
    expect(await frameLingerFromFile('linger-ms: 6\n')).toBe(6);
  });

  it('the command line takes --frame-linger and --linger-ms; --help shows only the new name', () => {
    expect(frameLingerFromArgs(['--frame-linger', '4'])).toBe(4);
    expect(frameLingerFromArgs(['--linger-ms', '6'])).toBe(6);
    const help = addWorkloadOptions(new Command('run')).helpInformation();
    expect(help).toContain('--frame-linger');
    expect(help).not.toContain('--linger-ms');
  });
});

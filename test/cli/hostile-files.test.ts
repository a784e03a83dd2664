/**
 * File-side fuzz (issue 12): a valid result.json or pair of part files, mutated anywhere, must
 * end in exit 2 with one line naming the file, or in a valid render — never a stack trace, a
 * hang or a huge output.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { initHistograms } from '../../metrics/latency-histogram.js';
import { validParts } from '../fixtures/valid-parts.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'firehose-hostile-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => {
  const d = path.join(root, String(dirs++));
  return d;
};

/** Runs the CLI in this process; returns its exit code and what it wrote to stderr. */
async function firehose(...args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const code = await main(['node', 'firehose', ...args]);
    return { code, stderr };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/result-small.json', import.meta.url), 'utf8')) as Record<string, unknown>;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value in a JSON tree (bounded, so huge arrays do not dominate). */
function paths(value: Json, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  if (out.length > 4000) return out;
  out.push(prefix);
  if (Array.isArray(value)) value.slice(0, 8).forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

function setAt(root: Json, at: Array<string | number>, replacement: Json | undefined): Json {
  if (at.length === 0) return replacement ?? null;
  const copy = structuredClone(root) as Record<string | number, Json>;
  let node = copy as Record<string | number, Json>;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  const last = at.at(-1)!;
  if (replacement === undefined) delete node[last];
  else node[last] = replacement;
  return copy;
}

const hostileValue: fc.Arbitrary<Json | undefined> = fc.oneof(
  fc.constantFrom<Json | undefined>(
    undefined,
    null,
    true,
    '',
    '<script>alert(1)</script>',
    -1,
    0,
    1e300,
    -1e300,
    2 ** 53,
    1.5,
    99999,
    '99999',
    [],
    {},
    { 1000000000: 1 },
  ),
  fc.array(fc.constant(1e9), { maxLength: 2000 }) as fc.Arbitrary<Json>,
  // A deflate bomb: a few KB inflating to many MB.
  fc.constant(deflateRawSync(Buffer.alloc(64 * 1024 * 1024, 0xff)).toString('base64')),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

/** exit 2 with one line naming one of `files`, or exit 0 with a report of sane size. */
function expectCleanOutcome(r: { code: number; stderr: string }, files: string[], out: string): void {
  if (r.code === 0) {
    expect(statSync(path.join(out, 'report.html')).size).toBeLessThan(20 * 1024 * 1024);
    return;
  }
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(
    files.some((f) => lines[0]!.includes(f)),
    lines[0],
  ).toBe(true);
  expect(lines[0]).not.toMatch(/\n\s+at /);
}

describe('hostile result and part files', () => {
  beforeAll(async () => {
    await initHistograms();
  });

  it('the fixture (an older file without schemaVersion) and valid parts are read', async () => {
    const out = freshDir();
    expect((await firehose('report', fileWith(fixture as Json), '--out', out)).code).toBe(0);
    const { loadgen, ingest } = validParts();
    const r = await firehose(
      'report',
      'merge',
      fileWith(loadgen as unknown as Json),
      fileWith(ingest as unknown as Json),
      '--out',
      freshDir(),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('report merge never overwrites an existing result.json without --force', async () => {
    const { loadgen, ingest } = validParts();
    const files = [fileWith(loadgen as unknown as Json), fileWith(ingest as unknown as Json)];
    const out = freshDir();
    expect((await firehose('report', 'merge', ...files, '--out', out)).code).toBe(0);
    const before = readFileSync(path.join(out, 'result.json'), 'utf8');
    const again = await firehose('report', 'merge', ...files, '--out', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
    expect(readFileSync(path.join(out, 'result.json'), 'utf8')).toBe(before);
    expect((await firehose('report', 'merge', ...files, '--out', out, '--force')).code).toBe(0);
  });

  it('refuses an unknown schemaVersion, naming it', async () => {
    const r = await firehose('report', fileWith({ ...fixture, schemaVersion: 99 } as Json), '--out', freshDir());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('schemaVersion 99');
  });

  it('refuses two loadgens with the same source id at merge', async () => {
    const { loadgen, ingest } = validParts();
    const r = await firehose(
      'report',
      'merge',
      fileWith(loadgen as unknown as Json),
      fileWith(loadgen as unknown as Json),
      fileWith(ingest as unknown as Json),
      '--out',
      freshDir(),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--source-id 0');
  });

  it('refuses a deflate bomb in an ingest ledger without inflating it', async () => {
    const { loadgen, ingest } = validParts();
    ingest.ingest!.ledger.seen['0'] = deflateRawSync(Buffer.alloc(64 * 1024 * 1024, 0xff)).toString('base64');
    const ingestFile = fileWith(ingest as unknown as Json);
    const r = await firehose('report', 'merge', fileWith(loadgen as unknown as Json), ingestFile, '--out', freshDir());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(ingestFile);
    expect(r.stderr).toContain('ledger.seen.0 inflates to more than');
  });

  it('a mutated result.json: exit 2 with one line naming it, or a valid render', async () => {
    const all = paths(fixture as Json);
    await fc.assert(
      fc.asyncProperty(fc.nat(all.length - 1), hostileValue, async (i, value) => {
        const file = fileWith(setAt(fixture as Json, all[i]!, value));
        const out = freshDir();
        expectCleanOutcome(await firehose('report', file, '--out', out), [file], out);
      }),
      { numRuns: 150 },
    );
  });

  it('mutated part files: exit 2 with one line naming one of them, or a valid merge', async () => {
    const { loadgen, ingest } = validParts();
    const targets = [loadgen, ingest] as unknown as Json[];
    const all = targets.map((t) => paths(t));
    await fc.assert(
      fc.asyncProperty(fc.nat(1), fc.nat(), hostileValue, async (which, i, value) => {
        const mutated = targets.map((t, k) => (k === which ? setAt(t, all[k]![i % all[k]!.length]!, value) : t));
        const files = mutated.map(fileWith);
        const out = freshDir();
        expectCleanOutcome(await firehose('report', 'merge', ...files, '--out', out), files, out);
      }),
      { numRuns: 150 },
    );
  });
});

let files = 0;
function fileWith(content: Json): string {
  const file = path.join(root, `in-${files++}.json`);
  writeFileSync(file, JSON.stringify(content));
  return file;
}
